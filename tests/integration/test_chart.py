"""The Helm chart, the image recipe and the IAM policy, proven with the real tools.

helm and kubectl are the real binaries (hack/controlplane.py); the apiserver is the real one.
checkov runs from its own virtualenv in the tool cache: it pins boto3 far below this project's
pin, so it cannot share .venv (see `checkov_bin`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import uuid
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

import controlplane

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "charts" / "vpclink-operator"
CHECKOV_VERSION = "3.3.30"

# Every checkov check this chart does not pass, each with the reason it does not apply.
# test_checkov_suppressions_are_all_needed fails if one of them stops firing.
CHECKOV_SUPPRESSIONS = {
    "CKV_K8S_43": "image digest is opt-in (image.digest); the default is the chart's appVersion tag",
    "CKV_K8S_15": "IfNotPresent is right for immutable version tags; users who pin a digest may choose Always",
    "CKV_K8S_38": "the operator is a Kubernetes API client: it needs its ServiceAccount token mounted",
}


def helm(*args: str, check: bool = True, kubeconfig: Path | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [str(controlplane.bin_path("helm")), *args]
    if kubeconfig is not None:
        cmd += ["--kubeconfig", str(kubeconfig)]
    # helm caches and configs under $HOME by default; keep them out of the user's home.
    env = {**os.environ, "HELM_CACHE_HOME": "/tmp/vpclink-helm/cache",
           "HELM_CONFIG_HOME": "/tmp/vpclink-helm/config", "HELM_DATA_HOME": "/tmp/vpclink-helm/data"}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False, env=env)
    if check and proc.returncode != 0:
        raise AssertionError(f"helm {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


def render(*args: str, namespace: str = "vpclink-system") -> list[dict[str, Any]]:
    out = helm("template", "vpclink-operator", str(CHART), "--namespace", namespace, *args).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


def find(docs: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    matches = [d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]
    assert len(matches) == 1, f"expected one {kind} {name or ''}, got {[d['metadata']['name'] for d in matches]}"
    return matches[0]


# --- CRDs: one source ------------------------------------------------------------------------------

def test_chart_crds_are_the_single_source_in_crds() -> None:
    link = CHART / "crds"
    assert link.is_symlink() and os.readlink(link) == "../../crds", "charts/.../crds must link to ../../crds"
    shown = [d for d in yaml.safe_load_all(helm("show", "crds", str(CHART)).stdout) if d]
    source = [yaml.safe_load(p.read_text()) for p in sorted((REPO / "crds").glob("*.yaml"))]
    key = lambda d: d["metadata"]["name"]
    assert sorted(shown, key=key) == sorted(source, key=key)


def test_packaged_chart_carries_byte_identical_crds(tmp_path: Path) -> None:
    helm("package", str(CHART), "--destination", str(tmp_path))
    (archive,) = tmp_path.glob("vpclink-operator-*.tgz")
    with tarfile.open(archive) as tgz:
        packaged = {Path(m.name).name: tgz.extractfile(m).read()  # type: ignore[union-attr]
                    for m in tgz.getmembers() if m.name.startswith("vpclink-operator/crds/") and m.isfile()}
    assert packaged == {p.name: p.read_bytes() for p in (REPO / "crds").glob("*.yaml")}


# --- lint, schema, rendering -----------------------------------------------------------------------

def test_helm_lint_strict_is_clean() -> None:
    for extra in ([], ["--set-json", 'watchNamespaces=["shop","payments"]'],
                  ["--set", "metrics.serviceMonitor.enabled=true,podDisruptionBudget.enabled=true,"
                   "networkPolicy.enabled=true,metrics.prometheusRule.enabled=true,metrics.dashboard.enabled=true"]):
        proc = helm("lint", "--strict", str(CHART), *extra)
        assert "[WARNING]" not in proc.stdout and "[ERROR]" not in proc.stdout, proc.stdout
        assert "0 chart(s) failed" in proc.stdout


@pytest.mark.parametrize(("args", "path"), [
    (["--set", "replicaCount=0"], "/replicaCount"),
    (["--set", "operator.logLevel=LOUD"], "/operator/logLevel"),
    (["--set", "operator.region=mars"], "/operator/region"),
    (["--set", "operator.resyncSeconds=0"], "/operator/resyncSeconds"),
    (["--set-json", 'operator.rateLimits={"apigateway:CreateDeployment":{"perSecond":1,"burst":0}}'],
     "/operator/rateLimits/apigateway:CreateDeployment/burst"),
    (["--set-json", 'operator.rateLimits={"CreateDeployment":{"perSecond":1,"burst":1}}'],
     "/operator/rateLimits': additional properties 'CreateDeployment'"),
    (["--set", "securityContext.runAsUser=0"], "/securityContext/runAsUser"),
    (["--set", "serviceAccount.roleArn=not-an-arn"], "/serviceAccount/roleArn"),
    (["--set-json", 'watchNamespaces=["Not_A_Namespace"]'], "/watchNamespaces/0"),
    (["--set", "strategy.type=RollingUpdate"], "/strategy/type"),
    (["--set", "operatr.region=us-east-2"], "operatr"),
    (["--set", "metrics.prometheusRule.runbookBaseUrl=docs/operations.md"], "/metrics/prometheusRule/runbookBaseUrl"),
    (["--set", "metrics.dashboard.namespace=Not_A_Namespace"], "/metrics/dashboard/namespace"),
])
def test_schema_rejects_bad_values_naming_the_key(args: list[str], path: str) -> None:
    proc = helm("template", "x", str(CHART), *args, check=False)
    assert proc.returncode != 0
    assert "values don't meet the specifications of the schema" in proc.stderr
    assert path in proc.stderr, proc.stderr


def test_defaults_render_a_hardened_single_replica_deployment() -> None:
    deploy = find(render(), "Deployment")
    assert deploy["spec"]["replicas"] == 1
    assert deploy["spec"]["strategy"] == {"type": "Recreate"}
    pod = deploy["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] >= 10000
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    (container,) = pod["containers"]
    sc = container["securityContext"]
    assert sc["runAsNonRoot"] is True and sc["runAsUser"] >= 10000
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"] == {"drop": ["ALL"]}
    assert sc["seccompProfile"] == {"type": "RuntimeDefault"}
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert {"cpu", "memory"} <= set(container["resources"]["limits"])
    env = {e["name"]: e.get("value") for e in container["env"]}
    (port,) = container["ports"]
    assert port["containerPort"] == int(env["VPCLINK_PORT"])
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": port["name"]}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": port["name"]}


def test_rendered_settings_are_parsed_by_the_operator(monkeypatch: pytest.MonkeyPatch) -> None:
    """The env the chart renders is what config.parse_args reads; rate limits default to AWS quotas."""
    from vpclink_operator.aws.ratelimit import DEFAULT_QUOTAS
    from vpclink_operator.config import parse_args

    docs = render("--set-json", 'watchNamespaces=["shop","payments"]', "--set", "operator.region=eu-west-1,"
                  "operator.logLevel=DEBUG,operator.logFormat=plain,operator.resyncSeconds=120,operator.port=9090")
    (container,) = find(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    for key in [k for k in os.environ if k.startswith("VPCLINK_")]:
        monkeypatch.delenv(key)
    for item in container["env"]:
        monkeypatch.setenv(item["name"], item["value"])
    settings = parse_args([])
    assert settings.namespaces == ("shop", "payments")
    assert settings.default_region == "eu-west-1"
    assert (settings.log_level, settings.log_format, settings.port) == ("DEBUG", "plain", 9090)
    assert settings.resync_seconds == 120
    assert set(settings.rate_limits) == set(DEFAULT_QUOTAS)
    for key, quota in DEFAULT_QUOTAS.items():
        assert settings.rate_limits[key].burst == quota.burst
        assert settings.rate_limits[key].per_second == pytest.approx(quota.per_second, rel=1e-5), key


def test_every_log_level_the_schema_accepts_the_operator_accepts(monkeypatch: pytest.MonkeyPatch) -> None:
    from vpclink_operator.config import parse_args

    schema = json.loads((CHART / "values.schema.json").read_text())
    levels = schema["properties"]["operator"]["properties"]["logLevel"]["enum"]
    assert {"INFO", "info"} <= set(levels)
    for level in levels:
        (container,) = find(render("--set", f"operator.logLevel={level}"), "Deployment")["spec"]["template"][
            "spec"]["containers"]
        env = {item["name"]: item["value"] for item in container["env"]}
        monkeypatch.setenv("VPCLINK_LOG_LEVEL", env["VPCLINK_LOG_LEVEL"])
        assert parse_args([]).log_level == level.upper()


def test_irsa_annotation_and_optional_objects() -> None:
    arn = "arn:aws:iam::123456789012:role/vpclink-operator"
    docs = render("--set", f"serviceAccount.roleArn={arn},metrics.serviceMonitor.enabled=true,"
                  "podDisruptionBudget.enabled=true,networkPolicy.enabled=true")
    assert find(docs, "ServiceAccount")["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": arn}
    monitor = find(docs, "ServiceMonitor")
    service = find(docs, "Service")
    assert monitor["spec"]["endpoints"][0]["port"] == service["spec"]["ports"][0]["name"]
    assert all(service["metadata"]["labels"][k] == v for k, v in monitor["spec"]["selector"]["matchLabels"].items())
    assert find(docs, "PodDisruptionBudget")["spec"]["maxUnavailable"] == 1
    assert find(docs, "NetworkPolicy")["spec"]["policyTypes"] == ["Ingress"]
    defaults = {d["kind"] for d in render()}
    assert not defaults & {"ServiceMonitor", "PodDisruptionBudget", "NetworkPolicy"}


def test_rbac_modes_grant_only_what_the_operator_uses() -> None:
    cluster = render()
    role = find(cluster, "ClusterRole")
    assert not [d for d in cluster if d["kind"] in ("Role", "RoleBinding")]
    verbs = {(g, r): set(rule["verbs"]) for rule in role["rules"]
             for g in rule["apiGroups"] for r in rule["resources"]}
    assert verbs == {
        ("apigateway.vpclink.dev", "vpclinks"): {"get", "list", "watch", "patch"},
        ("apigateway.vpclink.dev", "privateintegrations"): {"get", "list", "watch", "patch"},
        ("apigateway.vpclink.dev", "vpclinks/status"): {"patch"},
        ("apigateway.vpclink.dev", "privateintegrations/status"): {"patch"},
        ("", "events"): {"create"},
        ("apiextensions.k8s.io", "customresourcedefinitions"): {"list", "watch"},
    }
    scoped = render("--set-json", 'watchNamespaces=["shop","payments"]')
    roles = [d for d in scoped if d["kind"] == "Role"]
    assert sorted(r["metadata"]["namespace"] for r in roles) == ["payments", "shop"]
    assert sorted(b["metadata"]["namespace"] for b in scoped if b["kind"] == "RoleBinding") == ["payments", "shop"]
    observer = find(scoped, "ClusterRole")
    assert {r for rule in observer["rules"] for r in rule["resources"]} == {"customresourcedefinitions", "namespaces"}
    assert all(set(rule["verbs"]) == {"list", "watch"} for rule in observer["rules"])
    bare = render("--set-json", 'watchNamespaces=["shop"]', "--set", "rbac.clusterObservation=false")
    assert not [d for d in bare if d["kind"] in ("ClusterRole", "ClusterRoleBinding")]


# --- the real apiserver ----------------------------------------------------------------------------

@pytest.fixture
def release_namespace(kubectl: Any) -> Iterator[str]:
    name = f"vpclink-system-{uuid.uuid4().hex[:6]}"
    kubectl("create", "namespace", name)
    yield name
    kubectl("delete", "namespace", name, "--wait=false", check=False)


@pytest.mark.parametrize("replicas", [1, 2])
@pytest.mark.parametrize("mode", ["cluster-wide", "namespaced"])
def test_rendered_chart_passes_server_side_dry_run(kubectl: Any, crds: list[str], namespace: str,
                                                   release_namespace: str, mode: str, replicas: int) -> None:
    args = ["--include-crds", "--set", "podDisruptionBudget.enabled=true,networkPolicy.enabled=true",
            "--set", f"replicaCount={replicas}"]
    if mode == "namespaced":
        args += ["--set-json", f'watchNamespaces=["{namespace}"]']
    manifest = helm("template", "vpclink-operator", str(CHART), "--namespace", release_namespace, *args).stdout
    proc = kubectl("apply", "--dry-run=server", "-f", "-", input=manifest)
    applied = proc.stdout.splitlines()
    assert any("deployment.apps/vpclink-operator" in line for line in applied), proc.stdout
    assert any("serviceaccount/vpclink-operator" in line for line in applied), proc.stdout
    assert all("(server dry run)" in line for line in applied), proc.stdout
    peering = [line for line in applied if "kopfpeering" in line and "customresourcedefinition" not in line]
    # More than one replica: kopf peering, with its peering object and the RBAC to renew it.
    assert bool(peering) == (replicas > 1), proc.stdout
    env = {e["name"]: e.get("value", "") for doc in yaml.safe_load_all(manifest) if doc and doc["kind"] == "Deployment"
           for e in doc["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert bool(env["VPCLINK_PEERING"]) == (replicas > 1)
    rules = [rule for doc in yaml.safe_load_all(manifest) if doc and doc["kind"] in ("Role", "ClusterRole")
             for rule in doc.get("rules", []) if "kopf.dev" in rule.get("apiGroups", [])]
    assert bool(rules) == (replicas > 1)


def test_helm_install_into_the_real_apiserver(kubectl: Any, control_plane: Any, crds: list[str],
                                              release_namespace: str) -> None:
    arn = "arn:aws:iam::123456789012:role/vpclink-operator"
    proc = helm("install", "vpclink-operator", str(CHART), "--namespace", release_namespace,
                "--set", f"serviceAccount.roleArn={arn}", kubeconfig=control_plane.kubeconfig)
    assert "STATUS: deployed" in proc.stdout
    assert "kubectl wait --for=condition=Ready vl/orders" in proc.stdout, "NOTES.txt shows the first steps"
    try:
        status = json.loads(helm("status", "vpclink-operator", "-n", release_namespace, "-o", "json",
                                 kubeconfig=control_plane.kubeconfig).stdout)
        assert status["info"]["status"] == "deployed"
        deploy = kubectl.json("get", "deployment", "vpclink-operator", "-n", release_namespace)
        assert deploy["spec"]["template"]["spec"]["serviceAccountName"] == "vpclink-operator"
        sa = kubectl.json("get", "serviceaccount", "vpclink-operator", "-n", release_namespace)
        assert sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == arn
        kubectl("get", "service", "vpclink-operator-metrics", "-n", release_namespace)
        kubectl("get", "clusterrole", "vpclink-operator")  # a second release would need another name
    finally:
        helm("uninstall", "vpclink-operator", "-n", release_namespace, kubeconfig=control_plane.kubeconfig)


# --- checkov ---------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def checkov_bin() -> Path:
    """checkov in its own venv under the tool cache, created once (like the control-plane binaries)."""
    home = controlplane.cache_dir().parent / "tools" / f"checkov-{CHECKOV_VERSION}"
    binary = home / "bin" / "checkov"
    if not binary.exists():
        venv.create(home, with_pip=True, clear=True)
        subprocess.run([str(home / "bin" / "python"), "-m", "pip", "install", "--quiet",
                        f"checkov=={CHECKOV_VERSION}"], check=True, timeout=600)
    return binary


def run_checkov(checkov_bin: Path, manifests: Path, skip: list[str]) -> dict[str, Any]:
    cmd = [str(checkov_bin), "--framework", "kubernetes", "-d", str(manifests), "--output", "json",
           "--quiet", "--compact", "--skip-download", "--download-external-modules", "false"]
    if skip:
        cmd += ["--skip-check", ",".join(skip)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"})
    assert proc.returncode in (0, 1), proc.stderr
    report = json.loads(proc.stdout or "{}")
    reports = report if isinstance(report, list) else [report]
    failed = [c for r in reports for c in r.get("results", {}).get("failed_checks", [])]
    return {"failed": failed}


@pytest.fixture(scope="module")
def rendered_variants(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every template the chart can render: both RBAC modes and all optional objects."""
    out = tmp_path_factory.mktemp("rendered")
    optional = ("metrics.serviceMonitor.enabled=true,podDisruptionBudget.enabled=true,networkPolicy.enabled=true,"
                "metrics.prometheusRule.enabled=true,metrics.dashboard.enabled=true")
    (out / "cluster.yaml").write_text(helm("template", "vpclink-operator", str(CHART), "-n", "vpclink-system",
                                           "--set", optional).stdout)
    (out / "namespaced.yaml").write_text(helm("template", "vpclink-operator", str(CHART), "-n", "vpclink-system",
                                              "--set-json", 'watchNamespaces=["shop"]').stdout)
    return out


