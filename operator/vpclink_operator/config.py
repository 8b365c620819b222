"""Operator settings: every flag has an environment variable, read once at start-up."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

LogFormat = Literal["json", "plain"]


@dataclass(frozen=True)
class Settings:
    namespaces: tuple[str, ...]  # empty: all namespaces (cluster-wide)
    log_level: str
    log_format: LogFormat
    port: int  # health (/healthz, /readyz) and Prometheus metrics (/metrics)
    default_region: str
    resync_seconds: float

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
        choices=["DEBUG", "INFO", "WARNING", "ERROR"], type=str.upper,
        help="[env VPCLINK_LOG_LEVEL] (default: %(default)s)",
    )
    parser.add_argument(
        "--log-format", default=os.environ.get("VPCLINK_LOG_FORMAT", "json"), choices=["json", "plain"],
        help="[env VPCLINK_LOG_FORMAT] (default: %(default)s)",
    )
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("VPCLINK_PORT", "8080")),
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
        "--resync-seconds", type=float, default=float(os.environ.get("VPCLINK_RESYNC_SECONDS", "60")),
        help="how often AWS is re-observed for drift [env VPCLINK_RESYNC_SECONDS] (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    namespaces = args.namespaces if args.namespaces is not None else _env_list("VPCLINK_NAMESPACES")
    if not 0 < args.port < 65536:
        parser.error(f"--port must be between 1 and 65535, got {args.port}")
    if args.resync_seconds <= 0:
        parser.error(f"--resync-seconds must be positive, got {args.resync_seconds}")
    return Settings(
        namespaces=tuple(namespaces),
        log_level=args.log_level,
        log_format=args.log_format,
        port=args.port,
        default_region=args.default_region,
        resync_seconds=args.resync_seconds,
    )
