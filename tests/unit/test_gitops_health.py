"""GitOps health: the Argo CD Lua check and the kstatus (Flux) result over real status objects.

tests/data/status/*.json were captured from the real operator running on the chart's
ServiceAccount (tests/integration/test_rbac.py; VPCLINK_CAPTURE_STATUS=1 rewrites them, and
every integration run checks they still match the live operator's conditions). Cases marked
"derived" change one field of a captured object to reach a state that is too brief to capture
reliably (a spec change not yet observed, a deletion in progress, a status not yet written).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

lupa = pytest.importorskip("lupa", reason="lupa is in the test extra")

REPO = Path(__file__).resolve().parents[2]
STATUS = REPO / "tests" / "data" / "status"
LUA = (REPO / "docs" / "argocd-health.lua").read_text()
ARGOCD_CM = REPO / "examples" / "gitops" / "argocd" / "argocd-cm.yaml"


def load(name: str) -> dict[str, Any]:
    return json.loads((STATUS / f"{name}.json").read_text())  # type: ignore[no-any-return]


def run_lua(script: str, obj: dict[str, Any]) -> tuple[str, str]:
    """Run a health script exactly as Argo CD does: `obj` is a global table, it returns {status, message}."""
    lua = lupa.LuaRuntime(unpack_returned_tuples=True)
    lua.globals().obj = lua.table_from(obj, recursive=True)
    result = lua.execute(script)
    return str(result["status"]), str(result["message"])


def argocd_health(obj: dict[str, Any]) -> tuple[str, str]:
    return run_lua(LUA, obj)


def kstatus(obj: dict[str, Any]) -> str:
    """sigs.k8s.io/cli-utils kstatus `Compute` for a custom resource without type-specific rules.

    checkGenericProperties: deletionTimestamp -> Terminating; status.observedGeneration present and
    != metadata.generation -> InProgress; the first condition that is Reconciling=True -> InProgress
    or Stalled=True -> Failed; otherwise (no legacy rules for CRDs) -> Current.
    """
    meta, status = obj.get("metadata", {}), obj.get("status") or {}
    if meta.get("deletionTimestamp"):
        return "Terminating"
    if "generation" in meta and "observedGeneration" in status and status["observedGeneration"] != meta["generation"]:
        return "InProgress"
    for cond in status.get("conditions", []):
        if cond["type"] == "Reconciling" and cond["status"] == "True":
            return "InProgress"
        if cond["type"] == "Stalled" and cond["status"] == "True":
            return "Failed"
    return "Current"


def derived(name: str, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    obj = copy.deepcopy(load(name))
    change(obj)
    return obj


def _bump_generation(o: dict[str, Any]) -> None:
    o["metadata"]["generation"] += 1


def _deleting(o: dict[str, Any]) -> None:
    o["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"


def _no_status(o: dict[str, Any]) -> None:
    del o["status"]


CASES = [
    # (case, object, Argo CD health, kstatus, a fragment of the Argo CD message)
    ("pending", load("vpclink-pending"), "Progressing", "InProgress", "Pending: AWS is provisioning"),
    ("available", load("vpclink-available"), "Healthy", "Current", "is AVAILABLE"),
    ("replacing", load("vpclink-replacing"), "Progressing", "InProgress", "Replacing: replacing link"),
    ("failed", load("vpclink-failed"), "Degraded", "Failed", "NLB is already associated"),
    ("inactive", load("vpclink-inactive"), "Degraded", "Failed", "60 days"),
    ("preflight-failed", load("vpclink-preflight-failed"), "Degraded", "Failed", "spec.subnetIds"),
    ("derived: spec changed, not yet observed", derived("vpclink-available", _bump_generation),
     "Progressing", "InProgress", "observe generation 2"),
    ("derived: being deleted", derived("vpclink-available", _deleting), "Progressing", "Terminating", "deleted"),
    # kstatus has no rule for a custom resource that has no status yet: it is Current. The operator
    # writes conditions on its first pass, so the window is one reconcile long; Argo CD waits.
    ("derived: no status yet", derived("vpclink-available", _no_status), "Progressing", "Current", "Waiting"),
]


@pytest.mark.parametrize(("obj", "health", "message"), [(c[1], c[2], c[4]) for c in CASES], ids=[c[0] for c in CASES])
def test_argocd_lua_health(obj: dict[str, Any], health: str, message: str) -> None:
    status, text = argocd_health(obj)
    assert status == health
    assert message in text


@pytest.mark.parametrize(("obj", "expected"), [(c[1], c[3]) for c in CASES], ids=[c[0] for c in CASES])
def test_kstatus_result(obj: dict[str, Any], expected: str) -> None:
    assert kstatus(obj) == expected


def test_every_captured_state_is_covered_and_consistent() -> None:
    captured = {p.stem for p in STATUS.glob("*.json")}
    assert captured == {"vpclink-pending", "vpclink-available", "vpclink-replacing", "vpclink-failed",
                        "vpclink-inactive", "vpclink-preflight-failed"}
    for name in captured:
        obj = load(name)
        conds = {c["type"]: c for c in obj["status"]["conditions"]}
        assert set(conds) == {"Ready", "Reconciling", "Stalled"}, name
        assert all(c["observedGeneration"] == obj["metadata"]["generation"] for c in conds.values()), name
        # Ready=False always comes with Reconciling or Stalled, so Argo CD and kstatus never disagree
        # about an object that is simply "not ready".
        if conds["Ready"]["status"] == "False":
            assert "True" in (conds["Reconciling"]["status"], conds["Stalled"]["status"]), name
        assert not (conds["Reconciling"]["status"] == conds["Stalled"]["status"] == "True"), name


def test_argocd_and_kstatus_agree_on_every_captured_state() -> None:
    mapping = {"Healthy": "Current", "Progressing": "InProgress", "Degraded": "Failed"}
    for case, obj, *_ in CASES:
        if not case.startswith("derived"):
            assert mapping[argocd_health(obj)[0]] == kstatus(obj), case


def test_argocd_cm_snippet_embeds_the_script_for_both_kinds() -> None:
    data = yaml.safe_load(ARGOCD_CM.read_text())["data"]
    group = "apigateway.vpclink.dev"
    application = data.pop("resource.customizations.health.argoproj.io_Application")
    assert data == {f"resource.customizations.health.{group}_VpcLink": LUA,
                    f"resource.customizations.health.{group}_PrivateIntegration": LUA}
    # The Application check lets the app-of-apps wait for the operator before the links' sync wave.
    assert run_lua(application, {"status": {"health": {"status": "Healthy"}}}) == ("Healthy", "")
    assert run_lua(application, {"status": {}}) == ("Progressing", "")


def test_lua_tolerates_partial_conditions() -> None:
    """A condition list written by an older operator, or with Unknown statuses, never crashes the script."""
    obj = {"metadata": {"generation": 1}, "status": {"observedGeneration": 1, "conditions": [
        {"type": "Ready", "status": "Unknown", "reason": "Pending", "message": ""}]}}
    assert argocd_health(obj) == ("Progressing", "Pending")
    assert argocd_health({"metadata": {}, "status": {}})[0] == "Progressing"
