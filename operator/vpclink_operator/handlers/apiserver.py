"""The operator's own writes to Kubernetes: a status merge patch and an Event, nothing else.

Passes run outside kopf's handlers (the scheduler runs them), so they cannot use kopf's patch. This
client uses the credentials kopf logged in with (the login handler keeps them current). A write that
fails raises `ApiServerUnavailable`; the pass is then retried by its caller, and no task dies.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import aiohttp
import kopf

from vpclink_operator import API_GROUP, API_VERSION
from vpclink_operator.models.conditions import Event

logger = logging.getLogger(__name__)

PLURALS = {"VpcLink": "vpclinks", "PrivateIntegration": "privateintegrations"}
TIMEOUT = aiohttp.ClientTimeout(total=10)
MAX_MESSAGE = 1024  # the apiserver refuses longer Event messages
# Writes in flight at once: a thousand objects settling together must not flood the apiserver (504s).
MAX_IN_FLIGHT = 16


class ApiServerUnavailable(Exception):
    """The apiserver did not take a write (unreachable, overloaded, or refusing): try again later."""


class ApiServer:
    def __init__(self, component: str, instance: str) -> None:
        self.component, self.instance = component, instance
        self.connection: kopf.ConnectionInfo | None = None  # set by the login handler
        self._session: aiohttp.ClientSession | None = None
        self._session_for: kopf.ConnectionInfo | None = None
        self._closing: asyncio.Future[None] | None = None
        self._in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)

    def _client(self) -> tuple[aiohttp.ClientSession, str]:
        info = self.connection
        if info is None:
            raise ApiServerUnavailable("not logged in to the apiserver yet")
        if self._session is None or self._session_for is not info:  # new credentials: a new session
            if self._session is not None:
                self._closing = asyncio.ensure_future(self._session.close())
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=info.as_ssl_context()),
                                                  headers=info.as_http_headers(), timeout=TIMEOUT)
            self._session_for = info
        return self._session, info.server.rstrip("/")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def patch_status(self, body: Mapping[str, Any], changes: Mapping[str, Any]) -> None:
        """Merge-patch the object's status subresource. An object already gone is not an error."""
        meta = body["metadata"]
        path = (f"/apis/{API_GROUP}/{API_VERSION}/namespaces/{meta['namespace']}/{PLURALS[body['kind']]}/"
                f"{meta['name']}/status")
        await self._send("PATCH", path, {"status": dict(changes)}, "application/merge-patch+json",
                         what=f"status of {body['kind']} {meta['namespace']}/{meta['name']}")

    async def post_event(self, body: Mapping[str, Any], event: Event) -> None:
        """Post one Event about the object; Events are auxiliary, so a failure is logged, not raised."""
        meta = body["metadata"]
        now = datetime.now(UTC).isoformat()
        message = event.message if len(event.message) <= MAX_MESSAGE else event.message[:MAX_MESSAGE - 3] + "..."
        payload = {
            "metadata": {"namespace": meta["namespace"], "generateName": f"{self.component}-"},
            "type": event.type, "reason": event.reason, "message": message, "action": "Reconcile",
            "reportingComponent": self.component, "reportingInstance": self.instance,
            "source": {"component": self.component},
            "involvedObject": {"apiVersion": body.get("apiVersion"), "kind": body["kind"], "name": meta["name"],
                               "namespace": meta["namespace"], "uid": meta.get("uid")},
            "firstTimestamp": now, "lastTimestamp": now, "eventTime": now,
        }
        try:
            await self._send("POST", f"/api/v1/namespaces/{meta['namespace']}/events", payload, "application/json",
                             what=f"event {event.reason}")
        except ApiServerUnavailable as exc:
            logger.warning("could not post the %s event: %s", event.reason, exc)

    async def _send(self, method: str, path: str, payload: Any, content_type: str, *, what: str) -> None:
        session, server = self._client()
        try:
            async with self._in_flight, session.request(method, server + path, json=payload,
                                       headers={"Content-Type": content_type}) as resp:
                if resp.status == 404:
                    return  # the object (or its namespace) is gone; nothing to write to
                if resp.status >= 300:
                    detail = (await resp.text())[:300]
                    raise ApiServerUnavailable(f"{what}: {resp.status} {resp.reason}: {detail}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ApiServerUnavailable(f"{what}: {exc!r}") from exc
