"""The real operator process against the real kube-apiserver: it starts, answers health, stops."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import controlplane

pytestmark = pytest.mark.integration


def _get(url: str) -> tuple[int, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_apiserver_is_real_and_enforces_rbac(kubectl, control_plane) -> None:
    version = kubectl.json("version")
    assert version["serverVersion"]["gitVersion"] == f"v{controlplane.KUBERNETES_VERSION}"
    # An unknown bearer token is rejected by the real authenticator.
    anon = kubectl("--token", "not-a-token", "get", "namespaces", check=False)
    assert anon.returncode != 0
    assert "Unauthorized" in anon.stderr or "must be logged in" in anon.stderr


def test_crds_are_served(kubectl, crds) -> None:
    assert crds, "crds/ must hold the CustomResourceDefinitions"
    resources = kubectl("api-resources", "--api-group=apigateway.vpclink.dev", "-o", "name").stdout.split()
    assert resources


def test_operator_starts_answers_health_and_stops_on_sigterm(crds, operator_env, namespace, tmp_path: Path) -> None:
    # Its own namespace: other tests leave objects in namespaces that never finish terminating (no
    # controller-manager), and Events posted there are refused and retried by kopf for ~40 s on shutdown.
    port = controlplane.free_port()
    log = (tmp_path / "operator.log").open("wb")
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("vpclink-operator")), "--port", str(port),
         "--log-format", "json", "--namespace", namespace],
        env=operator_env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        status = 0
        while time.monotonic() < deadline and status != 200:
            assert proc.poll() is None, (tmp_path / "operator.log").read_text()
            try:
                status, _ = _get(f"http://127.0.0.1:{port}/readyz")
            except OSError:
                status = 0
            time.sleep(0.2)
        assert status == 200, (tmp_path / "operator.log").read_text()
        assert _get(f"http://127.0.0.1:{port}/healthz") == (200, {"status": "ok"})
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as resp:
            assert b"python_info" in resp.read()

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    lines = [json.loads(line) for line in (tmp_path / "operator.log").read_text().splitlines()
             if line.startswith("{")]
    assert any(line["message"] == "vpclink-operator stopped" for line in lines)
