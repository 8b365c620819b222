"""One reconcile pass of any kind: serialise per object, pick the observation age, write the status
only when it changed, post events, and schedule the next look (backing off while AWS is moving)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

import kopf
from pydantic import BaseModel

from vpclink_operator import metrics
from vpclink_operator.handlers.memo import ObjectMemory, OperatorMemo
from vpclink_operator.logs import log_context
from vpclink_operator.models.conditions import Event, Health, render_conditions


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


async def run_pass(kind: str, body: kopf.Body, memo: OperatorMemo, memory: ObjectMemory, patch: kopf.Patch,
                   reconcile: Callable[[Mapping[str, Any], float], Awaitable[OutcomeT]], *, deleting: bool) -> OutcomeT:
    """`reconcile(previous_status, max_age)` does the work; everything around it happens here."""
    settings = memo.settings
    meta = body.meta
    with log_context(namespace=meta.namespace, name=meta.name, kind=kind,
                     vpc_link_id=body.status.get("vpcLinkId") or body.status.get("connectionId")):
        async with memory.lock:
            # The status this process wrote last is newer than a body that kopf read before that write.
            previous: Mapping[str, Any] = memory.status or dict(body.status)
            # Steady objects accept a shared list up to one resync old; moving ones (which look less and
            # less often as they back off) want one no older than the poll interval when they do look.
            max_age = settings.poll_seconds if deleting or memory.moving else settings.resync_seconds
            try:
                outcome = await reconcile(previous, max_age)
            except Exception:
                metrics.RECONCILES.labels(kind, "error").inc()
                raise
            metrics.RECONCILES.labels(kind, "requeue" if outcome.requeue else "ok").inc()
            generation = int(body.meta.get("generation", 0))
            status = outcome.status.model_dump(by_alias=True, mode="json")
            status["observedGeneration"] = generation
            status["conditions"] = render_conditions(outcome.health, generation, previous.get("conditions") or [],
                                                     datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
            if status != dict(body.status):
                patch.status.update(status)
            memory.status = status
            for event in _transitions_only(outcome.events, previous):
                kopf.event(body, type=event.type, reason=event.reason, message=event.message)
            memory.after_pass(outcome.requeue, settings.poll_seconds, settings.resync_seconds, time.monotonic())
            return outcome


def _transitions_only(events: list[Event], previous: Mapping[str, Any]) -> list[Event]:
    """A stall re-found on every pass (pre-flight, AWS rejection, invalid spec) is announced once."""
    stalled: Mapping[str, Any] = next(
        (c for c in previous.get("conditions") or [] if c.get("type") == "Stalled"), {})
    if stalled.get("status") != "True":
        return events
    return [e for e in events if not (e.type == "Warning" and e.reason == stalled.get("reason"))]


def finish_deletion(memo: OperatorMemo, memory: ObjectMemory, uid: str, outcome: PassOutcome) -> None:
    """Let kopf remove the finalizer only once everything is gone; until then, retry with backoff."""
    if not outcome.finished:  # a stalled deletion (nothing in motion) looks again at resync
        raise kopf.TemporaryError(outcome.health.reconciling.message or outcome.health.stalled.message,
                                  delay=memory.interval if outcome.requeue else memo.settings.resync_seconds)
    memo.objects.pop(uid, None)
