"""Hostile and odd input: each bad file is named with a reason and exit 2, the other files are still
processed, nothing is lost; odd but valid files are fixed with every other byte kept.

What tests/test_cli.py and tests/test_files.py already cover is not repeated here: NUL bytes,
non-UTF-8 without a cookie, latin-1 with a cookie, a UTF-8 BOM, CRLF and mixed line endings, file
modes, a read-only directory and a failing rename, 200 000 nested unary minus, symlinks given
explicitly, and the directory walk's own unit tests (loops, unreadable directories, `x.py/`).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from codemods import _engine
from codemods._cli import cli

from _samples import TOWER, TOWER_BUG, TOWER_FIX, TOWER_FIXED  # noqa: E402


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def invoke(*args: str):
    """The CLI in-process: never a traceback, never an exception other than SystemExit."""
    result = CliRunner().invoke(cli, [os.fspath(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"modfix raised {result.exception!r}") from result.exception
    assert "Traceback" not in result.stderr + result.stdout
    return result


def run_modfix(*args: str, timeout: float = 120):
    """The real program in a subprocess (its own stack depth, its own process pool)."""
    proc = subprocess.run([sys.executable, "-m", "codemods._cli", *args], capture_output=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    stderr = proc.stderr.decode("utf-8", errors="replace")
    assert "Traceback" not in stderr, stderr
    return proc, stderr


def write(path: str | Path, content: str | bytes) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def untouched(path: Path, data: bytes, mtime_ns: int) -> bool:
    return path.read_bytes() == data and path.stat().st_mtime_ns == mtime_ns


def python_compiles(source: str | bytes) -> bool:
    """In a fresh interpreter: what Python itself accepts, at its own default stack depth."""
    code = "import sys; compile(sys.stdin.buffer.read(), 'f.py', 'exec')"
    data = source.encode() if isinstance(source, str) else source
    return subprocess.run([sys.executable, "-c", code], input=data, capture_output=True).returncode == 0


def error_lines(stderr: str, name: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith(name + ":")]


# --- files Python itself cannot read: named, exit 2, the rest still fixed --------------------------


PYTHON2 = {
    "print_statement.py": 'import torch.nn as nn\n\nprint "hello"\n',
    "exec_statement.py": "x = 1\nexec 'x = 2'\n",
    "except_comma.py": "try:\n    pass\nexcept ValueError, e:\n    pass\n",
    "octal_literal.py": "mode = 0777\n",
    "backticks.py": "x = 1\ny = `x`\n",
    "ur_string.py": "s = ur'abc'\n",
    "tabs_and_spaces.py": "if True:\n        x = 1\n\ty = 2\n",
}


def test_python2_files_are_named_with_their_line_and_the_others_fixed():
    stats = {}
    for name, source in PYTHON2.items():
        assert not python_compiles(source), name
        path = write(name, source)
        stats[name] = path.stat().st_mtime_ns
    write("tower.py", TOWER)
    result = invoke("apply", ".")
    assert result.exit_code == 2
    for name, source in PYTHON2.items():
        [line] = error_lines(result.stderr, name)
        assert re.match(rf"{re.escape(name)}:\d+: error: cannot parse", line), line
        assert untouched(Path(name), source.encode(), stats[name]), name
    assert Path("tower.py").read_text() == TOWER_FIXED
    assert f"scanned {len(PYTHON2) + 1} files" in result.stderr


@pytest.mark.parametrize("source, reason", [
    ("x = " + "(" * 100_000 + "1" + ")" * 100_000 + "\n", "too many nested parentheses"),
    ("x = " + "[" * 500 + "1" + "]" * 500 + "\n", "too many nested parentheses"),  # Python 3.11's limit is 200
    ("x = a" + ".b" * 100_000 + "\n", ""),  # the parser's recursion limit
], ids=["100k-parentheses", "500-nested-lists", "100k-attribute-chain"])
def test_nesting_python_cannot_parse_is_an_error_not_a_crash(source, reason):
    assert not python_compiles(source)
    deep = write("deep.py", source)
    write("tower.py", TOWER)
    proc, stderr = run_modfix("apply", "deep.py", "tower.py")
    assert proc.returncode == 2, stderr
    [line] = error_lines(stderr, "deep.py")
    assert "error: cannot parse" in line and reason in line, line
    assert "internal error" not in stderr
    assert deep.read_text() == source
    assert Path("tower.py").read_text() == TOWER_FIXED


# --- deep but valid: Python parses it, so must modfix -------------------------------------------------


def test_199_nested_lists_python_can_parse_are_analysed():
    deepest = "[" * 199 + "1" + "]" * 199  # Python 3.11 accepts 199 levels, not 200
    source = TOWER.replace("super().__init__()\n", f"super().__init__()\n        self.table = {deepest}\n") \
        + f"\n\nTABLE = {deepest}\n"
    assert python_compiles(source)
    write("deep.py", source)
    proc, stderr = run_modfix("apply", "deep.py")
    assert proc.returncode == 1, stderr
    assert Path("deep.py").read_text() == source.replace(TOWER_BUG, TOWER_FIX)


SELF_DEFINED = """\
import torch
import torch.nn as nn


