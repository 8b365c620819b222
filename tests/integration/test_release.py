"""The release path: the workflows pass actionlint, and every place a version is written agrees."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import controlplane
import release

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / ".github" / "workflows"


def actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(controlplane.build_actionlint()), "-no-color", "-oneline", *map(str, files)],
                          capture_output=True, text=True, timeout=120, check=False, cwd=REPO)


def test_workflows_pass_actionlint(tmp_path: Path) -> None:
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {f.name for f in files} >= {"ci.yml", "release.yml"}
    proc = actionlint(*files)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # The same check finds a planted mistake (an undefined expression), so a pass above means something.
    broken = tmp_path / ".github" / "workflows" / "release.yml"
    broken.parent.mkdir(parents=True)
    shutil.copy(WORKFLOWS / "release.yml", broken)
    broken.write_text(broken.read_text().replace("needs.version.outputs.version", "needs.version.outputs.tag", 1))
    proc = actionlint(broken)
    assert proc.returncode != 0 and "tag" in proc.stdout


def test_pyproject_chart_version_and_app_version_agree() -> None:
    found = release.versions()
    assert len(set(found.values())) == 1, found
    assert release.release_version(f"v{found['Chart.yaml version']}") == found["Chart.yaml version"]


def test_a_tag_that_differs_from_the_sources_is_refused() -> None:
    proc = subprocess.run([sys.executable, str(REPO / "hack" / "release.py"), "version", "--tag", "v99.0.0"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode != 0 and "versions disagree" in proc.stderr and "git tag=99.0.0" in proc.stderr


def test_release_pushes_the_image_the_chart_pulls_for_both_architectures() -> None:
    workflow = yaml.safe_load((WORKFLOWS / "release.yml").read_text())
    values = yaml.safe_load((REPO / "charts" / "vpclink-operator" / "values.yaml").read_text())
    assert workflow["env"]["IMAGE"] == values["image"]["repository"]
    assert values["image"]["tag"] == "", "the chart pulls the tag equal to its appVersion"
    build = next(s for s in workflow["jobs"]["image"]["steps"] if str(s.get("uses", "")).startswith(
        "docker/build-push-action"))
    assert set(build["with"]["platforms"].split(",")) == {"linux/amd64", "linux/arm64"}
    assert build["with"]["tags"] == "${{ env.IMAGE }}:${{ needs.version.outputs.version }}"
    chart_script = "\n".join(s.get("run", "") for s in workflow["jobs"]["chart"]["steps"])
    assert '--version "$VERSION" --app-version "$VERSION"' in chart_script
    assert workflow["jobs"]["chart"]["steps"][-1]["env"]["VERSION"] == "${{ needs.version.outputs.version }}"
    version_step = workflow["jobs"]["version"]["steps"][-1]["run"]
    assert "hack/release.py version --tag" in version_step
