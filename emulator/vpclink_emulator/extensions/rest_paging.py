"""limit/position pagination for apigateway (REST API, v1) list calls."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from moto.apigateway.exceptions import BadRequestException
from moto.apigateway.responses import APIGatewayResponse

from ..monkeypatch import Response
from ..paging import InvalidToken, first, page

DEFAULT_PAGE_SIZE = 25  # AWS: "The default value is 25 and the maximum value is 500."


def paged_response(response: APIGatewayResponse, items: list[Any], render: Callable[[Any], Any]) -> Response:
    limit = first(response.querystring.get("limit"))
    size = int(limit) if limit else DEFAULT_PAGE_SIZE
    try:
        chunk, position = page(items, size, first(response.querystring.get("position")))
    except InvalidToken:
        raise BadRequestException("Invalid position parameter") from None
    body: dict[str, Any] = {"item": [render(item) for item in chunk]}
    if position:
        body["position"] = position
    return 200, {}, json.dumps(body)
