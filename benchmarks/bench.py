"""Wall-clock benchmark of modfix against the floor and the tools users know, on the same trees.

    python benchmarks/bench.py [CORPUS_DIR] [--trees transformers,mixed] [--runs 3]
                               [--ruff PATH] [--torchfix PATH]

CORPUS_DIR is what ../shared/corpus.sh builds (default /tmp/modfix-corpus; the script runs corpus.sh
when the trees are missing). For each tree it times, as whole processes, medians of --runs runs:
the ``ast.parse`` floor (one process); the installed ``modfix check`` cold (no cache) with one process
and with one per CPU, and warm (unchanged tree, cache filled by a first run); the peak memory of the
cold run, all its processes together (proportional set size, so pages shared after fork count once)
and the largest single process; ``ruff check --select UP008`` cold (``--no-cache``) and warm; and
TorchFix, timed once on the tree's 20 % sample (``<tree>-s20``) and extrapolated by file count,
since a full run takes many minutes. Ruff and TorchFix are found on PATH or given by path: TorchFix
pins an older libcst, so it lives in its own virtual environment, e.g.

    python -m venv /tmp/tfenv && /tmp/tfenv/bin/pip install torchfix
    python -m venv /tmp/ruffenv && /tmp/ruffenv/bin/pip install ruff

Also a tree of one generated file of --big-file-mb megabytes of Module classes (linear time in the
number of classes), the latency of a pre-commit run on one file of a large project (--staged), and
``modfix apply`` cold over a copy of a tree where one file in ten gets a fix (--apply-tree): the cost of
rewriting, which libcst does for the files with fixes only.

Prints a markdown table with the ratios to the floor. Timings live here, never in tests.
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FLOOR = (
    "import ast, pathlib, sys\n"
    "for p in sorted(pathlib.Path(sys.argv[1]).rglob('*.py')):\n"
    "    try:\n        ast.parse(p.read_bytes())\n    except (SyntaxError, ValueError):\n        pass\n"
)


def timed(command: list[str], runs: int) -> float | None:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        completed = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if completed.returncode not in (0, 1, 2):
            return None
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _children(pid: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            parents.setdefault(parent, []).append(int(entry))
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(parents.get(current, ()))
    return found


def _memory_kb(pid: int) -> tuple[int, int]:
    """(proportional set size, resident set size) of one process, in kB."""
    pss = rss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
                elif line.startswith("Rss:"):
                    rss = int(line.split()[1])
    except (OSError, ValueError):
        pass
    return pss, rss


def peak_memory_mb(command: list[str]) -> tuple[float, float] | None:
    """Peak memory of the command with its worker processes: (all together, the largest one), in MB,
    sampled every 0.1 s from /proc (Linux only)."""
    if not os.path.exists("/proc/self/smaps_rollup"):
        return None
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    total = largest = 0
    while process.poll() is None:
        sizes = [_memory_kb(pid) for pid in _children(process.pid)]
        total = max(total, sum(pss for pss, _ in sizes))
        largest = max([largest] + [rss for _, rss in sizes])
        time.sleep(0.1)
    return total / 1024, largest / 1024


BLOCK = """

class Block{index}(nn.Module):
    def __init__(self, width=8):
        super().__init__()
        self.proj = nn.Linear(width, width)
        self.layers = [nn.Linear(width, width) for _ in range(2)]
        self.scale = torch.ones(width)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return self.proj(x) * self.scale
