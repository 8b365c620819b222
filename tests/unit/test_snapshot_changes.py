"""Issue 13: the snapshot change functions a write's answer is applied with, and deployments gathered per window.

tests/contract/test_write_through.py checks each change against a fresh list; these check the edges a list
cannot show: the old snapshot is never changed (other passes still read it), and which entries move.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from vpclink_operator.aws.errors import AwsError, AwsRetryable
from vpclink_operator.coalesce import Coalescer
from vpclink_operator.config import Settings
from vpclink_operator.inventory import Snapshots
from vpclink_operator.models.conditions import Health
from vpclink_operator.models.integration import (
    HttpApiSnapshot,
    HttpIntegrationFields,
    ObservedHttpIntegration,
    ObservedMethod,
    ObservedResource,
    ObservedRestIntegration,
    ObservedRoute,
    ObservedStage,
    PrivateIntegrationSpec,
    PrivateIntegrationStatus,
    RestApiSnapshot,
)
from vpclink_operator.plan.integration import CreateHttpIntegration, CreateRoute, IntegrationPlan
from vpclink_operator.reconcile.integration import _apply
from vpclink_operator.reconcile.services import DEPLOYMENT_WINDOWS, deployment_coalescer


def http_integration(integration_id: str, timeout: int = 30000) -> ObservedHttpIntegration:
    return ObservedHttpIntegration(integration_id, "arn:listener", "ANY", "1.0", "link1", "VPC_LINK", None, timeout,
                                   {}, "")


def http_api() -> HttpApiSnapshot:
    return HttpApiSnapshot({"i1": http_integration("i1")}, {"GET /a": ObservedRoute("r1", "GET /a", "integrations/i1")})


def test_http_changes_replace_by_id_and_leave_the_old_snapshot_alone() -> None:
    before = http_api()

    after = (before.with_integration(http_integration("i1", timeout=500)).with_integration(http_integration("i2"))
             .with_route(ObservedRoute("r1", "GET /a", "integrations/i2"))
             .with_route(ObservedRoute("r2", "GET /b", "integrations/i2")))

    assert after.integrations == {"i1": http_integration("i1", timeout=500), "i2": http_integration("i2")}
    assert after.routes == {"GET /a": ObservedRoute("r1", "GET /a", "integrations/i2"),
                            "GET /b": ObservedRoute("r2", "GET /b", "integrations/i2")}
    assert before == http_api()
    assert after.without_route("r1").without_integration("i1") == HttpApiSnapshot(
        {"i2": http_integration("i2")}, {"GET /b": ObservedRoute("r2", "GET /b", "integrations/i2")})
    assert after.without_route("gone").without_integration("gone") == after  # already gone: nothing to forget


def rest_integration(uri: str = "http://a") -> ObservedRestIntegration:
    return ObservedRestIntegration("HTTP_PROXY", "GET", uri, "VPC_LINK", "link1", 29000)


def rest_api() -> RestApiSnapshot:
    return RestApiSnapshot(
        {"/": ObservedResource("root", "/", {"GET": ObservedMethod("GET", "NONE", "", rest_integration())}),
         "/orders": ObservedResource("res1", "/orders", {})},
        {"prod": ObservedStage("prod", {"vpcLinkId": "link1"}, "d1", "mine")})


def test_rest_changes_touch_only_the_named_resource_and_method() -> None:
    before = rest_api()
    method = ObservedMethod("GET", "NONE", "marker", None)

    after = (before.with_method("res1", method).with_integration("res1", "GET", rest_integration("http://b"))
             .with_integration("root", "GET", None))

    assert after.resources["/orders"].methods == {"GET": ObservedMethod("GET", "NONE", "marker",
                                                                        rest_integration("http://b"))}
    assert after.resources["/"].methods == {"GET": ObservedMethod("GET", "NONE", "", None)}
    assert before == rest_api()
    assert after.without_method("res1", "GET").resources["/orders"].methods == {}


def test_a_deployment_moves_an_existing_stage_and_creates_a_missing_one() -> None:
    before = rest_api()

    after = before.with_deployment("prod", "d2", new_stage_description="ignored").with_deployment(
        "beta", "d3", new_stage_description="created by vpclink-operator")

    assert after.stages == {"prod": ObservedStage("prod", {"vpcLinkId": "link1"}, "d2", "mine"),
                            "beta": ObservedStage("beta", {}, "d3", "created by vpclink-operator")}
    assert after.with_stage(ObservedStage("beta", {"v": "x"}, "d3", "")).stages["beta"].variables == {"v": "x"}
    assert set(after.without_stage("beta").stages) == {"prod"}
    assert before == rest_api()


def gathering(coalescer: Coalescer[str, str], arrivals: Callable[[int], int]) -> tuple[list[str], list[str], int]:
    """Runs 5 requests through `coalescer`; in each window, `arrivals(window number)` more arrive. Returns every
    request's result, the calls made and the number of windows waited."""
    calls: list[str] = []

    async def deploy() -> str:
        calls.append(f"dep-{len(calls) + 1}")
        return calls[-1]

    async def scenario() -> tuple[list[str], int]:
        tasks: list[asyncio.Task[str]] = []
        windows = 0

        async def sleep(_: float) -> None:
            nonlocal windows
            windows += 1
            for _ in range(arrivals(windows)):
                tasks.append(asyncio.create_task(coalescer.run("api/prod", deploy)))
            await asyncio.sleep(0)

        coalescer.sleep = sleep
        tasks.extend(asyncio.create_task(coalescer.run("api/prod", deploy)) for _ in range(5))
        done = 0
        while done < len(tasks):
            await tasks[done]
            done += 1
        return [task.result() for task in tasks], windows

    results, windows = asyncio.run(scenario())
    return results, calls, windows


