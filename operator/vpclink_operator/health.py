"""One small HTTP server for liveness, readiness and Prometheus metrics.

`/healthz` is about the process: it answers while the event loop runs and the scheduler turns.
`/readyz` is about the job: kopf has started, and the credentials kopf logged in with can list and
watch both kinds in every namespace the operator serves. While the apiserver refuses (RBAC missing,
CRDs not installed) it answers 503 and says why, instead of 200 beside a log full of Forbidden watches.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import aiohttp
import kopf
import prometheus_client
from aiohttp import web

from vpclink_operator import API_GROUP, API_VERSION

RESOURCES = ("vpclinks", "privateintegrations")
CHECK_TIMEOUT = 3.0  # below the chart's readinessProbe.timeoutSeconds (5)
CACHE_SECONDS = 5.0  # probes of several kubelets and scrapers within this window share one check


@dataclass
class Readiness:
    namespaces: Sequence[str]  # empty: cluster-wide
    started: asyncio.Event = field(default_factory=asyncio.Event)  # kopf's ready flag
    connection: kopf.ConnectionInfo | None = None  # set by the login handler
    _checked_at: float = -CACHE_SECONDS
    _reason: str | None = "not checked yet"
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def reason_not_ready(self) -> str | None:
        """None when ready; otherwise a sentence naming what is missing."""
        if not self.started.is_set() or self.connection is None:
            return "the operator is starting"
        async with self._lock:
            if time.monotonic() - self._checked_at >= CACHE_SECONDS:
                try:
                    self._reason = await asyncio.wait_for(self._check(self.connection), CHECK_TIMEOUT)
                except (aiohttp.ClientError, TimeoutError) as exc:
                    self._reason = f"the Kubernetes API at {self.connection.server} is unreachable: {exc!r}"
                self._checked_at = time.monotonic()
            return self._reason

    async def _check(self, info: kopf.ConnectionInfo) -> str | None:
        server = info.server.rstrip("/")
        headers = info.as_http_headers()
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=info.as_ssl_context()),
                                         headers=headers) as session:
            for namespace in self.namespaces or [""]:
                where = f"in namespace {namespace}" if namespace else "cluster-wide"
                for plural in RESOURCES:
                    resource = f"{plural}.{API_GROUP}"
                    path = f"namespaces/{namespace}/{plural}" if namespace else plural
                    async with session.get(f"{server}/apis/{API_GROUP}/{API_VERSION}/{path}",
                                           params={"limit": "1"}) as resp:
                        if resp.status != 200:
                            detail = await _message(resp)
                            return f"cannot list {resource} {where}: {resp.status} {resp.reason}: {detail}"
                    review = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                              "spec": {"resourceAttributes": {"group": API_GROUP, "resource": plural,
                                                              "verb": "watch", "namespace": namespace}}}
                    async with session.post(f"{server}/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                                            json=review) as resp:
                        allowed = resp.status == 201 and (await resp.json()).get("status", {}).get("allowed")
                    if not allowed:
                        return f"cannot watch {resource} {where}: Forbidden"
        return None


async def _message(resp: aiohttp.ClientResponse) -> str:
    """The apiserver's Status message (e.g. `... is forbidden: User ... cannot list ...`)."""
    try:
        return str((await resp.json()).get("message") or "")
    except (aiohttp.ContentTypeError, ValueError):
        return ""


# Why the process is not doing its job (None: it is); /healthz fails with that reason.
Liveness = Callable[[], str | None]


def build_app(readiness: Readiness, liveness: Liveness = lambda: None) -> web.Application:
    async def healthz(_: web.Request) -> web.Response:
        trouble = liveness()
        if trouble is not None:
            return web.json_response({"status": "failing", "reason": trouble}, status=503)
        return web.json_response({"status": "ok"})

    async def readyz(_: web.Request) -> web.Response:
        reason = await readiness.reason_not_ready()
        if reason is None:
            return web.json_response({"status": "ready"})
        return web.json_response({"status": "not ready", "reason": reason}, status=503)

    async def metrics(_: web.Request) -> web.Response:
        body = prometheus_client.generate_latest()
        return web.Response(body=body, headers={"Content-Type": prometheus_client.CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    return app


async def serve(readiness: Readiness, port: int, host: str = "0.0.0.0",
                liveness: Liveness = lambda: None) -> web.AppRunner:
    runner = web.AppRunner(build_app(readiness, liveness), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
