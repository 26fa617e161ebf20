"""The command line, end to end: exit codes, output formats, what is written and what is not.

Most tests drive ``codemods._cli.cli`` in-process with click's CliRunner (each runs in its own
``tmp_path``, which is the working directory, so reported paths are short relative names); a few
run the real program in a subprocess, where stdout/stderr are real pipes (or a real terminal).
"""
from __future__ import annotations

import errno
import os
import re
import stat
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from codemods import _files
from codemods import RULES
from codemods._cli import cli, main
from codemods.use_module_list import USE_MODULE_LIST

# --- sample sources ----------------------------------------------------------------------------

from _samples import TOWER, TOWER_BUG, TOWER_FIX, TOWER_FIXED  # noqa: E402

# MF102 with an unsafe fix: the keys come from an __init__ argument.
HEADS = """\
import torch.nn as nn


class Heads(nn.Module):
    def __init__(self, names):
        super().__init__()
        self.heads = {}
        for name in names:
            self.heads[name] = nn.Linear(4, 4)

    def forward(self, x):
        return [head(x) for head in self.heads.values()]
"""
HEADS_FIXED = HEADS.replace("self.heads = {}", "self.heads = nn.ModuleDict()")

# MF101, display-only: nn.ModuleList has no sort().
SORTY = """\
import torch.nn as nn


class Sorty(nn.Module):
    def __init__(self, depth=2):
        super().__init__()
        self.blocks = [nn.Linear(4, 4) for _ in range(depth)]

    def reorder(self):
        self.blocks.sort(key=id)

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return x
"""

CLEAN = """\
import torch.nn as nn


class Clean(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 4)

    def forward(self, x):
        return self.lin(x)
"""

BROKEN = "import torch.nn as nn\n\ndef f(:\n    pass\n"  # syntax error on line 3

FINDING_LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<code>MF\d{3})(?P<fix> \[\*\])? \S")

MODFIX_SCRIPT = Path(sys.executable).with_name("modfix")


# --- helpers -----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def invoke(*args: str | os.PathLike, input: str | bytes | None = None, color: bool = False):
    """Run the CLI in-process; never a traceback, never an exception other than SystemExit."""
    result = CliRunner().invoke(cli, [os.fspath(a) for a in args], input=input, color=color)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"modfix raised {result.exception!r}") from result.exception
    assert "Traceback" not in result.stderr
    assert "Traceback" not in result.stdout
    return result


def run_modfix(*args: str, input: bytes | None = None, cwd: Path | None = None, script: bool = False):
    """Run the real program in a subprocess (``python -m codemods._cli``, or the installed script)."""
    command = [str(MODFIX_SCRIPT)] if script else [sys.executable, "-m", "codemods._cli"]
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    proc = subprocess.run(command + list(args), input=input, capture_output=True, cwd=cwd, env=env, timeout=60)
    assert b"Traceback" not in proc.stderr, proc.stderr.decode(errors="replace")
    return proc


def write(path: str | Path, content: str | bytes) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def finding_lines(stdout: str) -> list[re.Match]:
    lines = [line for line in stdout.splitlines() if line]
    matches = [FINDING_LINE.match(line) for line in lines]
    assert all(matches), f"lines not in PATH:LINE:COL: CODE message form: {lines}"
    return matches


# --- exit codes --------------------------------------------------------------------------------


def test_check_clean_exits_0_and_prints_nothing():
    write("clean.py", CLEAN)
    result = invoke("check", "clean.py")
    assert result.exit_code == 0
    assert result.stdout == ""


def test_check_findings_exits_1_and_rewrites_nothing():
    write("tower.py", TOWER)
    result = invoke("check", "tower.py")
    assert result.exit_code == 1
    assert Path("tower.py").read_text() == TOWER
    assert "tower.py:7:23: MF101 [*] " in result.stdout


def test_check_unparsable_exits_2_and_other_files_still_reported():
    write("tower.py", TOWER)
    write("broken.py", BROKEN)
    result = invoke("check", "broken.py", "tower.py")
    assert result.exit_code == 2
    assert "tower.py:7:23: MF101" in result.stdout
    assert "broken.py:3:" in result.stderr


