"""The runtime dependencies: declared as imported, pinned with hashes in the lock the image installs."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def _name(requirement: str) -> str:
    return re.split(r"[=<>!~;\[ ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


PLUGIN = REPO / "operator" / "vpclink_operator" / "kubectl_plugin.py"  # installed with the `kubectl` extra


def _declared(requirements: list[str] = PROJECT["dependencies"]) -> dict[str, str]:
    return {_name(r): r.split("==", 1)[1] for r in requirements}


def _locked() -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes) from requirements.lock."""
    entries: dict[str, tuple[str, int]] = {}
    for block in re.split(r"\n(?=[a-z0-9])", (REPO / "requirements.lock").read_text()):
        if match := re.match(r"([a-z0-9._-]+)==(\S+)", block):
            entries[_name(match[1])] = (match[2], block.count("--hash=sha256:"))
    return entries


def _imported_distributions(paths: list[Path]) -> set[str]:
    to_dist = packages_distributions()
    imported: set[str] = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for top in (n.split(".")[0] for n in names):
                if top != "vpclink_operator" and top not in sys.stdlib_module_names and top != "__future__":
                    imported.update(_name(d) for d in to_dist.get(top, [top]))
    return imported


def test_every_imported_distribution_is_declared_and_every_declared_one_is_imported() -> None:
    runtime = [p for p in (REPO / "operator" / "vpclink_operator").rglob("*.py") if p != PLUGIN]
    assert _imported_distributions(runtime) == set(_declared())


def test_the_kubectl_plugin_imports_only_what_its_extra_and_the_runtime_declare() -> None:
    extra = _declared(PROJECT["optional-dependencies"]["kubectl"])
    assert _imported_distributions([PLUGIN]) <= set(_declared()) | set(extra)
    assert "kubernetes" in extra


def test_kubernetes_client_is_not_a_runtime_dependency() -> None:
    assert "kubernetes" not in _declared()
    assert "kubernetes" not in _locked()


def test_lock_pins_every_declared_dependency_at_its_version_with_hashes() -> None:
    locked = _locked()
    for name, version in _declared().items():
        assert locked.get(name, ("missing", 0))[0] == version, f"{name}: run `make lock`"
    assert all(hashes > 0 for _, hashes in locked.values()), "every locked file is hash-checked"
    assert len(locked) > len(_declared()), "the lock holds the transitive dependencies too"
