"""VPC link lifecycle, computed on read from timestamps on the emulated clock.

No background threads: a link records when it was created (and when deletion began), and
its status is derived whenever someone looks. PENDING lasts `link_pending_seconds`, then the
link reaches its outcome (AVAILABLE, or FAILED when its target was unusable); DELETING lasts
`link_deleting_seconds`, after which the link is gone. Each link keeps the durations in force
when its phase began, so reconfiguring the emulator affects new links only. Control calls pin a
status.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .state import STATE

PENDING, AVAILABLE, DELETING, FAILED, INACTIVE = "PENDING", "AVAILABLE", "DELETING", "FAILED", "INACTIVE"
FORCEABLE = (PENDING, AVAILABLE, FAILED, INACTIVE)


def _pending_seconds() -> float:
    return float(STATE.config.link_pending_seconds)


@dataclass
class LinkLifecycle:
    created_at: float
    outcome: str = AVAILABLE
    outcome_message: str | None = None
    forced: str | None = None
    forced_message: str | None = None
    deleting_since: float | None = None
    pending_seconds: float = field(default_factory=_pending_seconds)
    deleting_seconds: float = 0.0

    def status(self) -> str:
        now = STATE.clock.now()
        if self.deleting_since is not None:
            return DELETING
        if self.forced is not None:
            return self.forced
        if now - self.created_at < self.pending_seconds:
            return PENDING
        return self.outcome

    def message(self) -> str | None:
        """The AWS statusMessage for states that carry our own reason (FAILED, forced)."""
        status = self.status()
        if status == DELETING:
            return None
        if self.forced is not None:
            return self.forced_message
        return self.outcome_message if status == self.outcome else None

    def gone(self) -> bool:
        return (
            self.deleting_since is not None
            and STATE.clock.now() - self.deleting_since >= self.deleting_seconds
        )

    def begin_delete(self) -> None:
        if self.deleting_since is None:
            self.deleting_since = STATE.clock.now()
            self.deleting_seconds = float(STATE.config.link_deleting_seconds)

    def force(self, status: str, message: str | None) -> None:
        if status == PENDING:
            # Re-provisioning (e.g. leaving INACTIVE): run PENDING again, then the outcome.
            self.created_at = STATE.clock.now()
            self.pending_seconds = _pending_seconds()
            self.forced = self.forced_message = None
            return
        self.forced = status
        self.forced_message = message


def lifecycle_of(link: Any) -> LinkLifecycle:
    """The lifecycle attached to a moto VpcLink (links made before patching count as old)."""
    lifecycle: LinkLifecycle | None = getattr(link, "_emulator_lifecycle", None)
    if lifecycle is None:
        lifecycle = LinkLifecycle(created_at=float("-inf"))
        link._emulator_lifecycle = lifecycle
    return lifecycle


def start_lifecycle(link: Any, outcome: str = AVAILABLE, message: str | None = None) -> LinkLifecycle:
    link._emulator_lifecycle = LinkLifecycle(STATE.clock.now(), outcome, message)
    return link._emulator_lifecycle  # type: ignore[no-any-return]


def sweep(links: dict[str, Any]) -> None:
    """Drop links whose deletion has finished, from a moto backend's `vpc_links` dict."""
    for link_id in [i for i, link in links.items() if lifecycle_of(link).gone()]:
        del links[link_id]