def test_checkov_has_no_unsuppressed_findings(checkov_bin: Path, rendered_variants: Path) -> None:
    result = run_checkov(checkov_bin, rendered_variants, sorted(CHECKOV_SUPPRESSIONS))
    assert result["failed"] == [], [(c["check_id"], c["check_name"], c["resource"]) for c in result["failed"]]


def test_checkov_suppressions_are_all_needed(checkov_bin: Path, rendered_variants: Path) -> None:
    result = run_checkov(checkov_bin, rendered_variants, [])
    assert {c["check_id"] for c in result["failed"]} == set(CHECKOV_SUPPRESSIONS)


# --- image recipe and IAM policy -------------------------------------------------------------------

def test_dockerfile_is_multistage_pinned_and_non_root() -> None:
    lines = [ln.strip() for ln in (REPO / "Dockerfile").read_text().splitlines()
             if ln.strip() and not ln.strip().startswith("#")]
    froms = [ln for ln in lines if ln.upper().startswith("FROM ")]
    assert len(froms) >= 2, "multi-stage"
    # Every stage is FROM ${BASE}; its default (the release base) is a pinned slim image.
    (base,) = [ln.split("=", 1)[1] for ln in lines if ln.startswith("ARG BASE=")]
    assert "@sha256:" in base and "slim" in base, f"the release base is a pinned slim image: {base}"
    for line in froms:
        assert line.split()[1] == "${BASE}", f"every stage builds on BASE: {line}"
    final = lines[lines.index(froms[-1]):]
    users = [ln.split()[1] for ln in final if ln.upper().startswith("USER ")]
    assert users and int(users[-1].split(":")[0]) >= 10000
    assert not any(tool in " ".join(final) for tool in ("build-essential", "gcc", "apt-get install")), \
        "no build tools in the final stage"
    entry = json.loads(next(ln for ln in final if ln.upper().startswith("ENTRYPOINT "))[len("ENTRYPOINT "):])
    assert entry[0].endswith("vpclink-operator")
    ignored = (REPO / ".dockerignore").read_text().split()
    assert {".venv", ".git", "tests", "emulator"} <= {p.strip("/") for p in ignored}
    assert "COPY emulator" not in " ".join(lines), "the emulator is a test tool, never shipped"


