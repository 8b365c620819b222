"""Issue 13's table, measured: one scenario per row, quotas on, time-scaled, source trees side by side.

    .venv/bin/python bench/scheduler_bench.py --tree before=<worktree> --tree after=. \\
        [--scenario NAME ...] [--time-scale X] [--timeout SECONDS] [--out bench/scheduler_results.json]
    .venv/bin/python bench/scheduler_bench.py --table     # print the table of what --out holds

Each `--tree NAME=PATH` runs that checkout's `operator/` and `crds/` on one runtime virtualenv built from
this checkout's `requirements.lock` (harness.runtime_python: no `kubernetes` package, as in the image),
each scenario on a fresh kube-apiserver and emulator, one scenario at a time. Results are merged into
`--out` by tree and scenario, so a tree or a scenario can be re-run alone; the table compares the trees
in the order given (the last one against the floor).

Scenarios (emulated AWS seconds = wall seconds x time scale; operator resync 60 s and poll 5 s emulated):
  links     10 HTTP links applied at once -> all Ready; AWS calls per resync with the 10 links idle and
            with 50 PrivateIntegrations on one HTTP API; RSS with the 10 links idle.
  pis1000   100 PrivateIntegrations on 10 HTTP APIs, then 900 more: reads per write while they converge;
            then idle resyncs with 1,000: operator CPU, Kubernetes writes, AWS calls, RSS.
  cold1000  1,000 PrivateIntegrations applied while the operator is stopped, then it starts: peak RSS
            (VmHWM), apiserver 504s, time until all are Ready.
  rest100   100 REST PrivateIntegrations (deployOnChange) on one stage: CreateDeployment calls, 429s.

Floors come from the emulator's quota table (vpclink_emulator.quotas) and its PENDING time; counts from
the emulator's call log and the apiserver's own `apiserver_request_total`. Every wait is bounded by
`--timeout`: a scenario that does not converge records "did not converge in N s" and moves on.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import REPO, Bench, Timing, is_read, manifest, proc_status_mib, runtime_python
from vpclink_emulator.quotas import ACCOUNT_QUOTA, OPERATION_QUOTAS, Quota

PENDING_SECONDS = 60  # the emulator's PENDING -> AVAILABLE time (harness.Bench), emulated
PAGE_SIZE = 100  # MaxResults of the operator's API Gateway v2 lists
LINKS = 10  # AWS's default quota of VPC links per account and Region
HTTP_WRITES_PER_INTEGRATION = 2  # CreateIntegration + CreateRoute for a PrivateIntegration owning one route


def backlog_floor(quota: Quota, calls: int) -> float:
    """Emulated seconds until `calls` calls of one quota have all been admitted, starting with a full bucket."""
    return max(0.0, calls - quota.capacity) / quota.per_second


# ---- scenarios: each takes a running Bench and the wall-clock timeout of one wait ----

def throttled(calls: list[dict[str, Any]]) -> int:
    return sum(call["status"] == 429 for call in calls)


def links(bench: Bench, timeout: float) -> dict[str, Any]:
    names = [f"link-{i}" for i in range(LINKS)]
    bench.emulator.control.reset_calls()
    started = time.monotonic()
    bench.apply_all([manifest("VpcLink", name, {"apiType": "HTTP", "subnetIds": bench.subnets}) for name in names])
    result: dict[str, Any] = {"links_ready": bench.converge("vl", LINKS, timeout, every=0.2, started=started)}
    calls = bench.emulator.control.calls()
    result |= {"throttled_while_creating": throttled(calls),
               "create_vpc_link_calls": sum(c["operation"] == "CreateVpcLink" for c in calls),
               "ec2_calls_while_creating": sum(c["service"] == "ec2" for c in calls)}
    if not result["links_ready"]["converged"]:
        return result
    result["aws_calls_per_resync_10_links"] = round(bench.steady_calls_per_resync()["total"], 2)
    result["rss_mib_10_links_idle"] = round(bench.rss_mib(), 1)

    api = bench.client("apigatewayv2").create_api(Name="bench", ProtocolType="HTTP")["ApiId"]
    listener = bench.http_listener()
    started = time.monotonic()
    bench.apply_all([manifest("PrivateIntegration", f"route-{i}", {"vpcLinkRef": {"name": "link-0"}, "http": {
        "apiId": api, "integrationUri": listener, "routeKeys": [f"GET /r{i}"]}}) for i in range(50)])
    result["integrations_ready"] = bench.converge("pi", 50, timeout, every=0.5, started=started)
    if result["integrations_ready"]["converged"]:
        result["aws_calls_per_resync_50_integrations"] = round(bench.steady_calls_per_resync()["total"], 2)
    return result


def _http_integrations(names: range, apis: list[str], listener: str) -> list[dict[str, Any]]:
    return [manifest("PrivateIntegration", f"pi-{i}", {"vpcLinkRef": {"name": "link-0"}, "http": {
        "apiId": apis[i % len(apis)], "integrationUri": listener, "routeKeys": [f"GET /r{i}"]}}) for i in names]


def _one_link_ten_apis(bench: Bench, timeout: float) -> tuple[dict[str, Any], list[str], str]:
    bench.apply_all([manifest("VpcLink", "link-0", {"apiType": "HTTP", "subnetIds": bench.subnets})])
    v2 = bench.client("apigatewayv2")
    apis = [v2.create_api(Name=f"api-{i}", ProtocolType="HTTP")["ApiId"] for i in range(10)]
    return bench.converge("vl", 1, timeout, every=0.5), apis, bench.http_listener()


def pis1000(bench: Bench, timeout: float) -> dict[str, Any]:
    link, apis, listener = _one_link_ten_apis(bench, timeout)
    if not link["converged"]:
        return {"link_ready": link}
    bench.apply_all(_http_integrations(range(100), apis, listener))
    first = bench.converge("pi", 100, timeout, every=1)
    if not first["converged"]:
        return {"first_100_ready": first}
    bench.emulator.control.reset_calls()
    started = time.monotonic()
    bench.apply_all(_http_integrations(range(100, 1000), apis, listener))
    result: dict[str, Any] = {"next_900_ready": bench.converge("pi", 1000, timeout, every=2, started=started)}
    calls = bench.emulator.control.calls()
    reads = sum(is_read(c["operation"]) for c in calls)
    result |= {"calls_while_900_converge": {"reads": reads, "writes": len(calls) - reads,
                                            "throttled": throttled(calls)},
               "reads_per_write_900": round(reads / max(1, len(calls) - reads), 3)}
    if result["next_900_ready"]["converged"]:
        result["idle_1000"] = bench.idle_resyncs(periods=3)
    return result


def cold1000(bench: Bench, timeout: float) -> dict[str, Any]:
    link, apis, listener = _one_link_ten_apis(bench, timeout)
    if not link["converged"]:
        return {"link_ready": link}
    bench.operator.stop()
    bench.apply_all(_http_integrations(range(1000), apis, listener))
    timeouts_before = bench.apiserver_responses("504")
    bench.emulator.control.reset_calls()
    bench.operator.start()
    result: dict[str, Any] = {"ready_after_start": bench.converge("pi", 1000, timeout, every=2)}
    calls = bench.emulator.control.calls()
    return result | {"rss_peak_mib": round(proc_status_mib(bench.pid, "VmHWM"), 1),
                     "apiserver_504s": bench.apiserver_responses("504") - timeouts_before,
                     "aws_calls": len(calls), "throttled": throttled(calls)}


def rest100(bench: Bench, timeout: float) -> dict[str, Any]:
    v1 = bench.client("apigateway")
    api = v1.create_rest_api(name="bench")["id"]
    root = v1.get_resources(restApiId=api)["items"][0]["id"]
    for i in range(100):
        v1.create_resource(restApiId=api, parentId=root, pathPart=f"r{i}")
    bench.apply_all([manifest("VpcLink", "rest-link", {"apiType": "REST", "targetArns": [bench.nlbs[0]]})])
    link = bench.converge("vl", 1, timeout, every=0.5)
    if not link["converged"]:
        return {"link_ready": link}
    bench.emulator.control.reset_calls()
    started = time.monotonic()
    bench.apply_all([manifest("PrivateIntegration", f"rest-{i}", {"vpcLinkRef": {"name": "rest-link"}, "rest": {
        "restApiId": api, "resourcePath": f"/r{i}", "httpMethod": "GET", "integrationHttpMethod": "GET",
        "uri": f"http://r{i}.internal.example.com/", "stages": ["prod"], "deployOnChange": True}})
        for i in range(100)])
    result: dict[str, Any] = {"ready": bench.converge("pi", 100, timeout, every=0.5, started=started)}
    time.sleep(bench.timing.resync_seconds)  # a deployment still due after the last Ready is counted too
    calls = bench.emulator.control.calls()
    deployments = [c for c in calls if c["operation"] == "CreateDeployment"]
    return result | {"create_deployments": sum(c["status"] < 300 for c in deployments),
                     "create_deployment_attempts": len(deployments),
                     "throttled": throttled(calls), "aws_calls": len(calls)}


@dataclass(frozen=True)
class Scenario:
    run: Callable[[Bench, float], dict[str, Any]]
    time_scale: float  # 1,000 objects on per-object timers saturate a core at 10; 5 keeps them measurable
    load_balancers: int = 1


SCENARIOS = {
    "links": Scenario(links, time_scale=10),
    "pis1000": Scenario(pis1000, time_scale=5),
    "cold1000": Scenario(cold1000, time_scale=5),
    "rest100": Scenario(rest100, time_scale=10),
}


# ---- the table: one line per measure of issue 13, with its floor computed from the quotas ----

@dataclass(frozen=True)
class Measure:
    scenario: str
    label: str
    value: Callable[[dict[str, Any]], Any]  # from the scenario's result; a converge dict shows as seconds
    floor: float | None
    floor_note: str
    target: str


def _get(*path: str) -> Callable[[dict[str, Any]], Any]:
    def value(result: dict[str, Any]) -> Any:
        for key in path:
            if not isinstance(result, dict) or key not in result:
                return None
            result = result[key]
        return result
    return value


def _writes_total(result: dict[str, Any]) -> float | None:
    idle = result.get("idle_1000")
    return None if idle is None else round(sum(idle["kubernetes_writes_per_resync"].values()), 2)


CREATE_LINK = OPERATION_QUOTAS[("apigatewayv2", "CreateVpcLink")]
MEASURES = [
    Measure("links", "10 HTTP links applied at once → all Ready (emulated s)", _get("links_ready"),
            backlog_floor(CREATE_LINK, LINKS) + PENDING_SECONDS,
            f"{LINKS - CREATE_LINK.capacity:g} x {1 / CREATE_LINK.per_second:g} s + {PENDING_SECONDS} s PENDING",
            "≤ 1.1 x floor"),
    Measure("links", "same: 429s", _get("throttled_while_creating"), 0, "", "0"),
    Measure("links", "same: EC2 (pre-flight) calls", _get("ec2_calls_while_creating"), None, "", "—"),
    Measure("links", "AWS calls per resync, 10 links idle", _get("aws_calls_per_resync_10_links"),
            math.ceil(LINKS / PAGE_SIZE), "GetVpcLinks pages", "keep (1)"),
    Measure("links", "AWS calls per resync, 50 PIs on 1 HTTP API", _get("aws_calls_per_resync_50_integrations"),
            1 + 2 * math.ceil(50 / PAGE_SIZE), "GetVpcLinks + GetIntegrations + GetRoutes", "keep (3)"),
    Measure("links", "RSS, 10 links idle (MiB)", _get("rss_mib_10_links_idle"), None, "", "≤ ACK (60)"),
    Measure("pis1000", "1,000 PIs idle: operator CPU s per resync", _get("idle_1000", "cpu_seconds_per_resync"),
            None, "", "≤ 1"),
    Measure("pis1000", "same: Kubernetes writes per resync", _writes_total, 0, "", "0"),
    Measure("pis1000", "same: AWS calls per resync", _get("idle_1000", "aws_calls_per_resync"),
            1 + 10 * 2 * math.ceil(100 / PAGE_SIZE), "GetVpcLinks + 2 lists x 10 APIs", "—"),
    Measure("pis1000", "same: RSS steady (MiB)", _get("idle_1000", "rss_mib"), None, "", "≤ 120"),
    Measure("pis1000", "900 PIs converge (emulated s)", _get("next_900_ready"),
            backlog_floor(ACCOUNT_QUOTA, 900 * HTTP_WRITES_PER_INTEGRATION),
            f"900 x {HTTP_WRITES_PER_INTEGRATION} writes at {ACCOUNT_QUOTA.per_second:g}/s", "—"),
    Measure("pis1000", "same: reads per write", _get("reads_per_write_900"), None, "", "≤ 0.2"),
    Measure("cold1000", "started with 1,000 PIs waiting: RSS peak (MiB)", _get("rss_peak_mib"), None, "", "≤ 150"),
    Measure("cold1000", "same: apiserver 504s", _get("apiserver_504s"), 0, "", "0"),
    Measure("cold1000", "same: until all Ready (emulated s)", _get("ready_after_start"),
            backlog_floor(ACCOUNT_QUOTA, 1000 * HTTP_WRITES_PER_INTEGRATION),
            f"1,000 x {HTTP_WRITES_PER_INTEGRATION} writes at {ACCOUNT_QUOTA.per_second:g}/s", "—"),
    Measure("rest100", "REST: 100 methods, deployOnChange, 1 stage: deployments", _get("create_deployments"), 1,
            "one per stage", "≤ 3"),
    Measure("rest100", "same: 429s", _get("throttled"), 0, "", "0"),
    Measure("rest100", "same: until all Ready (emulated s)", _get("ready"), None, "", "—"),
]


def _show(value: Any) -> str:
    if value is None:
        return "not measured"
    if isinstance(value, dict) and "converged" in value:
        return f"{value['emulated_seconds']:g}" if value["converged"] else value["note"]
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def _missing(result: dict[str, Any]) -> str:
    """Why a measure has no value: the scenario failed, an earlier wait did not converge, or it was not run."""
    if "error" in result:
        return "scenario failed (see JSON)"
    return next((value["note"] for value in result.values() if isinstance(value, dict) and "note" in value),
                "not measured")


def _number(value: Any) -> float | None:
    if isinstance(value, dict):
        return value.get("emulated_seconds")
    return float(value) if isinstance(value, int | float) else None


def table(report: dict[str, Any]) -> str:
    trees = list(report["trees"])
    lines = ["| measure | " + " | ".join(trees) + f" | floor | {trees[-1]} / floor | target |",
             "|---|" + "---|" * (len(trees) + 3)]
    for measure in MEASURES:
        results = [report["results"].get(tree, {}).get(measure.scenario, {}) for tree in trees]
        values = [measure.value(result) for result in results]
        last = _number(values[-1])
        if measure.floor is None or last is None:
            ratio = "—"
        elif measure.floor == 0:
            ratio = "at the floor" if last == 0 else "above the floor"
        else:
            ratio = f"{last / measure.floor:.2f}"
        floor = "—" if measure.floor is None else f"{measure.floor:g}" + (
            f" ({measure.floor_note})" if measure.floor_note else "")
        cells = [_missing(result) if value is None else _show(value)
                 for value, result in zip(values, results, strict=True)]
        lines.append(f"| {measure.label} | " + " | ".join(cells)
                     + f" | {floor} | {ratio} | {measure.target} |")
    return "\n".join(lines)


# ---- running ----

def run_scenario(name: str, tree: Path, python: Path, time_scale: float | None, timeout: float) -> dict[str, Any]:
    scenario = SCENARIOS[name]
    timing = Timing.production(time_scale or scenario.time_scale)
    started = time.monotonic()
    log_tail = ""
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
        try:
            bench = Bench(Path(tmp), tree=tree, timing=timing, python=python, load_balancers=scenario.load_balancers)
            try:
                result = scenario.run(bench, timeout)
            finally:
                log_tail = bench.operator.logs()[-2000:] if bench.operator.log.exists() else ""
                bench.stop()
        except Exception as exc:  # one scenario's failure is recorded; the others still run
            result = {"error": f"{type(exc).__name__}: {exc}"}
    if "error" in result or any(not value.get("converged", True) for value in result.values()
                                if isinstance(value, dict)):
        result["operator_log_tail"] = log_tail  # the workdir is gone; this is what is left to read
    return {**result, "time_scale": timing.time_scale, "resync_seconds": timing.resync_seconds,
            "poll_seconds": timing.poll_seconds, "scenario_wall_seconds": round(time.monotonic() - started, 1)}


def commit_of(tree: Path) -> str:
    head = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                          check=False).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(tree), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True, check=False).stdout.strip()
    return head + ("+uncommitted" if dirty else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--tree", action="append", default=[], metavar="NAME=PATH",
                        help="a checkout whose operator/ and crds/ are run (repeatable, in table order)")
    parser.add_argument("--scenario", action="append", choices=sorted(SCENARIOS),
                        help="run only these (repeatable); default: all")
    parser.add_argument("--time-scale", type=float, help="override every scenario's time scale")
    parser.add_argument("--timeout", type=float, default=600, help="wall seconds one wait may take (default 600)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "scheduler_results.json")
    parser.add_argument("--table", action="store_true", help="only print the table of what --out holds")
    args = parser.parse_args()
    report: dict[str, Any] = json.loads(args.out.read_text()) if args.out.exists() else {"trees": {}, "results": {}}
    if not args.table:
        if not args.tree:
            parser.error("--tree NAME=PATH is required (repeatable)")
        python = runtime_python()
        trees = {name: Path(path).resolve() for name, path in (t.split("=", 1) for t in args.tree)}
        report["trees"] |= {name: {"commit": commit_of(path)} for name, path in trees.items()}
        report["runtime_venv"] = f"{python.parent.parent.name} (requirements.lock at {commit_of(REPO)})"
        for scenario in args.scenario or list(SCENARIOS):
            for name, path in trees.items():
                print(f"{time.strftime('%H:%M:%S')} {scenario} on {name} ({path})", file=sys.stderr, flush=True)
                result = run_scenario(scenario, path, python, args.time_scale, args.timeout)
                report["results"].setdefault(name, {})[scenario] = result
                args.out.write_text(json.dumps(report, indent=2) + "\n")  # kept after every scenario
                print(json.dumps(result), file=sys.stderr, flush=True)
    print(table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