def test_requests_arriving_within_a_window_share_one_call() -> None:
    results, calls, windows = gathering(Coalescer(window=5.0, max_windows=6), lambda n: 3 if n < 4 else 0)

    assert (calls, windows) == (["dep-1"], 4)  # 5 at once, then 3 more in each of 3 windows; the 4th is quiet
    assert results == ["dep-1"] * 14


def test_a_steady_stream_of_requests_waits_at_most_max_windows() -> None:
    results, calls, windows = gathering(Coalescer(window=5.0, max_windows=3), lambda n: 1)

    assert (calls, windows) == (["dep-1"], 3)  # never a quiet window: the call starts after the third
    assert results == ["dep-1"] * 8


def test_the_deployment_window_is_the_quota_interval_scaled_like_the_quotas() -> None:
    coalescer = deployment_coalescer(Settings(
        namespaces=(), log_level="INFO", log_format="plain", port=0, default_region="us-east-1", resync_seconds=60,
        rate_limit_scale=40))

    assert coalescer.window == 5 / 40 and coalescer.max_windows == DEPLOYMENT_WINDOWS



# -- apply: each answer goes through to the shared snapshot --------------------------------------------


class FakeHttpApi:
    """An HTTP API's integrations and routes, answering like the adapter; `failure` makes the next write fail."""

    def __init__(self) -> None:
        self.lists = 0
        self.failure: AwsError | None = None
        self.api = HttpApiSnapshot({}, {})

    async def snapshot(self, region: str, api_id: str) -> HttpApiSnapshot:
        self.lists += 1
        return self.api

    def _fail(self) -> None:
        if self.failure is not None:
            raise self.failure

    async def create_integration(self, region: str, api_id: str, fields: HttpIntegrationFields) -> Any:
        self._fail()
        created = ObservedHttpIntegration(f"i{len(self.api.integrations) + 1}", fields.integration_uri,
                                          fields.integration_method, fields.payload_format_version,
                                          fields.connection_id, "VPC_LINK", fields.tls_server_name_to_verify,
                                          fields.timeout_in_millis, dict(fields.request_parameters), fields.description)
        self.api = self.api.with_integration(created)
        return created

    async def create_route(self, region: str, api_id: str, route_key: str, integration_id: str) -> ObservedRoute:
        self._fail()
        route = ObservedRoute(f"r{len(self.api.routes) + 1}", route_key, f"integrations/{integration_id}")
        self.api = self.api.with_route(route)
        return route


def applying(fake: FakeHttpApi, *actions: Any) -> tuple[Any, HttpApiSnapshot]:
    """Lists the API once, applies `actions` through `_apply`, then reads the snapshot as the next pass would."""
    services: Any = SimpleNamespace(http_integrations=fake, http_apis=Snapshots(lambda key: fake.snapshot(*key)))
    spec = PrivateIntegrationSpec.model_validate({"vpcLinkId": "link1", "http": {
        "apiId": "api1", "integrationUri": "arn:listener", "routeKeys": ["GET /a"]}})
    plan = IntegrationPlan(list(actions), PrivateIntegrationStatus(), Health.in_progress("Creating", "creating"))

    async def scenario() -> tuple[Any, HttpApiSnapshot]:
        await services.http_apis.get(("us-east-1", "api1"), max_age=60)
        outcome = await _apply(services, spec, "us-east-1", plan, deleting=False)
        return outcome, await services.http_apis.get(("us-east-1", "api1"), max_age=60)

    return asyncio.run(scenario())


FIELDS = HttpIntegrationFields("arn:listener", "ANY", "1.0", "link1", None, 30000, {}, "marker")


def test_the_next_pass_sees_every_write_without_listing_again() -> None:
    fake = FakeHttpApi()

    outcome, seen = applying(fake, CreateHttpIntegration(FIELDS), CreateRoute("GET /a", "i1"))

    assert fake.lists == 1
    assert seen == fake.api and set(seen.integrations) == {"i1"} and set(seen.routes) == {"GET /a"}
    assert (outcome.status.integration_id, outcome.status.route_ids) == ("i1", {"GET /a": "r1"})


def test_a_failed_write_is_listed_again_unless_it_was_throttled() -> None:
    throttled, broken = FakeHttpApi(), FakeHttpApi()
    throttled.failure = AwsRetryable("CreateIntegration", "TooManyRequestsException", "slow down", throttled=True)
    broken.failure = AwsRetryable("CreateIntegration", "InternalFailure", "timed out")

    applying(throttled, CreateHttpIntegration(FIELDS))
    applying(broken, CreateHttpIntegration(FIELDS))

    assert (throttled.lists, broken.lists) == (1, 2)  # a 5xx may have created it after all: only a list can say
