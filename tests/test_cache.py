"""The result cache: a warm run says exactly what a cold run says, and a change anywhere it matters
(the file, a base class's file, a subclass's file, the settings) is seen."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from codemods._cli import cli

BASE = """\
import torch.nn as nn


class Base(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = [nn.Linear(2, 2) for _ in range(2)]
"""
CHILD = """\
from .base import Base


class Child(Base):
    def prune(self):
        return len(self.blocks)
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.delenv("MODFIX_NO_CACHE", raising=False)
    root = tmp_path / "project"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "base.py").write_text(BASE)
    (root / "pkg" / "child.py").write_text(CHILD)
    monkeypatch.chdir(root)
    return root


def check(*args: str):
    result = CliRunner().invoke(cli, ["check", "-j", "1", *args, "pkg"])
    return result.exit_code, result.stdout


def touch_later(path: Path, text: str) -> None:
    """Write, and make sure the mtime moves even within one timestamp tick."""
    before = path.stat().st_mtime_ns
    path.write_text(text)
    os.utime(path, ns=(before + 10_000_000, before + 10_000_000))


def test_warm_run_matches_cold_and_parses_no_file(project, monkeypatch):
    # a display-only finding: nothing to fix, so its result is cached too
    (project / "pkg" / "child.py").write_text(CHILD.replace("return len(self.blocks)", "self.blocks.sort(key=id)"))
    cold = check()
    assert cold[0] == 1 and "not fixed automatically" in cold[1]
    assert (project / ".modfix_cache").is_dir()
    from codemods import _engine

    def no_parse(*args, **kwargs):
        raise AssertionError("a warm run over an unchanged tree parsed a file")

    monkeypatch.setattr(_engine, "parse_file", no_parse)
    assert check() == cold


def test_a_change_in_a_subclass_file_reaches_the_base_result(project):
    assert "MF101 [*]" in check()[1]
    touch_later(project / "pkg" / "child.py", CHILD.replace("return len(self.blocks)", "self.blocks.sort(key=id)"))
    code, out = check()
    assert code == 1 and "MF101 [*]" not in out and ".sort() is called on it" in out  # display-only now
    assert check() == (code, out)


BLOCK = """\
import torch.nn as nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(2, 2)
"""
HOLDER = """\
import torch.nn as nn

from .block import Block


class Holder(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = [Block() for _ in range(2)]
"""


@pytest.mark.parametrize("edit", ["not a module any more", "its __init__ skips nn.Module's"])
def test_a_change_in_an_imported_class_reaches_the_file_that_builds_it(project, edit):
    # Holder's finding depends on what Block is, though neither derives from the other
    (project / "pkg" / "block.py").write_text(BLOCK)
    (project / "pkg" / "holder.py").write_text(HOLDER)
    assert "holder.py:9:23: MF101 [*]" in check()[1]
    changed = (BLOCK.replace("(nn.Module)", "(object)").replace("super().__init__()", "pass")
               if edit == "not a module any more" else BLOCK.replace("super()", "super(nn.Module, self)"))
    touch_later(project / "pkg" / "block.py", changed)
    cached = check()
    assert "holder.py:9:23: MF101 [*]" not in cached[1]
    assert cached == check("--no-cache")


def test_settings_and_content_changes_are_seen(project):
    assert check()[0] == 1
    assert check("--ignore", "MF101")[0] == 0
    touch_later(project / "pkg" / "base.py", BASE.replace("[nn.Linear(2, 2) for _ in range(2)]", "[1, 2]"))
    assert check()[0] == 0
    touch_later(project / "pkg" / "base.py", "def broken(:\n")
    code, out = check()
    assert code == 2


def test_apply_after_a_cached_check_fixes_the_file(project):
    assert check()[0] == 1
    result = CliRunner().invoke(cli, ["apply", "-j", "1", "pkg"])
    assert result.exit_code == 1
    assert "nn.ModuleList(" in (project / "pkg" / "base.py").read_text()
    assert check() == (0, "")


def test_no_cache_keeps_nothing(project):
    result = CliRunner().invoke(cli, ["check", "--no-cache", "pkg"])
    assert result.exit_code == 1
    assert not (project / ".modfix_cache").exists()


