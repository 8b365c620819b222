"""Pagination with opaque tokens, shared by the v1 (limit/position) and v2 (MaxResults/NextToken) lists."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any, TypeVar

T = TypeVar("T")


class InvalidToken(ValueError):
    pass


def encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def decode_token(token: str) -> int:
    try:
        prefix, _, value = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        offset = int(value)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidToken(token) from exc
    if prefix != "offset" or offset < 0:
        raise InvalidToken(token)
    return offset


def page(items: Sequence[T], size: int | None, token: str | None) -> tuple[list[T], str | None]:
    """One page of `items` and the token for the next one (None on the last page)."""
    start = decode_token(token) if token else 0
    end = len(items) if size is None else start + size
    return list(items[start:end]), encode_token(end) if end < len(items) else None


def first(value: Any) -> str | None:
    """moto's querystring maps names to lists; the first value, if any."""
    if isinstance(value, list):
        return str(value[0]) if value else None
    return None if value is None else str(value)
