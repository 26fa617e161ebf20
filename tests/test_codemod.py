"""modfix for other tools: the LibCST codemod commands (``codemods.commands``) and ``fix_source``.

The commands are run for real, as ``python -m libcst.tool codemod`` in a subprocess with a
``.libcst.codemod.yaml``, and in-process through ``libcst.codemod.transform_module``; what they write must be exactly
what ``fix_source`` returns for the same rules.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import libcst
import pytest
from libcst.codemod import CodemodContext, TransformSkip, TransformSuccess, transform_module

import codemods
from codemods import Applicability, Finding, fix_source
from codemods.commands import (
    COMMANDS, AllRulesCommand, ModfixCommand, RegisterTensorsCommand, UseModuleDictCommand, UseModuleListCommand,
    UseSuperInitCommand,
)

REPO_ROOT = Path(__file__).resolve().parent.parent

BUGGY = """\
import torch.nn as nn


class Tower(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = [nn.Linear(4, 4) for _ in range(2)]
        self.heads = {"cls": nn.Linear(4, 10), "box": nn.Linear(4, 4)}
"""

CLEAN = """\
import torch.nn as nn


class Tower(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(4, 4) for _ in range(2)])
"""

# the list goes to a function modfix cannot see: the fix is unsafe, applied only on request
UNSAFE = """\
import torch.nn as nn

from hooks import register_hooks