def test_results_of_other_modfix_code_are_never_served(project, monkeypatch):
    """A new checkout or install under the same version number (pre-commit moving to a new rev, an
    edited rule) must not be answered from results the old code computed."""
    from codemods import _engine

    cold = check()
    assert cold[0] == 1 and "MF101 [*]" in cold[1]
    monkeypatch.setattr(_engine, "tool_digest", lambda: "other code")

    parsed = []
    real_parse = _engine.parse_file
    monkeypatch.setattr(_engine, "parse_file", lambda *a, **k: parsed.append(a) or real_parse(*a, **k))
    assert check() == cold
    assert parsed, "a run under other modfix code answered from the old code's cache"


MIXED = """\
import torch
import torch.nn as nn


class Tower(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = [nn.Linear(4, 4) for _ in range(2)]
        self.heads = [nn.Linear(4, 4), "x"]
        self.scale = nn.Parameter(torch.ones(4)).double()
"""


UNSAFE_ONLY = """\
import torch
import torch.nn as nn


class Tower(nn.Module):
    def __init__(self):
        super().__init__()
        self.offset = torch.zeros(4)

    def forward(self, x):
        return x + self.offset
"""


@pytest.mark.parametrize("command", [["check"], ["apply", "--diff"], ["apply", "--diff", "--unsafe-fixes"]])
@pytest.mark.parametrize("output_format", ["json", "sarif"])
@pytest.mark.parametrize("text", [MIXED, UNSAFE_ONLY, BASE.replace("for _ in range(2)]", "for _ in range(2)] + ['x']")],
                         ids=["fixes", "unsafe-only", "display-only"])
def test_machine_output_from_the_cache_equals_a_fresh_run(project, command, output_format, text):
    # a cached result never read its file: the edits of its fixes must still come out the same
    (project / "pkg" / "base.py").write_text(text)
    runner = CliRunner()
    fresh = runner.invoke(cli, [*command, "--output-format", output_format, "--no-cache", "pkg"])
    assert fresh.exit_code in (0, 1), fresh.output
    for warm_up in (["check", "-q", "pkg"], ["check", "--output-format", output_format, "pkg"]):
        runner.invoke(cli, warm_up)
        cached = runner.invoke(cli, [*command, "--output-format", output_format, "pkg"])
        assert (cached.exit_code, cached.stdout) == (fresh.exit_code, fresh.stdout), cached.output


@pytest.mark.parametrize("change", ["remove", "add"])
def test_a_package_marker_added_or_removed_renames_the_cached_modules(project, change):
    # child.py's `from pkg.base import Base` resolves only when pkg is a package: base.py's findings
    # depend on pkg/__init__.py, which is not one of the files analysed
    init = project / "pkg" / "__init__.py"
    (project / "pkg" / "child.py").write_text(CHILD.replace("return len(self.blocks)", "self.blocks.sort(key=id)")
                                              .replace("from .base", "from pkg.base"))
    if change == "add":
        init.unlink()
    for command in (["check"], ["apply", "--diff"], ["check"]):
        CliRunner().invoke(cli, [*command, "pkg"])
    if change == "add":
        init.write_text("")
    else:
        init.unlink()
    for command in (["check"], ["apply", "--diff"], ["check", "--output-format", "json"]):
        fresh = CliRunner().invoke(cli, [*command, "--no-cache", "pkg"])
        cached = CliRunner().invoke(cli, [*command, "pkg"])
        assert (cached.exit_code, cached.stdout) == (fresh.exit_code, fresh.stdout), command


def test_the_cache_lives_at_the_top_of_the_project_whatever_the_working_folder(project, tmp_path, monkeypatch):
    (project / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = CliRunner().invoke(cli, ["check", str(project / "pkg" / "base.py")])
    assert result.exit_code == 1, result.output
    assert (project / ".modfix_cache").is_dir() and not (elsewhere / ".modfix_cache").exists()


def test_runs_from_another_folder_use_the_same_cache(project, tmp_path, monkeypatch):
    (project / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    target = str(project / "pkg" / "base.py")
    first = CliRunner().invoke(cli, ["check", "-j", "1", target])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    from codemods import _engine

    def no_parse(*args, **kwargs):
        raise AssertionError("a run from another folder parsed a file the cache holds")

    monkeypatch.setattr(_engine, "parse_file", no_parse)
    again = CliRunner().invoke(cli, ["check", "-j", "1", target])
    assert (again.exit_code, again.stdout) == (first.exit_code, first.stdout)
