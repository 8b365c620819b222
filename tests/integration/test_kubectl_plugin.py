"""`kubectl vpclink tree|why`, run through the real kubectl's plugin mechanism against the real apiserver."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import lifecycle
import pytest
from test_operations import start

import controlplane
from conftest import Network, get

pytestmark = pytest.mark.integration


def plugin(control_plane: Any, *args: str) -> subprocess.CompletedProcess[str]:
    """`kubectl vpclink ...`: kubectl finds kubectl-vpclink on the PATH (the venv's console scripts)."""
    env = {**os.environ, "KUBECONFIG": str(control_plane.kubeconfig),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run([str(controlplane.bin_path("kubectl")), "vpclink", *args], env=env, capture_output=True,
                          text=True, timeout=60, check=False)


def test_tree_and_why_during_a_replacement(kubectl: Any, control_plane: Any, namespace: str, crds: list[str],
                                           operator_env: dict[str, str], network: Network, aws: Any,
                                           held_pending: Any, tmp_path: Path) -> None:
    operator = start(operator_env, tmp_path / "operator.log", namespace, "json")
    try:
        api = lifecycle.rest_api(aws)
        old_link = lifecycle.create(kubectl, namespace, network, api)
        held_pending.control.configure(link_pending_seconds=86400)  # the replacement stays PENDING
        lifecycle.start_replacement(kubectl, namespace, network)
        new_link = get(kubectl, namespace, "vl", lifecycle.LINK)["status"]["replacement"]["vpcLinkId"]
        integration_id = get(kubectl, namespace, "pi", "orders")["status"]["integrationId"]

        tree = plugin(control_plane, "tree", lifecycle.LINK, "-n", namespace)
        assert tree.returncode == 0, tree.stderr
        print(f"\n$ kubectl vpclink tree {lifecycle.LINK} -n {namespace}\n{tree.stdout}")
        lines = tree.stdout.splitlines()
        assert lines[0] == f"VpcLink {namespace}/{lifecycle.LINK} (REST) [Ready: Available, Reconciling: Replacing]"
        assert lines[1].startswith(f"├── link {old_link} AVAILABLE  serving")
        assert lines[2].startswith(f"├── link {new_link} PENDING  replacement (")
        assert lines[3] == "└── PrivateIntegrations (2)"
        assert lines[4].split() == ["├──", f"{namespace}/misfit", "api", "a1b2c3d4e5", "integration", "-", "via",
                                    "-", "stages", "-", "[Stalled:", "ApiTypeMismatch]"]
        assert lines[5].split() == ["└──", f"{namespace}/orders", "api", api, "integration", integration_id, "via",
                                    old_link, "stages", "prod", "[Ready:", "Ready]"]

        why = plugin(control_plane, "why", "misfit", "--kind", "pi", "-n", namespace)
        assert why.returncode == 0, why.stderr
        print(f"$ kubectl vpclink why misfit --kind pi -n {namespace}\n{why.stdout}")
        assert "Stalled     True   ApiTypeMismatch: spec.vpcLinkRef:" in why.stdout
        assert "Warning  ApiTypeMismatch: spec.vpcLinkRef:" in why.stdout
        assert why.stdout.rstrip().endswith("Likely fix:\n  Use spec.http with an HTTP link and spec.rest with a "
                                            "REST link.")

        held_pending.control.set_link_state(new_link, "AVAILABLE")
        lifecycle.finish_replacement(kubectl, namespace, old_link)
        after = plugin(control_plane, "tree", lifecycle.LINK, "-n", namespace).stdout.splitlines()
        assert after[1].startswith(f"├── link {new_link} AVAILABLE  serving")
        assert f"via {new_link}" in after[-1]
        why_link = plugin(control_plane, "why", lifecycle.LINK, "-n", namespace).stdout
        assert "Normal   Replaced:" in why_link and "Nothing to fix: Ready." in why_link

        missing = plugin(control_plane, "tree", "nope", "-n", namespace)
        assert missing.returncode == 1 and "404 Not Found" in missing.stderr
    finally:
        operator.stop()
