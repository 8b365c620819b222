"""Name each incoming AWS request: service, botocore operation, account and region.

The operation names come from the same botocore models that moto routes with, so the call
log speaks in the names the operator's code uses (CreateVpcLink, GetResources, ...).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.core.request import Request
from moto.core.routing import get_service_router

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/]+/([^/]+)/([^/]+)/aws4_request")

# SigV4 signing names that differ from botocore's service names.
_SIGNING_NAMES = {"elasticloadbalancing": "elbv2"}

READ_PREFIXES = ("Get", "List", "Describe", "Head")


@dataclass(frozen=True)
class RequestInfo:
    service: str
    operation: str | None
    account: str
    region: str

    @property
    def readonly(self) -> bool:
        return self.operation is not None and self.operation.startswith(READ_PREFIXES)


def identify(environ: dict[str, Any], body: bytes) -> RequestInfo:
    match = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    if not match:
        return RequestInfo("unknown", None, DEFAULT_ACCOUNT_ID, "us-east-1")
    access_key, region, signing_name = match.groups()
    service = _SIGNING_NAMES.get(signing_name, signing_name)
    if service == "apigateway" and environ.get("PATH_INFO", "").startswith("/v2/"):
        service = "apigatewayv2"
    return RequestInfo(service, _operation(service, environ, body), _account(access_key), region)


def _operation(service: str, environ: dict[str, Any], body: bytes) -> str | None:
    # The router may read the body (query protocols carry Action there); give it its own copy.
    probe = dict(environ)
    probe["wsgi.input"] = io.BytesIO(body)
    try:
        operation, _ = get_service_router(service).match(Request(probe))
    except Exception:  # unknown service, or a path no operation matches: log it unnamed
        return None
    return str(operation.name)


def _account(access_key: str) -> str:
    from moto.iam.models import get_account_id_from

    return str(get_account_id_from(access_key))