class Renorm(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.ones(3))
        self.scale = torch.ones(3)

    def forward(self, x):
        self.mean = self.mean.to(x.device)
        return x + self.scale * self.mean
"""


def test_an_attribute_defined_from_itself_is_analysed_not_an_internal_error():
    """``self.mean = self.mean.to(device)``: what the attribute holds is what it held; asking what
    it holds must not ask the same question again (found by the precision corpus: avalanche)."""
    write("renorm.py", SELF_DEFINED)
    result = invoke("check", "--no-cache", "renorm.py")
    assert result.exit_code == 1 and "internal error" not in result.output
    assert "`self.scale` holds a tensor" in result.output


DEEP_MODULES = """\
import torch.nn as nn


class Deep(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = {nested}
"""


def test_fix_that_would_nest_too_deep_is_left_out_not_an_internal_error():
    source = DEEP_MODULES.format(nested="[" * 198 + "nn.Linear(2, 2)" + "]" * 198)
    assert python_compiles(source)
    write("deep.py", source)
    proc, stderr = run_modfix("check", "--select", "ALL", "deep.py")
    assert "internal error" not in stderr
    assert proc.returncode in (0, 1), stderr


LONG_CHAINS = {
    # module level: the name resolution of the file summary recurses along the attribute chain
    "attribute-chain-at-module-level": "import torch.nn as nn\n\nx = a" + ".b" * 1500 + "\n\n\n"
                                       + TOWER.split("\n\n\n", 1)[1],
    # in __init__: the analysis of what self.x holds recurses along the sum
    "long-sum-assigned-to-self": TOWER.replace("super().__init__()\n",
                                               "super().__init__()\n        self.x = 1" + " + 1" * 1500 + "\n"),
}


@pytest.mark.parametrize("name", list(LONG_CHAINS))
def test_long_chains_python_compiles_are_analysed(name):
    source = LONG_CHAINS[name]
    assert python_compiles(source)
    write("chain.py", source)
    proc, stderr = run_modfix("apply", "chain.py")
    assert proc.returncode == 1 and not error_lines(stderr, "chain.py"), stderr
    assert Path("chain.py").read_text() == source.replace(TOWER_BUG, TOWER_FIX)


# --- big --------------------------------------------------------------------------------------------


def big_source(megabytes: float, every: int) -> tuple[str, int]:
    """Valid Python of that size: many documented Module classes, every ``every``-th one buggy."""
    doc = ("    Args:\n        width: the number of features of the input and of the output.\n"
           "        x: a tensor of shape (batch, width); the result has the same shape.\n")
    parts, size, index, buggy = ["import torch\nimport torch.nn as nn\n"], 0, 0, 0
    while size < megabytes * 1024 * 1024:
        bug = index % every == 0
        buggy += bug
        cls = (f'\n\nclass Block{index}(nn.Module):\n    """Block {index}: a linear layer and an activation.\n\n'
               f'{doc}    """\n\n    def __init__(self, width: int = 16) -> None:\n        super().__init__()\n'
               f"        self.lin = nn.Linear(width, width)\n        self.act = nn.ReLU()\n"
               + ("        self.blocks = [nn.Linear(width, width) for _ in range(2)]\n" if bug else "")
               + f"        self.scale = {index}.5\n\n    def forward(self, x: torch.Tensor) -> torch.Tensor:\n"
               f"        return self.act(self.lin(x)) * self.scale  # scaled\n")
        parts.append(cls)
        size += len(cls)
        index += 1
    return "".join(parts), buggy


BIG_LIMIT_SECONDS = 180  # about 15 s here: the limit catches a blow-up, not a slow machine