def test_apply_nothing_to_do_exits_0():
    write("clean.py", CLEAN)
    write("sorty.py", SORTY)  # display-only: nothing apply would do
    result = invoke("apply", "clean.py", "sorty.py")
    assert result.exit_code == 0
    assert Path("clean.py").read_text() == CLEAN
    assert Path("sorty.py").read_text() == SORTY


def test_apply_changed_exits_1_and_rewrites():
    write("tower.py", TOWER)
    result = invoke("apply", "tower.py")
    assert result.exit_code == 1
    assert Path("tower.py").read_text() == TOWER_FIXED
    assert result.stdout == ""  # in-place apply prints nothing on stdout


def test_apply_error_exits_2():
    write("broken.py", BROKEN)
    result = invoke("apply", "broken.py")
    assert result.exit_code == 2
    assert Path("broken.py").read_text() == BROKEN


def test_apply_error_wins_over_changed_and_good_file_is_still_fixed():
    write("a_broken.py", BROKEN)
    write("b_tower.py", TOWER)
    write("c_heads.py", HEADS)
    result = invoke("apply", "--unsafe-fixes", "a_broken.py", "b_tower.py", "missing.py", "c_heads.py")
    assert result.exit_code == 2
    assert Path("b_tower.py").read_text() == TOWER_FIXED
    assert Path("c_heads.py").read_text() == HEADS_FIXED
    assert Path("a_broken.py").read_text() == BROKEN
    assert re.search(r"^a_broken\.py:3: .*cannot parse", result.stderr, re.M)
    assert re.search(r"^missing\.py: .*no such file", result.stderr, re.M)


def test_check_error_wins_over_findings():
    write("tower.py", TOWER)
    result = invoke("check", "tower.py", "missing.py")
    assert result.exit_code == 2
    assert "tower.py:7:23: MF101" in result.stdout


def test_missing_path_exits_2_with_message():
    result = invoke("check", "nope.py")
    assert result.exit_code == 2
    assert "nope.py" in result.stderr
    assert "no such file" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("check",),  # no path
        ("apply",),
        ("frobnicate", "x.py"),
        ("check", "--select", "MF999", "x.py"),
        ("apply", "--select", "nonsense", "x.py"),
        ("apply", "--color", "sometimes", "x.py"),
        ("rules", "MF999"),
    ],
)
def test_usage_errors_exit_2(args):
    write("x.py", TOWER)
    result = invoke(*args)
    assert result.exit_code == 2
    assert result.stderr.strip()
    assert Path("x.py").read_text() == TOWER


def test_unknown_select_code_is_named():
    write("x.py", TOWER)
    result = invoke("check", "--select", "MF999", "x.py")
    assert result.exit_code == 2
    assert "MF999" in result.stderr


def test_select_restricts_the_rules():
    write("tower.py", TOWER)
    assert invoke("check", "--select", "MF102", "tower.py").exit_code == 0
    assert invoke("check", "--select", "MF101", "tower.py").exit_code == 1
    assert invoke("check", "--select", "use-module-list", "tower.py").exit_code == 1


# --- check output ------------------------------------------------------------------------------


def test_check_output_format_and_fix_marks():
    write("heads.py", HEADS)
    write("sorty.py", SORTY)
    write("tower.py", TOWER)
    result = invoke("check", ".")
    assert result.exit_code == 1
    found = {m["path"]: m for m in finding_lines(result.stdout)}
    assert set(found) == {"heads.py", "sorty.py", "tower.py"}
    assert (found["tower.py"]["line"], found["tower.py"]["col"], found["tower.py"]["code"]) == ("7", "23", "MF101")
    assert (found["heads.py"]["line"], found["heads.py"]["code"]) == ("7", "MF102")
    assert found["tower.py"]["fix"]  # safe
    assert not found["heads.py"]["fix"]  # unsafe, not without --unsafe-fixes
    assert not found["sorty.py"]["fix"]  # display-only
    assert "Traceback" not in result.stderr


