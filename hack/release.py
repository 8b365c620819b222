"""The one version of a release, checked everywhere it is written.

    python hack/release.py version [--tag v0.1.0]   # print it; fail if the sources (or the tag) disagree

pyproject.toml's version, the chart's `version` and `appVersion` must be equal; the release
workflow tags the image with it and pushes the chart under it, so the chart's default image
(`image.repository:appVersion`) is the image built from the same commit.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHART = REPO / "charts" / "vpclink-operator" / "Chart.yaml"


def _chart_field(name: str) -> str:
    match = re.search(rf"^{name}:\s*\"?([^\"\s]+)\"?\s*$", CHART.read_text(), re.MULTILINE)
    if match is None:
        raise SystemExit(f"{CHART.relative_to(REPO)} has no {name}")
    return match[1]


def versions() -> dict[str, str]:
    return {
        "pyproject.toml project.version": tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"],
        "Chart.yaml version": _chart_field("version"),
        "Chart.yaml appVersion": _chart_field("appVersion"),
    }


def release_version(tag: str | None = None) -> str:
    found = versions()
    if tag is not None:
        found["git tag"] = tag.removeprefix("v")
    if len(set(found.values())) != 1:
        raise SystemExit("versions disagree: " + ", ".join(f"{k}={v}" for k, v in found.items()))
    return next(iter(found.values()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("command", choices=["version"])
    parser.add_argument("--tag", help="the git tag being released, e.g. v0.1.0")
    args = parser.parse_args()
    print(release_version(args.tag))
    return 0


if __name__ == "__main__":
    sys.exit(main())
