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
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from vpclink_bench import RESYNC, Bench

REPO = Path(__file__).resolve().parent.parent
WRITE_VERBS = ("PATCH", "PUT", "POST", "DELETE")


def kubernetes_writes(bench: Bench) -> dict[str, int]:
    """Write requests the apiserver has served on our two resources, by resource[/subresource] and verb."""
    counts: dict[str, int] = {}
    for line in bench.kubectl("get", "--raw", "/metrics").splitlines():
        if not line.startswith("apiserver_request_total{") or 'group="apigateway.vpclink.dev"' not in line:
            continue
        labels = dict(part.split("=", 1) for part in line[line.index("{") + 1:line.index("}")].split(","))
        verb = labels["verb"].strip('"')
        if verb in WRITE_VERBS:
            resource = labels["resource"].strip('"') + ("/" + sub if (sub := labels["subresource"].strip('"')) else "")
            key = f"{verb} {resource}"
            counts[key] = counts.get(key, 0) + int(float(line.rsplit(" ", 1)[1]))
    return counts


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def measure(tree: Path, objects: int, apis: int, links: int, periods: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        bench = Bench(Path(tmp), operator_source=tree / "operator")
        try:
            started = time.monotonic()
            for i in range(links):
                bench.apply_link(f"link-{i}", {"apiType": "HTTP", "subnetIds": bench.subnets})
            bench.wait_ready([f"link-{i}" for i in range(links)], timeout=600)
            v2, elbv2 = bench.client("apigatewayv2"), bench.client("elbv2")
            api_ids = [v2.create_api(Name=f"idle-{i}", ProtocolType="HTTP")["ApiId"] for i in range(apis)]
            alb = elbv2.create_load_balancer(Name="idle-alb", Subnets=bench.subnets, Type="application",
                                             Scheme="internal")["LoadBalancers"][0]["LoadBalancerArn"]
            listener = elbv2.create_listener(LoadBalancerArn=alb, Protocol="HTTP", Port=80, DefaultActions=[
                {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}])["Listeners"][0]
            names = [f"idle-{i}" for i in range(objects)]
            for i, name in enumerate(names):
                bench.apply("PrivateIntegration", name, {"vpcLinkRef": {"name": "link-0"}, "http": {
                    "apiId": api_ids[i % apis], "integrationUri": listener["ListenerArn"],
                    "routeKeys": [f"GET /r{i}"]}})
            if names:
                bench.wait_ready(names, timeout=600, kind="pi")
            ready_seconds = time.monotonic() - started
            time.sleep(RESYNC * 1.5)  # every object settles into its steady schedule

            assert bench.operator.proc is not None
            pid = bench.operator.proc.pid
            writes, cpu = kubernetes_writes(bench), cpu_seconds(pid)
            bench.emulator.control.reset_calls()
            time.sleep(RESYNC * periods)
            writes_after, cpu_after = kubernetes_writes(bench), cpu_seconds(pid)
            calls = bench.emulator.control.calls()
            return {
                "vpc_links": links, "private_integrations": objects, "http_apis": apis,
                "resync_seconds": RESYNC, "periods": periods,
                "seconds_to_ready": round(ready_seconds, 1),
                "kubernetes_writes_per_resync": {
                    key: round((writes_after.get(key, 0) - writes.get(key, 0)) / periods, 2)
                    for key in sorted(set(writes_after) | set(writes))
                    if writes_after.get(key, 0) != writes.get(key, 0)},
                "cpu_seconds_per_resync": round((cpu_after - cpu) / periods, 2),
                "aws_calls_per_resync": round(len(calls) / periods, 2),
                "rss_mib": round(bench.rss_mib(), 1),
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