def test_check_unsafe_fixes_marks_unsafe_but_never_display_only():
    write("heads.py", HEADS)
    write("sorty.py", SORTY)
    write("tower.py", TOWER)
    result = invoke("check", "--unsafe-fixes", ".")
    assert result.exit_code == 1
    found = {m["path"]: m for m in finding_lines(result.stdout)}
    assert found["tower.py"]["fix"]
    assert found["heads.py"]["fix"]
    assert not found["sorty.py"]["fix"]
    for name, source in (("heads.py", HEADS), ("sorty.py", SORTY), ("tower.py", TOWER)):
        assert Path(name).read_text() == source


# --- unsafe and display-only fixes -------------------------------------------------------------


def test_apply_leaves_unsafe_fix_without_flag():
    write("heads.py", HEADS)
    result = invoke("apply", "heads.py")
    assert result.exit_code == 0
    assert Path("heads.py").read_text() == HEADS
    assert "--unsafe-fixes" in result.stderr


def test_apply_unsafe_fixes_applies_unsafe_but_not_display_only():
    write("heads.py", HEADS)
    write("sorty.py", SORTY)
    result = invoke("apply", "--unsafe-fixes", "heads.py", "sorty.py")
    assert result.exit_code == 1
    assert Path("heads.py").read_text() == HEADS_FIXED
    assert Path("sorty.py").read_text() == SORTY


def test_second_apply_changes_nothing():
    tower = write("tower.py", TOWER)
    assert invoke("apply", "tower.py").exit_code == 1
    before = tower.stat()
    second = invoke("apply", "tower.py")
    assert second.exit_code == 0
    assert tower.read_text() == TOWER_FIXED
    after = tower.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert invoke("check", "tower.py").exit_code == 0


# --- --diff ------------------------------------------------------------------------------------


def test_diff_writes_nothing_exits_1_and_prints_unified_diff():
    tower = write("tower.py", TOWER)
    before = tower.stat()
    result = invoke("apply", "--diff", "tower.py")
    assert result.exit_code == 1
    assert tower.read_bytes() == TOWER.encode()
    after = tower.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    lines = result.stdout.splitlines()
    assert lines[0] == "--- a/tower.py"
    assert lines[1] == "+++ b/tower.py"
    assert lines[2].startswith("@@ ")
    assert f"-        self.blocks = {TOWER_BUG}" in lines
    assert f"+        self.blocks = {TOWER_FIX}" in lines
    assert "\x1b[" not in result.stdout
    assert "would change 1 file" in result.stderr


def test_diff_with_nothing_to_do_exits_0_and_prints_nothing():
    write("clean.py", CLEAN)
    result = invoke("apply", "--diff", "clean.py")
    assert result.exit_code == 0
    assert result.stdout == ""


def test_color_always_gives_ansi_codes_in_process():
    write("tower.py", TOWER)
    # color=True: CliRunner does not strip the styles, so what modfix asked for is visible
    result = invoke("apply", "--diff", "--color=always", "tower.py", color=True)
    assert result.exit_code == 1
    assert "\x1b[" in result.stdout


def test_color_auto_is_off_when_stdout_is_not_a_terminal_in_process():
    write("tower.py", TOWER)
    result = invoke("apply", "--diff", "tower.py", color=True)
    assert result.exit_code == 1
    assert "\x1b" not in result.stdout
    assert "+++ b/tower.py" in result.stdout


def test_color_never_and_non_tty_subprocess_have_no_ansi(tmp_path):
    write("tower.py", TOWER)
    for extra in ([], ["--color=never"]):
        proc = run_modfix("apply", "--diff", *extra, "tower.py", cwd=tmp_path)
        assert proc.returncode == 1
        assert b"+++ b/tower.py" in proc.stdout
        assert b"\x1b" not in proc.stdout


