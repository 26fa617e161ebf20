"""The warm path: a check over an unchanged tree prints exactly what the last one printed, without
importing the analysis, and any change the output could depend on makes it really run again."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from codemods import _replay

BUGGY = """\
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = [nn.Linear(2, 2) for _ in range(2)]
"""
CLEAN = "import torch.nn as nn\n\n\nclass Fine(nn.Module):\n    pass\n"


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.delenv("MODFIX_NO_CACHE", raising=False)
    monkeypatch.delenv("MODFIX_CACHE_DIR", raising=False)
    root = tmp_path / "project"
    (root / "src" / "pkg").mkdir(parents=True)
    (root / "src" / "pkg" / "__init__.py").write_text("")
    (root / "src" / "pkg" / "net.py").write_text(BUGGY)
    (root / "src" / "pkg" / "fine.py").write_text(CLEAN)
    (root / "src" / "broken.py").write_text("def (:\n")
    (root / "src" / ".gitignore").write_text("ignored_*.py\n")
    (root / "src" / "ignored_net.py").write_text(BUGGY)
    (root / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    monkeypatch.chdir(root)
    return root


def real_run(*arguments: str) -> tuple[str, str, int]:
    environment = {k: v for k, v in os.environ.items() if k not in ("MODFIX_NO_CACHE", "MODFIX_CACHE_DIR")}
    proc = subprocess.run([sys.executable, "-m", "codemods", *arguments], capture_output=True, text=True,
                          env=environment, stdin=subprocess.DEVNULL, timeout=120)
    return proc.stdout, proc.stderr, proc.returncode


def replayed(capsys, *arguments: str) -> tuple[str, str, int] | None:
    capsys.readouterr()
    code = _replay.replay(list(arguments))
    out, err = capsys.readouterr()
    return None if code is None else (out, err, code)


def test_an_unchanged_check_is_replayed_exactly(project, capsys):
    first = real_run("check", "src")
    assert first[2] == 2 and "MF101" in first[0] and "broken.py:1" in first[1]  # a finding and an error
    assert "ignored_net" not in first[0]
    assert replayed(capsys, "check", "src") == first
    assert real_run("check", "src") == first
    assert list((project / ".modfix_cache").glob("replay-*.marshal"))


@pytest.mark.parametrize("arguments", [
    ("check", "--statistics", "src"),
    ("check", "--output-format", "json", "src"),
    ("check", "--select=MF1", "-q", "--exit-zero", "src/pkg/net.py", "src/pkg/fine.py"),
])
def test_other_command_lines_are_replayed_with_their_own_output(project, capsys, arguments):
    first = real_run(*arguments)
    assert replayed(capsys, *arguments) == first
    assert replayed(capsys, "check", "src") is None  # a record per command line


def _edit(project: Path) -> None:
    path = project / "src" / "pkg" / "fine.py"
    path.write_text(CLEAN + "# edited\n")


def _edit_same_size(project: Path) -> None:
    path = project / "src" / "pkg" / "net.py"
    before = path.stat()
    path.write_text(BUGGY.replace("blocks", "layers"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000))


def _new_file(project: Path) -> None:
    (project / "src" / "pkg" / "more.py").write_text(BUGGY)


def _deleted_file(project: Path) -> None:
    (project / "src" / "pkg" / "fine.py").unlink()


def _gitignore(project: Path) -> None:
    (project / "src" / ".gitignore").write_text("ignored_*.py\nbroken.py\n")


def _configuration(project: Path) -> None:
    (project / "pyproject.toml").write_text("[project]\nname = 'demo'\n\n[tool.modfix]\nignore = ['MF101']\n")


def _package_above(project: Path) -> None:
    (project / "src" / "__init__.py").write_text("")


@pytest.mark.parametrize("change", [_edit, _edit_same_size, _new_file, _deleted_file, _gitignore, _configuration,
                                    _package_above])
def test_a_change_the_output_depends_on_makes_it_run_again(project, capsys, change):
    real_run("check", "src")
    change(project)
    assert replayed(capsys, "check", "src") is None
    after = real_run("check", "src")
    assert replayed(capsys, "check", "src") == after  # and the new run is recorded


def test_a_change_of_environment_is_another_record(project, capsys, monkeypatch):
    real_run("check", "src")
    monkeypatch.setenv("NO_COLOR", "1")
    assert replayed(capsys, "check", "src") is None


@pytest.mark.parametrize("arguments", [
    ("check", "-"), ("check", "--no-cache", "src"), ("check", "--add-noqa", "src"), ("apply", "src"),
    ("check", "--diff", "src"), ("check",), ("check", "-qj2", "src"), ("--version",), (),
])
def test_unusual_command_lines_are_never_replayed(project, arguments):
    assert not _replay.Invocation(list(arguments)).usable


def test_no_cache_in_the_environment_is_never_replayed(project, monkeypatch):
    assert _replay.Invocation(["check", "src"]).usable
    monkeypatch.setenv("MODFIX_NO_CACHE", "1")
    assert not _replay.Invocation(["check", "src"]).usable


def test_the_replay_imports_nothing_of_the_analysis(project):
    real_run("check", "src")
    environment = {k: v for k, v in os.environ.items() if k not in ("MODFIX_NO_CACHE", "MODFIX_CACHE_DIR")}
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "codemods", "check", "src"],
                          capture_output=True, text=True, env=environment, timeout=120)
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert "codemods._replay" in imported
    assert not {"codemods._engine", "codemods._cli", "click", "ast"} & imported
    assert "MF101" in proc.stdout and proc.returncode == 2


def test_a_package_made_above_the_checked_folder_makes_it_run_again(project, capsys):
    # module names (and so the class hierarchy) come from the __init__.py files above each file
    real_run("check", "src/pkg")
    (project / "src" / "__init__.py").write_text("")
    assert replayed(capsys, "check", "src/pkg") is None


def test_another_install_of_modfix_never_replays_this_ones_record(project, capsys, monkeypatch):
    # a pre-commit environment beside a virtualenv: same version, same command, perhaps other code
    first = real_run("check", "src")
    assert replayed(capsys, "check", "src") == first
    monkeypatch.setattr(sys, "executable", "/elsewhere/bin/python")
    assert replayed(capsys, "check", "src") is None


def test_records_are_pruned_to_the_newest(project, monkeypatch):
    monkeypatch.setattr(_replay, "KEPT_RECORDS", 3)
    cache = project / ".modfix_cache"
    real_run("check", "src")
    for n in range(6):
        recorded = list(cache.glob("replay-*.marshal"))
        _replay.save(["check", f"--select=MF{n}", "src"], str(cache), [], [(False, "")], 0)
        newest = set(cache.glob("replay-*.marshal")) - set(recorded)
        assert newest and len(list(cache.glob("replay-*.marshal"))) <= 3
    assert newest <= set(cache.glob("replay-*.marshal"))
