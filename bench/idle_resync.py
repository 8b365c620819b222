"""Idle resync cost: Kubernetes writes, operator CPU and AWS calls per resync with N steady objects.

    .venv/bin/python bench/idle_resync.py [--objects 100] [--apis 10] [--links 1] [--periods 3]
        [--tree before=/path/to/other/checkout] [--tree after=.] [--out bench/idle_results.json]

N HTTP PrivateIntegrations (each owning one route) spread over `--apis` HTTP APIs on the first of
`--links` HTTP VpcLinks, all Ready, then `--periods` resync intervals with nothing to do. Each
`--tree NAME=PATH` runs the operator from that checkout's `operator/` (same virtualenv, fresh control
plane and emulator), one tree after the other in one session, so two commits are compared side by side.

Counts are exact: Kubernetes writes from the apiserver's own `apiserver_request_total`, AWS calls
from the emulator's call log. CPU seconds come from /proc (user + system of the operator process) and
are only as steady as the machine: on a shared machine they are noisy.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from harness import Bench

REPO = Path(__file__).resolve().parent.parent


def measure(tree: Path, objects: int, apis: int, links: int, periods: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        bench = Bench(Path(tmp), operator_source=tree / "operator")
        try:
            started = time.monotonic()
            for i in range(links):
                bench.apply_link(f"link-{i}", {"apiType": "HTTP", "subnetIds": bench.subnets})
            bench.wait_ready([f"link-{i}" for i in range(links)], timeout=600)
            v2 = bench.client("apigatewayv2")
            api_ids = [v2.create_api(Name=f"idle-{i}", ProtocolType="HTTP")["ApiId"] for i in range(apis)]
            listener = bench.http_listener()
            names = [f"idle-{i}" for i in range(objects)]
            for i, name in enumerate(names):
                bench.apply("PrivateIntegration", name, {"vpcLinkRef": {"name": "link-0"}, "http": {
                    "apiId": api_ids[i % apis], "integrationUri": listener,
                    "routeKeys": [f"GET /r{i}"]}})
            if names:
                bench.wait_ready(names, timeout=600, kind="pi")
            ready_seconds = time.monotonic() - started
            return {
                "vpc_links": links, "private_integrations": objects, "http_apis": apis,
                "resync_seconds": bench.timing.resync_seconds, "periods": periods,
                "seconds_to_ready": round(ready_seconds, 1),
                **bench.idle_resyncs(periods),
            }
        finally:
            bench.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--objects", type=int, default=100, help="PrivateIntegrations")
    parser.add_argument("--apis", type=int, default=10, help="HTTP APIs they are spread over")
    parser.add_argument("--links", type=int, default=1, help="HTTP VpcLinks (at most 10: AWS's quota per Region)")
    parser.add_argument("--periods", type=int, default=3, help="idle resync intervals measured")
    parser.add_argument("--tree", action="append", default=[], metavar="NAME=PATH",
                        help="a checkout whose operator/ is run (repeatable); default: this one")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "idle_results.json")
    args = parser.parse_args()
    trees = dict(t.split("=", 1) for t in args.tree) or {"this": str(REPO)}
    results = {name: measure(Path(path).resolve(), args.objects, args.apis, args.links, args.periods)
               for name, path in trees.items()}
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
