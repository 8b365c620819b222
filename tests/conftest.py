"""Session fixtures shared by every test tier.

The Kubernetes side is a real etcd + kube-apiserver (hack/controlplane.py); the AWS side is
served over HTTP on loopback and reached by the operator only through AWS_ENDPOINT_URL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "hack"))

import controlplane  # noqa: E402
import stack  # noqa: E402


@pytest.fixture(scope="session")
def control_plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[controlplane.ControlPlane]:
    plane = controlplane.ControlPlane(tmp_path_factory.mktemp("controlplane"))
    plane.start()
    try:
        yield plane
    finally:
        plane.stop()


class Kubectl:
    """The real kubectl binary, pointed at the test control plane."""

    def __init__(self, kubeconfig: Path) -> None:
        self.kubeconfig = kubeconfig
        self.binary = str(controlplane.bin_path("kubectl"))

    def __call__(self, *args: str, input: str | None = None, check: bool = True,
                 timeout: float = 60) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([self.binary, "--kubeconfig", str(self.kubeconfig), *args],
                              input=input, capture_output=True, text=True, timeout=timeout, check=False)
        if check and proc.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
        return proc

    def json(self, *args: str) -> dict:  # type: ignore[type-arg]
        return json.loads(self(*args, "-o", "json").stdout)  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def kubectl(control_plane: controlplane.ControlPlane) -> Kubectl:
    return Kubectl(control_plane.kubeconfig)


@pytest.fixture(scope="session")
def crds(kubectl: Kubectl) -> list[str]:
    """Apply everything in crds/ and wait until the apiserver serves it."""
    applied = kubectl("apply", "-f", str(REPO / "crds"), "-o", "name").stdout.split()
    if applied:
        kubectl("wait", "--for=condition=Established", "--timeout=60s", *applied)
    return applied


@pytest.fixture
def namespace(kubectl: Kubectl) -> Iterator[str]:
    name = f"t-{uuid.uuid4().hex[:8]}"
    kubectl("create", "namespace", name)
    yield name
    # Without a controller-manager a namespace never finishes terminating; deleting the
    # objects is enough to keep tests independent.
    kubectl("delete", "namespace", name, "--wait=false", check=False)


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[stack.EmulatorProcess]:
    """The AWS emulator as its own process, as the operator sees AWS in production: over HTTP.

    Links stay PENDING for 60 emulated seconds and DELETING for 20; at time scale 40 that is
    1.5 s and 0.5 s of wall time, so every lifecycle phase is observable but quick.
    """
    with stack.EmulatorProcess(tmp_path_factory.mktemp("emulator") / "emulator.log", pending_seconds=60,
                               deleting_seconds=20, time_scale=40) as emulator:
        yield emulator


@pytest.fixture(scope="session")
def aws_endpoint(emulator: stack.EmulatorProcess) -> str:
    return emulator.url


@pytest.fixture
def operator_env(control_plane: controlplane.ControlPlane, aws_endpoint: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(stack.aws_env(aws_endpoint))
    env["KUBECONFIG"] = str(control_plane.kubeconfig)
    return env
