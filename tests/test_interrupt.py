"""Nothing lost: SIGINT in the middle of `modfix apply` over a few hundred buggy files leaves every file
either exactly as it was or exactly as the rewrite (no partial file, no temporary file), and the run
ends promptly with a non-zero exit code and no traceback.

Two ways to be interrupted: SIGINT to modfix alone (``kill -INT``), sequential engine; and SIGINT to
its whole process group, as Ctrl-C in a terminal sends it, with the parallel engine's workers.
"""
from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from codemods import fix_source

pytestmark = pytest.mark.skipif(not hasattr(os, "killpg"), reason="needs POSIX signals and process groups")

FILES = 300
CLASSES_PER_FILE = 8


def buggy_file(index: int) -> str:
    parts = ["import torch\nimport torch.nn as nn\n"]
    for number in range(CLASSES_PER_FILE):
        parts.append(
            f"\n\nclass M{index}x{number}(nn.Module):\n"
            "    def __init__(self, depth=2):\n"
            "        super().__init__()\n"
            "        self.blocks = [nn.Linear(4, 4) for _ in range(depth)]\n"
            f"        self.heads = {{'a': nn.Linear(4, {number + 1})}}\n\n"
            "    def forward(self, x):\n"
            "        for block in self.blocks:\n"
            "            x = block(x)\n"
            "        return self.heads['a'](x)\n"
        )
    return "".join(parts)


@dataclass
class Interrupted:
    originals: dict[Path, bytes]
    expected: dict[Path, bytes]
    returncode: int
    stderr: str
    finished_before_signal: bool
    seconds_after_signal: float
    still_running: bool
    expected_code: int = 130


def _group_alive(group: int) -> bool:
    """Does any process of the group still run? (An exited worker whose new parent does not reap it stays a
    zombie, which kill(0) would still find.)"""
    if not os.path.isdir("/proc"):
        try:
            os.killpg(group, 0)
            return True
        except ProcessLookupError:
            return False
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rpartition(")")[2].split()
            except OSError:
                continue
            if int(fields[2]) == group and fields[0] != "Z":
                return True
    return False


@functools.lru_cache(maxsize=None)
def fixed_file(index: int) -> str:
    """What `modfix apply` makes of ``buggy_file(index)`` (the same for every scenario: computed once)."""
    text = buggy_file(index)
    result = fix_source(text)
    assert result.fixed is not None and result.fixed != text
    return result.fixed


def interrupt_apply(root: Path, jobs: str, whole_group: bool, signum: int = signal.SIGINT) -> Interrupted:
    originals, expected = {}, {}
    for index in range(FILES):
        path = root / f"pkg{index % 10}" / f"mod{index:03d}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        text = buggy_file(index)
        path.write_text(text)
        originals[path] = text.encode()
        expected[path] = fixed_file(index).encode()

    def any_changed() -> bool:
        for path, data in originals.items():
            try:
                if path.read_bytes() != data:
                    return True
            except FileNotFoundError:
                return True
        return False

    proc = subprocess.Popen([sys.executable, "-m", "codemods._cli", "apply", "--jobs", jobs, str(root)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)  # its own process group: Ctrl-C reaches modfix and workers only
    try:
        deadline = time.monotonic() + 60
        while not any_changed() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        finished = proc.poll() is not None
        signalled = time.monotonic()
        if not finished:
            if whole_group:
                os.killpg(proc.pid, signum)
            else:
                os.kill(proc.pid, signum)
        _, stderr = proc.communicate(timeout=60)
        seconds = time.monotonic() - signalled
        deadline = time.monotonic() + 20  # workers of a killed run end on their own, when they notice
        while _group_alive(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # a worker left behind would still be writing
        still_running = _group_alive(proc.pid)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
    return Interrupted(originals, expected, proc.returncode, stderr.decode("utf-8", errors="replace"), finished,
                       seconds, still_running)


# name: (jobs, to the whole process group?, signal, exit code expected)
SCENARIOS = {"sequential-kill": ("1", False, signal.SIGINT, 130), "parallel-ctrl-c": ("2", True, signal.SIGINT, 130),
             "parallel-sigterm": ("2", False, signal.SIGTERM, 143),
             # the main process alone, with no chance to clean up: its workers must end by themselves
             "parallel-sigkill": ("2", False, signal.SIGKILL, -signal.SIGKILL)}


@pytest.fixture(scope="module", params=list(SCENARIOS))
def interrupted(request, tmp_path_factory) -> Interrupted:
    jobs, whole_group, signum, _ = SCENARIOS[request.param]
    result = interrupt_apply(tmp_path_factory.mktemp(request.param), jobs, whole_group, signum)
    result.expected_code = SCENARIOS[request.param][3]
    if result.finished_before_signal:
        pytest.skip("the run finished before it could be interrupted (a very fast machine): nothing to check")
    return result


def test_interrupted_apply_leaves_every_file_old_or_new(interrupted):
    old = new = 0
    for path, original in interrupted.originals.items():
        data = path.read_bytes()
        assert data in (original, interrupted.expected[path]), f"{path} is neither the original nor the rewrite"
        compile(data, str(path), "exec")
        old += data == original
        new += data == interrupted.expected[path]
    assert old, "the interrupt came after the last write: the test did not interrupt anything"
    assert new, "no file was rewritten before the interrupt"
    root = next(iter(interrupted.originals)).parent.parent
    strays = [p for p in root.rglob("*") if p.is_file() and p not in interrupted.originals]
    assert strays == [], "temporary files left behind"
    assert not interrupted.still_running, "modfix or a worker outlived the interrupt"
    assert interrupted.seconds_after_signal < 20


def test_interrupted_apply_exits_non_zero_without_traceback(interrupted):
    assert interrupted.returncode != 0
    assert "Traceback" not in interrupted.stderr, interrupted.stderr


def test_interrupted_apply_says_so_and_exits_128_plus_the_signal(interrupted):
    assert interrupted.returncode == interrupted.expected_code, (interrupted.returncode, interrupted.stderr)
    if interrupted.returncode > 0:
        assert "interrupted" in interrupted.stderr
