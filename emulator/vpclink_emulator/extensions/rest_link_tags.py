"""Tags on REST VPC link ARNs (arn:aws:apigateway:<region>::/vpclinks/<id>), which stock moto ignores."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote

from moto.apigateway import urls as v1_urls
from moto.apigateway.models import VpcLink
from moto.apigateway.responses import APIGatewayResponse

from ..monkeypatch import original, patch

_LINK_ARN = re.compile(r"^arn:[^:]+:apigateway:[^:]*::/vpclinks/(?P<id>[^/]+)$")


def _tagged_link(response: APIGatewayResponse) -> VpcLink | None:
    arn = _LINK_ARN.match(unquote(response.path.split("/tags/", 1)[1]))
    return response.backend.get_vpc_link(arn["id"]) if arn else None


def _tags_of(link: VpcLink) -> dict[str, str]:
    # moto types v1 link tags as a list, but stores the {key: value} map the API sends.
    return dict(link.tags or {})  # type: ignore[arg-type]


def get_tags(self: APIGatewayResponse) -> Any:
    link = _tagged_link(self)
    if link is None:
        return original(APIGatewayResponse, "get_tags")(self)
    return 200, {}, json.dumps({"tags": _tags_of(link)})


def tag_resource(self: APIGatewayResponse) -> Any:
    link = _tagged_link(self)
    if link is None:
        return original(APIGatewayResponse, "tag_resource")(self)
    link.tags = {**_tags_of(link), **(self._get_param("tags") or {})}  # type: ignore[assignment]
    return 204, {}, ""


def untag_resource(self: APIGatewayResponse) -> Any:
    link = _tagged_link(self)
    if link is None:
        return original(APIGatewayResponse, "untag_resource")(self)
    removed = set(self.querystring.get("tagKeys") or [])
    link.tags = {k: v for k, v in _tags_of(link).items() if k not in removed}  # type: ignore[assignment]
    return 204, {}, ""


def install() -> None:
    # Flask matches the percent-decoded path, in which the link ARN's slashes are real slashes.
    v1_urls.url_paths[
        "{0}/tags/arn:(?P<partition>[^/]+):apigateway:(?P<region_name>[^/]+)::/vpclinks/(?P<vpclink_id>[^/]+)$"
    ] = APIGatewayResponse.dispatch
    patch(APIGatewayResponse, "get_tags")(get_tags)
    patch(APIGatewayResponse, "tag_resource")(tag_resource)
    patch(APIGatewayResponse, "untag_resource")(untag_resource)
