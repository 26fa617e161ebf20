"""The output does not depend on the number of processes, and cross-file facts reach every worker."""
from __future__ import annotations

import shutil
from pathlib import Path

from codemods import fix_paths
from codemods._engine import PARALLEL_THRESHOLD

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _tree(root: Path) -> Path:
    """The single-file fixtures side by side, plus a package whose hierarchy crosses files."""
    root.mkdir(parents=True)
    for index, case in enumerate(sorted(FIXTURES.glob("*/*.input.py"))):
        shutil.copyfile(case, root / f"case_{index:03d}.py")
    package = root / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "base.py").write_text(
        "import torch.nn as nn\n\n\nclass Base(nn.Module):\n    def __init__(self):\n"
        "        super().__init__()\n        self.blocks = [nn.Linear(2, 2) for _ in range(2)]\n"
    )
    for index in range(3):
        (package / f"child_{index}.py").write_text(
            "from .base import Base\nimport torch.nn as nn\n\n\nclass Child(Base):\n    def __init__(self):\n"
            "        super().__init__()\n        self.heads = {'a': nn.Linear(2, 2)}\n"
            + ("\n    def prune(self):\n        self.blocks.sort(key=id)\n" if index == 2 else "")
        )
    assert len(list(root.rglob("*.py"))) > PARALLEL_THRESHOLD
    return root


def _outcome(report):
    return [
        (Path(r.path).name, r.fixed, [(f.line, f.column, f.code, f.applicability.value, f.message) for f in r.findings],
         r.error and r.error.message)
        for r in report.files
    ]


def test_one_process_and_two_give_the_same_output(tmp_path):
    tree = _tree(tmp_path / "tree")
    sequential = fix_paths([str(tree)], write=False, unsafe_fixes=True, jobs=1)
    parallel = fix_paths([str(tree)], write=False, unsafe_fixes=True, jobs=2)
    assert _outcome(sequential) == _outcome(parallel)
    # the subclass in another file made the base's fix display-only, in both modes
    base = [r for r in parallel.files if r.path.endswith("base.py")][0]
    assert [f.applicability.value for f in base.findings] == ["display-only"]


def test_parallel_writes_the_same_files(tmp_path):
    one = _tree(tmp_path / "one")
    two = shutil.copytree(one, tmp_path / "two")
    fix_paths([str(one)], jobs=1)
    fix_paths([str(two)], jobs=2)
    for path in sorted(one.rglob("*.py")):
        assert path.read_text() == (two / path.relative_to(one)).read_text(), path.name
