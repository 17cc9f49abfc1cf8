"""The layer contracts in pyproject.toml hold, and they catch a violation when one is planted.

``make test`` runs ``lint-imports`` on the real tree. These tests copy the tree, plant
one import that breaks each contract, and check that lint-imports fails on it and names
it: a contract that nothing could break would prove nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    """lint-imports on ``tree``, importing the packages from there, not from the checkout."""
    environment = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", str(tree / "pyproject.toml")],
        cwd=tree,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the packages the contracts speak of, with the contracts themselves."""
    ignore = shutil.ignore_patterns("__pycache__")
    for package in ("tracker", "pages", "bench"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def plant(tree: Path, module: str, line: str) -> None:
    path = tree.joinpath(*module.split(".")).with_suffix(".py")
    path.write_text(f'"""Planted by a test."""\n\n{line}\n')


def test_the_real_tree_keeps_every_contract(tree: Path) -> None:
    result = lint_imports(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout
    assert result.stdout.count("KEPT") == 3


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        # The store reaching up into the charts: the layers contract.
        (
            "tracker.store.planted",
            "import tracker.render.charts  # noqa: F401",
            "tracker's layers depend downwards only",
        ),
        # Two layers that must stay independent of each other.
        (
            "tracker.files.planted",
            "import tracker.measures.scoring  # noqa: F401",
            "tracker's layers depend downwards only",
        ),
        (
            "tracker.measures.planted",
            "import streamlit  # noqa: F401",
            "tracker is the domain: it never imports Streamlit, the pages or the benchmark",
        ),
        (
            "tracker.cli.planted",
            "import bench.timing  # noqa: F401",
            "tracker is the domain: it never imports Streamlit, the pages or the benchmark",
        ),
        (
            "pages.planted",
            "from tracker.store.db import write_session  # noqa: F401",
            "pages open database sessions only through pages.common",
        ),
    ],
)
def test_a_planted_violation_breaks_its_contract(
    tree: Path, module: str, line: str, contract: str
) -> None:
    plant(tree, module, line)
    result = lint_imports(tree)
    assert result.returncode != 0
    assert f"{contract} BROKEN" in result.stdout
    assert module in result.stdout, "the report should name the planted module"
