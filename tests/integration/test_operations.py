"""Day 2, as the on-call engineer meets it: quiet logs that name the object, one Event per transition,
metrics the dashboard and alerts can rely on, and a readiness probe that tells the truth."""

from __future__ import annotations

import collections
import json
import re
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import lifecycle
import pytest
from test_rbac import token_kubeconfig

from conftest import Network, events, wait_for
from stack import OperatorProcess

pytestmark = pytest.mark.integration

TRANSITION_LOGGER = "vpclink_operator.handlers.passes"
PLAIN = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (?P<level>[A-Z]+) +(?P<logger>\S+) "
                   r"(?P<fields>(?:(?:kind|namespace|name|vpc_link_id|operation)=\S+ )*)(?P<message>.*)$")


def parse(line: str, log_format: str) -> dict[str, Any] | None:
    """One log line as a dict with level, logger, message and the object fields; None for other output."""
    if log_format == "json":
        try:
            return dict(json.loads(line))
        except ValueError:
            return None
    match = PLAIN.match(line)
    if match is None:
        return None
    fields = dict(item.split("=", 1) for item in match["fields"].split())
    return {"level": match["level"], "logger": match["logger"], "message": match["message"], **fields}


def start(operator_env: dict[str, str], log: Path, namespace: str, log_format: str,
          level: str = "INFO") -> OperatorProcess:
    return OperatorProcess(operator_env, log, "--namespace", namespace, "--log-format", log_format,
                           "--log-level", level, "--poll-seconds", "0.5", "--resync-seconds", "2",
                           "--rate-limit-scale", "40").start()


@pytest.mark.parametrize("log_format", ["json", "plain"])
def test_lifecycle_logs_one_line_per_transition_and_nothing_when_idle(
        kubectl: Any, namespace: str, crds: list[str], operator_env: dict[str, str], network: Network, aws: Any,
        tmp_path: Path, log_format: str) -> None:
    log = tmp_path / "operator.log"
    operator = start(operator_env, log, namespace, log_format)
    try:
        api = lifecycle.rest_api(aws)
        old_link = lifecycle.create(kubectl, namespace, network, api)
        lifecycle.start_replacement(kubectl, namespace, network)
        new_link = lifecycle.finish_replacement(kubectl, namespace, old_link)
        time.sleep(1)  # the last transition's line is written after the status it reports
        idle_from = len(log.read_text().splitlines())
        time.sleep(6)  # three resyncs of every object: each one re-reads AWS
        idle_to = len(log.read_text().splitlines())
        lifecycle.delete_all(kubectl, namespace, aws, api)
        time.sleep(1)
    finally:
        operator.stop()

    raw = log.read_text().splitlines()
    lines = [parse(line, log_format) for line in raw]
    records = [r for r in lines if r is not None]
    counts = collections.Counter(r["level"] for r in records)
    idle = [r for r in records[idle_from:idle_to] if r["level"] != "DEBUG"]
    # The report asks for these numbers.
    print(f"\n{log_format}: {len(records)} lines by level: {dict(counts)}; {len(idle)} above DEBUG while idle")
    unparsed = [line for line, parsed in zip(raw, lines, strict=True) if parsed is None]
    assert not unparsed, f"every output line is a log line of the chosen format: {unparsed[:5]}"

    assert counts["ERROR"] == 0 and counts["CRITICAL"] == 0, [r for r in records if r["level"] == "ERROR"]
    assert idle == [], "an idle object writes nothing at INFO"
    assert not [r for r in records if "Timer 'tick' succeeded" in r["message"]]

    transitions = [r for r in records if r["logger"] == TRANSITION_LOGGER]
    for record in transitions:
        assert record["kind"] in ("VpcLink", "PrivateIntegration") and record["namespace"] == namespace, record
        assert record["name"] in (lifecycle.LINK, "orders", "misfit") and record["operation"], record
    about = lambda name, text: [r for r in transitions if r["name"] == name and text in r["message"]]
    created = about(lifecycle.LINK, "Created")
    # The link's own creation, then its replacement's (whose line still names the link that serves).
    assert [r["vpc_link_id"] for r in created] == [old_link, old_link], created
    assert all("CreateVpcLink" in r["operation"] for r in created), created
    assert [r["vpc_link_id"] for r in about("orders", "Repointed")] == [new_link]
    assert [r["level"] for r in about("misfit", "-> Stalled(ApiTypeMismatch)")] == ["WARNING"]
    assert all(r["level"] == "INFO" for r in about("orders", "->")), "orders never stalls"
    assert len(transitions) == len({(r["name"], r["message"]) for r in transitions}), "one line per transition"


