"""MaxResults/NextToken pagination for apigatewayv2 (HTTP API) list calls."""

from __future__ import annotations

import json
from typing import Any

from moto.apigatewayv2.exceptions import BadRequestException
from moto.apigatewayv2.responses import ApiGatewayV2Response

from ..monkeypatch import Response
from ..paging import InvalidToken, first, page


def paged_response(response: ApiGatewayV2Response, items: list[Any]) -> Response:
    size = first(response.querystring.get("maxResults"))
    try:
        chunk, token = page(items, int(size) if size else None, first(response.querystring.get("nextToken")))
    except InvalidToken:
        raise BadRequestException("Invalid nextToken") from None
    body: dict[str, Any] = {"items": [item.to_json() for item in chunk]}
    if token:
        body["nextToken"] = token
    return 200, {}, json.dumps(body)
