"""The JSON merge patch that brings a stored status to the one a pass computed, or None when they agree.

The apiserver stores no nulls (a null in a merge patch deletes the key), so a status is compared in
that stored form: a pass that changes nothing writes nothing. A merge patch keeps every key it
omits, so a key that left a map the operator owns (a removed route in `routeIds`) is patched to null.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def stored_form(value: Any) -> Any:
    """`value` as the apiserver would store it: no null anywhere."""
    if isinstance(value, Mapping):
        return {k: stored_form(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [stored_form(v) for v in value]
    return value


def status_patch(desired: Mapping[str, Any], stored: Iterable[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The patch that turns each of `stored` (the copies that may be current) into `desired`.

    Only the keys of `desired` are the operator's: other top-level keys are left alone. None when
    every stored copy already equals `desired`.
    """
    target = stored_form(desired)
    copies = [dict(copy) for copy in stored]
    if all(all(copy.get(key) == value for key, value in target.items())
           and not any(key in copy for key, value in desired.items() if value is None) for copy in copies):
        return None
    patch: dict[str, Any] = {}
    for key, value in desired.items():
        if value is None:
            patch[key] = None
        else:
            patch[key] = _with_removals(target[key], [copy.get(key) for copy in copies])
    return patch


def _with_removals(value: Any, stored: list[Any]) -> Any:
    """`value`, plus a null for every key of a map that a stored copy has and `value` lacks."""
    if not isinstance(value, dict):
        return value
    merged: dict[str, Any] = {}
    for copy in stored:
        if isinstance(copy, Mapping):
            merged.update(dict.fromkeys(k for k in copy if k not in value))
    for key, item in value.items():
        merged[key] = _with_removals(item, [c.get(key) for c in stored if isinstance(c, Mapping)])
    return merged