def test_ten_megabyte_file_is_fixed_in_reasonable_time():
    source, buggy = big_source(10, every=2000)
    big = write("big.py", source)
    write("tower.py", TOWER)
    started = time.monotonic()
    proc, stderr = run_modfix("apply", "big.py", "tower.py", timeout=BIG_LIMIT_SECONDS)
    seconds = time.monotonic() - started
    assert proc.returncode == 1, stderr
    assert f"applied {buggy + 1} fixes" in stderr
    fixed = big.read_text()
    assert fixed == source.replace("self.blocks = [nn.Linear(width, width) for _ in range(2)]",
                                   "self.blocks = nn.ModuleList([nn.Linear(width, width) for _ in range(2)])")
    assert Path("tower.py").read_text() == TOWER_FIXED
    print(f"10 MB, {source.count('class ')} classes, {buggy} fixes: {seconds:.1f} s")


# --- odd but valid text: fixed, every other byte kept --------------------------------------------------

IMPORTS_NN = """\
#!/usr/bin/env python
# -*- coding: utf-8 -*-
\"\"\"Module doc with a line separator \u2028 and an accent: \u00e9.\"\"\"
from __future__ import annotations
from torch.nn import Linear, Module
\x0c

class T(Module):
    def __init__(self):
        super().__init__()
        self.blocks = [Linear(4, 4) for _ in range(2)]
"""
IMPORTS_NN_FIXED = IMPORTS_NN.replace("from torch.nn import Linear, Module\n",
                                      "from torch.nn import Linear, Module\nfrom torch import nn\n") \
    .replace("[Linear(4, 4) for _ in range(2)]", "nn.ModuleList([Linear(4, 4) for _ in range(2)])")

ODD = {
    # name: (original text, expected text)
    "cr-only-line-endings": (TOWER.replace("\n", "\r"), TOWER_FIXED.replace("\n", "\r")),
    "cr-only-no-final-newline": (TOWER.rstrip("\n").replace("\n", "\r"), TOWER_FIXED.rstrip("\n").replace("\n", "\r")),
    "form-feeds": (TOWER.replace("\n\nclass", "\n\x0c\nclass"), TOWER_FIXED.replace("\n\nclass", "\n\x0c\nclass")),
    "unicode-line-separators-in-comment-and-string": (
        TOWER.replace("super().__init__()\n", "super().__init__()  # a\u2028b\x85c\x1c\n"
                      "        self.s = 'a\u2028b\u2029c\x1d\x1e\x85'\n"),
        TOWER_FIXED.replace("super().__init__()\n", "super().__init__()  # a\u2028b\x85c\x1c\n"
                            "        self.s = 'a\u2028b\u2029c\x1d\x1e\x85'\n")),
    "non-ascii-before-the-edit-on-its-line": (
        TOWER.replace("        self.blocks = [", "        self.\u00e9 = '\u00fc\u20ac\U0001f600'; self.blocks = ["),
        TOWER_FIXED.replace("        self.blocks = nn", "        self.\u00e9 = '\u00fc\u20ac\U0001f600'; self.blocks = nn")),
    "non-ascii-attribute": (TOWER.replace("blocks", "bl\u00f6cke"), TOWER_FIXED.replace("blocks", "bl\u00f6cke")),
    "tabs": (TOWER.replace("    ", "\t"), TOWER_FIXED.replace("    ", "\t")),
    "backslash-continuation": (TOWER.replace("self.blocks = [", "self.blocks = \\\n            ["),
                               TOWER_FIXED.replace("self.blocks = nn", "self.blocks = \\\n            nn")),
    "import-added-lf": (IMPORTS_NN, IMPORTS_NN_FIXED),
    "import-added-cr": (IMPORTS_NN.replace("\n", "\r"), IMPORTS_NN_FIXED.replace("\n", "\r")),
    "import-added-crlf-bom": ("\ufeff" + IMPORTS_NN.replace("\n", "\r\n"), "\ufeff" + IMPORTS_NN_FIXED.replace("\n", "\r\n")),
}


@pytest.mark.parametrize("name", list(ODD))
def test_odd_but_valid_text_is_fixed_and_every_other_byte_kept(name):
    original, expected = ODD[name]
    assert python_compiles(original.encode("utf-8"))
    path = write("odd.py", original.encode("utf-8"))
    result = invoke("apply", "odd.py")
    assert result.exit_code == 1, result.stderr
    assert path.read_bytes() == expected.encode("utf-8")
    assert invoke("apply", "odd.py").exit_code == 0


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\n", b"\r\n", b"   \n\n", b"# only a comment", b"\x0c",
                                  b"# -*- coding: latin-1 -*-\n"],
                         ids=["empty", "bom-only", "newline", "crlf", "blank", "comment", "form-feed", "cookie-only"])
