"""`EmulatorControl`: the Python client of the control API (server side: `control_server`)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any


class ControlError(Exception):
    """The emulator refused a control call; `status` is its HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


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

    def stage_integrations(self, rest_api_id: str, stage: str) -> list[dict[str, Any]]:
        """What `stage` serves now: each deployed method's integration, stage variables resolved
        (path, httpMethod, type, uri, connectionType, connectionId, integrationTarget, responseTransferMode)."""
        return list(self._call("GET", f"restapis/{rest_api_id}/stages/{stage}/integrations"))

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
