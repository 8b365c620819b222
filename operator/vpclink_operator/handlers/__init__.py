"""kopf glue. Importing this package registers every handler with kopf's default registry."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import kopf

from vpclink_operator import API_GROUP, FINALIZER
from vpclink_operator.config import Settings


@dataclass
class OperatorMemo:
    """Shared state handed to every handler as `memo`."""

    settings: Settings


@kopf.on.startup()
def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
    settings.persistence.finalizer = FINALIZER
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=API_GROUP)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=API_GROUP, key="last-handled-configuration",
    )
    # kopf posts an Event per handler run by default; only warnings reach the cluster.
    settings.posting.level = logging.WARNING
