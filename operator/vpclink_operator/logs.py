"""Logging set-up: structured JSON lines (default) or plain text."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from vpclink_operator.config import LogFormat

# Attributes that kopf's object loggers and our code attach to records, emitted as JSON keys.
_CONTEXT_KEYS = ("k8s_ref", "namespace", "name", "kind", "operation", "vpc_link_id")
_RESERVED = set(vars(logging.makeLogRecord({})))

# The object (and link) a handler is working on. Set by `log_context` in a kopf handler; every
# record logged inside it, including the AWS adapter's per-call lines, carries these keys.
# asyncio tasks and asyncio.to_thread copy the context, so concurrent handlers never mix them up.
_LOG_CONTEXT: ContextVar[dict[str, str]] = ContextVar("vpclink_log_context", default={})  # noqa: B039


@contextmanager
def log_context(**fields: str | None) -> Iterator[None]:
    """Attach namespace/name/kind/vpc_link_id (any subset) to every log record in this block."""
    token = _LOG_CONTEXT.set({**_LOG_CONTEXT.get(), **{k: v for k, v in fields.items() if v}})
    try:
        yield
    finally:
        _LOG_CONTEXT.reset(token)


class ContextFilter(logging.Filter):
    """Copy the current log context onto a record, without overriding keys the caller passed."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _LOG_CONTEXT.get()
        # `name` is the logger's name on a LogRecord, so the object goes in as kopf's k8s_ref does.
        ref = {k: context[k] for k in ("namespace", "name", "kind") if k in context}
        if ref and not hasattr(record, "k8s_ref"):
            record.k8s_ref = ref
        if "vpc_link_id" in context and not hasattr(record, "vpc_link_id"):
            record.vpc_link_id = context["vpc_link_id"]
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and (key in _CONTEXT_KEYS or not key.startswith("_")):
                if key == "k8s_ref" and isinstance(value, dict):
                    entry.update({k: v for k, v in value.items() if k in ("namespace", "name", "kind")})
                elif isinstance(value, str | int | float | bool) or value is None:
                    entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str, fmt: LogFormat) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(ContextFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # botocore at DEBUG would log every request body; keep it quiet unless asked for specifically.
    logging.getLogger("botocore").setLevel(max(logging.INFO, logging.getLevelName(level)))
