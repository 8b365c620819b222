"""Logging set-up: structured JSON lines (default) or plain text."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from vpclink_operator.config import LogFormat

# Attributes that kopf's object loggers and our code attach to records, emitted as JSON keys.
_CONTEXT_KEYS = ("k8s_ref", "namespace", "name", "kind", "operation", "vpc_link_id")
_RESERVED = set(vars(logging.makeLogRecord({})))


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
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # botocore at DEBUG would log every request body; keep it quiet unless asked for specifically.
    logging.getLogger("botocore").setLevel(max(logging.INFO, logging.getLevelName(level)))
