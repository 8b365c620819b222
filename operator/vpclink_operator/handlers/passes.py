"""One reconcile pass of any kind: serialise per object, pick the observation age, write the status
only when it changed, post events and log the transition, and schedule the next look (backing off
while AWS is moving)."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

import kopf
from pydantic import BaseModel

from vpclink_operator import metrics
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
    def finished(self) -> bool: ...


OutcomeT = TypeVar("OutcomeT", bound=PassOutcome)
# `reconcile(previous_status, max_age)` does the work; the kind's own milestone events are derived
# from the status before and after by `milestones(previous, status, outcome)`.
Reconcile = Callable[[Mapping[str, Any], float], Awaitable[OutcomeT]]
Milestones = Callable[[Mapping[str, Any], Mapping[str, Any], OutcomeT], list[Event]]


async def run_pass(kind: str, body: kopf.Body, memo: OperatorMemo, memory: ObjectMemory, patch: kopf.Patch,
                   reconcile: Reconcile[OutcomeT], *, deleting: bool,
                   milestones: Milestones[OutcomeT] | None = None) -> OutcomeT:
    settings = memo.settings
    meta = body.meta
    memory.kind = kind
    with log_context(namespace=meta.namespace, name=meta.name, kind=kind,
                     vpc_link_id=body.status.get("vpcLinkId") or body.status.get("connectionId")):
        async with memory.lock:
            # The status this process wrote last is newer than a body that kopf read before that write.
            previous: Mapping[str, Any] = memory.status or dict(body.status)
            # Steady objects accept a shared list up to one resync old; moving ones (which look less and
            # less often as they back off) want one no older than the poll interval when they do look.
            max_age = settings.poll_seconds if deleting or memory.moving else settings.resync_seconds
            started = time.monotonic()
            with collect_operations() as operations:
                try:
                    outcome = await reconcile(previous, max_age)
                except Exception:
                    metrics.RECONCILE_DURATION.labels(kind, "error").observe(time.monotonic() - started)
                    raise
            metrics.RECONCILE_DURATION.labels(kind, "requeue" if outcome.requeue else "ok").observe(
                time.monotonic() - started)
            generation = int(body.meta.get("generation", 0))
            status = outcome.status.model_dump(by_alias=True, mode="json")
            status["observedGeneration"] = generation
            status["conditions"] = render_conditions(outcome.health, generation, previous.get("conditions") or [],
                                                     datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
            # Compared with both the body kopf holds and what this process wrote last, as either may be newer.
            changes = status_patch(status, [body.status, *([memory.status] if memory.status else [])])
            if changes is not None:
                patch.status.update(changes)
            events = [*outcome.events, *(milestones(previous, status, outcome) if milestones else [])]
            events = _transitions_only([*events, *stall_event(previous, outcome.health, events)], previous)
            for event in events:
                kopf.event(body, type=event.type, reason=event.reason, message=event.message)
            _log_transition(kind, previous, status, outcome.health, events, operations)
            now = time.monotonic()
            memory.remember(stored_form(status), now)
            memory.after_pass(outcome.requeue, settings.poll_seconds, settings.resync_seconds, now)
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


def finish_deletion(memo: OperatorMemo, memory: ObjectMemory, uid: str, outcome: PassOutcome) -> None:
    """Let kopf remove the finalizer only once everything is gone; until then, retry with backoff."""
    if not outcome.finished:  # a stalled deletion (nothing in motion) looks again at resync
        raise kopf.TemporaryError(outcome.health.reconciling.message or outcome.health.stalled.message,
                                  delay=memory.interval if outcome.requeue else memo.settings.resync_seconds)
    memo.objects.pop(uid, None)