def test_empty_and_near_empty_files_are_scanned_and_left_alone(data):
    empty = write("empty.py", data)
    write("tower.py", TOWER)
    mtime = empty.stat().st_mtime_ns
    result = invoke("apply", ".")
    assert result.exit_code == 1, result.stderr
    assert "scanned 2 files" in result.stderr
    assert not error_lines(result.stderr, "empty.py")
    assert untouched(empty, data, mtime)
    assert Path("tower.py").read_text() == TOWER_FIXED


# --- the directory walk, end to end -------------------------------------------------------------------


def test_walk_with_symlinks_a_loop_and_a_directory_named_like_a_file(tmp_path):
    real = write(tmp_path / "proj/real/tower.py", TOWER)
    (tmp_path / "proj" / "link.py").symlink_to(real)  # a link to a file of the walk: fixed once, kept a link
    outside = write(tmp_path / "outside/tower.py", TOWER)
    (tmp_path / "proj" / "outside.py").symlink_to(outside)  # a link to a file outside: its target is fixed
    (tmp_path / "proj" / "loop").symlink_to(tmp_path / "proj")  # a directory loop
    (tmp_path / "proj" / "self.py").symlink_to(tmp_path / "proj" / "self.py")  # a link to itself
    (tmp_path / "proj" / "dangling.py").symlink_to(tmp_path / "gone.py")
    inner = write("proj/pkg.py/inner.py", TOWER)  # a directory whose name ends in .py
    proc, stderr = run_modfix("apply", "proj", timeout=60)
    assert proc.returncode == 1, stderr
    assert real.read_text() == TOWER_FIXED
    assert outside.read_text() == TOWER_FIXED
    assert inner.read_text() == TOWER_FIXED
    for link in ("link.py", "outside.py", "loop", "self.py", "dangling.py"):
        assert (tmp_path / "proj" / link).is_symlink(), link
    assert "changed 3 files" in stderr


def test_unreadable_directory_is_named_and_the_rest_fixed(tmp_path, monkeypatch):
    write("proj/a.py", TOWER)
    locked = write("proj/locked/b.py", TOWER)
    write("proj/z/c.py", TOWER)
    real_scandir = os.scandir

    def scandir(path="."):  # as root chmod 0 does not stop listing: refuse it here
        if Path(path).resolve() == (tmp_path / "proj" / "locked").resolve():
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = invoke("apply", "proj")
    assert result.exit_code == 2
    assert re.search(r"^proj/locked: error: cannot read directory: Permission denied", result.stderr, re.M), \
        result.stderr
    assert Path("proj/a.py").read_text() == TOWER_FIXED
    assert Path("proj/z/c.py").read_text() == TOWER_FIXED
    assert locked.read_text() == TOWER


# --- changed by someone else between read and write --------------------------------------------------


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("what", ["modified", "deleted", "replaced-by-a-fixed-copy"])
def test_file_changed_between_read_and_write_is_not_overwritten(monkeypatch, what, jobs):
    count = 70 if jobs == "2" else 3  # 64 files or more: the parallel engine writes from worker processes
    for index in range(count):
        write(f"t{index:02d}.py", TOWER)
    victim = Path("t01.py")
    theirs = {"modified": TOWER + "# an edit made while modfix ran\n",
              "replaced-by-a-fixed-copy": TOWER_FIXED}.get(what)
    real_write_atomic = _engine.write_atomic

    def racing_write_atomic(path, data, *, expected):
        if Path(path).name == victim.name:  # another program gets there first
            if theirs is None:
                os.unlink(path)
            else:
                Path(path).write_text(theirs)
        return real_write_atomic(path, data, expected=expected)

    monkeypatch.setattr(_engine, "write_atomic", racing_write_atomic)
    result = invoke("apply", "--jobs", jobs, ".")
    assert result.exit_code == 2
    [line] = error_lines(result.stderr, "t01.py")
    word = "deleted" if what == "deleted" else "modified"
    assert f"was {word} since it was read; not overwriting it" in line, line
    if theirs is None:
        assert not victim.exists()  # not brought back
    else:
        assert victim.read_text() == theirs  # the other writer's content survives
    for index in range(count):
        if index != 1:
            assert Path(f"t{index:02d}.py").read_text() == TOWER_FIXED
    assert sorted(p.name for p in Path(".").iterdir() if p.name.startswith(".modfix-")) == []
