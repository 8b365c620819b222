"""`vpclink-operator`: run kopf over this package's handlers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import sys
from collections.abc import Sequence

import kopf
import prometheus_client

from vpclink_operator import handlers, health, metrics
from vpclink_operator.config import Settings, parse_args
from vpclink_operator.logs import configure_logging
from vpclink_operator.reconcile import Services
from vpclink_operator.scheduler import Scheduler

logger = logging.getLogger(__name__)


async def run_operator(settings: Settings) -> None:
    registry = kopf.OperatorRegistry()
    handlers.register(registry)
    readiness = health.Readiness(settings.namespaces)
    services = Services.build(settings)
    scheduler = Scheduler(services.observed(), poll=settings.poll_seconds, resync=settings.resync_seconds)
    memo = handlers.OperatorMemo(settings=settings, services=services, readiness=readiness, scheduler=scheduler,
                                 apiserver=handlers.ApiServer("vpclink-operator", socket.gethostname()))
    states = metrics.ObjectStates(memo.object_states)
    prometheus_client.REGISTRY.register(states)
    runner = await health.serve(readiness, settings.port, liveness=scheduler.trouble)
    passes = asyncio.create_task(scheduler.run(lambda uid: handlers.scheduled_pass(memo, uid)), name="scheduler")
    try:
        await kopf.operator(
            registry=registry,
            clusterwide=settings.clusterwide,
            namespaces=settings.namespaces,
            ready_flag=readiness.started,
            standalone=not settings.peering,
            peering_name=settings.peering or None,
            priority=settings.priority,
            memo=memo,
        )
    finally:
        passes.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await passes
        await memo.apiserver.close()
        await runner.cleanup()
        prometheus_client.REGISTRY.unregister(states)


def main(argv: Sequence[str] | None = None) -> int:
    settings = parse_args(argv)
    configure_logging(settings.log_level, settings.log_format)
    logger.info("starting vpclink-operator", extra={"config": repr(settings)})
    asyncio.run(run_operator(settings))
    logger.info("vpclink-operator stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
