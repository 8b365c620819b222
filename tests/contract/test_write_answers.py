"""Issue 13: the operator writes each write's answer through to its API snapshot instead of listing again.

For every kind of write the operator makes, the snapshot changed by the answer (HttpApiSnapshot /
RestApiSnapshot's change functions) must equal what a fresh list shows right after, through the operator's
own adapters against the target (the emulator, or real AWS with VPCLINK_REAL_AWS=1).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, TypeVar

import pytest
from contract_support import Aws, Network, create_http_api, create_http_link, create_rest_api_with_method

from vpclink_operator.aws.client import AwsClients
from vpclink_operator.aws.http_v2 import HttpV2Integrations
from vpclink_operator.aws.ratelimit import RateLimiter
from vpclink_operator.aws.rest_v1 import RestV1Integrations
from vpclink_operator.models.integration import (
    CREATED_STAGE_DESCRIPTION,
    HttpApiSnapshot,
    HttpIntegrationFields,
    RestApiSnapshot,
    RestIntegrationFields,
)

pytestmark = pytest.mark.aws_real
S = TypeVar("S", HttpApiSnapshot, RestApiSnapshot)
A = TypeVar("A")


@pytest.fixture
def operator_aws(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> AwsClients:
    """The operator's own AWS client, pointed at the target by the standard AWS variables."""
    if aws.endpoint_url is not None:
        for name, value in {"AWS_ENDPOINT_URL": aws.endpoint_url, "AWS_ACCESS_KEY_ID": "testing",
                            "AWS_SECRET_ACCESS_KEY": "testing"}.items():
            monkeypatch.setenv(name, value)
    return AwsClients(RateLimiter())


class WriteThrough:
    """Applies each write's answer to the snapshot and checks it against a fresh list."""

    def __init__(self, snapshot: S, listing: Callable[[], Awaitable[S]]) -> None:
        self.snapshot: Any = snapshot
        self.listing = listing

    async def check(self, write: Awaitable[A], change: Callable[[Any, A], Any]) -> A:
        answer = await write
        self.snapshot = change(self.snapshot, answer)
        assert self.snapshot == await self.listing()
        return answer


def http_fields(link_id: str, uri: str, timeout: int) -> HttpIntegrationFields:
    return HttpIntegrationFields(integration_uri=uri, integration_method="ANY", payload_format_version="1.0",
                                 connection_id=link_id, tls_server_name_to_verify="orders.internal.example.com",
                                 timeout_in_millis=timeout, request_parameters={"append:header.x-api": "shop"},
                                 description="vpclink-operator owner-uid=u1")


def test_http_writes_answer_what_a_list_shows(aws: Aws, network: Network, operator_aws: AwsClients) -> None:
    http, region = HttpV2Integrations(operator_aws), aws.region
    link_id = create_http_link(aws, network)["VpcLinkId"]
    api = create_http_api(aws)

    async def scenario() -> None:
        seen = WriteThrough(await http.snapshot(region, api), lambda: http.snapshot(region, api))
        first = await seen.check(http.create_integration(region, api, http_fields(link_id, network.nlb_listener_arn,
                                                                                  30000)),
                                 lambda s, i: s.with_integration(i))
        second = await seen.check(http.create_integration(region, api, http_fields(link_id, network.nlb_listener_arn,
                                                                                   1000)),
                                  lambda s, i: s.with_integration(i))
        await seen.check(http.update_integration(region, api, first.id, http_fields(link_id, network.nlb_listener_arn,
                                                                                     500)),
                         lambda s, i: s.with_integration(i))
        route = await seen.check(http.create_route(region, api, "GET /orders", first.id), lambda s, r: s.with_route(r))
        await seen.check(http.retarget_route(region, api, route.id, second.id), lambda s, r: s.with_route(r))
        await seen.check(http.delete_route(region, api, route.id), lambda s, _: s.without_route(route.id))
        await seen.check(http.delete_integration(region, api, first.id), lambda s, _: s.without_integration(first.id))
        assert set(seen.snapshot.integrations) == {second.id} and seen.snapshot.routes == {}

    asyncio.run(scenario())


def test_rest_writes_answer_what_a_list_shows(aws: Aws, operator_aws: AwsClients) -> None:
    rest, region = RestV1Integrations(operator_aws), aws.region
    v1 = aws.client("apigateway")
    api, root = create_rest_api_with_method(aws)
    v1.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")  # deployable from the start
    orders = v1.create_resource(restApiId=api, parentId=root, pathPart="orders")["id"]
    fields = RestIntegrationFields("GET", "http://orders.internal.example.com/orders", "${stageVariables.vpcLinkId}",
                                   29000)

    async def scenario() -> None:
        seen = WriteThrough(await rest.snapshot(region, api), lambda: rest.snapshot(region, api))
        await seen.check(rest.put_method(region, api, orders, "GET", "NONE", "vpclink-operator owner-uid=u1"),
                         lambda s, m: s.with_method(orders, m))
        await seen.check(rest.put_integration(region, api, orders, "GET", fields),
                         lambda s, i: s.with_integration(orders, "GET", i))
        await seen.check(rest.create_deployment(region, api, "prod", None, new_stage=True),
                         lambda s, d: s.with_deployment("prod", d, new_stage_description=CREATED_STAGE_DESCRIPTION))
        await seen.check(rest.set_stage_variable(region, api, "prod", "vpcLinkId", "abc123"),
                         lambda s, stage: s.with_stage(stage))
        await seen.check(rest.create_deployment(region, api, "prod", None),  # the stage keeps variables, description
                         lambda s, d: s.with_deployment("prod", d, new_stage_description=""))
        await seen.check(rest.create_deployment(region, api, "beta", None),  # created without the operator's mark
                         lambda s, d: s.with_deployment("beta", d, new_stage_description=""))
        await seen.check(rest.put_integration(region, api, orders, "GET", replace(fields, timeout_in_millis=1000)),
                         lambda s, i: s.with_integration(orders, "GET", i))  # over the existing one
        await seen.check(rest.delete_integration(region, api, orders, "GET"),
                         lambda s, _: s.with_integration(orders, "GET", None))
        await seen.check(rest.delete_method(region, api, orders, "GET"), lambda s, _: s.without_method(orders, "GET"))
        await seen.check(rest.delete_stage(region, api, "beta"), lambda s, _: s.without_stage("beta"))
        assert set(seen.snapshot.stages) == {"prod"} and seen.snapshot.resources["/orders"].methods == {}
        assert seen.snapshot.stages["prod"].variables == {"vpcLinkId": "abc123"}

    asyncio.run(scenario())
