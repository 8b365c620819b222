"""The one mechanism every extension uses: replace a moto method, keep the original reachable.

`patch(cls, name)` installs a function in place of `cls.name`; `original(cls, name)` returns moto's
version so an extension can add to it rather than rewrite it. The extensions themselves live in
`extensions/`; `install.py` installs them all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# What a moto response method returns: (status, headers, body).
Response = tuple[int, dict[str, Any], str]

_ORIGINALS: dict[tuple[type, str], Callable[..., Any]] = {}


def patch(cls: type, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Replace `cls.name` with the decorated function; `original(cls, name)` still reaches moto's.

    Installing twice is harmless: the original is remembered from the first time.
    """

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        _ORIGINALS.setdefault((cls, name), getattr(cls, name, _missing(cls, name)))
        func.__name__ = name
        setattr(cls, name, func)
        return func

    return decorate


def original(cls: type, name: str) -> Callable[..., Any]:
    return _ORIGINALS[(cls, name)]


def _missing(cls: type, name: str) -> Callable[..., Any]:
    def missing(*_: Any, **__: Any) -> Any:
        raise NotImplementedError(f"{cls.__name__}.{name} does not exist in moto")

    return missing
