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


def test_a_tiny_tree_budget_gives_the_same_output(tmp_path, monkeypatch):
    from codemods import _engine

    tree = _tree(tmp_path / "tree")
    reference = _outcome(fix_paths([str(tree)], write=False, unsafe_fixes=True, jobs=1))
    monkeypatch.setattr(_engine, "TREE_BUDGET", 1)  # every tree dropped as soon as another is needed
    assert _outcome(fix_paths([str(tree)], write=False, unsafe_fixes=True, jobs=1)) == reference
    assert _outcome(fix_paths([str(tree)], write=False, unsafe_fixes=True, jobs=2)) == reference


def test_the_files_of_a_worker_that_dies_are_done_by_the_main_process(tmp_path, monkeypatch):
    import os

    from codemods import _engine

    tree = _tree(tmp_path / "tree")
    reference = _outcome(fix_paths([str(tree)], write=False, unsafe_fixes=True, jobs=1))
    main = os.getpid()
    analyse = _engine._analyse

    def dies_in_a_worker(the_run, parsed, *args):
        if os.getpid() != main and parsed.path.endswith("child_2.py"):
            os._exit(3)
        return analyse(the_run, parsed, *args)

    monkeypatch.setattr(_engine, "_analyse", dies_in_a_worker)
    assert _outcome(fix_paths([str(tree)], write=False, unsafe_fixes=True, jobs=2)) == reference


def test_a_dropped_file_is_freed_at_once_with_the_cyclic_collector_off(tmp_path):
    """Parent links and the rules' analyses must not make a tree a reference cycle: with the collector
    off (as during a run) a cycle would keep every dropped tree until the process ends."""
    import ast
    import gc
    import weakref

    from codemods import RULES
    from codemods._engine import Options, Run, analyse, parse_file

    tree = _tree(tmp_path / "tree")
    first, base, second = tree / "pkg" / "child_2.py", tree / "pkg" / "base.py", tree / "pkg" / "child_0.py"
    analysed, base_file, other = (parse_file(str(p), p.read_bytes()) for p in (first, base, second))
    # room for the analysed file and its base (which the analysis reads: does the base's init reach
    # nn.Module.__init__?), not for a third file
    budget = len(analysed.source.text) + len(base_file.source.text)
    the_run = Run([analysed.summary, base_file.summary, other.summary], budget=budget)
    context = the_run.context(analysed)
    assert analyse(context, RULES, Options(unsafe_fixes=True))  # facts, parent links, cached analyses
    # a method: its nodes are the ones with parent links
    method = next(n for n in ast.walk(analysed.tree) if isinstance(n, ast.FunctionDef))
    method_of_first = weakref.ref(method)
    del context, analysed, method
    assert method_of_first() is not None
    collecting = gc.isenabled()
    gc.disable()
    try:
        the_run.context(other)  # over the budget: the least recently used file, the first, is dropped
        assert method_of_first() is None
    finally:
        if collecting:
            gc.enable()
