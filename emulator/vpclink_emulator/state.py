"""Process-wide emulator state: configuration, the emulated clock and the backend lock.

moto keeps its backends in module-level globals, so one process holds exactly one emulated
AWS. The emulator's own state follows the same rule and lives in the `STATE` singleton.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass
class EmulatorConfig:
    """Knobs a test or the CLI can turn. Durations are in emulated (AWS) seconds."""

    # Real REST links take 2-4 minutes and HTTP links up to ~10 (seeds 000 and 001); the
    # defaults are short so that a demo stays interactive. Tests shrink them further.
    link_pending_seconds: float = 3.0
    link_deleting_seconds: float = 1.0
    # Emulated seconds per wall-clock second. 60 means one AWS minute passes per real second:
    # lifecycle delays shrink and rate-quota buckets refill 60 times faster, so ratios hold.
    time_scale: float = 1.0
    # API Gateway rate quotas per account and Region (TooManyRequestsException). Off by default.
    quotas: bool = False

    def update(self, changes: dict[str, Any]) -> None:
        known = {f.name: f.type for f in fields(self)}
        unknown = set(changes) - set(known)
        if unknown:
            raise ValueError(f"unknown config keys: {sorted(unknown)}")
        for key, value in changes.items():
            if key == "quotas":
                setattr(self, key, bool(value))
                continue
            number = float(value)
            if number < 0 or (key == "time_scale" and number == 0):
                raise ValueError(f"{key} must be positive, got {value!r}")
            setattr(self, key, number)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class EmulatedClock:
    """A monotonic clock that runs `scale` times faster than wall time.

    Changing the scale re-anchors the clock, so emulated time never jumps: a link that was
    half-way through PENDING stays half-way through when a test speeds time up.
    """

    def __init__(self, scale: float = 1.0) -> None:
        self._lock = threading.Lock()
        self._wall_anchor = time.monotonic()
        self._emulated_anchor = 0.0
        self._scale = scale

    def now(self) -> float:
        with self._lock:
            return self._emulated_anchor + (time.monotonic() - self._wall_anchor) * self._scale

    def advance(self, seconds: float) -> None:
        """Jump emulated time forward: a deterministic alternative to sleeping in tests."""
        with self._lock:
            self._emulated_anchor += seconds

    def set_scale(self, scale: float) -> None:
        with self._lock:
            wall = time.monotonic()
            self._emulated_anchor += (wall - self._wall_anchor) * self._scale
            self._wall_anchor = wall
            self._scale = scale


class EmulatorState:
    def __init__(self) -> None:
        self.config = EmulatorConfig()
        self.clock = EmulatedClock(self.config.time_scale)
        # moto's backends are plain dicts with no locking; the server is threaded, so every
        # AWS request and every control call that touches a backend runs under this lock.
        self.backend_lock = threading.RLock()

    def configure(self, **changes: Any) -> EmulatorConfig:
        self.config.update(changes)
        self.clock.set_scale(self.config.time_scale)
        return self.config


STATE = EmulatorState()
