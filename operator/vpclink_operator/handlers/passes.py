"""One reconcile pass of any kind: serialise per object, write the status only when it changed, post
events and log the transition, and tell the scheduler when to look next.

Both the scheduler (every pass of a live object) and kopf's deletion handler run passes through here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

import kopf
from pydantic import BaseModel

from vpclink_operator import metrics
from vpclink_operator.context import working_for
from vpclink_operator.handlers.memo import ObjectMemory, OperatorMemo
from vpclink_operator.handlers.status_patch import status_patch, stored_form
from vpclink_operator.logs import AwsOperations, collect_operations, log_context
from vpclink_operator.models.conditions import Event, Health, render_conditions
from vpclink_operator.plan.transitions import stall_event, state

logger = logging.getLogger(__name__)


class PassOutcome(Protocol):
    @property
    def status(self) -> BaseModel: ...
    @property
    def health(self) -> Health: ...
    @property
    def events(self) -> list[Event]: ...
    @property
    def requeue(self) -> bool: ...
    @property
    def next_check(self) -> float | None: ...
    @property
    def finished(self) -> bool: ...


OutcomeT = TypeVar("OutcomeT", bound=PassOutcome)
# `reconcile(previous_status, max_age)` does the work; the kind's own milestone events are derived
# from the status before and after by `milestones(previous, status, outcome)`.
Reconcile = Callable[[Mapping[str, Any], float], Awaitable[OutcomeT]]
Milestones = Callable[[Mapping[str, Any], Mapping[str, Any], OutcomeT], list[Event]]


async def run_pass(kind: str, body: Mapping[str, Any], memo: OperatorMemo, memory: ObjectMemory,
                   reconcile: Reconcile[OutcomeT], *, deleting: bool,
                   milestones: Milestones[OutcomeT] | None = None) -> OutcomeT:
    """One pass; raises ApiServerUnavailable when its status could not be written (nothing is remembered)."""
    settings = memo.settings
    meta: Mapping[str, Any] = body["metadata"]
    stored: Mapping[str, Any] = body.get("status") or {}
    memory.kind = kind
    with log_context(namespace=meta.get("namespace"), name=meta.get("name"), kind=kind,
                     vpc_link_id=stored.get("vpcLinkId") or stored.get("connectionId")), working_for(meta["uid"]):
        async with memory.lock:
            # The status this process wrote last is newer than a body the watch delivered before that write.
            previous: Mapping[str, Any] = memory.status or dict(stored)
            # Shared snapshots are kept fresh by the scheduler's observers (every poll while a reader moves, else
            # every resync); a pass lists one itself only if they fell behind. A deletion, driven by kopf's
            # handler and tracked by no observer, wants one no older than the poll interval.
            max_age = settings.poll_seconds if deleting else 2 * settings.resync_seconds
            started = time.monotonic()
            with collect_operations() as operations:
                try:
                    outcome = await reconcile(previous, max_age)
                except Exception:
                    metrics.RECONCILE_DURATION.labels(kind, "error").observe(time.monotonic() - started)
                    raise
            metrics.RECONCILE_DURATION.labels(kind, "requeue" if outcome.requeue else "ok").observe(
                time.monotonic() - started)
            generation = int(meta.get("generation", 0))
            status = outcome.status.model_dump(by_alias=True, mode="json")
            status["observedGeneration"] = generation
            status["conditions"] = render_conditions(outcome.health, generation, previous.get("conditions") or [],
                                                     datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
            # Compared with both the body the watch delivered and what this process wrote last, as either may
            # be newer.
            changes = status_patch(status, [stored, *([memory.status] if memory.status else [])])
            events = [*outcome.events, *(milestones(previous, status, outcome) if milestones else [])]
            events = _transitions_only([*events, *stall_event(previous, outcome.health, events)], previous)
            _log_transition(kind, previous, status, outcome.health, events, operations)
            # Remembered before it is written: the ids AWS just returned must reach the next pass even if the
            # apiserver does not take this write (else an integration, which has no tags to find it by, would be
            # created twice). While the watch still shows the old status, the next pass sends the change again.
            memory.remember(stored_form(status), time.monotonic())
            memory.unposted.extend(events)
            if changes is not None:
                await memo.apiserver.patch_status(body, changes)  # not written: the events wait for the retry
            while memory.unposted:
                await memo.apiserver.post_event(body, memory.unposted.pop(0))
            return outcome


def _transitions_only(events: list[Event], previous: Mapping[str, Any]) -> list[Event]:
    """A stall re-found on every pass (pre-flight, AWS rejection, invalid spec) is announced once."""
    stalled: Mapping[str, Any] = next(
        (c for c in previous.get("conditions") or [] if c.get("type") == "Stalled"), {})
    if stalled.get("status") != "True":
        return events
    return [e for e in events if not (e.type == "Warning" and e.reason == stalled.get("reason"))]


def _log_transition(kind: str, previous: Mapping[str, Any], status: Mapping[str, Any], health: Health,
                    events: list[Event], operations: AwsOperations) -> None:
    """One line per state transition (or pass that posted events); an idle pass logs nothing."""
    before, after = state(previous), state(status)
    if before == after and not events:
        return
    shown = health.stalled if health.stalled.status else health.reconciling if health.reconciling.status \
        else health.ready
    announced = f" [events: {', '.join(e.reason for e in events)}]" if events else ""
    stalled = health.stalled.status or any(e.type == "Warning" for e in events)
    logger.log(logging.WARNING if stalled else logging.INFO, "%s %s -> %s: %s%s", kind, before, after,
               shown.message or shown.reason, announced,
               extra={"vpc_link_id": status.get("vpcLinkId") or status.get("connectionId"),
                      "operation": operations.summary(), "reason": shown.reason,
                      "events": [e.reason for e in events]})


def finish_deletion(memo: OperatorMemo, memory: ObjectMemory, outcome: PassOutcome) -> None:
    """Let kopf remove the finalizer only once everything is gone; until then, retry with backoff."""
    if outcome.finished:
        return
    settings = memo.settings
    if outcome.next_check is not None:  # a place held in a rate-limit line
        delay = outcome.next_check
    elif outcome.requeue:
        delay, memory.interval = memory.interval, min(memory.interval * 2, settings.resync_seconds)
    else:  # a stalled deletion (nothing in motion) looks again at resync
        delay = settings.resync_seconds
    raise kopf.TemporaryError(outcome.health.reconciling.message or outcome.health.stalled.message, delay=delay)