def test_color_always_gives_ansi_codes_in_a_pipe(tmp_path):
    write("tower.py", TOWER)
    proc = run_modfix("apply", "--diff", "--color=always", "tower.py", cwd=tmp_path)
    assert proc.returncode == 1
    assert b"\x1b[" in proc.stdout


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_diff_is_coloured_on_a_terminal(tmp_path):
    write("tower.py", TOWER)
    primary, secondary = os.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "codemods._cli", "apply", "--diff", "tower.py"],
            stdout=secondary, stderr=subprocess.PIPE, cwd=tmp_path,
            env={k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")},
        )
        os.close(secondary)
        secondary = None
        output = b""
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # EIO once the child closed its end
                break
            if not chunk:
                break
            output += chunk
        _, stderr = proc.communicate(timeout=60)
    finally:
        os.close(primary)
        if secondary is not None:
            os.close(secondary)
    assert proc.returncode == 1
    assert b"Traceback" not in stderr
    assert b"\x1b[" in output
    assert Path("tower.py").read_text() == TOWER


# --- unreadable input --------------------------------------------------------------------------


def test_syntax_error_file_is_named_with_line_and_others_fixed():
    write("broken.py", BROKEN)
    write("tower.py", TOWER)
    result = invoke("apply", ".")
    assert result.exit_code == 2
    assert re.search(r"^broken\.py:3: error: cannot parse", result.stderr, re.M)
    assert Path("broken.py").read_text() == BROKEN
    assert Path("tower.py").read_text() == TOWER_FIXED


def test_nul_byte_file_is_reported():
    data = b"import torch.nn as nn\nx = 1\x00\n"
    write("binary.py", data)
    write("tower.py", TOWER)
    result = invoke("apply", "binary.py", "tower.py")
    assert result.exit_code == 2
    assert re.search(r"^binary\.py:2: .*NUL", result.stderr, re.M)
    assert Path("binary.py").read_bytes() == data
    assert Path("tower.py").read_text() == TOWER_FIXED


def test_non_utf8_file_without_cookie_is_reported_with_its_line():
    data = TOWER.replace("\n\nclass", "# caf\xe9\n\nclass", 1).encode("latin-1")  # 0xe9 on line 2
    write("latin.py", data)
    result = invoke("check", "latin.py")
    assert result.exit_code == 2
    assert re.search(r"^latin\.py:2: .*0xe9", result.stderr, re.M)
    assert Path("latin.py").read_bytes() == data


def test_unknown_coding_cookie_is_reported_with_its_line():
    write("cookie.py", "# -*- coding: nonsense -*-\n" + TOWER)
    result = invoke("apply", "cookie.py")
    assert result.exit_code == 2
    assert re.search(r"^cookie\.py:1: .*nonsense", result.stderr, re.M)


def test_too_deeply_nested_file_is_reported_with_a_reason():
    write("deep.py", "x = " + "-" * 200_000 + "1\n")
    write("tower.py", TOWER)
    result = invoke("apply", "deep.py", "tower.py")
    assert result.exit_code == 2
    assert Path("tower.py").read_text() == TOWER_FIXED
    [line] = [line for line in result.stderr.splitlines() if line.startswith("deep.py")]
    reason = line.split("error:", 1)[1].replace("cannot parse:", "").strip()
    assert reason, line


def test_diff_of_a_file_without_final_newline_says_so():
    write("t.py", TOWER.split("\n\n    def forward")[0])  # ends on the buggy line, no newline
    result = invoke("apply", "--diff", "t.py")
    assert result.exit_code == 1
    assert result.stdout.count("\\ No newline at end of file\n") == 2
    assert result.stdout.endswith("\\ No newline at end of file\n")


# --- what a rewrite keeps ----------------------------------------------------------------------


def test_latin1_cookie_file_is_rewritten_in_latin1():
    source = "# -*- coding: latin-1 -*-\n# caf\xe9 \xff\n" + TOWER
    data = source.encode("latin-1")
    write("latin.py", data)
    result = invoke("apply", "latin.py")
    assert result.exit_code == 1
    expected = data.replace(TOWER_BUG.encode(), TOWER_FIX.encode())
    assert Path("latin.py").read_bytes() == expected
    assert b"# caf\xe9 \xff\n" in Path("latin.py").read_bytes()


def test_utf8_bom_is_kept():
    data = b"\xef\xbb\xbf" + TOWER.encode()
    write("bom.py", data)
    assert invoke("apply", "bom.py").exit_code == 1
    assert Path("bom.py").read_bytes() == b"\xef\xbb\xbf" + TOWER_FIXED.encode()