"""


def generated_tree(folder: Path, megabytes: float) -> Path:
    """One file of ``megabytes`` of small Module classes, each with findings (time per class must not grow
    with their number: it once did, quadratically)."""
    parts, size, index = ["import torch\nimport torch.nn as nn\n"], 0, 0
    while size < megabytes * 1_000_000:
        parts.append(BLOCK.format(index=index))
        size += len(parts[-1])
        index += 1
    (folder / "models.py").write_text("".join(parts))
    return folder


def one_staged_file(modfix: list[str], tree: Path, relative: str, runs: int) -> dict[str, float | None]:
    """What a pre-commit hook costs on one file of a large project: ``modfix apply FILE`` in a copy of the
    tree made a project (a .git folder), which reads the rest of the project for the class hierarchy;
    cold (no cache) and warm (a cache from an earlier run, then the file edited)."""
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder) / "project"
        shutil.copytree(tree, project / tree.name)
        (project / ".git").mkdir()
        target = project / tree.name / relative
        cold = timed(modfix + ["apply", "-q", "--no-cache", str(target)], runs)
        command = modfix + ["apply", "-q", str(target)]
        subprocess.run(command, cwd=project, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples = []
        for run in range(runs):
            with open(target, "a", encoding="utf-8") as handle:  # staged because it was edited
                handle.write(f"# edit {run}\n")
            samples.append(timed(command, 1) or 0.0)
        return {"one staged file cold": cold, "one staged file warm": statistics.median(samples)}


BUGGY_CLASS = """

import torch.nn as nn


class ModfixBench{index}(nn.Module):
    def __init__(self, width=4):
        super().__init__()
        self.blocks = [nn.Linear(width, width) for _ in range(2)]
