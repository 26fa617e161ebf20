"""modfix never runs the code it reads: a tree whose every module writes a marker file when imported or
run (modules, packages, conftest.py, setup.py, a module named like one modfix itself imports, the
module a `module-factories` setting names) is checked and fixed, and no marker appears.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from codemods import fix_paths

SCRIPT = Path(sys.executable).with_name("modfix")


def side_effect(marker_dir: Path, name: str) -> str:
    return f"open({str(marker_dir / name)!r}, 'w').write('ran')\n"


def evil_tree(root: Path, marker_dir: Path, padding: int = 0) -> dict[Path, str]:
    """Every file runs a side effect at import; the Module files also hold a bug for apply to fix."""
    buggy = (
        "import torch.nn as nn\n{effect}\n\n"
        "class {name}(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.blocks = [nn.Linear(2, 2) for _ in range(2)]\n"
    )
    files = {
        "pkg/__init__.py": side_effect(marker_dir, "pkg-init"),
        "pkg/model.py": buggy.format(effect=side_effect(marker_dir, "model"), name="Model"),
        "pkg/__main__.py": side_effect(marker_dir, "main"),
        "pkg/factories.py": side_effect(marker_dir, "factories")
        + "import torch.nn as nn\n\n\ndef build():\n    return nn.Linear(2, 2)\n",
        "pkg/uses_factory.py": "import torch.nn as nn\nfrom pkg.factories import build\n"
        + side_effect(marker_dir, "uses-factory")
        + "\n\nclass Heads(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.heads = [build() for _ in range(2)]\n",
        "conftest.py": side_effect(marker_dir, "conftest") + "import pytest\n",
        "setup.py": side_effect(marker_dir, "setup") + "from setuptools import setup\nsetup(name='evil')\n",
        # names modfix or its dependencies import: found on sys.path first, they would run
        "torch.py": side_effect(marker_dir, "torch-shadow"),
        "click.py": side_effect(marker_dir, "click-shadow"),
        "libcst.py": side_effect(marker_dir, "libcst-shadow"),
        "tomllib.py": side_effect(marker_dir, "tomllib-shadow"),
        "sitecustomize.py": side_effect(marker_dir, "sitecustomize"),
        "usercustomize.py": side_effect(marker_dir, "usercustomize"),
        "pyproject.toml": '[tool.modfix]\nmodule-factories = ["pkg.factories.build"]\n',
    }
    for index in range(padding):  # enough files for the parallel engine (64 and more)
        files[f"more/m{index:03d}.py"] = buggy.format(effect=side_effect(marker_dir, f"m{index:03d}"),
                                                       name=f"M{index}")
    written = {}
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written[path] = text
    return written


@pytest.fixture
def tree(tmp_path):
    root, markers = tmp_path / "project", tmp_path / "markers"
    markers.mkdir()
    files = evil_tree(root, markers, padding=70)
    return root, markers, files


def modfix_command() -> list[str]:
    if SCRIPT.exists():
        return [str(SCRIPT)]
    if sys.version_info >= (3, 11):
        return [sys.executable, "-P", "-m", "codemods._cli"]  # -P: the working directory is not on sys.path
    pytest.skip("no modfix script beside the interpreter")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_check_and_apply_never_import_or_run_the_code(tree, jobs):
    root, markers, files = tree
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONSTARTUP",)}
    check = subprocess.run(modfix_command() + ["check", "--jobs", jobs, "--select", "ALL", "."], cwd=root,
                           capture_output=True, env=env, timeout=120)
    assert check.returncode == 1, check.stderr.decode()
    assert b"pkg/model.py" in check.stdout and b"more/m000.py" in check.stdout
    assert sorted(os.listdir(markers)) == []
    apply = subprocess.run(modfix_command() + ["apply", "--unsafe-fixes", "--jobs", jobs, "--select", "ALL", "."],
                           cwd=root, capture_output=True, env=env, timeout=120)
    assert apply.returncode == 1, apply.stderr.decode()
    assert "nn.ModuleList" in (root / "pkg/model.py").read_text()
    assert "nn.ModuleList" in (root / "pkg/uses_factory.py").read_text()  # the factory was read, not called
    assert sorted(os.listdir(markers)) == []
    for path in ("conftest.py", "setup.py", "torch.py", "pkg/__init__.py"):
        assert (root / path).read_text() == files[root / path]


def test_library_never_imports_the_code(tree, monkeypatch):
    root, markers, _ = tree
    monkeypatch.chdir(root)
    monkeypatch.syspath_prepend(str(root))  # even importable, it is only read
    before = set(sys.modules)
    report = fix_paths(["."], unsafe_fixes=True, write=False)
    assert any(result.changed for result in report.files)
    assert sorted(os.listdir(markers)) == []
    assert not {"pkg", "pkg.model", "conftest", "setup", "more"} & (set(sys.modules) - before)
