"""Serve the emulator over HTTP, in a background thread (tests) or in the foreground (CLI)."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

from moto.moto_server.werkzeug_app import MotoRequestHandler
from werkzeug.serving import BaseWSGIServer, make_server

from .app import EmulatorApp
from .control_client import EmulatorControl
from .install import install_extensions
from .state import STATE


class EmulatorServer:
    """The emulator on host:port (port 0 picks a free one). Use `.url` as AWS_ENDPOINT_URL.

    moto's backends are process-global, so run one EmulatorServer per process.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, **config: Any) -> None:
        install_extensions()
        if config:
            STATE.configure(**config)
        self.app = EmulatorApp()
        self._server: BaseWSGIServer = make_server(host, port, self.app, threaded=True, request_handler=_QuietHandler)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self._server.host}:{self._server.port}"

    @property
    def control(self) -> EmulatorControl:
        return EmulatorControl(self.url)

    def start(self) -> EmulatorServer:
        self._thread = threading.Thread(target=self._server.serve_forever, name="vpclink-emulator", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class _QuietHandler(MotoRequestHandler):
    """moto's request handler without a log line per request (the call log has them)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return
