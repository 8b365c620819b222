"""The chart's optional alerts and dashboard: valid for promtool, unit-tested, and only ever asking for
metrics that a running operator really exports."""

from __future__ import annotations

import json
import re
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_chart import CHART, REPO, render

import controlplane
from conftest import apply, vpclink

pytestmark = pytest.mark.integration

ALERTS = CHART / "files" / "alerts.yaml"
DASHBOARD = CHART / "files" / "dashboard.json"
METRIC = re.compile(r"\bvpclink_[a-z_]+\b")
SUFFIXES = {"_bucket": "histogram", "_count": "histogram", "_sum": "histogram", "_total": "counter"}


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(controlplane.bin_path("promtool")), *args], capture_output=True, text=True,
                          timeout=120, check=False)


def alert_rules(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [rule for group in groups for rule in group["rules"]]


def dashboard_queries(dashboard: dict[str, Any]) -> list[str]:
    queries = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    return queries + [v["query"]["query"] for v in dashboard["templating"]["list"] if v["type"] == "query"]


def test_promtool_checks_and_unit_tests_the_alerts(tmp_path: Path) -> None:
    checked = promtool("check", "rules", str(ALERTS))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 7 rules found" in checked.stdout, checked.stdout
    tested = promtool("test", "rules", str(REPO / "tests" / "promtool" / "alerts_test.yaml"))
    assert tested.returncode == 0, tested.stdout + tested.stderr
    # Every alert has a unit test that expects it to fire.
    tests = yaml.safe_load((REPO / "tests" / "promtool" / "alerts_test.yaml").read_text())["tests"]
    fired = {case["alertname"] for test in tests for case in test["alert_rule_test"] if case["exp_alerts"]}
    assert fired == {rule["alert"] for rule in alert_rules(yaml.safe_load(ALERTS.read_text())["groups"])}


def test_prometheus_rule_ships_the_same_rules_with_runbooks(tmp_path: Path) -> None:
    assert not [d for d in render() if d["kind"] in ("PrometheusRule", "ConfigMap")], "both are off by default"
    rule = next(d for d in render("--set", "metrics.prometheusRule.enabled=true") if d["kind"] == "PrometheusRule")
    rendered = tmp_path / "rendered.yaml"
    rendered.write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}))
    checked = promtool("check", "rules", str(rendered))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    source = alert_rules(yaml.safe_load(ALERTS.read_text())["groups"])
    shipped = alert_rules(rule["spec"]["groups"])
    assert [{**r, "annotations": {k: v for k, v in r["annotations"].items() if k != "runbook_url"}}
            for r in shipped] == source
    headings = {line[4:].strip().lower() for line in (REPO / "docs" / "operations.md").read_text().splitlines()
                if line.startswith("### ")}
    for each in shipped:
        url = each["annotations"]["runbook_url"]
        assert url.endswith(f"/docs/operations.md#{each['alert'].lower()}"), url
        assert each["alert"].lower() in headings, f"docs/operations.md has no runbook for {each['alert']}"


def test_dashboard_configmap_carries_the_sidecar_label() -> None:
    docs = render("--set", "metrics.dashboard.enabled=true,metrics.dashboard.namespace=monitoring")
    configmap = next(d for d in docs if d["kind"] == "ConfigMap")
    assert configmap["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert configmap["metadata"]["namespace"] == "monitoring"
    assert json.loads(configmap["data"]["vpclink-operator.json"]) == json.loads(DASHBOARD.read_text())


def exported_families(text: str) -> dict[str, str]:
    return {line.split()[2]: line.split()[3] for line in text.splitlines() if line.startswith("# TYPE ")}


def resolves(name: str, families: dict[str, str]) -> bool:
    if name in families:
        return True
    return any(name.endswith(suffix) and families.get(name[: -len(suffix)]) == kind
               for suffix, kind in SUFFIXES.items())


def test_every_dashboard_and_alert_query_names_a_metric_the_operator_exports(
        kubectl: Any, namespace: str, operator: Any, network: Any) -> None:
    apply(kubectl, namespace, vpclink("orders", apiType="HTTP", subnetIds=network.subnets[:2],
                                      securityGroupIds=network.security_groups[:1]))
    kubectl("wait", "--for=condition=Ready", "vl/orders", "-n", namespace, "--timeout=60s", timeout=70)
    with urllib.request.urlopen(f"http://127.0.0.1:{operator.port}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    families = exported_families(text)
    assert not [line for line in text.splitlines() if "_created" in line], "no _created series"
    queries = dashboard_queries(json.loads(DASHBOARD.read_text()))
    queries += [rule["expr"] for rule in alert_rules(yaml.safe_load(ALERTS.read_text())["groups"])]
    for query in queries:
        names = METRIC.findall(query)
        assert names, f"query names no operator metric: {query}"
        missing = [name for name in names if not resolves(name, families)]
        assert not missing, f"{query} asks for {missing}, which the operator does not export"
    # The families the dashboard reads carry samples after a lifecycle, with the labels it groups by.
    assert re.search(r'^vpclink_aws_request_duration_seconds_count\{operation="CreateVpcLink",result="ok",'
                     r'service="apigatewayv2"\} 1\.0$', text, re.MULTILINE), text
    assert re.search(r'^vpclink_objects\{condition="Ready",kind="VpcLink",reason="Available"\} 1\.0$',
                     text, re.MULTILINE)
    print("\nexported metric families:", ", ".join(sorted(f for f in families if f.startswith("vpclink_"))))
