"""The one shape every reconcile pass returns, whatever the kind."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from pydantic import BaseModel

from vpclink_operator.models.conditions import Event, Health

StatusT = TypeVar("StatusT", bound=BaseModel)


@dataclass
class Outcome(Generic[StatusT]):
    """What one pass decided: the status to write, the conditions, the events, and when to look next.

    Nothing set about the next look: the object is steady (or waits for a change that wakes it).
    """

    status: StatusT
    health: Health
    events: list[Event] = field(default_factory=list)
    requeue: bool = False  # AWS is moving on its behalf: look again soon (backing off), poll what it reads
    next_check: float | None = None  # look again exactly this many seconds from now (a place held in line)
    finished: bool = False  # a deletion is complete: everything the object owned is gone
