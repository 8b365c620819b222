"""The WSGI application: moto's server app behind the emulator's front door.

For every AWS request, in order: name it (service, operation), add injected latency, answer
with an injected fault or a quota refusal if one applies, otherwise let moto (with the
emulator's patches) handle it under the backend lock; then record it in the call log.
Requests under `/_emulator/` go to the control API instead.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

from . import errors
from .calllog import CallLog
from .faults import FaultInjector
from .quotas import RateQuotas
from .routing import identify
from .state import STATE

StartResponse = Callable[..., Any]
CONTROL_PREFIX = "/_emulator/"


class EmulatorApp:
    def __init__(self) -> None:
        self.moto = DomainDispatcherApplication(create_backend_app)
        self.calls = CallLog()
        self.faults = FaultInjector()
        self.quotas = RateQuotas()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith(CONTROL_PREFIX):
            from .control_server import handle_control

            return handle_control(self, environ, start_response)
        return self._aws(environ, start_response)

    def _aws(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.time()
        body = _read_body(environ)
        info = identify(environ, body)

        delay, delay_after, error = self.faults.decide(info)
        if delay:
            time.sleep(delay)
        if error is None and not self.quotas.admit(info):
            error = errors.throttling_error(info.service, "Too Many Requests")

        if error is not None:
            status, headers, payload = errors.render(info.service, error)
            error_code: str | None = error.code
        else:
            status, headers, payload = self._moto(environ)
            error_code = _error_code(status, headers, payload)
            if delay_after:
                time.sleep(delay_after)

        self.calls.record(
            info,
            method=environ.get("REQUEST_METHOD", ""),
            path=environ.get("PATH_INFO", ""),
            status=status,
            error_code=error_code,
            started=started,
        )
        start_response(f"{status} {_reason(status)}", headers)
        return [payload]

    def _moto(self, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            captured["status"], captured["headers"] = status, headers

        with STATE.backend_lock:
            chunks = self.moto(environ, capture)
            try:
                payload = b"".join(chunks)
            finally:
                close = getattr(chunks, "close", None)
                if close:
                    close()
        return int(captured["status"].split()[0]), captured["headers"], payload

    def reset(self) -> None:
        from moto.moto_api._internal.models import moto_api_backend

        with STATE.backend_lock:
            moto_api_backend.reset()
        self.calls.reset()
        self.faults.clear()
        self.quotas.reset()


def _read_body(environ: dict[str, Any]) -> bytes:
    """Buffer the request body so that both the router and moto can read it."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length:
        body: bytes = environ["wsgi.input"].read(length)
    elif environ.get("wsgi.input_terminated"):  # chunked: the server ends the stream for us
        body = environ["wsgi.input"].read()
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _error_code(status: int, headers: list[tuple[str, str]], payload: bytes) -> str | None:
    if status < 400:
        return None
    for name, value in headers:
        if name.lower() == "x-amzn-errortype":
            return value.split(":")[0]
    try:
        parsed = json.loads(payload)
        return str(parsed.get("__type") or parsed.get("code") or "").split("#")[-1] or None
    except (ValueError, AttributeError):
        pass
    text = payload.decode(errors="replace")
    start = text.find("<Code>")
    return text[start + 6 : text.find("</Code>")] if start >= 0 else None


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
