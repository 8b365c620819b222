"""Which object the current reconcile pass works for, for the layers below that must know without being told.

The rate limiter keeps each object's place in line by it, and the shared snapshots record who read
them (so an observer wakes exactly those objects when what they read changes). Set by the pass
runner; asyncio tasks and `asyncio.to_thread` copy it, so concurrent passes never mix it up.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_CURRENT_OBJECT: ContextVar[str | None] = ContextVar("vpclink_current_object", default=None)


def current_object() -> str | None:
    """The UID of the object whose pass is running, or None outside a pass."""
    return _CURRENT_OBJECT.get()


@contextmanager
def working_for(uid: str) -> Iterator[None]:
    token = _CURRENT_OBJECT.set(uid)
    try:
        yield
    finally:
        _CURRENT_OBJECT.reset(token)