def test_wheel_installs_the_operator_entrypoint(tmp_path: Path) -> None:
    """What the Dockerfile's build stage does: a wheel of this project, installed in a clean venv."""
    # The Dockerfile's build context (.dockerignore keeps only these), so nothing is built in the work tree.
    context = tmp_path / "context"
    context.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, context / name)
    shutil.copytree(REPO / "operator", context / "operator", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    # With build isolation, as in the Dockerfile: pip fetches the build backend pyproject.toml asks for.
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                    "-w", str(tmp_path / "wheels"), str(context)], check=True, timeout=180)
    (wheel,) = (tmp_path / "wheels").glob("vpclink_operator-*.whl")
    target = tmp_path / "venv"
    venv.create(target, with_pip=False)
    site = subprocess.run([str(target / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()"
                           "['purelib'])"], capture_output=True, text=True, check=True).stdout.strip()
    # Install the wheel with no index access; the dependencies come from this environment's site-packages
    # through a .pth file, so no download is needed to prove the entrypoint works.
    subprocess.run([sys.executable, "-m", "pip", "--python", str(target / "bin" / "python"), "install",
                    "--no-deps", "--no-index", "--quiet", str(wheel)], check=True, timeout=120)
    deps = [p for p in sys.path if p.endswith("site-packages")]
    (Path(site) / "deps.pth").write_text("\n".join(deps) + "\n")
    script = target / "bin" / "vpclink-operator"
    assert script.exists()
    proc = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60, check=False,
                          cwd=tmp_path, env={"PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    assert "--rate-limits" in proc.stdout and "VPCLINK_NAMESPACES" in proc.stdout
    origin = subprocess.run([str(target / "bin" / "python"), "-c", "import vpclink_operator; "
                             "print(vpclink_operator.__file__)"], capture_output=True, text=True,
                            check=True, cwd=tmp_path).stdout
    assert origin.startswith(str(target)), "the entrypoint runs the installed wheel, not the source tree"
    with zipfile.ZipFile(wheel) as whl:
        assert not [n for n in whl.namelist() if n.startswith("vpclink_emulator/")], "no emulator in the image"


IAM_ACTIONS = {
    # API Gateway authorizes both APIs (v1 and v2) as HTTP verbs on resource paths.
    "apigateway:GET", "apigateway:POST", "apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE",
    # Preflight checks that the operator makes itself.
    "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeListeners", "servicediscovery:GetService",
    # API Gateway acts with the caller's permissions when it creates a REST (v1) link's endpoint service
    # (AWS: "Grant permissions for API Gateway to create a VPC link").
    "ec2:CreateVpcEndpointServiceConfiguration", "ec2:DeleteVpcEndpointServiceConfigurations",
    "ec2:DescribeVpcEndpointServiceConfigurations", "ec2:ModifyVpcEndpointServicePermissions",
    # The first HTTP (v2) link in an account creates API Gateway's service-linked role.
    "iam:CreateServiceLinkedRole",
}


def test_iam_policy_is_valid_and_least_privilege() -> None:
    policy = json.loads((REPO / "docs" / "iam-policy.json").read_text())
    assert policy["Version"] == "2012-10-17"
    sids = [s["Sid"] for s in policy["Statement"]]
    assert len(sids) == len(set(sids)) and all(s.isalnum() for s in sids)
    actions: set[str] = set()
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        assert set(statement) <= {"Sid", "Effect", "Action", "Resource", "Condition"}
        stmt_actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        assert all("*" not in a for a in stmt_actions), "no wildcard actions"
        actions |= set(stmt_actions)
        services = {a.split(":")[0] for a in stmt_actions}
        if "apigateway" in services:
            assert services == {"apigateway"}
            assert all(r.startswith("arn:aws:apigateway:*::/") and r != "arn:aws:apigateway:*::/*"
                       for r in resources), "apigateway is scoped to resource paths"
            paths = [r.split("::", 1)[1] for r in resources]
            assert not any(p.startswith(("/restapis/*/authorizers", "/apis/*/stages", "/domainnames"))
                           for p in paths)
        if services & {"servicediscovery", "iam"}:
            assert "*" not in resources
        if "iam" in services:
            assert statement["Condition"]["StringEquals"]["iam:AWSServiceName"] == "ops.apigateway.amazonaws.com"
    assert actions == IAM_ACTIONS
    # Nothing that could delete or change an API itself, only the pieces the operator owns.
    all_resources = {r for s in policy["Statement"]
                     for r in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])}
    assert "arn:aws:apigateway:*::/restapis/*" not in all_resources
    assert "arn:aws:apigateway:*::/apis/*" not in all_resources
    readme = (REPO / "docs" / "operations.md").read_text()
    assert all(f"`{sid}`" in readme for sid in sids), "each statement is explained in docs/operations.md"