def test_private_integration_events_are_posted_once_per_transition(
        kubectl: Any, namespace: str, crds: list[str], operator_env: dict[str, str], network: Network, aws: Any,
        tmp_path: Path) -> None:
    operator = start(operator_env, tmp_path / "operator.log", namespace, "json")
    try:
        api = lifecycle.rest_api(aws)
        old_link = lifecycle.create(kubectl, namespace, network, api)
        lifecycle.start_replacement(kubectl, namespace, network)
        new_link = lifecycle.finish_replacement(kubectl, namespace, old_link)
        time.sleep(3)  # idle resyncs post nothing
        lifecycle.delete_all(kubectl, namespace, aws, api)
        wait_for(lambda: "Deleted" in {e["reason"] for e in events(kubectl, namespace, "orders")}, what="Deleted")
    finally:
        operator.stop()

    posted = events(kubectl, namespace, "orders")
    assert {e["reportingComponent"] for e in posted} == {"vpclink-operator"}
    assert [e["reason"] for e in sorted(posted, key=lambda e: e["eventTime"])] == \
        ["Created", "Deployed", "Repointed", "Deployed", "Deleted"]
    assert all(e.get("count") in (None, 1) for e in posted), "each posted once, never re-counted"
    repointed = next(e for e in posted if e["reason"] == "Repointed")
    assert repointed["type"] == "Normal" and new_link in repointed["message"] and old_link in repointed["message"]
    stalled = events(kubectl, namespace, "misfit")
    assert [(e["type"], e["reason"]) for e in stalled if e["reason"] != "Deleted"] == [("Warning", "ApiTypeMismatch")]
    assert "spec.vpcLinkRef" in next(e for e in stalled if e["reason"] == "ApiTypeMismatch")["message"]


def probe(operator: OperatorProcess, path: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{operator.port}{path}", timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())
    except OSError:
        return 0, {}


def test_readyz_says_forbidden_until_rbac_is_granted_while_healthz_stays_ok(
        kubectl: Any, control_plane: Any, namespace: str, crds: list[str], operator_env: dict[str, str],
        tmp_path: Path) -> None:
    kubectl("create", "serviceaccount", "no-rbac", "-n", namespace)
    kubeconfig = token_kubeconfig(kubectl, control_plane, namespace, "no-rbac", tmp_path / "kubeconfig")
    operator = start({**operator_env, "KUBECONFIG": str(kubeconfig)}, tmp_path / "operator.log", namespace, "json")
    try:
        _, body = wait_for(lambda: (r := probe(operator, "/readyz"))[0] == 503
                                and "Forbidden" in r[1].get("reason", "") and r, timeout=30, what="Forbidden")
        assert body["reason"].startswith(
            f"cannot list vpclinks.apigateway.vpclink.dev in namespace {namespace}: 403 Forbidden: "), body
        assert f'User "system:serviceaccount:{namespace}:no-rbac" cannot list resource "vpclinks"' in body["reason"]
        assert probe(operator, "/healthz") == (200, {"status": "ok"}), "the process itself is fine"

        # List without watch is still not enough.
        role = ["create", "role", "reader", "-n", namespace, "--resource=vpclinks.apigateway.vpclink.dev",
                "--resource=privateintegrations.apigateway.vpclink.dev"]
        kubectl(*role, "--verb=list")
        kubectl("create", "rolebinding", "reader", "-n", namespace, "--role=reader",
                f"--serviceaccount={namespace}:no-rbac")
        wait_for(lambda: "cannot watch vpclinks" in probe(operator, "/readyz")[1].get("reason", ""),
                 timeout=30, what="watch Forbidden")
        kubectl("delete", "role", "reader", "-n", namespace)
        kubectl(*role, "--verb=list,watch")
        assert wait_for(lambda: probe(operator, "/readyz") == (200, {"status": "ready"}), timeout=30,
                        what="ready once RBAC allows list and watch")
        assert probe(operator, "/healthz") == (200, {"status": "ok"})
    finally:
        operator.stop()
