"""Install every emulator patch into moto, once per process."""

from __future__ import annotations

import threading

from . import elbv2, http_v2, rest_v1

_lock = threading.Lock()
_installed = False


def install() -> None:
    global _installed
    with _lock:
        if not _installed:
            elbv2.install()
            rest_v1.install()
            http_v2.install()
            _installed = True
