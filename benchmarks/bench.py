"""Wall-clock benchmark of modfix against the floor and the tools users know, on the same trees.

    python benchmarks/bench.py [CORPUS_DIR] [--trees transformers,mixed] [--runs 3]

CORPUS_DIR is what ../shared/corpus.sh builds (default /tmp/modfix-corpus; the script runs corpus.sh
when the trees are missing). For each tree it times, as whole processes, medians of --runs runs:
the ``ast.parse`` floor (one process), ``modfix check`` with one process and with one per CPU,
``ruff check --select UP008`` (cold, ``--no-cache``) and TorchFix when they are installed, and
prints a table with the ratios to the floor. Timings live here, never in tests.
"""
from __future__ import annotations

import argparse
import os
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


def peak_memory_mb(command: list[str]) -> float | None:
    """Peak resident memory of the command and its children (GNU time), when available."""
    gnu_time = shutil.which("time") or "/usr/bin/time"
    if not os.path.exists(gnu_time):
        return None
    completed = subprocess.run([gnu_time, "-f", "%M"] + command, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    try:
        return int(completed.stderr.strip().splitlines()[-1]) / 1024
    except (ValueError, IndexError):
        return None


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus", nargs="?", default="/tmp/modfix-corpus")
    parser.add_argument("--trees", default="transformers,timm,torchvision,mixed")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    corpus = Path(args.corpus)
    if not (corpus / "transformers").is_dir():
        script = HERE.parent.parent / "shared" / "corpus.sh"
        subprocess.run(["bash", str(script), str(corpus)], check=True)
    modfix = [sys.executable, "-m", "codemods._cli"]
    ruff = shutil.which("ruff")
    torchfix = shutil.which("torchfix")
    rows = []
    for tree in args.trees.split(","):
        path = corpus / tree
        if not path.is_dir():
            continue
        files = sum(1 for _ in path.rglob("*.py"))
        floor = timed([sys.executable, "-c", FLOOR, str(path)], args.runs)
        row = {"tree": tree, "files": files, "ast.parse floor": floor}
        row["modfix -j1"] = timed(modfix + ["check", "-q", "--no-cache", "-j", "1", str(path)], args.runs)
        row["modfix -j0"] = timed(modfix + ["check", "-q", "--no-cache", str(path)], args.runs)
        row["peak MB"] = peak_memory_mb(modfix + ["check", "-q", "--no-cache", str(path)])
        with tempfile.TemporaryDirectory() as cache:
            warm = modfix + ["check", "-q", "--cache-dir", cache, str(path)]
            subprocess.run(warm, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            row["modfix warm"] = timed(warm, args.runs)
        if ruff:
            row["ruff UP008"] = timed([ruff, "check", "--select", "UP008", "--no-cache", "--quiet", str(path)], args.runs)
        if torchfix and tree.endswith("-s20"):
            row["torchfix"] = timed([torchfix, str(path)], 1)
        rows.append(row)
    columns = [c for c in ("tree", "files", "ast.parse floor", "modfix -j1", "modfix -j0", "modfix warm", "peak MB",
                           "ruff UP008",
                           "torchfix") if any(c in r for r in rows)]
    print(f"# {time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; "
          f"medians of {args.runs} runs, seconds (ratio to the ast.parse floor)")
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in rows:
        cells = []
        for column in columns:
            value = row.get(column)
            if isinstance(value, float) and column not in ("peak MB",) and column != "ast.parse floor" and row.get("ast.parse floor"):
                cells.append(f"{value:.2f} ({value / row['ast.parse floor']:.1f}x)")
            elif isinstance(value, float):
                cells.append(f"{value:.2f}" if column != "peak MB" else f"{value:.0f}")
            else:
                cells.append("" if value is None else str(value))
        print("| " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
