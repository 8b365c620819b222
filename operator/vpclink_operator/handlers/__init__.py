"""kopf glue: `register()` attaches every handler and index to a registry.

kopf watches, keeps the indexes, holds the finalizer and drives deletion. Every other pass is run by
the scheduler (`scheduled_pass`), woken by the watch (`wakes.observed`) or by its observers.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import kopf

from vpclink_operator import API_GROUP, API_VERSION, FINALIZER
from vpclink_operator.handlers import integration, vpclink, wakes
from vpclink_operator.handlers.apiserver import ApiServer, ApiServerUnavailable
from vpclink_operator.handlers.memo import OperatorMemo
from vpclink_operator.handlers.passes import PassOutcome, finish_deletion
from vpclink_operator.scheduler import Scheduler, Verdict

__all__ = ["ApiServer", "OperatorMemo", "register", "scheduled_pass"]

logger = logging.getLogger(__name__)

INDEXES = ("integrations_by_link", "vpclinks_by_name", "integrations_by_target")
PassFor = Callable[..., Awaitable[PassOutcome]]
PASSES: Mapping[str, PassFor] = {"VpcLink": vpclink.pass_for, "PrivateIntegration": integration.pass_for}


class NoDiffBase(kopf.DiffBaseStorage):
    """kopf keeps a copy of each spec it handled, to diff the next one for update handlers. There are none:
    a pass is woken by the object's generation (`wakes.observed`). Storing nothing saves a write per change."""

    def fetch(self, *, body: kopf.Body) -> kopf.BodyEssence | None:
        return None

    def store(self, *, body: kopf.Body, patch: kopf.Patch, essence: kopf.BodyEssence) -> None:
        pass


class PeeringPauses(logging.Filter):
    """kopf pauses every watch while a replica with a higher priority is alive, and says so only in its log
    (once per pause and once per resume). The scheduler pauses with it, or two replicas would act at once."""

    PAUSING = ("Pausing operations in favour of", "Pausing all operators, including self")
    RESUMING = "Resuming operations after the pause"

    def __init__(self, scheduler: Scheduler) -> None:
        super().__init__()
        self.scheduler = scheduler

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.startswith(self.PAUSING):
            self.scheduler.pause(True)
        elif message.startswith(self.RESUMING):
            self.scheduler.pause(False)
        return True


def configure(settings: kopf.OperatorSettings, memo: OperatorMemo, **kwargs: Any) -> None:
    settings.persistence.finalizer = FINALIZER
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=API_GROUP)
    settings.persistence.diffbase_storage = NoDiffBase()
    # kopf posts an Event per handler run by default; only warnings reach the cluster. Our own
    # Events (Created, Available, Failed, ...) are posted explicitly, on transitions only.
    settings.posting.level = logging.WARNING
    settings.posting.reporting_component = "vpclink-operator"
    settings.posting.reporting_instance = socket.gethostname()  # the pod's name in a cluster
    settings.watching.server_timeout = 300
    if not settings.peering.standalone:
        logging.getLogger("kopf._core.engines.peering").addFilter(PeeringPauses(memo.scheduler))
    # The indexes are live views that kopf keeps current; the scheduler's passes read them too.
    memo.indexes.update({name: kwargs[name] for name in INDEXES})


def login(*, memo: OperatorMemo, **kwargs: Any) -> kopf.ConnectionInfo | None:
    """In a pod: the ServiceAccount token; elsewhere: $KUBECONFIG or ~/.kube/config.

    The readiness probe checks with the same credentials what they may list and watch, and the
    operator's own status writes use them.
    """
    info = kopf.login_with_service_account(**kwargs) or kopf.login_with_kubeconfig(**kwargs)
    memo.readiness.connection = memo.apiserver.connection = info
    return info


async def scheduled_pass(memo: OperatorMemo, uid: str) -> Verdict | None:
    """The scheduler's pass for a live object: the latest body the watch saw, its pass, its next look."""
    body = memo.bodies.get(uid)
    if body is None or not wakes.live(body):
        return None  # gone, being deleted (kopf's handler drives that), or not yet holding our finalizer
    try:
        outcome = await PASSES[body["kind"]](body, memo, memo.indexes, deleting=False)
    except ApiServerUnavailable as exc:
        logger.warning("status not written, retrying: %s", exc)
        return Verdict(moving=True)
    return Verdict(next_check=outcome.next_check, moving=outcome.requeue, stalled=outcome.health.stalled.status)


async def deleted(*, body: kopf.Body, memo: OperatorMemo, **kwargs: Any) -> None:
    """Deletion stays with kopf, which removes the finalizer once `finish_deletion` lets it."""
    memo.scheduler.forget(body.meta.uid or "")
    try:
        outcome = await PASSES[body["kind"]](body, memo, kwargs, deleting=True)
    except ApiServerUnavailable as exc:
        raise kopf.TemporaryError(f"status not written: {exc}", delay=memo.settings.poll_seconds) from exc
    finish_deletion(memo, memo.memory(body.meta.uid or ""), outcome)
    memo.objects.pop(body.meta.uid or "", None)


def register(registry: kopf.OperatorRegistry) -> None:
    kopf.on.startup(registry=registry)(configure)
    kopf.on.login(registry=registry)(login)
    links = (API_GROUP, API_VERSION, "vpclinks")
    integrations = (API_GROUP, API_VERSION, "privateintegrations")
    for resource in (links, integrations):
        kopf.on.event(*resource, registry=registry)(wakes.observed)
        kopf.on.delete(*resource, registry=registry)(deleted)
    # Which integrations use which link (deletion waits, retirement gates), and each link's id now.
    kopf.index(*integrations, registry=registry)(vpclink.integrations_by_link)
    kopf.index(*links, registry=registry)(integration.vpclinks_by_name)
    # Which method or routes each integration manages, so that a second claim is refused.
    kopf.index(*integrations, registry=registry)(integration.integrations_by_target)