def test_crlf_line_endings_are_kept():
    data = TOWER.replace("\n", "\r\n").encode()
    write("crlf.py", data)
    assert invoke("apply", "crlf.py").exit_code == 1
    out = Path("crlf.py").read_bytes()
    assert out == TOWER_FIXED.replace("\n", "\r\n").encode()
    assert out.count(b"\n") == out.count(b"\r\n")


def test_crlf_kept_when_the_fix_adds_an_import():
    source = "import torch\n\n\nclass T(torch.nn.Module):\n    def __init__(self):\n        super().__init__()\n" \
             "        self.blocks = [torch.nn.Linear(4, 4) for _ in range(2)]\n"
    # no `nn` name in scope and the file says torch.nn: whatever the fix writes, its lines are CRLF
    write("crlf.py", source.replace("\n", "\r\n"))
    assert invoke("apply", "crlf.py").exit_code == 1
    out = Path("crlf.py").read_bytes()
    assert b"ModuleList(" in out
    assert out.count(b"\n") == out.count(b"\r\n")


def test_mixed_line_endings_untouched_except_the_edit():
    lines = TOWER.splitlines(keepends=True)
    mixed = "".join(line.replace("\n", "\r\n") if i % 2 else line for i, line in enumerate(lines))
    data = mixed.encode()
    assert b"\r\n" in data and b"\n" in data.replace(b"\r\n", b"")
    write("mixed.py", data)
    assert invoke("apply", "mixed.py").exit_code == 1
    assert Path("mixed.py").read_bytes() == data.replace(TOWER_BUG.encode(), TOWER_FIX.encode())


@pytest.mark.parametrize("mode", [0o600, 0o755, 0o640])
def test_file_mode_is_kept(mode):
    tower = write("tower.py", TOWER)
    tower.chmod(mode)
    assert invoke("apply", "tower.py").exit_code == 1
    assert tower.read_text() == TOWER_FIXED
    assert stat.S_IMODE(tower.stat().st_mode) == mode


def test_unchanged_files_are_never_rewritten_and_changed_ones_are_replaced_atomically(tmp_path):
    clean = write("clean.py", CLEAN)
    sorty = write("sorty.py", SORTY)
    heads = write("heads.py", HEADS)
    tower = write("tower.py", TOWER)
    past = 1_000_000_000_000_000_000  # 2001: a rewrite could not keep it by accident
    for path in (clean, sorty, heads, tower):
        os.utime(path, ns=(past, past))
    before = {p: p.stat() for p in (clean, sorty, heads, tower)}
    names_before = sorted(os.listdir(tmp_path))

    result = invoke("apply", ".")
    assert result.exit_code == 1
    for path in (clean, sorty, heads):
        after = path.stat()
        assert (after.st_ino, after.st_mtime_ns) == (before[path].st_ino, past), path
    assert tower.read_text() == TOWER_FIXED
    assert tower.stat().st_ino != before[tower].st_ino  # a new file renamed over the old one
    assert sorted(os.listdir(tmp_path)) == names_before  # no temporary files left behind


def test_symlink_stays_a_link_and_target_is_fixed(tmp_path):
    target = write("real/tower.py", TOWER)
    link = tmp_path / "link.py"
    link.symlink_to(target)
    assert invoke("apply", "link.py").exit_code == 1
    assert link.is_symlink()
    assert target.read_text() == TOWER_FIXED


def test_read_only_directory_is_a_write_error(tmp_path):
    directory = tmp_path / "ro"
    tower = write(directory / "tower.py", TOWER)
    good = write("good.py", TOWER)
    directory.chmod(0o555)
    try:
        if os.access(directory, os.W_OK):
            pytest.skip("running as a user (root?) who can write to a read-only directory")
        result = invoke("apply", "ro/tower.py", "good.py")
        assert result.exit_code == 2
        assert re.search(r"^ro/tower\.py: .*cannot write", result.stderr, re.M)
        assert tower.read_text() == TOWER
        assert good.read_text() == TOWER_FIXED
        assert os.listdir(directory) == ["tower.py"]
    finally:
        directory.chmod(0o755)


