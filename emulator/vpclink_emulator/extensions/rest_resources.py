"""get-resources pages with limit/position and, as AWS does, embeds methods only on request."""

from __future__ import annotations

from typing import Any

from moto.apigateway.responses import APIGatewayResponse

from ..monkeypatch import Response, patch
from .rest_paging import paged_response


def get_resources(self: APIGatewayResponse) -> Response:
    api_id = self.path.replace("/restapis/", "", 1).split("/")[0]
    embedded = {e for value in self.querystring.get("embed") or [] for e in value.split(",")}

    def render(resource: Any) -> dict[str, Any]:
        body: dict[str, Any] = resource.to_dict()
        if "resourceMethods" in body and "methods" not in embedded:
            # Without embed=methods AWS lists only the method names.
            body["resourceMethods"] = {name: {} for name in body["resourceMethods"]}
        return body

    return paged_response(self, self.backend.get_resources(api_id), render)


def install() -> None:
    patch(APIGatewayResponse, "get_resources")(get_resources)
