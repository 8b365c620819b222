"""VpcLink and PrivateIntegration benchmarks: the real operator, a real kube-apiserver, the emulator.

    .venv/bin/python bench/vpclink_bench.py [--out bench/results.json]

Measures, from the emulator's call log:
  * AWS calls per resync in steady state, with 1 and with 20 VpcLinks;
  * time from `kubectl apply` returning to the CreateVpcLink call reaching AWS;
  * the operator's resident memory with 20 links;
  * AWS calls per resync for 1 HTTP API with 50 PrivateIntegrations;
  * the time for a full link replacement with 10 REST PrivateIntegrations attached.
The emulator runs 40x faster than AWS with its rate quotas on; the operator's client-side
quotas are scaled the same way, so every ratio holds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from harness import BENCH_TIMING, NAMESPACE, Bench

TIME_SCALE = BENCH_TIMING.time_scale
RESYNC = BENCH_TIMING.resync_seconds


def run(out: Path) -> dict[str, Any]:
    results: dict[str, Any] = {"time_scale": TIME_SCALE, "resync_seconds": RESYNC}
    with tempfile.TemporaryDirectory() as tmp:
        bench = Bench(Path(tmp))
        try:
            # apply -> CreateVpcLink, five HTTP links one after another
            latencies = []
            for i in range(5):
                applied = bench.apply_link(f"http-{i}", {"apiType": "HTTP", "subnetIds": bench.subnets})
                deadline = time.monotonic() + 60
                while not (creates := [c for c in bench.emulator.control.calls(operation="CreateVpcLink")
                                       if c["time"] >= applied - 5 and c["status"] < 300
                                       and c["service"] == "apigatewayv2"][i:]):
                    assert time.monotonic() < deadline, "no CreateVpcLink call"
                    time.sleep(0.02)
                latencies.append(creates[0]["time"] - applied)
            bench.wait_ready([f"http-{i}" for i in range(5)])
            for i in range(5):
                bench.kubectl("delete", "vl", f"http-{i}", "-n", NAMESPACE, "--timeout=120s")
            results["apply_to_create_seconds"] = {
                "samples": [round(x, 3) for x in latencies], "median": round(statistics.median(latencies), 3),
                "max": round(max(latencies), 3)}

            bench.apply_link("rest-0", {"apiType": "REST", "targetArns": [bench.nlbs[0]]})
            bench.wait_ready(["rest-0"])
            results["calls_per_resync_1_link"] = bench.steady_calls_per_resync()

            for i in range(1, 20):
                bench.apply_link(f"rest-{i}", {"apiType": "REST", "targetArns": [bench.nlbs[i]]})
            started = time.monotonic()
            bench.wait_ready([f"rest-{i}" for i in range(20)])
            results["seconds_to_ready_19_links"] = round(time.monotonic() - started, 2)
            results["calls_per_resync_20_links"] = bench.steady_calls_per_resync()
            results["operator_rss_mib_20_links"] = round(bench.rss_mib(), 1)
            results["throttled_calls"] = len([c for c in bench.emulator.control.calls() if c["status"] == 429])
            for i in range(20):
                bench.kubectl("delete", "vl", f"rest-{i}", "-n", NAMESPACE, "--wait=false")
            results.update(bench_integrations(bench))
            results["throttled_calls_total"] = len([c for c in bench.emulator.control.calls() if c["status"] == 429])
        finally:
            bench.stop()
    out.write_text(json.dumps(results, indent=2) + "\n")
    return results


def bench_integrations(bench: Bench) -> dict[str, Any]:
    results: dict[str, Any] = {}
    # 50 HTTP integrations on one HTTP API, each owning one route.
    bench.apply_link("http-shared", {"apiType": "HTTP", "subnetIds": bench.subnets})
    bench.wait_ready(["http-shared"])
    v2 = bench.client("apigatewayv2")
    api = v2.create_api(Name="bench", ProtocolType="HTTP")["ApiId"]
    listener = bench.http_listener()
    started = time.monotonic()
    for i in range(50):
        bench.apply("PrivateIntegration", f"route-{i}", {"vpcLinkRef": {"name": "http-shared"}, "http": {
            "apiId": api, "integrationUri": listener, "routeKeys": [f"GET /r{i}"]}})
    bench.wait_ready([f"route-{i}" for i in range(50)], kind="pi")
    results["seconds_to_ready_50_http_integrations"] = round(time.monotonic() - started, 2)
    results["calls_per_resync_1_http_api_50_integrations"] = bench.steady_calls_per_resync()
    for i in range(50):
        bench.kubectl("delete", "pi", f"route-{i}", "-n", NAMESPACE, "--wait=false")

    # A REST link replaced under 10 integrations (Direct, each redeploying stage "prod").
    v1 = bench.client("apigateway")
    rest_api = v1.create_rest_api(name="bench")["id"]
    root = v1.get_resources(restApiId=rest_api)["items"][0]["id"]
    for i in range(10):
        v1.create_resource(restApiId=rest_api, parentId=root, pathPart=f"r{i}")
    bench.apply_link("rest-shared", {"apiType": "REST", "targetArns": [bench.nlbs[0]]})
    bench.wait_ready(["rest-shared"])
    for i in range(10):
        bench.apply("PrivateIntegration", f"rest-{i}", {"vpcLinkRef": {"name": "rest-shared"}, "rest": {
            "restApiId": rest_api, "resourcePath": f"/r{i}", "httpMethod": "GET", "integrationHttpMethod": "GET",
            "uri": f"http://r{i}.internal.example.com/", "stages": ["prod"]}})
    bench.wait_ready([f"rest-{i}" for i in range(10)], kind="pi")
    old = json.loads(bench.kubectl("get", "vl", "rest-shared", "-n", NAMESPACE, "-o", "json"))["status"]["vpcLinkId"]
    bench.emulator.control.reset_calls()
    started = time.monotonic()
    bench.apply_link("rest-shared", {"apiType": "REST", "targetArns": [bench.nlbs[1]]})
    while True:
        status = json.loads(bench.kubectl("get", "vl", "rest-shared", "-n", NAMESPACE, "-o", "json"))["status"]
        if status.get("vpcLinkId") != old and not status.get("retiredVpcLinkIds") and not status.get("replacement"):
            break
        assert time.monotonic() - started < 300, status
        time.sleep(0.1)
    wall = time.monotonic() - started
    calls = bench.emulator.control.calls()
    results["link_replacement_10_rest_integrations"] = {
        "wall_seconds": round(wall, 2), "emulated_aws_seconds": round(wall * TIME_SCALE),
        "aws_calls": len(calls), "create_deployments": len([c for c in calls if c["operation"] == "CreateDeployment"]),
        "throttled": len([c for c in calls if c["status"] == 429]),
    }
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results.json")
    args = parser.parse_args()
    print(json.dumps(run(args.out), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
