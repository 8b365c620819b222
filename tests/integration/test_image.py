"""The operator as shipped: the container image built by `make image`, run inside the image.

`buildah run --isolation chroot --network host` runs the image's entrypoint as the image's user,
with the host's network so it reaches the loopback kube-apiserver and the emulator.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import controlplane
import image as image_build
import stack
from conftest import apply, condition, get, vpclink, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def image() -> str:
    return image_build.build()


@pytest.fixture
def container(image: str) -> Iterator[str]:
    name = f"vpclink-test-{uuid.uuid4().hex[:8]}"
    subprocess.run(["buildah", "from", "--name", name, image], check=True, capture_output=True)
    try:
        yield name
    finally:
        subprocess.run(["buildah", "rm", name], check=False, capture_output=True)


def _config(image: str) -> dict:  # type: ignore[type-arg]
    out = subprocess.run(["podman", "image", "inspect", "--format", "{{json .Config}}", image],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)  # type: ignore[no-any-return]


def _run_in(container: str, *argv: str) -> str:
    return subprocess.run(["buildah", "run", "--isolation", "chroot", container, "--", *argv],
                          check=True, capture_output=True, text=True, timeout=120).stdout


def _main_process(root: int, argv0: str) -> int:
    """The container's main process: the descendant of `buildah run` that runs the entrypoint.

    A container runtime stops a container by signalling that process; `buildah run` itself turns
    SIGTERM into SIGKILL for its child, so the test signals the entrypoint as the kubelet's runtime would.
    """
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    # Breadth first, keep the deepest match: buildah's own helper (buildah-chroot-exec) carries the
    # entrypoint in its arguments too, one level above the entrypoint's process.
    found, level = None, [root]
    while level:
        for pid in level:
            try:
                argv = (Path("/proc") / str(pid) / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            # the entrypoint is argv[0] of a binary, argv[1] of a script run through its #! interpreter
            if argv0.encode() in argv[:2] and not argv[0].decode(errors="replace").startswith("buildah"):
                found = pid
        level = [child for pid in level for child in children.get(pid, [])]
    assert found is not None, f"no process runs {argv0} under pid {root}"
    return found


def _readyz(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def test_image_is_non_root_and_ships_bytecode_without_build_tools(image: str, container: str) -> None:
    config = _config(image)
    assert config["User"] == "10001:10001"
    assert config["Entrypoint"] == ["/opt/venv/bin/vpclink-operator"]
    # Every module of the virtualenv has its bytecode: a read-only root file system never recompiles.
    missing = _run_in(container, "/opt/venv/bin/python", "-c", (
        "import importlib.util, pathlib\n"
        "for p in pathlib.Path('/opt/venv/lib').rglob('*.py'):\n"
        "    if not pathlib.Path(importlib.util.cache_from_source(str(p))).exists(): print(p)\n"))
    assert missing == ""
    tools = _run_in(container, "sh", "-c", "for t in pip gcc cc make; do command -v $t; done; "
                    "ls /opt/venv/bin/pip* 2>/dev/null; true")
    assert tools.strip() == "", f"build tools in the runtime image: {tools}"
    assert "kubernetes" not in _run_in(container, "/opt/venv/bin/python", "-c",
                                       "import importlib.metadata as m; print([d.name for d in m.distributions()])")


def test_operator_in_image_gets_ready_reconciles_and_stops_on_sigterm(
        image: str, container: str, crds, control_plane, kubectl, namespace, fresh_aws, network,
        tmp_path: Path) -> None:
    port = controlplane.free_port()
    env = {**stack.aws_env(fresh_aws.url), "KUBECONFIG": "/run/vpclink/kubeconfig"}
    log_path = tmp_path / "operator.log"
    entrypoint = _config(image)["Entrypoint"]
    started = time.monotonic()
    proc = subprocess.Popen(
        ["buildah", "run", "--isolation", "chroot", "--network", "host",
         "--volume", f"{control_plane.kubeconfig}:/run/vpclink/kubeconfig:ro",
         *(arg for key, value in env.items() for arg in ("--env", f"{key}={value}")),
         container, "--", *entrypoint,
         "--port", str(port), "--namespace", namespace, "--log-format", "json",
         "--poll-seconds", "0.5", "--rate-limit-scale", "40"],
        stdout=log_path.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        wait_for(lambda: proc.poll() is not None or _readyz(port) == 200, timeout=120, what="/readyz")
        assert proc.poll() is None, log_path.read_text()
        print(f"start-to-ready inside the image: {time.monotonic() - started:.1f}s", file=sys.stderr)

        apply(kubectl, namespace, vpclink("shipped", apiType="HTTP", subnetIds=network.subnets[:2],
                                          securityGroupIds=network.security_groups[:1]))
        obj = wait_for(lambda: (o := get(kubectl, namespace, "vl", "shipped"))
                       and condition(o, "Ready").get("status") == "True" and o, timeout=90, what="Ready")
        assert obj["status"]["vpcLinkId"]

        os.kill(_main_process(proc.pid, entrypoint[0]), signal.SIGTERM)
        assert proc.wait(timeout=60) == 0, log_path.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    assert any(line["message"] == "vpclink-operator stopped" for line in lines), log_path.read_text()
