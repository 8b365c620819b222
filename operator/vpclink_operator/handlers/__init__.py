"""kopf glue: `register()` attaches every handler to a registry with the operator's settings."""

from __future__ import annotations

import logging
import socket
from typing import Any

import kopf

from vpclink_operator import API_GROUP, API_VERSION, FINALIZER
from vpclink_operator.config import Settings
from vpclink_operator.handlers import integration, vpclink
from vpclink_operator.handlers.memo import OperatorMemo

__all__ = ["OperatorMemo", "register"]


def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
    settings.persistence.finalizer = FINALIZER
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=API_GROUP)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=API_GROUP, key="last-handled-configuration",
    )
    # kopf posts an Event per handler run by default; only warnings reach the cluster. Our own
    # Events (Created, Available, Failed, ...) are posted explicitly, on transitions only.
    settings.posting.level = logging.WARNING
    settings.posting.reporting_component = "vpclink-operator"
    settings.posting.reporting_instance = socket.gethostname()  # the pod's name in a cluster
    settings.watching.server_timeout = 300


def login(*, memo: OperatorMemo, **kwargs: Any) -> kopf.ConnectionInfo | None:
    """In a pod: the ServiceAccount token; elsewhere: $KUBECONFIG or ~/.kube/config.

    The readiness probe checks with the same credentials what they may list and watch.
    """
    info = kopf.login_with_service_account(**kwargs) or kopf.login_with_kubeconfig(**kwargs)
    memo.readiness.connection = info
    return info


def register(registry: kopf.OperatorRegistry, settings: Settings) -> None:
    kopf.on.startup(registry=registry)(configure)
    kopf.on.login(registry=registry)(login)
    links = (API_GROUP, API_VERSION, "vpclinks")
    integrations = (API_GROUP, API_VERSION, "privateintegrations")
    for resource, kind in ((links, vpclink), (integrations, integration)):
        kopf.on.resume(*resource, registry=registry)(kind.changed)
        kopf.on.create(*resource, registry=registry)(kind.changed)
        kopf.on.update(*resource, field="spec", registry=registry)(kind.changed)
        kopf.timer(*resource, interval=settings.poll_seconds, registry=registry)(kind.tick)
        kopf.on.delete(*resource, registry=registry)(kind.deleted)
    # Which integrations use which link (deletion waits, retirement gates), and each link's id now.
    kopf.index(*integrations, registry=registry)(vpclink.integrations_by_link)
    kopf.index(*links, registry=registry)(integration.vpclinks_by_name)
    # Which method or routes each integration manages, so that a second claim is refused.
    kopf.index(*integrations, registry=registry)(integration.integrations_by_target)
