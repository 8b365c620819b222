"""Pydantic conventions shared by every model: camelCase on the wire, unknown fields rejected."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel


class CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid",
                              frozen=True)


class InvalidSpec(ValueError):
    """A spec that can never work as written. The message names the field."""


def describe_validation_error(root: str, exc: ValidationError) -> str:
    """Render pydantic errors as `spec.field.path: message; ...` using the wire (camelCase) names."""
    parts = []
    for err in exc.errors():
        path = ".".join([root, *(str(p) for p in err["loc"])]) if err["loc"] else root
        parts.append(f"{path}: {err['msg']}")
    return "; ".join(parts)