class Probed(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = [nn.Linear(4, 4) for _ in range(2)]
        register_hooks(self.blocks)
"""

# `.sort()` does not exist on nn.ModuleList: reported, never fixed
DISPLAY_ONLY = """\
import torch.nn as nn


class Sorted(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = [nn.Linear(4, 4) for _ in range(2)]
        self.blocks.sort(key=id)
"""

CONFIG = """\
generated_code_marker: "@generated"
formatter: []
blacklist_patterns: []
modules:
  - codemods
repo_root: "."
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # the package from this checkout, whether or not it is installed
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH")) if p)
    return env


def _libcst_tool(cwd: Path, command: str, *args: str) -> subprocess.CompletedProcess[str]:
    # the command first: libcst finds it with a first parser that knows no options but -x, so
    # `-j 1 commands.X` would take "1" for the command. --no-format: the default formatter is
    # black, and `formatter: []` alone fails the file ("No formatter configured but code
    # formatting requested")
    return subprocess.run([sys.executable, "-m", "libcst.tool", "codemod", command, "--no-format", "--hide-progress",
                           "-j", "1", *args], cwd=cwd, env=_env(), capture_output=True, text=True, timeout=120)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".libcst.codemod.yaml").write_text(CONFIG)
    return tmp_path


# --- python -m libcst.tool codemod, for real ---------------------------------------------------

def test_libcst_tool_rewrites_the_file_as_fix_source_does(project: Path) -> None:
    model = project / "model.py"
    model.write_text(BUGGY)
    proc = _libcst_tool(project, "commands.UseModuleListCommand", "model.py")
    assert proc.returncode == 0, proc.stderr
    assert "Transformed 1 files successfully" in proc.stderr
    expected = fix_source(BUGGY, select={"MF101", "MF103"}).fixed
    assert expected is not None
    assert model.read_text() == expected
    # the list rule only: the dict of heads is UseModuleDictCommand's
    assert "nn.ModuleList([nn.Linear(4, 4) for _ in range(2)])" in expected
    assert 'self.heads = {"cls"' in expected


def test_libcst_tool_all_rules_and_a_directory(project: Path) -> None:
    package = project / "pkg"
    package.mkdir()
    (package / "model.py").write_text(BUGGY)
    (package / "clean.py").write_text(CLEAN)
    proc = _libcst_tool(project, "commands.AllRulesCommand", "pkg")
    assert proc.returncode == 0, proc.stderr
    assert (package / "model.py").read_text() == fix_source(BUGGY).fixed
    assert "nn.ModuleDict(" in (package / "model.py").read_text()
    assert (package / "clean.py").read_text() == CLEAN


def test_libcst_tool_unsafe_fixes_argument_and_warnings(project: Path) -> None:
    model = project / "model.py"
    model.write_text(UNSAFE)
    proc = _libcst_tool(project, "commands.UseModuleListCommand", "model.py")
    assert proc.returncode == 0, proc.stderr
    assert model.read_text() == UNSAFE
    # what is left is reported as a codemod warning, PATH-less LINE:COL: CODE message
    assert "WARNING: 9:23: MF101 " in proc.stderr

    proc = _libcst_tool(project, "commands.UseModuleListCommand", "--unsafe-fixes", "model.py")
    assert proc.returncode == 0, proc.stderr
    assert model.read_text() == fix_source(UNSAFE, unsafe_fixes=True).fixed
    assert "nn.ModuleList(" in model.read_text()


def test_libcst_tool_external_name_needs_no_config(tmp_path: Path) -> None:
    model = tmp_path / "model.py"
    model.write_text(BUGGY)
    proc = _libcst_tool(tmp_path, "codemods.commands.UseModuleDictCommand", "-x", "model.py")
    assert proc.returncode == 0, proc.stderr
    assert model.read_text() == fix_source(BUGGY, select={"MF102", "MF104"}).fixed


def test_libcst_tool_lists_the_commands_but_not_the_base(project: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "libcst.tool", "list"], cwd=project, env=_env(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    for command in COMMANDS:
        assert f".{command.__name__} - {command.DESCRIPTION}" in proc.stdout
    assert "ModfixCommand" not in proc.stdout


def test_libcst_tool_keeps_the_file_encoding(project: Path) -> None:
    text = BUGGY.replace("import torch.nn as nn\n", '# -*- coding: latin-1 -*-\nimport torch.nn as nn\nNAME = "\xe9"\n')
    model = project / "model.py"
    model.write_bytes(text.encode("latin-1"))
    proc = _libcst_tool(project, "commands.UseModuleListCommand", "model.py")
    assert proc.returncode == 0, proc.stderr
    expected = text.replace("[nn.Linear(4, 4) for _ in range(2)]", "nn.ModuleList([nn.Linear(4, 4) for _ in range(2)])")
    assert model.read_bytes() == expected.encode("latin-1")


# --- in-process --------------------------------------------------------------------------------

def transform_code(command: ModfixCommand, code: str) -> str:
    """The new text, through libcst's own runner (which never raises: it returns a result)."""
    result = transform_module(command, code)
    assert isinstance(result, TransformSuccess), result
    return result.code


@pytest.mark.parametrize("command, codes", [
    (UseModuleListCommand, {"MF101", "MF103"}),
    (UseModuleDictCommand, {"MF102", "MF104"}),
    (RegisterTensorsCommand, {"MF201", "MF202"}),
    (UseSuperInitCommand, {f"MF30{n}" for n in range(1, 7)}),  # MF307 and MF308 are off by default
    (AllRulesCommand, None),
])
def test_transform_code_matches_fix_source(command: type[ModfixCommand], codes: set[str] | None) -> None:
    assert command.CODES == (frozenset(codes) if codes is not None else None)
    for source in (BUGGY, CLEAN, UNSAFE):
        expected = fix_source(source, select=codes).fixed or source
        assert transform_code(command(CodemodContext()), source) == expected


def test_every_rule_enabled_by_default_has_a_family_command() -> None:
    families = set().union(*(c.CODES for c in COMMANDS if c.CODES is not None))
    assert families == {r.code for r in codemods.RULES if r.default_enabled}
    assert all(c.DESCRIPTION and c.DESCRIPTION != ModfixCommand.DESCRIPTION for c in COMMANDS)


def test_transform_code_fixed_text_and_warnings() -> None:
    context = CodemodContext()
    new = transform_code(AllRulesCommand(context), BUGGY)
    assert "nn.ModuleList(" in new and "nn.ModuleDict(" in new
    assert context.warnings == []

    context = CodemodContext()
    assert transform_code(UseModuleListCommand(context), DISPLAY_ONLY) == DISPLAY_ONLY
    assert len(context.warnings) == 1 and context.warnings[0].startswith("7:23: MF101 ")
    assert ".sort()" in context.warnings[0]

    context = CodemodContext()
    assert transform_code(UseModuleListCommand(context, unsafe_fixes=True), UNSAFE) == \
        fix_source(UNSAFE, unsafe_fixes=True).fixed
    assert context.warnings == []


def test_transform_module_leaves_a_clean_tree_alone() -> None:
    tree = libcst.parse_module(CLEAN)
    command = AllRulesCommand(CodemodContext())
    # transform_module hands the impl a copy (the metadata wrapper's), which comes back as is
    assert command.transform_module_impl(tree) is tree
    assert command.transform_module(tree).deep_equals(tree)


def test_text_modfix_cannot_analyse_is_skipped() -> None:
    # LibCST's parser accepts a NUL byte in a comment; Python's (and so modfix) refuses it
    source = "import torch.nn as nn\n# \0\n"
    result = transform_module(AllRulesCommand(CodemodContext()), source)
    assert isinstance(result, TransformSkip)
    assert result.skip_description == "modfix cannot analyse this file: line 2: file contains a NUL byte (binary data?)"


# --- the public API, for a tool that embeds modfix ---------------------------------------------

def test_fix_source_returns_new_text_and_findings() -> None:
    result = fix_source(BUGGY)
    assert result.error is None
    assert result.original == BUGGY
    assert result.fixed == BUGGY.replace(
        "[nn.Linear(4, 4) for _ in range(2)]", "nn.ModuleList([nn.Linear(4, 4) for _ in range(2)])").replace(
        '{"cls": nn.Linear(4, 10), "box": nn.Linear(4, 4)}',
        'nn.ModuleDict({"cls": nn.Linear(4, 10), "box": nn.Linear(4, 4)})')
    assert [(f.code, f.line, f.column, f.applicability) for f in result.findings] == [
        ("MF101", 7, 23, Applicability.SAFE),
        ("MF102", 8, 22, Applicability.SAFE),
    ]
    for finding in result.findings:
        assert isinstance(finding, Finding)
        assert finding.fixable
        assert "plain" in finding.message
    assert "nn.ModuleList" in result.findings[0].message
    assert "nn.ModuleDict" in result.findings[1].message
    assert result.applied == result.findings and result.remaining == []


def test_fix_source_select_unsafe_and_clean() -> None:
    only_dicts = fix_source(BUGGY, select=["MF102"])
    assert [f.code for f in only_dicts.findings] == ["MF102"]
    assert "nn.ModuleList" not in only_dicts.fixed and "nn.ModuleDict(" in only_dicts.fixed

    unsafe = fix_source(UNSAFE)
    assert unsafe.fixed is None
    assert [(f.code, f.applicability) for f in unsafe.findings] == [("MF101", Applicability.UNSAFE)]
    assert "nn.ModuleList(" in fix_source(UNSAFE, unsafe_fixes=True).fixed

    display_only = fix_source(DISPLAY_ONLY, unsafe_fixes=True)
    assert display_only.fixed is None
    assert [(f.code, f.applicability, f.fixable) for f in display_only.findings] == [
        ("MF101", Applicability.DISPLAY_ONLY, False)]

    clean = fix_source(CLEAN)
    assert clean.fixed is None and clean.findings == [] and clean.error is None


def test_fix_source_reports_unparsable_text() -> None:
    result = fix_source("class Broken(:\n")
    assert result.fixed is None and result.findings == []
    assert result.error is not None and result.error.line == 1


def test_the_readme_command_works_as_typed(tmp_path: Path) -> None:
    # the configuration the README shows, and its command verbatim: no --no-format, no black installed
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## As a library, and as libcst codemods"):]
    config = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
    command = re.search(r"`(python -m libcst\.tool codemod [^`]*)`", section).group(1)
    (tmp_path / ".libcst.codemod.yaml").write_text(config)
    (tmp_path / "src").mkdir()
    model = tmp_path / "src" / "model.py"
    model.write_bytes(BUGGY.replace("\n", "\r\n").encode())
    env = _env()
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])  # `python` is this one
    proc = subprocess.run(command.split(), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Transformed 1 files successfully" in proc.stderr, proc.stderr
    expected = fix_source(BUGGY, select={"MF101", "MF103"}).fixed
    assert model.read_bytes() == expected.replace("\n", "\r\n").encode()


ODD = sorted((REPO_ROOT / "tests" / "data" / "rewrite").glob("*.py"))


@pytest.mark.parametrize("path", ODD, ids=[p.stem for p in ODD])
def test_all_rules_command_matches_fix_source_in_odd_places(path: Path) -> None:
    # imports added (with no blank line below them), decorators, semicolons, parentheses, form feeds
    source = path.read_text(encoding="utf-8")
    if "\r" in source or "\x0c" in source:
        pytest.skip("libcst's parser and codegen drop some of these bytes on their own")
    expected = fix_source(source).fixed or source
    assert transform_code(AllRulesCommand(CodemodContext()), source) == expected
