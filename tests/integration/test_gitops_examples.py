"""The GitOps examples (examples/gitops/), accepted by the real kube-apiserver with Flux's and Argo CD's CRDs.

Those CRDs come from the projects' own Go modules through the module proxy (`go mod download`):
argo-cd and source-/kustomize-controller carry their CRD manifests. helm-controller's root module is
not served, but its `api` module holds the HelmRelease Go types: the HelmRelease CRD is generated
from them by controller-gen (the generator helm-controller itself uses), so the HelmRelease is checked
against the project's schema, if not byte for byte against the released CRD file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

import controlplane

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
GITOPS = REPO / "examples" / "gitops"

ARGO_CD = ("github.com/argoproj/argo-cd/v3", "v3.5.5")
SOURCE_CONTROLLER = ("github.com/fluxcd/source-controller", "v1.9.6")
KUSTOMIZE_CONTROLLER = ("github.com/fluxcd/kustomize-controller", "v1.9.6")
HELM_CONTROLLER_API = ("github.com/fluxcd/helm-controller/api", "v1.6.5")
CONTROLLER_GEN = ("sigs.k8s.io/controller-tools/cmd/controller-gen", "v0.19.0")


def helmrelease_crd() -> Path:
    """HelmRelease's CRD from helm-controller's api module, generated once into the tool cache."""
    module, version = HELM_CONTROLLER_API
    out = controlplane.cache_root() / f"helm-controller-api-{version}-crds"
    crd = out / "helm.toolkit.fluxcd.io_helmreleases.yaml"
    if crd.exists():
        return crd
    gen_module, gen_version = CONTROLLER_GEN
    bindir = controlplane.cache_root() / f"controller-gen-{gen_version}" / "bin"
    if not (bindir / "controller-gen").exists():
        subprocess.run(["go", "install", f"{gen_module}@{gen_version}"], check=True, timeout=600,
                       env={**os.environ, **controlplane.go_env(), "GOFLAGS": "-buildvcs=false", "GOBIN": str(bindir)})
    work = out.with_name(out.name + ".src")
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(controlplane.go_module_dir(module, version), work)  # the module cache is read-only
    work.chmod(0o755)
    subprocess.run([str(bindir / "controller-gen"), "crd", "paths=./...", f"output:crd:dir={out}"],
                   cwd=work, check=True, timeout=600, env={**os.environ, **controlplane.go_env()})
    shutil.rmtree(work, ignore_errors=True)
    return crd


def flux_and_argo_crds() -> list[Path]:
    argo = controlplane.go_module_dir(*ARGO_CD) / "manifests" / "crds"
    source = controlplane.go_module_dir(*SOURCE_CONTROLLER) / "config" / "crd" / "bases"
    kustomize = controlplane.go_module_dir(*KUSTOMIZE_CONTROLLER) / "config" / "crd" / "bases"
    return [argo / "application-crd.yaml", argo / "appproject-crd.yaml",
            source / "source.toolkit.fluxcd.io_ocirepositories.yaml",
            source / "source.toolkit.fluxcd.io_gitrepositories.yaml",
            kustomize / "kustomize.toolkit.fluxcd.io_kustomizations.yaml",
            helmrelease_crd()]


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