"""


_SUPER_INIT_LINE = re.compile(r"^( +)super\(\)\.__init__\([^()\n]*\)\n", re.M)
_NAMES_NN = re.compile(r"^(from torch import nn|import torch\.nn as nn)$", re.M)


def with_a_fix(text: str, index: int) -> str:
    """The file with one plain list of modules: in its first ``__init__`` that calls ``super().__init__()``
    (inside a real class, usually a large one), else in a small class appended to it."""
    found = _SUPER_INIT_LINE.search(text)
    if found and _NAMES_NN.search(text):
        line = f"{found.group(1)}self.modfix_blocks = [nn.Linear(2, 2) for _ in range(2)]\n"
        return text[:found.end()] + line + text[found.end():]
    return text + BUGGY_CLASS.format(index=index)


def apply_one_in_ten(modfix: list[str], tree: Path, runs: int) -> dict[str, float | None]:
    """``modfix apply`` (cold, all processes) over a copy of ``tree`` where every tenth file (sorted) keeps
    modules in a plain list (``with_a_fix``): the rewrite of one file in ten, in real classes of real
    size. Each run starts from a fresh copy (not timed)."""
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder) / "base"
        shutil.copytree(tree, base)
        files = sorted(base.rglob("*.py"))
        for index, path in enumerate(files[::10]):
            text = path.read_text(encoding="utf-8", errors="surrogateescape")
            path.write_text(with_a_fix(text, index), encoding="utf-8", errors="surrogateescape")
        samples = []
        for _ in range(runs):
            work = Path(folder) / "work"
            shutil.rmtree(work, ignore_errors=True)
            shutil.copytree(base, work)
            samples.append(timed(modfix + ["apply", "-q", "--no-cache", str(work)], 1) or 0.0)
        return {"apply, 1 file in 10 fixed": statistics.median(samples)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus", nargs="?", default="/tmp/modfix-corpus")
    parser.add_argument("--trees", default="transformers,timm,torchvision,mixed")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--ruff", default=shutil.which("ruff"), help="the ruff executable")
    parser.add_argument("--torchfix", default=shutil.which("torchfix"), help="the torchfix executable")
    parser.add_argument("--big-file-mb", type=float, default=10, help="also a tree of one generated file this "
                        "large (0: none)")
    parser.add_argument("--staged", default="transformers:transformers/models/llama/modeling_llama.py",
                        help="TREE:FILE, timed as a pre-commit hook run on that one file ('' : none)")
    parser.add_argument("--apply-tree", default="transformers",
                        help="TREE: time `modfix apply` on a copy where one file in ten gets a fix ('' : none)")
    args = parser.parse_args()
    corpus = Path(args.corpus)
    if not (corpus / "transformers").is_dir():
        script = HERE.parent.parent / "shared" / "corpus.sh"
        subprocess.run(["bash", str(script), str(corpus)], check=True)
    # the command users run: the console script, whose warm path replays an unchanged check
    modfix = [shutil.which("modfix", path=os.path.dirname(sys.executable)) or "modfix"]
    rows = []
    generated = tempfile.TemporaryDirectory()
    trees = [(tree, corpus / tree) for tree in args.trees.split(",")]
    if args.big_file_mb:
        trees.append((f"one {args.big_file_mb:g} MB file", generated_tree(Path(generated.name), args.big_file_mb)))
    for tree, path in trees:
        if not path.is_dir():
            continue
        files = sum(1 for _ in path.rglob("*.py"))
        floor = timed([sys.executable, "-c", FLOOR, str(path)], args.runs)
        row = {"tree": tree, "files": files, "ast.parse floor": floor}
        row["modfix -j1"] = timed(modfix + ["check", "-q", "--no-cache", "-j", "1", str(path)], args.runs)
        row["modfix cold"] = timed(modfix + ["check", "-q", "--no-cache", str(path)], args.runs)
        memory = peak_memory_mb(modfix + ["check", "-q", "--no-cache", str(path)])
        if memory:
            row["peak MB all (largest)"] = f"{memory[0]:.0f} ({memory[1]:.0f})"
        with tempfile.TemporaryDirectory() as cache:
            warm = modfix + ["check", "-q", "--cache-dir", cache, str(path)]
            subprocess.run(warm, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            row["modfix warm"] = timed(warm, args.runs)
        if args.ruff:
            ruff = [args.ruff, "check", "--select", "UP008", "--quiet", "--exit-zero"]
            row["ruff UP008 cold"] = timed(ruff + ["--no-cache", str(path)], args.runs)
            with tempfile.TemporaryDirectory() as cache:
                subprocess.run(ruff + ["--cache-dir", cache, str(path)], stdout=subprocess.DEVNULL)
                row["ruff UP008 warm"] = timed(ruff + ["--cache-dir", cache, str(path)], args.runs)
            if row.get("ruff UP008 warm"):
                row["warm / ruff warm"] = f"{row['modfix warm'] / row['ruff UP008 warm']:.1f}x"
        sample = corpus / f"{tree}-s20"
        if args.torchfix and sample.is_dir():
            sample_files = sum(1 for _ in sample.rglob("*.py"))
            seconds = timed([args.torchfix, str(sample)], 1)
            if seconds:
                row["torchfix (extrapolated)"] = seconds * files / sample_files
                row["torchfix / modfix cold"] = f"{row['torchfix (extrapolated)'] / row['modfix cold']:.0f}x"
        if args.staged and args.staged.split(":")[0] == tree:
            row.update(one_staged_file(modfix, path, args.staged.split(":", 1)[1], args.runs))
        if args.apply_tree == tree:
            row.update(apply_one_in_ten(modfix, path, args.runs))
        rows.append(row)
    generated.cleanup()
    columns = [c for c in ("tree", "files", "ast.parse floor", "modfix -j1", "modfix cold", "modfix warm",
                           "peak MB all (largest)", "ruff UP008 cold", "ruff UP008 warm", "warm / ruff warm",
                           "torchfix (extrapolated)", "torchfix / modfix cold", "one staged file cold",
                           "one staged file warm", "apply, 1 file in 10 fixed") if any(c in r for r in rows)]
    print(f"# {time.strftime('%Y-%m-%d')}, {platform.node() or 'this machine'}: {os.cpu_count()} CPUs, "
          f"{platform.machine()}, Python {sys.version.split()[0]}; medians of {args.runs} runs, seconds "
          "(ratio to the ast.parse floor)")
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    ratioed = {"modfix -j1", "modfix cold", "torchfix (extrapolated)", "apply, 1 file in 10 fixed"}
    for row in rows:
        cells = []
        for column in columns:
            value = row.get(column)
            if isinstance(value, float) and column in ratioed and row.get("ast.parse floor"):
                cells.append(f"{value:.2f} ({value / row['ast.parse floor']:.1f}x)")
            elif isinstance(value, float):
                cells.append(f"{value:.2f}")
            else:
                cells.append("" if value is None else str(value))
        print("| " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
