"""Every manifest the docs tell a user to apply is accepted by the real kube-apiserver with crds/ installed.

Collected from README.md, docs/*.md and the chart's NOTES: each ```yaml block, each heredoc fed to
`kubectl apply -f -`, each repository path given to `kubectl apply -f`, and examples/*.yaml (the README
offers them to apply, and `make demo` does). Each is applied with a
server-side dry-run, so the CRDs' schema and CEL rules judge it exactly as they would judge the user.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

import controlplane

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
FENCE = re.compile(r"^[ \t]*```(\w*)\n(.*?)^[ \t]*```", re.MULTILINE | re.DOTALL)
HEREDOC = re.compile(r"cat <<(\w+) \| kubectl apply -f -\n(.*?)^\s*\1$", re.MULTILINE | re.DOTALL)
APPLY_PATH = re.compile(r"kubectl apply\b[^\n#]*?-f (?!-)(\S+)")


def _dedent(text: str) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    indent = min(len(ln) - len(ln.lstrip()) for ln in lines)
    return "\n".join(ln[indent:] for ln in text.splitlines()) + "\n"


def chart_notes() -> str:
    env = {**os.environ, "HELM_CACHE_HOME": "/tmp/vpclink-helm/cache",
           "HELM_CONFIG_HOME": "/tmp/vpclink-helm/config", "HELM_DATA_HOME": "/tmp/vpclink-helm/data"}
    out = subprocess.run([str(controlplane.bin_path("helm")), "install", "vpclink-operator",
                          str(REPO / "charts" / "vpclink-operator"), "--dry-run=client"],
                         capture_output=True, text=True, check=True, timeout=120, env=env).stdout
    return out.split("\nNOTES:\n", 1)[1]


def doc_manifests() -> dict[str, str]:
    """id -> manifest text, for every manifest a reader is told to apply."""
    found: dict[str, str] = {}
    sources = {path.relative_to(REPO).as_posix(): path.read_text() for path in DOCS}
    sources["charts/vpclink-operator/templates/NOTES.txt (rendered)"] = chart_notes()
    for name, text in sources.items():
        for i, (lang, body) in enumerate(FENCE.findall(text)):
            if lang == "yaml":
                found[f"{name} yaml block {i}"] = _dedent(body)
        for i, (_, body) in enumerate(HEREDOC.findall(text)):
            found[f"{name} heredoc {i}"] = _dedent(body)
        for target in APPLY_PATH.findall(text):
            path = REPO / target
            if path.resolve().is_relative_to(REPO) and path.exists() and not path.resolve().is_relative_to(
                    REPO / "crds"):
                files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
                for file in files:
                    found[file.relative_to(REPO).as_posix()] = file.read_text()
    for file in sorted((REPO / "examples").glob("*.yaml")):
        found.setdefault(file.relative_to(REPO).as_posix(), file.read_text())
    return found


MANIFESTS = doc_manifests() if controlplane.bin_path("helm").exists() else {}


def test_the_docs_have_manifests_to_check() -> None:
    ids = list(doc_manifests())
    assert any("NOTES" in i for i in ids), ids
    assert any("operations.md yaml block" in i for i in ids), ids
    assert any("examples/000-vpclink-http.yaml" in i for i in ids), ids


def dry_run(kubectl: Any, namespace: str, manifest: str) -> subprocess.CompletedProcess[str]:
    return kubectl("apply", "--server-side", "--dry-run=server", "-n", namespace, "-f", "-", input=manifest,
                   check=False)


@pytest.mark.parametrize("source", sorted(MANIFESTS))
def test_doc_manifest_passes_server_side_dry_run(kubectl: Any, crds: list[str], namespace: str,
                                                 source: str) -> None:
    manifest = MANIFESTS[source]
    docs = [d for d in yaml.safe_load_all(manifest) if d]
    # Objects that name no namespace go where `kubectl apply -n` would put them: the test's namespace.
    named = {d["metadata"]["namespace"] for d in docs if "namespace" in d["metadata"]}
    assert len(named) <= 1, f"{source}: one namespace per manifest"
    target = named.pop() if named else namespace
    kubectl("create", "namespace", target, check=False)
    proc = dry_run(kubectl, target, manifest)
    assert proc.returncode == 0, f"{source}:\n{proc.stderr}"
    assert proc.stdout.count("(server dry run)") == len(docs), proc.stdout


def test_dry_run_refuses_the_example_the_chart_notes_used_to_print(kubectl: Any, crds: list[str],
                                                                   namespace: str) -> None:
    old_notes = ("apiVersion: apigateway.vpclink.dev/v1alpha1\nkind: VpcLink\nmetadata:\n  name: orders\n"
                 "spec:\n  apiType: HTTP\n  subnetIds: [subnet-aaaa, subnet-bbbb]\n  securityGroupIds: [sg-1234]\n")
    proc = dry_run(kubectl, namespace, old_notes)
    assert proc.returncode != 0 and "spec.subnetIds" in proc.stderr
