"""[tool.modfix] configuration and suppression comments, through the public API and the CLI."""
from __future__ import annotations

import io
import textwrap
import tokenize
from pathlib import Path

import pytest
from click.testing import CliRunner

from codemods import RULES, fix_source
from codemods._cli import cli
from codemods._config import ConfigError, find_config, load_config, read_suppressions

BUGGY = """\
import torch.nn as nn


class Tower(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = [nn.Linear(4, 4) for _ in range(2)]{comment}
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_config_is_found_walking_up_and_select_ignore_apply(tmp_path, monkeypatch):
    write(tmp_path / "pyproject.toml", """
        [tool.modfix]
        ignore = ["MF101"]
    """)
    model = write(tmp_path / "src" / "pkg" / "model.py", BUGGY.format(comment=""))
    assert find_config(model.parent) == tmp_path / "pyproject.toml"
    result = run("check", str(model))
    assert result.exit_code == 0, result.output
    result = run("check", "--select", "MF101", str(model))  # the command line overrides the file
    assert result.exit_code == 1 and "MF101" in result.stdout


def test_per_file_ignores_are_relative_to_the_config(tmp_path):
    write(tmp_path / "pyproject.toml", """
        [tool.modfix]
        per-file-ignores = { "legacy/*" = ["MF1"] }
    """)
    legacy = write(tmp_path / "legacy" / "old.py", BUGGY.format(comment=""))
    fresh = write(tmp_path / "new" / "model.py", BUGGY.format(comment=""))
    result = run("check", str(tmp_path))
    assert result.exit_code == 1
    assert str(fresh) in result.stdout and str(legacy) not in result.stdout


@pytest.mark.parametrize("table, message", [
    ('selct = ["MF101"]', "unknown key [tool.modfix] 'selct'"),
    ('extend_select = ["MF308"]', "did you mean 'extend-select'"),
    ('select = ["MF999"]', "unknown rule code 'MF999'"),
    ('unsafe-fixes = "yes"', "unsafe-fixes must be true or false"),
    ('per-file-ignores = { "x/*" = ["XX1"] }', "unknown rule code 'XX1'"),
])
def test_bad_configuration_is_a_clear_error(tmp_path, table, message):
    write(tmp_path / "pyproject.toml", f"[tool.modfix]\n{table}\n")
    model = write(tmp_path / "model.py", BUGGY.format(comment=""))
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("(", r"\(")):
        load_config(tmp_path / "pyproject.toml", RULES)
    result = run("check", str(model))
    assert result.exit_code == 2
    assert message in result.output and "pyproject.toml" in result.output


def test_unknown_code_on_the_command_line_is_a_usage_error(tmp_path):
    model = write(tmp_path / "model.py", BUGGY.format(comment=""))
    result = run("check", "--ignore", "MF9", str(model))
    assert result.exit_code == 2 and "unknown rule code 'MF9'" in result.output


def test_unsafe_fixes_from_config_and_no_unsafe_fixes_flag(tmp_path):
    write(tmp_path / "pyproject.toml", "[tool.modfix]\nunsafe-fixes = true\n")
    model = write(tmp_path / "model.py", """\
        import torch.nn as nn


        class Heads(nn.Module):
            def __init__(self, names):
                super().__init__()
                self.heads = {}
                for name in names:
                    self.heads[name] = nn.Linear(2, 2)
    """)
    assert run("apply", "--no-unsafe-fixes", str(model)).exit_code == 0
    assert run("apply", str(model)).exit_code == 1
    assert "nn.ModuleDict()" in model.read_text()


def test_module_factories_make_unknown_calls_modules(tmp_path):
    write(tmp_path / "pyproject.toml", '[tool.modfix]\nmodule-factories = ["timm.create_model"]\n')
    model = write(tmp_path / "model.py", """\
        import timm
        import torch.nn as nn


        class Ensemble(nn.Module):
            def __init__(self):
                super().__init__()
                self.members = [timm.create_model("resnet18") for _ in range(2)]
    """)
    assert run("check", "--select", "MF101", str(model)).exit_code == 1
    assert run("check", "--config", str(tmp_path / "missing.toml"), str(model)).exit_code == 2
    (tmp_path / "other.toml").write_text("[tool.modfix]\n")
    # a TOML file named with --config is read as the table itself only for pyproject.toml
    assert run("check", "--config", str(tmp_path / "pyproject.toml"), str(model)).exit_code == 1


@pytest.mark.parametrize("comment, suppressed", [
    ("  # noqa: MF101", True),
    ("  # noqa", True),
    ("  # noqa: MF102", False),
    ("  # modfix: ignore[MF101]", True),
    ("  # modfix: ignore", True),
    ("  # NOQA:MF101,MF102", True),
    ("  # unrelated", False),
])
def test_suppression_comments_hold_for_check_and_apply(comment, suppressed):
    source = BUGGY.format(comment=comment)
    result = fix_source(source)
    assert bool(result.findings) is not suppressed
    assert (result.fixed is None) is suppressed


def test_skip_file_and_noqa_inside_strings():
    assert not fix_source("# modfix: skip-file\n" + BUGGY.format(comment="")).findings
    tricky = BUGGY.format(comment="") + 'TEXT = "# noqa: MF101"\n'
    assert fix_source(tricky).findings
    suppressions = read_suppressions('x = 1  # noqa: MF101\ny = "# modfix: skip-file"\n')
    assert not suppressions.skip_file and suppressions.by_line == {1: {"MF101"}}


def test_add_noqa_writes_suppressions_once(tmp_path):
    model = write(tmp_path / "model.py", BUGGY.format(comment="  # keep"))
    result = run("check", "--add-noqa", str(model))
    assert result.exit_code == 0, result.output
    assert "self.blocks = [nn.Linear(4, 4) for _ in range(2)]  # keep  # noqa: MF101" in model.read_text()
    assert run("check", str(model)).exit_code == 0
    before = model.read_text()
    assert run("check", "--add-noqa", str(model)).exit_code == 0
    assert model.read_text() == before


def test_statistics_quiet_and_exit_zero(tmp_path):
    model = write(tmp_path / "model.py", BUGGY.format(comment=""))
    result = run("check", "--statistics", str(model))
    assert result.exit_code == 1 and result.stdout.split() == ["1", "MF101", "use-module-list", "(1", "fixable)"]
    result = run("check", "--exit-zero", "-q", str(model))
    assert result.exit_code == 0 and result.stderr == ""
    result = run("apply", "--diff", "--exit-zero", str(model))
    assert result.exit_code == 0 and "nn.ModuleList" in result.stdout


def test_progress_bar_only_on_a_terminal(monkeypatch, capsys):
    from codemods import _cli

    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("PRE_COMMIT", raising=False)
    monkeypatch.setattr(_cli.sys.stderr, "isatty", lambda: False, raising=False)
    assert _cli.ProgressBar.for_stderr() is None
    monkeypatch.setattr(_cli.sys.stderr, "isatty", lambda: True, raising=False)
    monkeypatch.setenv("CI", "true")
    assert _cli.ProgressBar.for_stderr() is None
    monkeypatch.delenv("CI")
    bar = _cli.ProgressBar.for_stderr()
    assert bar is not None
    bar.update(1, 10, "a.py")  # within the first moment: nothing shown
    assert capsys.readouterr().err == ""
    bar.started -= 10
    bar.update(5, 10, "pkg/model.py")
    bar.close()
    shown = capsys.readouterr().err
    assert "5/10 pkg/model.py" in shown and shown.endswith("\r\x1b[2K")


@pytest.mark.parametrize("text", ["[tool.modfix]\nignore = ['MF101']\n", "ignore = ['MF101']\n"],
                         ids=["tool-table", "bare-table"])
def test_any_file_given_to_config_may_hold_a_tool_modfix_table(tmp_path, text):
    config = write(tmp_path / "ci.toml", text)
    model = write(tmp_path / "model.py", BUGGY.format(comment=""))
    result = run("check", "--config", str(config), str(model))
    assert result.exit_code == 0, result.output
    assert load_config(config, RULES).ignore == ["MF101"]


NOQA_CASES = {
    # a form feed is no line break for Python, but str.splitlines splits on it
    "form-feed": ('DOC = "a\\fb"\n\x0c\n' + BUGGY.format(comment=""), 1),
    # the finding's first line ends inside a string: the comment goes where the statement's code ends
    "string-over-lines": ('import torch.nn as nn\n\n\nclass Tower(nn.Module):\n    def __init__(self):\n'
                          '        super().__init__()\n        self.blocks = [nn.Linear(4, 4), {"doc": """a\nb"""}[\n'
                          '            "doc"] and nn.Linear(4, 4)]\n', 1),
    "continuation": ('import torch.nn as nn\n\n\nclass Tower(nn.Module):\n    def __init__(self):\n'
                     '        super().__init__()\n        self.blocks = [nn.Linear(4, 4)] + \\\n'
                     '            [nn.Linear(4, 4)]\n', 1),
    "noqa-text-in-a-string": (BUGGY.format(comment="; TAG = '# noqa: MF999'"), 1),
    "crlf": (BUGGY.format(comment="").replace("\n", "\r\n"), 1),
}


@pytest.mark.parametrize("name", list(NOQA_CASES))
def test_add_noqa_never_writes_inside_a_string_and_counts_lines_as_python(tmp_path, name):
    text, findings = NOQA_CASES[name]
    model = tmp_path / "model.py"
    model.write_bytes(text.encode())
    assert len(fix_source(text).findings) == findings
    result = run("check", "--add-noqa", str(model))
    assert result.exit_code == 0, result.output
    after = model.read_bytes().decode()
    assert after.count("# noqa: MF101") == 1, after
    # the program is the same, comments aside: the same tokens but for the comments added
    def code(source: str) -> list[tuple[int, str]]:
        return [(t.type, t.string) for t in tokenize.generate_tokens(io.StringIO(source.replace("\r\n", "\n")).readline)
                if t.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE)]
    assert code(after) == code(text)
    assert run("check", str(model)).exit_code == 0, "the comment suppresses the finding"
