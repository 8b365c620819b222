"""The control API's server side: HTTP endpoints under /_emulator/ (client: `control_client`).

Endpoints (JSON in, JSON out):

    GET    /_emulator/health
    POST   /_emulator/reset                    all AWS state, call log, faults and quota buckets
    GET    /_emulator/config                   current config
    POST   /_emulator/config                   {"link_pending_seconds": 0.2, "time_scale": 50, "quotas": true}
    POST   /_emulator/clock/advance            {"seconds": 15} (emulated seconds)
    POST   /_emulator/links/<id>/state         {"state": "FAILED", "message": "..."}
    GET    /_emulator/restapis/<id>/stages/<stage>/integrations
                                               what the stage serves: its deployed integrations with
                                               stage variables resolved (no AWS call returns this)
    GET    /_emulator/faults                   active faults
    POST   /_emulator/faults                   {"kind": "throttle", "percent": 50, "duration": 2, ...}
    DELETE /_emulator/faults
    GET    /_emulator/calls?operation=&service=&since=
    DELETE /_emulator/calls
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from moto.apigateway.models import apigateway_backends
from moto.apigatewayv2.models import apigatewayv2_backends

from . import lifecycle
from .extensions.rest_deployments import deployed_integrations
from .state import STATE

if TYPE_CHECKING:
    from .app import EmulatorApp


class BadControlRequest(Exception):
    """A control request that cannot be served; answered with `status` and the message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _all_links() -> Iterator[tuple[str, Any, dict[str, Any]]]:
    """(api version, link, the backend dict holding it) for every link in every account and region."""
    for version, backends in (("v1", apigateway_backends), ("v2", apigatewayv2_backends)):
        for account_backends in backends.values():
            for backend in account_backends.values():
                lifecycle.sweep(backend.vpc_links)
                for link in backend.vpc_links.values():
                    yield version, link, backend.vpc_links


def set_link_state(link_id: str, state: str, message: str | None = None) -> dict[str, Any]:
    if state not in lifecycle.FORCEABLE:
        raise BadControlRequest(400, f"state must be one of {lifecycle.FORCEABLE}, got {state!r}")
    with STATE.backend_lock:
        found = next(((v, link) for v, link, _ in _all_links() if link.id == link_id), None)
        if found is None:
            raise BadControlRequest(404, f"no VPC link {link_id!r}")
        version, link = found
        if state == lifecycle.INACTIVE and version == "v1":
            raise BadControlRequest(400, "INACTIVE exists only for HTTP API (v2) VPC links")
        if state == lifecycle.FAILED and not message:
            message = "VPC link failed (forced by the emulator)"
        lifecycle.lifecycle_of(link).force(state, message)
        return dict(link.to_json())


def stage_integrations(rest_api_id: str, stage_name: str) -> list[dict[str, Any]]:
    """What a call to `stage_name` reaches: per method, the deployed integration's link and target."""
    with STATE.backend_lock:
        for account_backends in apigateway_backends.values():
            for backend in account_backends.values():
                api = backend.apis.get(rest_api_id)
                stage = api.stages.get(stage_name) if api is not None else None
                if stage is not None:
                    return [
                        {"path": path, "httpMethod": method, **{k: integration.get(k) for k in _SERVED_FIELDS}}
                        for (path, method), integration in sorted(deployed_integrations(api, stage).items())
                    ]
    raise BadControlRequest(404, f"no stage {stage_name!r} in REST API {rest_api_id!r}")


_SERVED_FIELDS = ("type", "uri", "connectionType", "connectionId", "integrationTarget", "responseTransferMode")


def handle_control(app: EmulatorApp, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    method = environ.get("REQUEST_METHOD", "GET")
    path = environ.get("PATH_INFO", "")[len("/_emulator/") :].strip("/")
    query = {k: v[0] for k, v in urllib.parse.parse_qs(environ.get("QUERY_STRING", "")).items()}
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(length) or b"{}") if length else {}
        status, result = 200, _route(app, method, path, query, body)
    except BadControlRequest as exc:
        status, result = exc.status, {"error": str(exc)}
    except (ValueError, TypeError) as exc:
        status, result = 400, {"error": str(exc)}
    payload = json.dumps(result).encode()
    start_response(
        f"{status} {'OK' if status == 200 else 'Error'}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
    )
    return [payload]


def _route(app: EmulatorApp, method: str, path: str, query: dict[str, str], body: dict[str, Any]) -> Any:
    parts = path.split("/")
    if (method, path) == ("GET", "health"):
        return {"ok": True}
    if (method, path) == ("POST", "reset"):
        app.reset()
        return {"ok": True}
    if path == "config" and method in ("GET", "POST"):
        return (STATE.configure(**body) if method == "POST" else STATE.config).as_dict()
    if (method, path) == ("POST", "clock/advance"):
        seconds = float(body.get("seconds", 0))
        if seconds < 0:
            raise BadControlRequest(400, "time only moves forward")
        STATE.clock.advance(seconds)
        return {"ok": True}
    if method == "POST" and len(parts) == 3 and parts[0] == "links" and parts[2] == "state":
        return set_link_state(parts[1], str(body.get("state")), body.get("message"))
    if method == "GET" and len(parts) == 5 and (parts[0], parts[2], parts[4]) == (
        "restapis", "stages", "integrations"
    ):
        return stage_integrations(parts[1], parts[3])
    if path == "faults":
        if method == "GET":
            return app.faults.list()
        if method == "POST":
            return app.faults.add(**body).public()
        if method == "DELETE":
            app.faults.clear()
            return {"ok": True}
    if path == "calls":
        if method == "GET":
            since = float(query["since"]) if "since" in query else None
            return app.calls.query(query.get("operation"), query.get("service"), since)
        if method == "DELETE":
            app.calls.reset()
            return {"ok": True}
    raise BadControlRequest(404, f"no control endpoint {method} /_emulator/{path}")
