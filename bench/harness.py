"""What every benchmark shares: a real kube-apiserver, the emulator with its quotas on, the real operator.

`Bench` starts the three (the operator from any checkout's `operator/` with `tree`, on any Python with
`python`), seeds a VPC, and measures what the scripts report: the emulator's call log, the apiserver's
own `apiserver_request_total`, and the operator's CPU and memory from /proc.

`runtime_python()` is the operator's production runtime: a virtualenv with exactly `requirements.lock`
(no `kubernetes` package, which kopf imports when it is installed), built once into the cache that
hack/controlplane.py keeps its binaries in, keyed by the lock and the Python version.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import yaml
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "hack"))
import controlplane
import stack

REPO = Path(__file__).resolve().parent.parent
NAMESPACE = "bench"
GROUP = "apigateway.vpclink.dev"
WRITE_VERBS = ("PATCH", "PUT", "POST", "DELETE")
READ_PREFIXES = ("Get", "List", "Describe")


def runtime_python(lock: Path = REPO / "requirements.lock") -> Path:
    """The Python of a virtualenv holding exactly the runtime lock (built on first use, then reused)."""
    key = hashlib.sha256(lock.read_bytes() + sys.version.encode()).hexdigest()[:16]
    venv = controlplane.cache_root() / f"bench-runtime-{key}"
    python, complete = venv / "bin" / "python", venv / ".complete"
    if not complete.exists():
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--require-hashes", "--no-deps",
                        "-r", str(lock)], check=True)
        complete.touch()
    return python


@dataclass(frozen=True)
class Timing:
    """Emulated AWS seconds per wall second, and the operator's intervals scaled the same way."""

    time_scale: float
    resync_seconds: float
    poll_seconds: float

    @classmethod
    def production(cls, time_scale: float) -> Timing:
        """The operator's defaults (resync 60 s, poll 5 s) on an emulated clock `time_scale` times faster."""
        return cls(time_scale, 60 / time_scale, 5 / time_scale)


BENCH_TIMING = Timing(40, 10.0, 0.5)  # vpclink_bench.py and idle_resync.py: fast, with a short poll


class KubectlError(RuntimeError):
    """kubectl failed; the message carries its stderr."""


