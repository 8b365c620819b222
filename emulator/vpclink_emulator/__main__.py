"""`python -m vpclink_emulator --host 127.0.0.1 --port 4566` serves boto3 and the aws CLI."""

from __future__ import annotations

import argparse
import contextlib

from .server import EmulatorServer
from .state import EmulatorConfig


def main(argv: list[str] | None = None) -> None:
    defaults = EmulatorConfig()
    parser = argparse.ArgumentParser(prog="vpclink_emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4566)
    parser.add_argument(
        "--link-pending-seconds",
        type=float,
        default=defaults.link_pending_seconds,
        help="emulated seconds a new VPC link stays PENDING",
    )
    parser.add_argument(
        "--link-deleting-seconds",
        type=float,
        default=defaults.link_deleting_seconds,
        help="emulated seconds a deleted VPC link stays DELETING",
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=defaults.time_scale,
        help="emulated seconds per wall-clock second (lifecycle delays and quota refill)",
    )
    parser.add_argument("--quotas", action="store_true", help="enforce API Gateway rate quotas (429)")
    args = parser.parse_args(argv)

    server = EmulatorServer(
        args.host,
        args.port,
        link_pending_seconds=args.link_pending_seconds,
        link_deleting_seconds=args.link_deleting_seconds,
        time_scale=args.time_scale,
        quotas=args.quotas,
    )
    print(f"vpclink_emulator listening on {server.url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
