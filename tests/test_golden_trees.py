"""Golden fixtures that span several files (class hierarchies cross files).

``fixtures/<rule>/<case>.input/`` is a tree of files, run as one run; ``<case>.expected/`` holds the
files that must change, with their exact text (a file absent there must not change). When the tree
has a ``model.py`` defining ``build()``, the rewritten package is imported and built with real
PyTorch: it must construct and be fully registered.
"""
from __future__ import annotations

import ast
import importlib
import shutil
import sys
from pathlib import Path

import pytest

from codemods import fix_paths

from _fixtures import FIXTURES, read

TREES = sorted(p for p in FIXTURES.glob("*/*.input") if p.is_dir())


def _files(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): read(p) for p in sorted(root.rglob("*.py"))}


def _expected(case: Path) -> dict[str, str]:
    expected = _files(case)
    expected_dir = case.with_name(case.name[: -len(".input")] + ".expected")
    if expected_dir.is_dir():
        expected.update(_files(expected_dir))
    return expected


@pytest.mark.parametrize("case", TREES, ids=[f"{p.parent.name}/{p.name[:-6]}" for p in TREES])
def test_tree(case: Path, tmp_path: Path) -> None:
    work = tmp_path / "tree"
    shutil.copytree(case, work)
    report = fix_paths([str(work)])
    assert not report.all_errors, report.all_errors
    assert _files(work) == _expected(case)
    for text in _files(work).values():
        ast.parse(text)
    again = fix_paths([str(work)])
    assert not any(r.changed for r in again.files), "a second run changed the tree again"

    if (work / "model.py").exists() and "def build(" in read(work / "model.py"):
        torch = pytest.importorskip("torch")
        sys.path.insert(0, str(work))
        names = [m for m in list(sys.modules) if m == "model" or m.split(".")[0] in {p.name for p in work.iterdir()}]
        for name in names:
            sys.modules.pop(name, None)
        try:
            model = importlib.import_module("model").build()
        finally:
            sys.path.remove(str(work))
            for name in [m for m in list(sys.modules) if m == "model" or m.split(".")[0] in {p.name for p in work.iterdir()}]:
                sys.modules.pop(name, None)
        assert isinstance(model, torch.nn.Module)
