"""Settings from flags and environment variables, and how bad values exit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from vpclink_operator.aws.ratelimit import DEFAULT_QUOTAS, Quota
from vpclink_operator.config import parse_args


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
