"""The import-linter contracts bite: a planted layer violation, direct or indirect, fails `lint-imports`.

Each case copies the package and pyproject.toml to a temporary directory, plants one import there
and runs the real `lint-imports` on the copy (the checkout itself is never touched).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_copy(tmp_path: Path, plants: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run lint-imports on a copy of the package with `plants` (path -> line) appended to its modules."""
    package = tmp_path / "operator" / "vpclink_operator"
    shutil.copytree(REPO / "operator" / "vpclink_operator", package,
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    for path, line in plants.items():
        module = package / path
        module.write_text((module.read_text() if module.exists() else "") + f"\n{line}\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "operator")}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--config", str(tmp_path / "pyproject.toml")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_the_unchanged_copy_keeps_every_contract(tmp_path: Path) -> None:
    result = lint_copy(tmp_path, {})
    assert result.returncode == 0, result.stdout + result.stderr
    assert " broken" in result.stdout and "0 broken" in result.stdout


@pytest.mark.parametrize(("plants", "broken"), [
    pytest.param({"plan/vpclink.py": "from vpclink_operator import inventory"},
                  "Layers:", id="plan-imports-inventory"),
    pytest.param({"aws/links.py": "from vpclink_operator.reconcile import errors"},
                  "Layers:", id="aws-imports-reconcile"),
    pytest.param({"models/base.py": "from vpclink_operator import config"},  # config -> aws.ratelimit
                  "Layers:", id="models-reach-aws-through-config"),
    pytest.param({"reconcile/errors.py": "import kopf"},
                  "Only handlers", id="reconcile-imports-kopf"),
    pytest.param({"reconcile/errors.py": "from vpclink_operator import health",
                  "health.py": "import kopf"},
                  "Only handlers", id="reconcile-reaches-kopf-indirectly"),
    pytest.param({"models/base.py": "from vpclink_operator import metrics", "metrics.py": "import botocore"},
                  "The planner and the models are pure", id="models-reach-botocore-indirectly"),
    pytest.param({"plan/vpclink.py": "from vpclink_operator import preflight"},
                  "Layers:", id="plan-imports-preflight"),
])
def test_a_planted_violation_fails(tmp_path: Path, plants: dict[str, str], broken: str) -> None:
    result = lint_copy(tmp_path, plants)
    assert result.returncode != 0, result.stdout
    summary = " ".join(result.stdout.split())  # long contract names wrap across lines
    assert re.search(rf"{re.escape(broken)}(?:(?!KEPT).)*? BROKEN", summary), result.stdout
