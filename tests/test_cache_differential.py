"""The cache never changes an answer: random edits of a project and random modfix commands, each cached
run compared with a ``--no-cache`` run on an identical copy of the tree.

Edits: bugs added and removed, a base changed in another file, files added, moved and deleted,
``__init__.py`` added and removed, ``[tool.modfix]`` and ``.gitignore`` edited, a touch without a change.
Commands: ``check`` (whose unchanged repeats are replayed) and ``apply`` in their output formats, on the
whole tree, a folder or one file. Each step runs the real program in a subprocess, as users do.

Bounded here (a few examples); ``MODFIX_DIFFERENTIAL_EXAMPLES=200 MODFIX_DIFFERENTIAL_STEPS=40`` or
``python benchmarks/cache_differential.py`` runs long.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, settings, strategies as st  # noqa: E402
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = int(os.environ.get("MODFIX_DIFFERENTIAL_EXAMPLES", "3"))
STEPS = int(os.environ.get("MODFIX_DIFFERENTIAL_STEPS", "8"))

BASE_BUGGY = """\
import torch.nn as nn


class Base(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = [nn.Linear(2, 2) for _ in range(2)]
"""
BASE_CLEAN = BASE_BUGGY.replace("self.layers = [nn.Linear(2, 2) for _ in range(2)]",
                                "self.layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(2)])")
SUB_REVERSE = """\
from pkg.base import Base


class Reversed(Base):
    def __init__(self):
        super().__init__()
        self.layers.reverse()
"""
SUB_OWN_BUG = """\
import torch
import torch.nn as nn

from pkg.base import Base


class Extra(Base):
    def __init__(self):
        super().__init__()
        self.heads = {"a": nn.Linear(2, 2)}
        self.scale = torch.ones(2)

    def forward(self, x):
        return self.heads["a"](x) * self.scale
"""
TRAIN = """\
import torch.nn as nn
from model import Net


class Bigger(Net):
    def __init__(self):
        super().__init__()
        self.heads = [nn.Linear(2, 2) for _ in range(2)]
"""
NET = BASE_BUGGY.replace("class Base(", "class Net(")
TEXTS = [BASE_BUGGY, BASE_CLEAN, SUB_REVERSE, SUB_OWN_BUG, TRAIN, NET, "x = 1\n", "def broken(:\n"]
FILES = ["pkg/base.py", "pkg/sub.py", "pkg/extra.py", "loose/model.py", "loose/train.py", "loose2/model.py",
         "other/train.py"]
FOLDERS = ["pkg", "loose", "loose2", "other"]
CONFIGS = ["", "ignore = ['MF101']\n", "extend-exclude = ['other']\n", "select = ['MF1', 'MF2']\n",
           "unsafe-fixes = true\n"]
IGNORES = ["", "loose2/\n", "*.py\n!pkg/*.py\n", "other/train.py\n"]
COMMANDS = [["check"], ["check", "--statistics"], ["check", "--output-format", "json"],
            ["check", "--output-format", "sarif"], ["check", "-q", "--unsafe-fixes"], ["apply", "--diff"],
            ["apply", "--diff", "--output-format", "json"], ["apply"], ["apply", "--unsafe-fixes"]]
TARGETS = [".", "pkg", "pkg/base.py", "loose/model.py", "loose"]


def _modfix(cwd: Path, *args: str) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODFIX_")}
    proc = subprocess.run([sys.executable, "-m", "codemods", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)
    return proc.returncode, proc.stdout, proc.stderr


def _contents(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".modfix_cache" not in p.parts}


class CachedEqualsFresh(RuleBasedStateMachine):
    @initialize()
    def make_project(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="modfix-differential-"))
        self.tree = self.root / "tree"
        self.tree.mkdir()
        (self.tree / ".git").mkdir()  # a project (its .gitignore applies)
        self.write("pyproject.toml", "[project]\nname = 'demo'\n\n[tool.modfix]\n")
        self.write("pkg/__init__.py", "")
        self.write("pkg/base.py", BASE_BUGGY)
        self.write("pkg/sub.py", SUB_REVERSE)
        self.write("loose/model.py", NET)

    def teardown(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def _walked(self) -> set[str]:
        return _walked_files(self.tree)

    def write(self, name: str, text: str) -> None:
        path = self.tree / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    @rule(name=st.sampled_from(FILES), text=st.sampled_from(TEXTS))
    def edit(self, name: str, text: str) -> None:
        self.write(name, text)

    @rule(name=st.sampled_from(FILES))
    def delete(self, name: str) -> None:
        (self.tree / name).unlink(missing_ok=True)

    @rule(source=st.sampled_from(FILES), destination=st.sampled_from(FILES))
    def move(self, source: str, destination: str) -> None:
        if (self.tree / source).exists() and source != destination:
            (self.tree / destination).parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.tree / source, self.tree / destination)

    @rule(folder=st.sampled_from(FOLDERS))
    def toggle_package(self, folder: str) -> None:
        marker = self.tree / folder / "__init__.py"
        if marker.exists():
            marker.unlink()
        elif marker.parent.is_dir():
            marker.write_text("")

    @rule(table=st.sampled_from(CONFIGS))
    def configure(self, table: str) -> None:
        self.write("pyproject.toml", "[project]\nname = 'demo'\n\n[tool.modfix]\n" + table)

    @rule(patterns=st.sampled_from(IGNORES))
    def ignore(self, patterns: str) -> None:
        self.write(".gitignore", patterns)

    @rule(name=st.sampled_from(FILES))
    def touch(self, name: str) -> None:
        if (self.tree / name).exists():
            os.utime(self.tree / name)

    @rule(command=st.sampled_from(COMMANDS), where=st.sampled_from(TARGETS))
    def run_both(self, command: list[str], where: str) -> None:
        twin = self.root / "twin"
        shutil.rmtree(twin, ignore_errors=True)
        shutil.copytree(self.tree, twin, ignore=shutil.ignore_patterns(".modfix_cache"))
        if not (self.tree / where).exists():
            return
        cached = _modfix(self.tree, *command, where)
        fresh = _modfix(twin, *command, "--no-cache", where)
        assert cached == fresh, f"modfix {' '.join(command)} {where}: cached {cached!r} != fresh {fresh!r}"
        assert _contents(self.tree) == _contents(twin)


    @rule(command=st.sampled_from([["check"], ["apply", "--diff"], ["apply", "--diff", "--unsafe-fixes"]]),
          name=st.sampled_from(FILES))
    def one_file_as_the_whole_tree(self, command: list[str], name: str) -> None:
        # pre-commit passes some files: what modfix says of them must be what a run on the whole tree says
        if not (self.tree / name).exists() or name not in self._walked():
            return  # a file named on the command line is taken even when the walk of the tree skips it
        code, alone, _ = _modfix(self.tree, *command, "--no-cache", name)
        _, whole, _ = _modfix(self.tree, *command, "--no-cache", ".")
        if command[0] == "check":
            mine = [line for line in whole.splitlines(keepends=True) if line.startswith(name + ":")]
            assert alone == "".join(mine), f"{name}: alone {alone!r}, in the whole tree {whole!r}"
        else:  # the diff of that one file
            chunks = whole.split("--- ")
            mine = [c for c in chunks if c.startswith(f"a/{name}") or c.startswith(name)]
            assert (alone.count("--- ") == len(mine)) and all(c in alone for c in mine), (alone, whole)


def _walked_files(tree: Path) -> set[str]:
    from codemods import RULES
    from codemods._config import load_config
    from codemods._files import discover

    config = load_config(tree / "pyproject.toml", RULES)
    found = discover([str(tree)], exclude=config.exclude + config.extend_exclude).files
    return {Path(os.path.relpath(path, tree)).as_posix() for path in found}


CachedEqualsFresh.TestCase.settings = settings(
    max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
test_cached_runs_answer_as_fresh_ones = CachedEqualsFresh.TestCase
