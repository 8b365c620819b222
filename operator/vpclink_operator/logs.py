"""Logging set-up: structured JSON lines (default) or plain text, both naming the object a line is about.

Levels mean something here: INFO is a state transition (one line each) or the process starting and
stopping; an expected wait is INFO or DEBUG; an AWS rejection is WARNING with AWS's text; ERROR is a
bug or a broken dependency (the apiserver refusing us, a handler crashing). kopf's own routine lines
("Deletion is processed: ...") are DEBUG, and so are its "failed temporarily"
lines: they are our deliberate waits (a deletion waiting for its dependants), already announced once
by the object's transition line. The apiserver's 429s, which kopf retries, are INFO.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from vpclink_operator.config import LogFormat

# The fields that say which object (and AWS link and call) a line is about, in output order.
OBJECT_FIELDS = ("kind", "namespace", "name", "vpc_link_id", "operation")

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


@dataclass
class AwsOperations:
    """The AWS operations called during one reconcile pass, for its transition line."""

    called: list[tuple[str, bool]] = field(default_factory=list)  # (operation, failed)

    def summary(self) -> str:
        """What the pass did in AWS: the failed calls, else the writes, else the last read."""
        failed = [op for op, bad in self.called if bad]
        writes = [op for op, _ in self.called if not op.startswith(("Get", "List", "Describe"))]
        chosen = failed or writes or [op for op, _ in self.called[-1:]]
        return ",".join(dict.fromkeys(chosen)) or "none"


_OPERATIONS: ContextVar[AwsOperations | None] = ContextVar("vpclink_aws_operations", default=None)


@contextmanager
def collect_operations() -> Iterator[AwsOperations]:
    operations = AwsOperations()
    token = _OPERATIONS.set(operations)
    try:
        yield operations
    finally:
        _OPERATIONS.reset(token)


def note_operation(operation: str, *, failed: bool) -> None:
    """Called by the AWS client for every call; recorded when inside `collect_operations`."""
    operations = _OPERATIONS.get()
    if operations is not None:
        operations.called.append((operation, failed))


def object_fields(record: logging.LogRecord) -> dict[str, str]:
    """kind/namespace/name from kopf's `k8s_ref` or our context, plus link id and AWS operation."""
    context = _LOG_CONTEXT.get()
    ref: dict[str, Any] = getattr(record, "k8s_ref", None) or {}
    fields = {key: ref.get(key) or context.get(key) for key in ("kind", "namespace", "name")}
    for key in ("vpc_link_id", "operation"):
        fields[key] = getattr(record, key, None) or context.get(key)
    return {key: str(fields[key]) for key in OBJECT_FIELDS if fields.get(key)}


class RoutineKopfLines(logging.Filter):
    """Give kopf's routine lines the level they deserve here, then apply the configured threshold.

    A handler filter, because kopf logs on many child loggers; the handler's own level is checked
    before its filters run, so the threshold is applied here, after the re-levelling.
    """

    ROUTINE = (" succeeded.", " is processed: ", " is superseded by ", "has been initiated.", "has finished.")

    def __init__(self, threshold: int) -> None:
        super().__init__()
        self.threshold = threshold

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("kopf") and record.levelno in (logging.INFO, logging.ERROR):
            message = record.getMessage()
            routine = record.levelno == logging.INFO and any(part in message for part in self.ROUTINE)
            waiting = record.levelno == logging.ERROR and " failed temporarily: " in message and "will " not in message
            # The apiserver asked us to slow down (429, retried after its Retry-After): a wait, not an error.
            told_to_wait = record.levelno == logging.ERROR and "; will retry: " in message \
                and "APITooManyRequestsError" in message
            if routine or waiting:
                record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            elif told_to_wait:
                record.levelno, record.levelname = logging.INFO, "INFO"
        return record.levelno >= self.threshold


class ObjectJsonFormatter(JsonFormatter):
    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s %(message)s", timestamp="time",
                         rename_fields={"levelname": "level", "name": "logger", "exc_info": "exception"},
                         reserved_attrs=[*RESERVED_ATTRS, "k8s_ref", "k8s_skip", "settings", *OBJECT_FIELDS])

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]) -> None:
        super().add_fields(log_data, record, message_dict)
        ordered = {"time": log_data.pop("time"), **log_data, **object_fields(record)}
        log_data.clear()
        log_data.update(ordered)


class ObjectPlainFormatter(logging.Formatter):
    """`time LEVEL logger kind=VpcLink namespace=shop name=orders vpc_link_id=... operation=... message`."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s %(object_fields)s%(message)s")

    def format(self, record: logging.LogRecord) -> str:
        record.object_fields = "".join(f"{key}={value} " for key, value in object_fields(record).items())
        return super().format(record)


def configure_logging(level: str, fmt: LogFormat) -> None:
    threshold = logging.getLevelName(level)
    handler = logging.StreamHandler()
    handler.addFilter(RoutineKopfLines(threshold))
    handler.setFormatter(ObjectJsonFormatter() if fmt == "json" else ObjectPlainFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    # kopf's re-levelled lines must reach the filter; it applies `level` itself.
    root.setLevel(min(threshold, logging.INFO))
    # botocore at DEBUG would log every request body, and at INFO where it found credentials.
    for noisy in ("botocore", "boto3", "urllib3"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, threshold))
