"""Pydantic conventions shared by every model: camelCase on the wire, unknown fields rejected."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel


class CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid",
                              frozen=True)

    @classmethod
    def from_known_fields(cls, raw: Mapping[str, Any] | None) -> Self:
        """Parse a status this operator wrote earlier, ignoring keys this model does not know
        (kopf's own bookkeeping, or fields of another version)."""
        names = set(cls.model_fields) | {f.alias for f in cls.model_fields.values() if f.alias}
        return cls.model_validate({k: v for k, v in (raw or {}).items() if k in names})


class InvalidSpec(ValueError):
    """A spec that can never work as written. The message names the field."""


def describe_validation_error(root: str, exc: ValidationError) -> str:
    """Render pydantic errors as `spec.field.path: message; ...` using the wire (camelCase) names."""
    parts = []
    for err in exc.errors():
        path = ".".join([root, *(str(p) for p in err["loc"])]) if err["loc"] else root
        parts.append(f"{path}: {err['msg']}")
    return "; ".join(parts)