def test_write_failure_is_reported_with_exit_2_and_leaves_no_temp_file(tmp_path, monkeypatch):
    """The same as the read-only directory, but works as root: the rename fails for one file."""
    locked = write("locked.py", TOWER)
    good = write("good.py", TOWER)
    real_replace = os.replace

    def replace(src, dst, *args, **kwargs):
        if os.fspath(dst).endswith("locked.py"):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(dst))
        return real_replace(src, dst, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(_files.os, "replace", replace)
        result = invoke("apply", "locked.py", "good.py")
    assert result.exit_code == 2
    assert re.search(r"^locked\.py: error: cannot write: Permission denied", result.stderr, re.M)
    assert locked.read_text() == TOWER
    assert good.read_text() == TOWER_FIXED
    assert sorted(os.listdir(tmp_path)) == ["good.py", "locked.py"]


# --- standard input ----------------------------------------------------------------------------


def test_stdin_apply_prints_the_fixed_text_and_exits_1():
    result = invoke("apply", "-", input=TOWER)
    assert result.exit_code == 1
    assert result.stdout == TOWER_FIXED
    assert not Path("-").exists()


def test_stdin_apply_with_nothing_to_do_echoes_the_input_and_exits_0():
    result = invoke("apply", "-", input=SORTY)
    assert result.exit_code == 0
    assert result.stdout == SORTY


def test_stdin_check_reports_dash_or_the_stdin_filename():
    result = invoke("check", "-", input=TOWER)
    assert result.exit_code == 1
    [match] = finding_lines(result.stdout)
    assert result.stdout.startswith("-:7:23: MF101 [*] ")
    assert match["path"] == "-"
    named = invoke("check", "--stdin-filename", "models/tower.py", "-", input=TOWER)
    assert named.exit_code == 1
    assert named.stdout.startswith("models/tower.py:7:23: MF101 [*] ")
    assert not Path("models").exists()


def test_stdin_check_clean_exits_0():
    result = invoke("check", "-", input=CLEAN)
    assert result.exit_code == 0
    assert result.stdout == ""


def test_stdin_syntax_error_exits_2():
    result = invoke("apply", "-", input=BROKEN)
    assert result.exit_code == 2
    assert re.search(r"^-:3: error: cannot parse", result.stderr, re.M)


@pytest.mark.parametrize("data", [b"class A(:\n", b"\xff\xfe not utf-8\n", b"x = 1\x00\n",
                                  b"# -*- coding: no-such-codec -*-\nx = 1\n", b"(" * 300 + b")" * 300 + b"\n"],
                         ids=["syntax", "undecodable", "null-byte", "unknown-codec", "too-deep"])
def test_stdin_apply_gives_back_input_it_cannot_read_byte_for_byte(tmp_path, data):
    # an editor replaces its buffer with the output: empty output would lose the user's code
    proc = run_modfix("apply", "--stdin-filename", "model.py", "-", input=data, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == data
    assert b"model.py:" in proc.stderr and b"error" in proc.stderr


def test_stdin_apply_subprocess_keeps_crlf(tmp_path):
    proc = run_modfix("apply", "-", input=TOWER.replace("\n", "\r\n").encode(), cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout == TOWER_FIXED.replace("\n", "\r\n").encode()
    assert b"changed 1 file" in proc.stderr


def test_stdin_apply_subprocess_keeps_latin1_cookie_encoding(tmp_path):
    data = ("# -*- coding: latin-1 -*-\n# caf\xe9\n" + TOWER).encode("latin-1")
    proc = run_modfix("apply", "-", input=data, cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout == data.replace(TOWER_BUG.encode(), TOWER_FIX.encode())


# --- directory walk ----------------------------------------------------------------------------


def _tree(root: Path) -> dict[str, bytes]:
    files = {
        "top.py": TOWER,
        "pkg/tower.py": TOWER,
        "pkg/notes.txt": TOWER,
        ".git/hooks/hook.py": TOWER,
        "venv/lib/site.py": TOWER,
        ".venv/lib/site.py": TOWER,
        "env312/lib/site.py": TOWER,  # a virtual environment by its pyvenv.cfg
        "env312/pyvenv.cfg": "home = /usr/bin\n",
        "build/lib/gen.py": TOWER,
        "dist/gen.py": TOWER,
        "pkg/__pycache__/cached.py": TOWER,
        "ignored.py": TOWER,
        "generated/gen.py": TOWER,
        "pkg/also_ignored.py": TOWER,
        ".gitignore": "ignored.py\n/generated/\npkg/also_*.py\n",
    }
    for name, content in files.items():
        write(root / name, content)
    return {name: (root / name).read_bytes() for name in files}


def test_directory_walk_skips_vcs_venvs_build_caches_and_gitignored(tmp_path):
    before = _tree(tmp_path / "proj")
    result = invoke("apply", "proj")
    assert result.exit_code == 1
    changed = {name for name in before if (tmp_path / "proj" / name).read_bytes() != before[name]}
    assert changed == {"top.py", "pkg/tower.py"}
    assert "scanned 2 files" in result.stderr
    assert "changed 2 files" in result.stderr


def test_check_directory_walk_reports_only_walked_files(tmp_path):
    _tree(tmp_path / "proj")
    result = invoke("check", "proj")
    assert result.exit_code == 1
    paths = sorted(m["path"] for m in finding_lines(result.stdout))
    assert paths == ["proj/pkg/tower.py", "proj/top.py"]


@pytest.mark.parametrize("name", ["ignored.py", "build/lib/gen.py", "venv/lib/site.py", "pkg/notes.txt"])
def test_explicitly_named_file_is_processed_even_if_ignored(tmp_path, name):
    _tree(tmp_path / "proj")
    result = invoke("apply", f"proj/{name}")
    assert result.exit_code == 1
    assert (tmp_path / "proj" / name).read_text() == TOWER_FIXED


# --- rules -------------------------------------------------------------------------------------


def test_rules_lists_every_rule_with_its_fix_safety():
    result = invoke("rules")
    assert result.exit_code == 0
    for code, name in (("MF101", "use-module-list"), ("MF102", "use-module-dict"),
                       ("MF103", "use-parameter-list"), ("MF104", "use-parameter-dict")):
        assert re.search(rf"^{code}\s+{name}\s+\S", result.stdout, re.M), code
    assert result.stdout.count("fix safety:") == len(RULES)


@pytest.mark.parametrize("code", ["MF101", "mf101", "use-module-list"])
def test_rules_code_prints_its_documentation(code):
    result = invoke("rules", code)
    assert result.exit_code == 0
    assert result.stdout.startswith("MF101 use-module-list: ")
    assert "\nFix safety\n" in result.stdout
    assert "Display-only" in result.stdout


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0
    assert "modfix" in result.stdout


# --- internal errors ---------------------------------------------------------------------------


def test_internal_error_in_a_rule_is_reported_and_other_files_processed(monkeypatch):
    write("a_bad.py", TOWER)
    write("b_tower.py", TOWER)
    original_check = USE_MODULE_LIST.check

    def check(context):
        if context.path.endswith("a_bad.py"):
            raise RuntimeError("boom")
        return original_check(context)

    monkeypatch.setattr(USE_MODULE_LIST, "check", check)
    result = invoke("apply", "a_bad.py", "b_tower.py")
    assert result.exit_code == 2
    assert re.search(r"^a_bad\.py: internal error: RuntimeError: boom", result.stderr, re.M)
    assert "Traceback" not in result.stderr
    assert Path("a_bad.py").read_text() == TOWER
    assert Path("b_tower.py").read_text() == TOWER_FIXED


def test_internal_error_in_check_is_exit_2(monkeypatch):
    write("tower.py", TOWER)
    monkeypatch.setattr(USE_MODULE_LIST, "check", lambda context: 1 / 0)
    result = invoke("check", "tower.py")
    assert result.exit_code == 2
    assert "internal error" in result.stderr
    assert "ZeroDivisionError" in result.stderr


def test_internal_error_outside_the_engine_is_not_a_traceback(monkeypatch, capsys):
    write("tower.py", TOWER)

    def explode(*args, **kwargs):
        raise KeyError("oops")

    monkeypatch.setattr("codemods._cli._print_apply_summary", explode)
    with pytest.raises(SystemExit) as exit_info:
        main(["apply", "tower.py"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "internal error" in err
    assert "Traceback" not in err


# --- the apply summary -------------------------------------------------------------------------


def test_apply_summary_counts_and_lists_unfixed_findings_with_reasons():
    write("heads.py", HEADS)
    write("sorty.py", SORTY)
    write("tower.py", TOWER)
    write("clean.py", CLEAN)
    result = invoke("apply", ".")
    assert result.exit_code == 1
    err = result.stderr
    assert "scanned 4 files" in err
    assert "changed 1 file," in err
    assert "applied 1 fix" in err
    assert "2 findings left unfixed" in err
    assert re.search(r"^\s+heads\.py:7:\d+: MF102 .*unsafe", err, re.M)
    assert re.search(r"^\s+sorty\.py:7:\d+: MF101 .*\.sort\(\)", err, re.M)
    assert "--unsafe-fixes" in err
    assert "tower.py:" not in err  # the applied fix is not listed as left unfixed
    assert "blocks.<i>" in err  # new state_dict keys are named


def test_apply_summary_after_unsafe_fixes():
    write("heads.py", HEADS)
    write("sorty.py", SORTY)
    result = invoke("apply", "--unsafe-fixes", ".")
    assert result.exit_code == 1
    assert "scanned 2 files" in result.stderr
    assert "changed 1 file," in result.stderr
    assert "1 finding left unfixed" in result.stderr
    assert "can be fixed with --unsafe-fixes" not in result.stderr


# --- the real program --------------------------------------------------------------------------


@pytest.mark.parametrize("script", [False, True], ids=["python-m", "script"])
def test_subprocess_exit_codes(tmp_path, script):
    if script and not MODFIX_SCRIPT.exists():
        pytest.skip("no modfix script next to the interpreter")
    write("tower.py", TOWER)
    write("clean.py", CLEAN)
    write("broken.py", BROKEN)
    assert run_modfix("check", "clean.py", cwd=tmp_path, script=script).returncode == 0
    check = run_modfix("check", "tower.py", cwd=tmp_path, script=script)
    assert check.returncode == 1
    assert check.stdout.startswith(b"tower.py:7:23: MF101 [*] ")
    assert run_modfix("apply", "clean.py", cwd=tmp_path, script=script).returncode == 0
    both = run_modfix("apply", "broken.py", "tower.py", cwd=tmp_path, script=script)
    assert both.returncode == 2
    assert b"broken.py:3:" in both.stderr
    assert Path("tower.py").read_text() == TOWER_FIXED
    assert run_modfix("apply", "tower.py", cwd=tmp_path, script=script).returncode == 0
    assert run_modfix("check", "--select", "MF999", "tower.py", cwd=tmp_path, script=script).returncode == 2


# --- the README's examples ---------------------------------------------------------------------

README = Path(__file__).resolve().parent.parent / "README.md"


def _readme_commands() -> list[str]:
    return sorted(set(re.findall(r"`(modfix (?:check|apply) [^`]*)`", README.read_text(encoding="utf-8"))))


@pytest.mark.parametrize("command", _readme_commands())
def test_every_command_the_readme_shows_works_as_typed(tmp_path, monkeypatch, command):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "model.py").write_text(TOWER)
    (tmp_path / "model.py").write_text(TOWER)
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "pyproject.toml").write_text("[tool.modfix]\nextend-select = ['MF308']\n")
    monkeypatch.chdir(tmp_path)
    words = shlex.split(command.replace("\\|", "|"))[1:]
    stdin = None
    for redirect in ("|", ">", "<"):
        if redirect in words:
            at = words.index(redirect)
            if redirect == "<":
                stdin = (tmp_path / words[at + 1]).read_text()
            words = words[:at]
    if words[-1].startswith("-") and words[-1] != "-":  # prose naming an option: the reader adds a path
        words.append(".")
    result = invoke(*words, input=stdin)
    assert result.exit_code in (0, 1), (command, result.output)