def manifest(kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": f"{GROUP}/v1alpha1", "kind": kind,
            "metadata": {"name": name, "namespace": NAMESPACE}, "spec": spec}


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def proc_status_mib(pid: int, field: str) -> float:
    """A memory line of /proc/PID/status (VmRSS: resident now, VmHWM: the peak so far) in MiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith(field + ":"))) / 1024


def is_read(operation: str) -> bool:
    return operation.startswith(READ_PREFIXES)


class Bench:
    def __init__(self, workdir: Path, operator_source: Path | None = None, *, tree: Path | None = None,
                 timing: Timing = BENCH_TIMING, python: Path | None = None,
                 load_balancers: int = 20, start_operator: bool = True) -> None:
        """`tree`: a checkout whose `operator/` and `crds/` are used (`operator_source`: only its `operator/`);
        `python`: run the operator as `python -m vpclink_operator.cli` instead of this venv's console script."""
        self.timing = timing
        self.workdir = workdir
        if tree is not None:
            operator_source = tree / "operator"
        self.plane = controlplane.ControlPlane(workdir / "controlplane")
        self.plane.start()
        self.emulator = stack.EmulatorProcess(workdir / "emulator.log", pending_seconds=60, deleting_seconds=20,
                                              time_scale=timing.time_scale, quotas=True)
        self.kubectl_bin = [str(controlplane.bin_path("kubectl")), "--kubeconfig", str(self.plane.kubeconfig)]
        try:
            self._start(tree, operator_source, python, load_balancers, start_operator)
        except BaseException:
            self.stop()  # nothing this started outlives it
            raise

    def _start(self, tree: Path | None, operator_source: Path | None, python: Path | None, load_balancers: int,
               start_operator: bool) -> None:
        self.emulator.start()
        self.kubectl("apply", "-f", str((tree or REPO) / "crds"))
        self.kubectl("wait", "--for=condition=Established", "crd", "--all", "--timeout=60s")
        self.kubectl("create", "namespace", NAMESPACE)
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
               **stack.aws_env(self.emulator.url), "KUBECONFIG": str(self.plane.kubeconfig)}
        if operator_source is not None:
            env["PYTHONPATH"] = str(operator_source)
        self.operator = stack.OperatorProcess(
            env, self.workdir / "operator.log", "--namespace", NAMESPACE, "--log-level", "WARNING",
            "--resync-seconds", str(self.timing.resync_seconds), "--poll-seconds", str(self.timing.poll_seconds),
            "--rate-limit-scale", str(self.timing.time_scale),
            command=[str(python), "-m", "vpclink_operator.cli"] if python else (),
        )
        self.subnets, self.nlbs = self._seed(load_balancers)
        if start_operator:
            self.operator.start()

    @property
    def pid(self) -> int:
        assert self.operator.proc is not None and self.operator.proc.poll() is None, "the operator is not running"
        return self.operator.proc.pid

    def kubectl(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run([*self.kubectl_bin, *args], input=stdin, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise KubectlError(f"kubectl {' '.join(args[:3])}: {done.stderr.strip()}")
        return done.stdout

    def client(self, service: str) -> Any:
        """The benchmark's own client: it retries throttling, since it shares the account's quota."""
        return boto3.client(service, region_name="us-east-1", endpoint_url=self.emulator.url,
                            aws_access_key_id="bench", aws_secret_access_key="bench",
                            config=Config(retries={"mode": "standard", "max_attempts": 20}))

    def _seed(self, load_balancers: int) -> tuple[list[str], list[str]]:
        ec2, elbv2 = self.client("ec2"), self.client("elbv2")
        vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
                   for i, zone in enumerate(["us-east-1a", "us-east-1b"])]
        nlbs = [elbv2.create_load_balancer(Name=f"nlb-{i}", Subnets=subnets, Type="network", Scheme="internal")
                ["LoadBalancers"][0]["LoadBalancerArn"] for i in range(load_balancers)]
        return subnets, nlbs

    def http_listener(self) -> str:
        """An internal ALB in the seeded VPC with one HTTP listener: what HTTP integrations point at."""
        elbv2 = self.client("elbv2")
        alb = elbv2.create_load_balancer(Name="bench-alb", Subnets=self.subnets, Type="application",
                                         Scheme="internal")["LoadBalancers"][0]["LoadBalancerArn"]
        return str(elbv2.create_listener(LoadBalancerArn=alb, Protocol="HTTP", Port=80, DefaultActions=[
            {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}])["Listeners"][0]["ListenerArn"])

    def apply(self, kind: str, name: str, spec: dict[str, Any]) -> float:
        self.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(manifest(kind, name, spec)))
        return time.time()

    def apply_link(self, name: str, spec: dict[str, Any]) -> float:
        return self.apply("VpcLink", name, spec)

    def apply_all(self, manifests: list[dict[str, Any]], batch: int = 100) -> None:
        """Server-side apply of many objects: `batch` documents per kubectl call, the calls in parallel."""
        batches = [yaml.safe_dump_all(manifests[start:start + batch]) for start in range(0, len(manifests), batch)]
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(lambda docs: self.kubectl("apply", "--server-side", "--field-manager=bench", "-f", "-",
                                                    stdin=docs), batches))

    def wait_ready(self, names: list[str], timeout: float = 300, kind: str = "vl") -> None:
        self.kubectl("wait", "--for=condition=Ready", "-n", NAMESPACE, f"--timeout={int(timeout)}s",
                     *[f"{kind}/{n}" for n in names])

    def ready_count(self, kind: str) -> tuple[int, int]:
        """(Ready, all) objects of `kind` in the benchmark's namespace."""
        out = self.kubectl("get", kind, "-n", NAMESPACE, "-o",
                           'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}')
        lines = out.splitlines()
        return sum(line == "True" for line in lines), len(lines)

    def converge(self, kind: str, count: int, timeout: float, every: float,
                 started: float | None = None) -> dict[str, Any]:
        """Wait until `count` objects of `kind` are Ready, at most `timeout` wall seconds after `started`
        (a `time.monotonic()`; default now), and say how long it took; never raises."""
        started = time.monotonic() if started is None else started
        ready = failed = 0
        while time.monotonic() - started < timeout:
            if self.operator.proc is None or self.operator.proc.poll() is not None:
                return {"converged": False, "ready": ready, "of": count, "failed_polls": failed,
                        "note": f"the operator is not running (see {self.operator.log.name})"}
            try:
                ready, _ = self.ready_count(kind)
            except KubectlError:  # a busy apiserver may time a list out; that is not the operator's answer
                failed += 1
            if ready >= count:
                wall = time.monotonic() - started
                return {"converged": True, "wall_seconds": round(wall, 2),
                        "emulated_seconds": round(wall * self.timing.time_scale, 1), "failed_polls": failed}
            time.sleep(every)
        return {"converged": False, "ready": ready, "of": count, "failed_polls": failed,
                "note": f"did not converge in {int(timeout)} s ({ready} of {count} Ready)"}

    def apiserver_requests(self) -> list[tuple[dict[str, str], int]]:
        """Every `apiserver_request_total` sample the apiserver reports: (labels, count)."""
        samples = []
        for line in self.kubectl("get", "--raw", "/metrics").splitlines():
            if line.startswith("apiserver_request_total{"):
                labels = dict(part.split("=", 1) for part in line[line.index("{") + 1:line.index("}")].split(","))
                samples.append(({k: v.strip('"') for k, v in labels.items()}, int(float(line.rsplit(" ", 1)[1]))))
        return samples

    def kubernetes_writes(self) -> dict[str, int]:
        """Write requests the apiserver has served on our two resources, by verb and resource[/subresource]."""
        counts: dict[str, int] = {}
        for labels, value in self.apiserver_requests():
            if labels["group"] == GROUP and labels["verb"] in WRITE_VERBS:
                resource = labels["resource"] + (f"/{labels['subresource']}" if labels["subresource"] else "")
                key = f"{labels['verb']} {resource}"
                counts[key] = counts.get(key, 0) + value
        return counts

    def apiserver_responses(self, code: str) -> int:
        """Requests of any kind the apiserver has answered with HTTP `code`."""
        return sum(value for labels, value in self.apiserver_requests() if labels.get("code") == code)

    def steady_calls_per_resync(self, periods: int = 3) -> dict[str, float]:
        time.sleep(self.timing.resync_seconds * 1.5)  # let every object settle into its steady schedule
        self.emulator.control.reset_calls()
        time.sleep(self.timing.resync_seconds * periods)
        calls = self.emulator.control.calls()
        by_operation: dict[str, float] = {}
        for call in calls:
            by_operation[call["operation"]] = by_operation.get(call["operation"], 0) + 1 / periods
        return {"total": len(calls) / periods, **by_operation}

    def idle_resyncs(self, periods: int = 3) -> dict[str, Any]:
        """Kubernetes writes, operator CPU and AWS calls per resync over `periods` intervals with nothing to do."""
        time.sleep(self.timing.resync_seconds * 1.5)  # every object settles into its steady schedule
        writes, cpu = self.kubernetes_writes(), cpu_seconds(self.pid)
        self.emulator.control.reset_calls()
        time.sleep(self.timing.resync_seconds * periods)
        writes_after, cpu_after = self.kubernetes_writes(), cpu_seconds(self.pid)
        calls = self.emulator.control.calls()
        return {
            "kubernetes_writes_per_resync": {
                key: round((writes_after.get(key, 0) - writes.get(key, 0)) / periods, 2)
                for key in sorted(set(writes_after) | set(writes))
                if writes_after.get(key, 0) != writes.get(key, 0)},
            "cpu_seconds_per_resync": round((cpu_after - cpu) / periods, 2),
            "aws_calls_per_resync": round(len(calls) / periods, 2),
            "rss_mib": round(self.rss_mib(), 1),
        }

    def rss_mib(self) -> float:
        return proc_status_mib(self.pid, "VmRSS")

    def stop(self) -> None:
        if hasattr(self, "operator"):  # not yet there if start-up failed before it
            self.operator.stop()
        self.emulator.stop()
        self.plane.stop()
