"""Flux's and Argo CD's CRDs, from those projects' Go modules, for validating examples/gitops/.

    python hack/gitops_crds.py      # fetch (and generate) them into the cache; print the files

argo-cd and source-/kustomize-controller carry their CRD manifests in their modules (`go mod download`
through the module proxy). helm-controller's root module is not served, but its `api` module holds the
HelmRelease Go types: the HelmRelease CRD is generated from them by controller-gen (the generator
helm-controller itself uses), so a HelmRelease is checked against the project's schema, if not byte for
byte against the released CRD file. Run by `make controlplane`, so tests find them cached.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import controlplane

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


if __name__ == "__main__":
    print("\n".join(str(p) for p in flux_and_argo_crds()))
    sys.exit(0)
