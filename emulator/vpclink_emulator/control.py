"""The control API: HTTP endpoints under /_emulator/ and `EmulatorControl`, their Python client.

Endpoints (JSON in, JSON out):

    GET    /_emulator/health
    POST   /_emulator/reset                    all AWS state, call log, faults and quota buckets
    GET    /_emulator/config                   current config
    POST   /_emulator/config                   {"link_pending_seconds": 0.2, "time_scale": 50, "quotas": true}
    POST   /_emulator/clock/advance            {"seconds": 15} (emulated seconds)
    POST   /_emulator/links/<id>/state         {"state": "FAILED", "message": "..."}
    GET    /_emulator/faults                   active faults
    POST   /_emulator/faults                   {"kind": "throttle", "percent": 50, "duration": 2, ...}
    DELETE /_emulator/faults
    GET    /_emulator/calls?operation=&service=&since=
    DELETE /_emulator/calls
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from moto.apigateway.models import apigateway_backends
from moto.apigatewayv2.models import apigatewayv2_backends

from . import lifecycle
from .state import STATE

if TYPE_CHECKING:
    from .app import EmulatorApp


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


# --- server side ---------------------------------------------------------------------------


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
        raise ControlError(400, f"state must be one of {lifecycle.FORCEABLE}, got {state!r}")
    with STATE.backend_lock:
        found = next(((v, link) for v, link, _ in _all_links() if link.id == link_id), None)
        if found is None:
            raise ControlError(404, f"no VPC link {link_id!r}")
        version, link = found
        if state == lifecycle.INACTIVE and version == "v1":
            raise ControlError(400, "INACTIVE exists only for HTTP API (v2) VPC links")
        if state == lifecycle.FAILED and not message:
            message = "VPC link failed (forced by the emulator)"
        lifecycle.lifecycle_of(link).force(state, message)
        return dict(link.to_json())


def handle_control(app: EmulatorApp, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    method = environ.get("REQUEST_METHOD", "GET")
    path = environ.get("PATH_INFO", "")[len("/_emulator/") :].strip("/")
    query = {k: v[0] for k, v in urllib.parse.parse_qs(environ.get("QUERY_STRING", "")).items()}
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(length) or b"{}") if length else {}
        status, result = 200, _route(app, method, path, query, body)
    except ControlError as exc:
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
            raise ControlError(400, "time only moves forward")
        STATE.clock.advance(seconds)
        return {"ok": True}
    if method == "POST" and len(parts) == 3 and parts[0] == "links" and parts[2] == "state":
        return set_link_state(parts[1], str(body.get("state")), body.get("message"))
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
    raise ControlError(404, f"no control endpoint {method} /_emulator/{path}")


# --- client side ---------------------------------------------------------------------------


class EmulatorControl:
    """Drives a running emulator (in-process or `python -m vpclink_emulator`) over HTTP."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def health(self) -> bool:
        return bool(self._call("GET", "health").get("ok"))

    def reset(self) -> None:
        """Forget all AWS resources, calls, faults and quota buckets; keep the config."""
        self._call("POST", "reset")

    def config(self) -> dict[str, Any]:
        return dict(self._call("GET", "config"))

    def configure(
        self,
        *,
        link_pending_seconds: float | None = None,
        link_deleting_seconds: float | None = None,
        time_scale: float | None = None,
        quotas: bool | None = None,
    ) -> dict[str, Any]:
        changes = {
            "link_pending_seconds": link_pending_seconds,
            "link_deleting_seconds": link_deleting_seconds,
            "time_scale": time_scale,
            "quotas": quotas,
        }
        return dict(self._call("POST", "config", {k: v for k, v in changes.items() if v is not None}))

    def advance_time(self, seconds: float) -> None:
        """Move the emulated clock forward: links leave PENDING/DELETING, quota buckets refill."""
        self._call("POST", "clock/advance", {"seconds": seconds})

    def set_link_state(self, link_id: str, state: str, message: str | None = None) -> dict[str, Any]:
        """Pin a link (v1 or v2) to PENDING, AVAILABLE, FAILED (with message) or INACTIVE (v2 only)."""
        return dict(self._call("POST", f"links/{link_id}/state", {"state": state, "message": message}))

    def inject_fault(
        self,
        kind: str,
        *,
        percent: float = 100.0,
        duration: float | None = None,
        count: int | None = None,
        operations: list[str] | None = None,
        services: list[str] | None = None,
        latency_ms: float = 0.0,
        phase: str = "before",
        status: int = 500,
        seed: int | None = None,
    ) -> dict[str, Any]:
        """kind: throttle | conflict | server_error | latency. Returns the fault with its id."""
        fault = {
            "kind": kind,
            "percent": percent,
            "duration": duration,
            "count": count,
            "operations": operations,
            "services": services,
            "latency_ms": latency_ms,
            "phase": phase,
            "status": status,
            "seed": seed,
        }
        return dict(self._call("POST", "faults", fault))

    def faults(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "faults"))

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def calls(
        self, operation: str | None = None, service: str | None = None, since: float | None = None
    ) -> list[dict[str, Any]]:
        """Logged AWS requests, oldest first; `since` is a Unix time (inclusive)."""
        query = {"operation": operation, "service": service, "since": since}
        encoded = urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        return list(self._call("GET", f"calls?{encoded}" if encoded else "calls"))

    def reset_calls(self) -> None:
        self._call("DELETE", "calls")

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.base_url}/_emulator/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            detail = json.loads(exc.read() or b"{}").get("error", exc.reason)
            raise ControlError(exc.code, detail) from None
