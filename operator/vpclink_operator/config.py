"""Operator settings: every flag has an environment variable, read once at start-up."""

from __future__ import annotations

import argparse
import json
import os
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from vpclink_operator.aws.ratelimit import DEFAULT_QUOTAS, Quota

LogFormat = Literal["json", "plain"]
LOG_FORMATS = ("json", "plain")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


@dataclass(frozen=True)
class Settings:
    namespaces: tuple[str, ...]  # empty: all namespaces (cluster-wide)
    log_level: str
    log_format: LogFormat
    port: int  # health (/healthz, /readyz) and Prometheus metrics (/metrics)
    default_region: str
    resync_seconds: float
    poll_seconds: float = 5.0  # re-list interval while AWS is moving (PENDING, DELETING); objects back off from it
    rate_limit_scale: float = 1.0  # multiplies every quota's rate (a time-scaled emulator uses >1)
    rate_limits: Mapping[str, Quota] = field(default_factory=lambda: dict(DEFAULT_QUOTAS))
    peering: str = ""  # empty: standalone; else the KopfPeering name shared by the replicas
    priority: int = 0  # with peering: the highest live priority is the active replica

    @property
    def clusterwide(self) -> bool:
        return not self.namespaces


def _env_list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def parse_args(argv: Sequence[str] | None = None) -> Settings:
    parser = argparse.ArgumentParser(
        prog="vpclink-operator",
        description="Reconcile VpcLink and PrivateIntegration resources into AWS API Gateway.",
    )
    parser.add_argument(
        "--namespace", "-n", action="append", dest="namespaces", default=None,
        help="namespace to watch; repeat for several; default: all namespaces "
             "[env VPCLINK_NAMESPACES, comma-separated]",
    )
    parser.add_argument(
        "--log-level", default=os.environ.get("VPCLINK_LOG_LEVEL", "INFO"),
        choices=LOG_LEVELS, type=str.upper,
        help="[env VPCLINK_LOG_LEVEL] (default: %(default)s)",
    )
    parser.add_argument(
        "--log-format", default=os.environ.get("VPCLINK_LOG_FORMAT", "json"), choices=LOG_FORMATS,
        help="[env VPCLINK_LOG_FORMAT] (default: %(default)s)",
    )
    parser.add_argument(
        "--port", type=int, default=os.environ.get("VPCLINK_PORT", "8080"),
        help="port for /healthz, /readyz and /metrics [env VPCLINK_PORT] (default: %(default)s)",
    )
    parser.add_argument(
        "--region", dest="default_region",
        default=os.environ.get("VPCLINK_DEFAULT_REGION") or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        help="AWS region for resources without spec.region "
             "[env VPCLINK_DEFAULT_REGION, then AWS_REGION] (default: %(default)s)",
    )
    parser.add_argument(
        "--resync-seconds", type=float, default=os.environ.get("VPCLINK_RESYNC_SECONDS", "60"),
        help="how often AWS is re-listed for drift, one list shared by every object "
             "[env VPCLINK_RESYNC_SECONDS] (default: %(default)s)",
    )
    parser.add_argument(
        "--poll-seconds", type=float, default=os.environ.get("VPCLINK_POLL_SECONDS", "5"),
        help="how often AWS is re-listed while something is moving (a link PENDING, a change in flight) "
             "[env VPCLINK_POLL_SECONDS] (default: %(default)s)",
    )
    parser.add_argument(
        "--rate-limits", default=os.environ.get("VPCLINK_RATE_LIMITS", ""),
        help='JSON overrides of the client-side quotas, e.g. \'{"apigatewayv2:CreateVpcLink": '
             '{"perSecond": 0.0667, "burst": 1}, "*": {"perSecond": 10, "burst": 40}}\' '
             "[env VPCLINK_RATE_LIMITS] (default: API Gateway's documented quotas)",
    )
    parser.add_argument(
        "--rate-limit-scale", type=float, default=os.environ.get("VPCLINK_RATE_LIMIT_SCALE", "1"),
        help="AWS time runs this many times faster (a time-scaled emulator): multiplies every quota's rate and "
             "divides the longest in-process wait for a token [env VPCLINK_RATE_LIMIT_SCALE]",
    )
    parser.add_argument(
        "--peering", default=os.environ.get("VPCLINK_PEERING", ""),
        help="run several replicas with kopf peering under this (Cluster)KopfPeering name; only the "
             "highest-priority replica reconciles [env VPCLINK_PEERING] (default: standalone)",
    )
    parser.add_argument(
        "--priority", type=int, default=os.environ.get("VPCLINK_PRIORITY") or str(random.randint(1, 2**30)),
        help="peering priority; replicas must differ, so the default is random [env VPCLINK_PRIORITY]",
    )
    args = parser.parse_args(argv)
    # argparse converts string defaults with `type=` but never checks them against `choices`.
    for flag, value, choices in (("--log-level", args.log_level, LOG_LEVELS),
                                 ("--log-format", args.log_format, LOG_FORMATS)):
        if value not in choices:
            parser.error(f"{flag}: invalid choice {value!r} (choose from {', '.join(choices)})")
    namespaces = args.namespaces if args.namespaces is not None else _env_list("VPCLINK_NAMESPACES")
    if not 0 < args.port < 65536:
        parser.error(f"--port must be between 1 and 65535, got {args.port}")
    if args.resync_seconds <= 0:
        parser.error(f"--resync-seconds must be positive, got {args.resync_seconds}")
    try:
        overrides = {key: Quota(float(v["perSecond"]), int(v["burst"]))
                     for key, v in json.loads(args.rate_limits or "{}").items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        parser.error(f"--rate-limits: expected JSON like "
                     f'{{"apigateway:CreateDeployment": {{"perSecond": 0.2, "burst": 1}}}}: {exc}')
    if args.poll_seconds <= 0 or args.rate_limit_scale <= 0:
        parser.error("--poll-seconds and --rate-limit-scale must be positive")
    return Settings(
        peering=args.peering,
        priority=args.priority,
        poll_seconds=args.poll_seconds,
        rate_limit_scale=args.rate_limit_scale,
        rate_limits={**DEFAULT_QUOTAS, **overrides},
        namespaces=tuple(namespaces),
        log_level=args.log_level,
        log_format=args.log_format,
        port=args.port,
        default_region=args.default_region,
        resync_seconds=args.resync_seconds,
    )
