"""Install every extension in `extensions/` into moto, once per process."""

from __future__ import annotations

import threading

from .extensions import ALL

_lock = threading.Lock()
_installed = False


def install_extensions() -> None:
    global _installed
    with _lock:
        if not _installed:
            for extension in ALL:
                extension.install()
            _installed = True
