"""The call log: one record per AWS request the emulator answered (including refusals)."""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any

from .routing import RequestInfo


class CallLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[dict[str, Any]] = []
        self._seq = itertools.count(1)

    def record(
        self,
        info: RequestInfo,
        *,
        method: str,
        path: str,
        status: int,
        error_code: str | None,
        started: float,
    ) -> None:
        entry = {
            "seq": 0,
            "time": started,
            "duration_ms": round((time.time() - started) * 1000, 3),
            "service": info.service,
            "operation": info.operation,
            "readonly": info.readonly,
            "account": info.account,
            "region": info.region,
            "method": method,
            "path": path,
            "status": status,
            "error_code": error_code,
        }
        with self._lock:
            entry["seq"] = next(self._seq)
            self._records.append(entry)

    def query(
        self, operation: str | None = None, service: str | None = None, since: float | None = None
    ) -> list[dict[str, Any]]:
        with self._lock:
            records = list(self._records)
        return [
            r
            for r in records
            if (operation is None or r["operation"] == operation)
            and (service is None or r["service"] == service)
            and (since is None or r["time"] >= since)
        ]

    def reset(self) -> None:
        with self._lock:
            self._records.clear()
