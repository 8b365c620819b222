"""Status conditions in the shape of metav1.Condition, following kstatus conventions.

Ready is the summary; Reconciling is True while work is in progress; Stalled is True when only a
spec change (or an action outside the cluster) can help. Reasons are CamelCase.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

ConditionType = Literal["Ready", "Reconciling", "Stalled"]


@dataclass(frozen=True)
class Condition:
    type: ConditionType
    status: bool
    reason: str
    message: str


@dataclass(frozen=True)
class Event:
    """A Kubernetes Event to post; planners emit them on state transitions only."""

    type: Literal["Normal", "Warning"]
    reason: str
    message: str


@dataclass(frozen=True)
class Health:
    """The three conditions of one object, decided together so they can never contradict."""

    ready: Condition
    reconciling: Condition
    stalled: Condition

    @classmethod
    def available(cls, reason: str, message: str) -> Health:
        return cls(Condition("Ready", True, reason, message),
                   Condition("Reconciling", False, reason, ""),
                   Condition("Stalled", False, reason, ""))

    @classmethod
    def in_progress(cls, reason: str, message: str, *, ready: bool = False) -> Health:
        """Work in progress. `ready` stays True while the object still serves (e.g. replacing)."""
        return cls(Condition("Ready", ready, reason if not ready else "Available", message),
                   Condition("Reconciling", True, reason, message),
                   Condition("Stalled", False, reason, ""))

    @classmethod
    def stuck(cls, reason: str, message: str, *, ready: bool = False) -> Health:
        return cls(Condition("Ready", ready, reason if not ready else "Available", message),
                   Condition("Reconciling", False, reason, ""),
                   Condition("Stalled", True, reason, message))

    def as_list(self) -> list[Condition]:
        return [self.ready, self.reconciling, self.stalled]


def render_conditions(
    health: Health, generation: int, previous: Sequence[Mapping[str, Any]], now: str,
) -> list[dict[str, Any]]:
    """Conditions as status JSON; lastTransitionTime moves only when the status flips."""
    before = {c.get("type"): c for c in previous}
    rendered = []
    for cond in health.as_list():
        status = "True" if cond.status else "False"
        old = before.get(cond.type)
        changed = old is None or old.get("status") != status
        rendered.append({
            "type": cond.type,
            "status": status,
            "reason": cond.reason,
            "message": cond.message,
            "observedGeneration": generation,
            "lastTransitionTime": now if changed else old.get("lastTransitionTime", now),  # type: ignore[union-attr]
        })
    return rendered
