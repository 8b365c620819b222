"""kopf glue: `register()` attaches every handler to a registry with the operator's settings."""

from __future__ import annotations

import logging
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
    settings.watching.server_timeout = 300


def login(**kwargs: Any) -> kopf.ConnectionInfo | None:
    """In a pod: the ServiceAccount token; elsewhere: $KUBECONFIG or ~/.kube/config."""
    return kopf.login_with_service_account(**kwargs) or kopf.login_with_kubeconfig(**kwargs)


def register(registry: kopf.OperatorRegistry, settings: Settings) -> None:
    kopf.on.startup(registry=registry)(configure)
    kopf.on.login(registry=registry)(login)
    links = (API_GROUP, API_VERSION, "vpclinks")
    for decorator in (kopf.on.resume, kopf.on.create):
        decorator(*links, registry=registry)(vpclink.changed)
    kopf.on.update(*links, field="spec", registry=registry)(vpclink.changed)
    kopf.timer(*links, interval=settings.poll_seconds, registry=registry)(vpclink.tick)
    kopf.on.delete(*links, registry=registry)(vpclink.deleted)
    kopf.index(API_GROUP, API_VERSION, "privateintegrations", registry=registry)(vpclink.integrations_by_link)

    integrations = (API_GROUP, API_VERSION, "privateintegrations")
    for decorator in (kopf.on.resume, kopf.on.create):
        decorator(*integrations, registry=registry)(integration.changed)
    kopf.on.update(*integrations, field="spec", registry=registry)(integration.changed)
    kopf.timer(*integrations, interval=settings.poll_seconds, registry=registry)(integration.tick)
    kopf.on.delete(*integrations, registry=registry)(integration.deleted)
    kopf.index(*links, registry=registry)(integration.vpclinks_by_name)
