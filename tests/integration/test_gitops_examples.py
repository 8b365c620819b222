"""The GitOps examples (examples/gitops/), accepted by the real kube-apiserver with Flux's and Argo CD's CRDs.

Those CRDs come from the projects' own Go modules (hack/gitops_crds.py says which and how).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops_crds import flux_and_argo_crds

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
GITOPS = REPO / "examples" / "gitops"


@pytest.fixture(scope="module")
def gitops_crds(kubectl: Any, crds: list[str]) -> list[str]:
    names = []
    for path in flux_and_argo_crds():
        names += kubectl("apply", "--server-side", "-f", str(path), "-o", "name").stdout.split()
    kubectl("wait", "--for=condition=Established", "--timeout=60s", *names)
    for ns in ("argocd", "flux-system", "vpclink-system", "shop"):
        kubectl("create", "namespace", ns, check=False)
    return names


def dry_run(kubectl: Any, manifest: str) -> subprocess.CompletedProcess[str]:
    return kubectl("apply", "--server-side", "--dry-run=server", "-f", "-", input=manifest, check=False)


@pytest.mark.parametrize("path", sorted(p.relative_to(GITOPS).as_posix() for p in GITOPS.rglob("*.yaml")))
def test_gitops_example_passes_server_side_dry_run(kubectl: Any, gitops_crds: list[str], path: str) -> None:
    text = (GITOPS / path).read_text()
    kinds = {doc["kind"] for doc in yaml.safe_load_all(text) if doc}
    proc = dry_run(kubectl, text)
    assert proc.returncode == 0, f"{path}: {proc.stderr}"
    assert proc.stdout.count("serverside-applied (server dry run)") == len(list(
        d for d in yaml.safe_load_all(text) if d)), proc.stdout
    assert kinds


def test_dry_run_refuses_what_the_flux_and_argo_schemas_refuse(kubectl: Any, gitops_crds: list[str]) -> None:
    """The CRDs are real schemas, not permissive stand-ins: a misspelt field is refused."""
    release = next(d for d in yaml.safe_load_all((GITOPS / "flux" / "operator" / "release.yaml").read_text())
                   if d and d["kind"] == "HelmRelease")
    release["spec"]["upgrade"]["crds"] = "Sometimes"
    proc = dry_run(kubectl, yaml.safe_dump(release))
    assert proc.returncode != 0 and "spec.upgrade.crds" in proc.stderr
    app = yaml.safe_load((GITOPS / "argocd" / "apps" / "links.yaml").read_text())
    app["spec"]["syncPolicy"]["automated"]["prune"] = "yes please"
    proc = dry_run(kubectl, yaml.safe_dump(app))
    assert proc.returncode != 0 and "prune" in proc.stderr
    links = GITOPS / "links" / "vpclinks.yaml"
    bad = links.read_text().replace("subnet-0a1b2c3d4e5f60718", "subnet-aaaa")
    proc = dry_run(kubectl, bad)
    assert proc.returncode != 0 and "subnetIds" in proc.stderr
