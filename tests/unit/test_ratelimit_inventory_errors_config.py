"""Client-side rate limits, the shared link inventory, AWS error classification and settings.

Clocks are injected fakes; the inventory's adapter is a small in-test class (this tests caching,
not AWS); classify() gets real botocore ClientError objects.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from vpclink_operator.aws.errors import AwsError, AwsInUse, AwsNotFound, AwsRetryable, AwsTerminal, classify
from vpclink_operator.aws.ratelimit import DEFAULT_QUOTAS, Quota, RateLimiter, TokenBucket
from vpclink_operator.config import parse_args
from vpclink_operator.inventory import LinkInventory
from vpclink_operator.models.vpclink import ApiType, LinkShape, LinkState, ObservedLink


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


# -- TokenBucket ----------------------------------------------------------------------------------


def test_bucket_starts_full_and_allows_a_burst() -> None:
    bucket = TokenBucket(Quota(per_second=2, burst=3), FakeClock())

    for _ in range(3):
        assert bucket.wait_time() == 0.0
        bucket.take()
    assert bucket.wait_time() == pytest.approx(0.5)


def test_bucket_refills_at_the_quota_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(Quota(per_second=2, burst=3), clock)
    for _ in range(3):
        bucket.take()

    clock.advance(0.25)
    assert bucket.wait_time() == pytest.approx(0.25)
    clock.advance(0.25)
    assert bucket.wait_time() == 0.0


def test_bucket_never_holds_more_than_the_burst() -> None:
    clock = FakeClock()
    bucket = TokenBucket(Quota(per_second=2, burst=3), clock)
    clock.advance(3600)

    for _ in range(3):
        bucket.take()
    assert bucket.wait_time() == pytest.approx(0.5)


def test_negative_balance_queues_later_callers_behind() -> None:
    bucket = TokenBucket(Quota(per_second=1 / 15, burst=1), FakeClock())
    bucket.take()
    bucket.take()  # reserved a slot 15 s out

    assert bucket.wait_time() == pytest.approx(30.0)


# -- RateLimiter ------------------------------------------------------------------------------------


def test_reserve_returns_the_wait_and_queues_callers() -> None:
    limiter = RateLimiter({"apigatewayv2:CreateVpcLink": Quota(1 / 15, 1)}, clock=FakeClock())

    assert limiter.reserve("us-east-1", "apigatewayv2", "CreateVpcLink", max_wait=60) == 0.0
    assert limiter.reserve("us-east-1", "apigatewayv2", "CreateVpcLink", max_wait=60) == pytest.approx(15)
    assert limiter.reserve("us-east-1", "apigatewayv2", "CreateVpcLink", max_wait=60) == pytest.approx(30)


def test_reserve_does_not_reserve_when_the_wait_exceeds_max_wait() -> None:
    limiter = RateLimiter({"apigatewayv2:CreateVpcLink": Quota(1 / 15, 1)}, clock=FakeClock())
    limiter.reserve("us-east-1", "apigatewayv2", "CreateVpcLink", max_wait=0)

    for _ in range(5):
        assert limiter.reserve("us-east-1", "apigatewayv2", "CreateVpcLink", max_wait=5) == pytest.approx(15)
    # Had any of those reserved a slot, this wait would be longer than 15 s.
    assert limiter.reserve("us-east-1", "apigatewayv2", "CreateVpcLink", max_wait=15) == pytest.approx(15)
    assert limiter.reserve("us-east-1", "apigatewayv2", "CreateVpcLink", max_wait=60) == pytest.approx(30)


def test_reserve_does_not_take_from_the_global_bucket_when_refused() -> None:
    limiter = RateLimiter({"apigatewayv2:CreateVpcLink": Quota(1 / 15, 1), "*": Quota(1e-6, 2)}, clock=FakeClock())
    limiter.reserve("us-east-1", "apigatewayv2", "CreateVpcLink", max_wait=0)
    assert limiter.reserve("us-east-1", "apigatewayv2", "CreateVpcLink", max_wait=1) == pytest.approx(15)

    # The refused call must not have spent the global token this call needs.
    assert limiter.reserve("us-east-1", "apigatewayv2", "GetVpcLinks", max_wait=0) == 0.0


def test_buckets_are_per_region() -> None:
    limiter = RateLimiter({"apigatewayv2:CreateVpcLink": Quota(1 / 15, 1)}, clock=FakeClock())
    limiter.reserve("us-east-1", "apigatewayv2", "CreateVpcLink", max_wait=0)

    assert limiter.reserve("eu-west-1", "apigatewayv2", "CreateVpcLink", max_wait=0) == 0.0


def test_global_bucket_is_shared_by_every_operation_of_a_region() -> None:
    clock = FakeClock()
    limiter = RateLimiter({"*": Quota(1, 2)}, clock=clock)

    assert limiter.reserve("us-east-1", "apigatewayv2", "GetVpcLinks", max_wait=10) == 0.0
    assert limiter.reserve("us-east-1", "apigateway", "GetVpcLinks", max_wait=10) == 0.0
    assert limiter.reserve("us-east-1", "ec2", "DescribeSubnets", max_wait=10) == pytest.approx(1.0)
    clock.advance(2)
    assert limiter.reserve("us-east-1", "ec2", "DescribeSubnets", max_wait=10) == 0.0


def test_the_longer_of_operation_and_global_waits_applies() -> None:
    limiter = RateLimiter({"apigateway:CreateDeployment": Quota(1 / 5, 1), "*": Quota(1 / 2, 1)},
                          clock=FakeClock())
    limiter.reserve("us-east-1", "apigateway", "CreateDeployment", max_wait=0)

    # CreateDeployment: its own bucket (5 s) is slower than the global one (2 s).
    assert limiter.reserve("us-east-1", "apigateway", "CreateDeployment", max_wait=100) == pytest.approx(5)
    # GetStages has only the global bucket, now two calls deep: (1 - (-1)) / 0.5 = 4 s.
    assert limiter.reserve("us-east-1", "apigateway", "GetStages", max_wait=100) == pytest.approx(4)


def test_operation_without_any_quota_is_not_limited() -> None:
    limiter = RateLimiter({"apigatewayv2:CreateVpcLink": Quota(1 / 15, 1)}, clock=FakeClock())

    for _ in range(100):
        assert limiter.reserve("us-east-1", "apigatewayv2", "GetVpcLinks", max_wait=0) == 0.0


def test_scale_multiplies_the_rate_but_not_the_burst() -> None:
    limiter = RateLimiter({"apigatewayv2:CreateVpcLink": Quota(1 / 15, 1)}, scale=40, clock=FakeClock())

    assert limiter.reserve("us-east-1", "apigatewayv2", "CreateVpcLink", max_wait=0) == 0.0
    assert limiter.reserve("us-east-1", "apigatewayv2", "CreateVpcLink", max_wait=10) == pytest.approx(15 / 40)
    assert limiter.quotas["apigatewayv2:CreateVpcLink"].burst == 1


def test_default_quotas_cover_the_slow_api_gateway_operations() -> None:
    assert DEFAULT_QUOTAS["apigatewayv2:CreateVpcLink"].per_second == pytest.approx(1 / 15)
    assert DEFAULT_QUOTAS["apigatewayv2:DeleteVpcLink"].per_second == pytest.approx(1 / 30)
    assert "*" in DEFAULT_QUOTAS


# -- LinkInventory ----------------------------------------------------------------------------------


def observed(link_id: str, status: LinkState = "AVAILABLE") -> ObservedLink:
    return ObservedLink(id=link_id, name=link_id, status=status, status_message="",
                        shape=LinkShape(frozenset({"subnet-a"})))


class FakeLinks:
    """Just enough of the LinkAdapter protocol for the inventory: list and get, counted."""

    def __init__(self, api_type: ApiType, *links: ObservedLink) -> None:
        self.api_type = api_type
        self.links = {link.id: link for link in links}
        self.listed: list[str] = []
        self.got: list[tuple[str, str]] = []

    async def list_links(self, region: str) -> list[ObservedLink]:
        self.listed.append(region)
        for _ in range(3):  # a paginated list yields to the loop; concurrent callers pile up here
            await asyncio.sleep(0)
        return list(self.links.values())

    async def get_link(self, region: str, link_id: str) -> ObservedLink | None:
        self.got.append((region, link_id))
        await asyncio.sleep(0)
        return self.links.get(link_id)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def inventory(clock: FakeClock, http: FakeLinks, rest: FakeLinks | None = None) -> LinkInventory:
    return LinkInventory({"HTTP": http, "REST": rest or FakeLinks("REST")}, clock=clock)  # type: ignore[dict-item]


def test_concurrent_callers_share_one_list(clock: FakeClock) -> None:
    adapter = FakeLinks("HTTP", observed("a"), observed("b"))
    inv = inventory(clock, adapter)

    async def main() -> list[Mapping[str, ObservedLink]]:
        return list(await asyncio.gather(*(inv.links("us-east-1", "HTTP", max_age=60) for _ in range(20))))

    results = asyncio.run(main())

    assert adapter.listed == ["us-east-1"]
    assert all(set(r) == {"a", "b"} for r in results)


def test_relists_only_after_max_age(clock: FakeClock) -> None:
    adapter = FakeLinks("HTTP", observed("a"))
    inv = inventory(clock, adapter)

    async def main() -> None:
        await inv.links("us-east-1", "HTTP", max_age=60)
        clock.advance(59)
        await inv.links("us-east-1", "HTTP", max_age=60)
        assert len(adapter.listed) == 1
        adapter.links["b"] = observed("b")
        clock.advance(2)
        fresh = await inv.links("us-east-1", "HTTP", max_age=60)
        assert len(adapter.listed) == 2
        assert set(fresh) == {"a", "b"}
        # A caller that wants fresher data than the snapshot gets a new list.
        clock.advance(5)
        await inv.links("us-east-1", "HTTP", max_age=1)
        assert len(adapter.listed) == 3

    asyncio.run(main())


def test_each_region_and_api_type_has_its_own_list(clock: FakeClock) -> None:
    http, rest = FakeLinks("HTTP", observed("h1")), FakeLinks("REST", observed("r1"))
    inv = inventory(clock, http, rest)

    async def main() -> None:
        assert set(await inv.links("us-east-1", "HTTP", max_age=60)) == {"h1"}
        assert set(await inv.links("us-east-1", "REST", max_age=60)) == {"r1"}
        await inv.links("eu-west-1", "HTTP", max_age=60)
        await inv.links("us-east-1", "HTTP", max_age=60)

    asyncio.run(main())
    assert http.listed == ["us-east-1", "eu-west-1"]
    assert rest.listed == ["us-east-1"]


def test_remember_updates_the_snapshot_without_a_list(clock: FakeClock) -> None:
    adapter = FakeLinks("HTTP", observed("a"))
    inv = inventory(clock, adapter)

    async def main() -> None:
        await inv.links("us-east-1", "HTTP", max_age=60)
        inv.remember("us-east-1", "HTTP", "new1", observed("new1", "PENDING"))
        seen = await inv.links("us-east-1", "HTTP", max_age=60)
        assert seen["new1"].status == "PENDING"
        inv.remember("us-east-1", "HTTP", "a", None)
        assert set(await inv.links("us-east-1", "HTTP", max_age=60)) == {"new1"}
        inv.remember("us-east-1", "HTTP", "never-seen", None)  # forgetting an unknown link is fine

    asyncio.run(main())
    assert adapter.listed == ["us-east-1"]


def test_refresh_gets_one_link_and_updates_the_snapshot(clock: FakeClock) -> None:
    adapter = FakeLinks("HTTP", observed("a", "PENDING"))
    inv = inventory(clock, adapter)

    async def main() -> None:
        await inv.links("us-east-1", "HTTP", max_age=60)
        adapter.links["a"] = observed("a", "AVAILABLE")
        assert (await inv.refresh("us-east-1", "HTTP", "a")) == observed("a", "AVAILABLE")
        assert (await inv.links("us-east-1", "HTTP", max_age=60))["a"].status == "AVAILABLE"
        del adapter.links["a"]
        assert await inv.refresh("us-east-1", "HTTP", "a") is None
        assert "a" not in await inv.links("us-east-1", "HTTP", max_age=60)

    asyncio.run(main())
    assert adapter.listed == ["us-east-1"]
    assert adapter.got == [("us-east-1", "a"), ("us-east-1", "a")]


def test_callers_get_a_copy_of_the_snapshot(clock: FakeClock) -> None:
    inv = inventory(clock, FakeLinks("HTTP", observed("a")))

    async def main() -> None:
        first = dict(await inv.links("us-east-1", "HTTP", max_age=60))
        mine = await inv.links("us-east-1", "HTTP", max_age=60)
        mine.pop("a")  # type: ignore[attr-defined]
        assert await inv.links("us-east-1", "HTTP", max_age=60) == first

    asyncio.run(main())


# -- classify ------------------------------------------------------------------------------------------


def client_error(code: str, message: str, status: int, operation: str = "DeleteVpcLink") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, operation)


@pytest.mark.parametrize(("code", "status"), [
    ("TooManyRequestsException", 429),
    ("ThrottlingException", 400),
    ("Throttling", 400),
    ("RequestLimitExceeded", 503),
])
def test_throttling_is_retryable_and_marked_throttled(code: str, status: int) -> None:
    err = classify("CreateVpcLink", client_error(code, "Too Many Requests", status))

    assert isinstance(err, AwsRetryable)
    assert err.throttled is True


@pytest.mark.parametrize(("code", "status"), [("InternalServerError", 500), ("ServiceUnavailableException", 503),
                                              ("BadGateway", 502)])
def test_server_errors_are_retryable_not_throttled(code: str, status: int) -> None:
    err = classify("GetVpcLinks", client_error(code, "try again", status))

    assert isinstance(err, AwsRetryable)
    assert err.throttled is False


def test_concurrent_modification_conflict_is_retryable() -> None:
    err = classify("UpdateVpcLink", client_error(
        "ConflictException", "Unable to complete operation due to concurrent modification. Please try again later.",
        409))

    assert isinstance(err, AwsRetryable)


def test_other_conflicts_are_terminal() -> None:
    assert isinstance(classify("CreateVpcLink", client_error("ConflictException", "already exists", 409)),
                      AwsTerminal)


@pytest.mark.parametrize("code", ["BadRequestException", "ConflictException"])
def test_is_referenced_in_is_in_use(code: str) -> None:
    message = ("Cannot delete vpc link. Vpc link 'abc123', is referenced in [6j4m3244we:GET:/orders:test] "
               "in format of [RESTApiId:Method:Resource:Stage].")
    err = classify("DeleteVpcLink", client_error(code, message, 400 if code == "BadRequestException" else 409))

    assert isinstance(err, AwsInUse)
    assert err.message == message


@pytest.mark.parametrize(("code", "status"), [("NotFoundException", 404), ("InvalidSubnetID.NotFound", 400),
                                              ("LoadBalancerNotFound", 400)])
def test_not_found(code: str, status: int) -> None:
    assert isinstance(classify("GetVpcLink", client_error(code, "Invalid VPC link identifier", status)), AwsNotFound)


@pytest.mark.parametrize(("code", "status"), [
    ("AccessDeniedException", 403),
    ("UnauthorizedException", 401),
    ("BadRequestException", 400),
    ("LimitExceededException", 400),
    # botocore models apigateway's LimitExceededException with HTTP 429 (the emulator does the same);
    # it is a quota on resources, not a rate: the issue says it must become Stalled, not be retried.
    ("LimitExceededException", 429),
])
def test_access_validation_and_quota_errors_are_terminal(code: str, status: int) -> None:
    message = "The maximum number of VPC links for HTTP APIs (10) has been reached in this region."
    err = classify("CreateVpcLink", client_error(code, message, status))

    assert isinstance(err, AwsTerminal)
    assert (err.operation, err.code, err.message) == ("CreateVpcLink", code, message)


def test_classified_error_keeps_operation_code_and_aws_text() -> None:
    err = classify("DeleteVpcLink", client_error("NotFoundException", "Invalid Vpc link identifier specified", 404))

    assert isinstance(err, AwsError)
    assert str(err) == "DeleteVpcLink: NotFoundException: Invalid Vpc link identifier specified"


def test_connection_errors_are_retryable() -> None:
    err = classify("GetVpcLinks", EndpointConnectionError(endpoint_url="http://127.0.0.1:1"))

    assert isinstance(err, AwsRetryable)
    assert err.throttled is False


def test_non_aws_exceptions_are_not_swallowed() -> None:
    with pytest.raises(KeyError):
        classify("GetVpcLinks", KeyError("bug"))


# -- parse_args ----------------------------------------------------------------------------------------


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    for name in ("VPCLINK_NAMESPACES", "VPCLINK_LOG_LEVEL", "VPCLINK_LOG_FORMAT", "VPCLINK_PORT",
                 "VPCLINK_DEFAULT_REGION", "VPCLINK_RESYNC_SECONDS", "VPCLINK_POLL_SECONDS",
                 "VPCLINK_RATE_LIMITS", "VPCLINK_RATE_LIMIT_SCALE", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    yield monkeypatch


def test_defaults(clean_env: pytest.MonkeyPatch) -> None:
    settings = parse_args([])

    assert settings.namespaces == ()
    assert settings.clusterwide
    assert (settings.log_level, settings.log_format, settings.port) == ("INFO", "json", 8080)
    assert settings.default_region == "us-east-1"
    assert (settings.resync_seconds, settings.poll_seconds, settings.rate_limit_scale) == (60, 5, 1)
    assert dict(settings.rate_limits) == dict(DEFAULT_QUOTAS)


def test_environment_variables(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("VPCLINK_NAMESPACES", "shop, payments,,")
    clean_env.setenv("VPCLINK_LOG_LEVEL", "debug")
    clean_env.setenv("VPCLINK_LOG_FORMAT", "plain")
    clean_env.setenv("VPCLINK_PORT", "9090")
    clean_env.setenv("VPCLINK_DEFAULT_REGION", "eu-west-1")
    clean_env.setenv("VPCLINK_RESYNC_SECONDS", "30")
    clean_env.setenv("VPCLINK_POLL_SECONDS", "2.5")
    clean_env.setenv("VPCLINK_RATE_LIMIT_SCALE", "40")
    clean_env.setenv("VPCLINK_RATE_LIMITS", '{"apigatewayv2:CreateVpcLink": {"perSecond": 1, "burst": 2}}')

    settings = parse_args([])

    assert settings.namespaces == ("shop", "payments")
    assert not settings.clusterwide
    assert (settings.log_level, settings.log_format, settings.port) == ("DEBUG", "plain", 9090)
    assert settings.default_region == "eu-west-1"
    assert (settings.resync_seconds, settings.poll_seconds, settings.rate_limit_scale) == (30, 2.5, 40)
    assert settings.rate_limits["apigatewayv2:CreateVpcLink"] == Quota(1.0, 2)
    assert settings.rate_limits["*"] == DEFAULT_QUOTAS["*"]  # overrides merge with the defaults


def test_flags_win_over_environment(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("VPCLINK_NAMESPACES", "shop")
    clean_env.setenv("VPCLINK_PORT", "9090")
    clean_env.setenv("VPCLINK_DEFAULT_REGION", "eu-west-1")

    settings = parse_args(["-n", "a", "--namespace", "b", "--port", "7070", "--region", "ap-south-1",
                           "--log-level", "warning", "--log-format", "plain", "--resync-seconds", "10",
                           "--poll-seconds", "1", "--rate-limit-scale", "2",
                           "--rate-limits", '{"*": {"perSecond": 5, "burst": 10}}'])

    assert settings.namespaces == ("a", "b")
    assert settings.port == 7070
    assert settings.default_region == "ap-south-1"
    assert settings.log_level == "WARNING"
    assert settings.log_format == "plain"
    assert (settings.resync_seconds, settings.poll_seconds, settings.rate_limit_scale) == (10, 1, 2)
    assert settings.rate_limits["*"] == Quota(5.0, 10)


@pytest.mark.parametrize(("env", "region"), [
    ({"AWS_DEFAULT_REGION": "eu-north-1"}, "eu-north-1"),
    ({"AWS_DEFAULT_REGION": "eu-north-1", "AWS_REGION": "eu-west-3"}, "eu-west-3"),
    ({"AWS_REGION": "eu-west-3", "VPCLINK_DEFAULT_REGION": "us-west-2"}, "us-west-2"),
])
def test_region_precedence(clean_env: pytest.MonkeyPatch, env: dict[str, str], region: str) -> None:
    for key, value in env.items():
        clean_env.setenv(key, value)

    assert parse_args([]).default_region == region


@pytest.mark.parametrize("value", [
    "not json",
    '{"*": {"perSecond": 1}}',
    '{"*": 5}',
    "[1, 2]",
    '{"*": {"perSecond": "fast", "burst": 1}}',
])
def test_bad_rate_limits_exit(clean_env: pytest.MonkeyPatch, value: str) -> None:
    with pytest.raises(SystemExit):
        parse_args(["--rate-limits", value])

    clean_env.setenv("VPCLINK_RATE_LIMITS", value)
    with pytest.raises(SystemExit):
        parse_args([])


@pytest.mark.parametrize("argv", [
    ["--port", "0"], ["--port", "65536"], ["--resync-seconds", "0"], ["--poll-seconds", "0"],
    ["--rate-limit-scale", "-1"], ["--log-level", "verbose"], ["--log-format", "xml"], ["--port", "http"],
])
def test_bad_flags_exit(clean_env: pytest.MonkeyPatch, argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        parse_args(argv)


@pytest.mark.parametrize(("name", "value"), [
    ("VPCLINK_LOG_LEVEL", "verbose"),
    ("VPCLINK_LOG_FORMAT", "xml"),
    ("VPCLINK_PORT", "http"),
    ("VPCLINK_PORT", "0"),
    ("VPCLINK_RESYNC_SECONDS", "-5"),
])
def test_bad_environment_values_exit_like_bad_flags(clean_env: pytest.MonkeyPatch, name: str, value: str) -> None:
    clean_env.setenv(name, value)

    with pytest.raises(SystemExit):
        parse_args([])
