#!/usr/bin/env python3
"""corpus_check.py [CORPUS_DIR] [--sample LIST] [--tree NAME ...]  -  "modfix never breaks, never loses a byte".

Runs the real program (``python -m codemods._cli``) with every rule and the unsafe fixes over scratch
copies of real code: the four trees that ``../shared/corpus.sh`` unpacks (default
``/tmp/modfix-corpus``: transformers, timm, torchvision, torch), each as one run, or with ``--sample``
the fixed list of files that ``tests/test_corpus_sample.py`` checks. For each run it checks:

- no crash: exit code 0, 1, or 2 only when a file that Python itself cannot compile was named as the
  error; never "internal error" or "Traceback" on stderr;
- every rewritten file still compiles, and only files with an applicable fix were rewritten;
- every other file is byte-identical with an unchanged mtime, and no stray file is left behind;
- a second ``apply`` changes nothing (exit 0, same bytes, same mtimes).

and prints a table: files, findings per rule code, rewritten files, non-compiling outputs,
non-idempotent files, crashes (any broken promise), seconds of the first ``apply``. Exits 1 when a
check failed. The test imports ``check_tree`` and ``CheckReport`` from here, so both check the same.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TREES = ("transformers", "timm", "torchvision", "torch")
DEFAULT_CORPUS = Path(os.environ.get("MODFIX_CORPUS", "/tmp/modfix-corpus"))
SAMPLE_LIST = REPO / "tests" / "data" / "corpus_sample.txt"
# every rule, the unsafe fixes too: the most rewriting modfix can be asked to do
MODFIX_ARGS = ("--select", "ALL", "--unsafe-fixes")
# "path:line: error: ..." or "path: internal error: ..." (the CLI's error lines)
ERROR_LINE = re.compile(r"^(?P<path>.+?)(?::(?P<line>\d+))?: (?P<kind>error|internal error): (?P<message>.*)$")


@dataclass
class CheckReport:
    name: str
    files: int = 0
    scanned: int | None = None  # what the apply summary says
    findings: Counter = field(default_factory=Counter)  # per rule code, from `check --output-format json`
    fixable_files: set = field(default_factory=set)  # files with a finding `apply --unsafe-fixes` fixes
    uncompilable: set = field(default_factory=set)  # originals that compile() itself rejects
    reported_errors: dict = field(default_factory=dict)  # path -> the error line
    rewritten: list = field(default_factory=list)
    non_compiling: list = field(default_factory=list)  # rewritten files that no longer compile: message
    non_idempotent: list = field(default_factory=list)  # files the second apply changed or touched
    unexpected_changes: list = field(default_factory=list)  # files without an applicable fix that changed or were touched
    crashes: list = field(default_factory=list)  # every other broken promise, one line each
    exit_codes: dict = field(default_factory=dict)  # "check", "apply", "apply again" -> code
    seconds: float = 0.0

    @property
    def problems(self) -> list[str]:
        return ([f"crash: {c}" for c in self.crashes]
                + [f"rewritten file does not compile: {c}" for c in self.non_compiling]
                + [f"second apply changed: {c}" for c in self.non_idempotent]
                + [f"changed without an applicable fix: {c}" for c in self.unexpected_changes])

    def summary(self) -> str:
        codes = ", ".join(f"{code} {n}" for code, n in sorted(self.findings.items())) or "none"
        return (f"{self.name}: {self.files} files, findings: {codes}; rewritten {len(self.rewritten)}; "
                f"originals Python cannot compile: {len(self.uncompilable)}; exit codes {self.exit_codes}; "
                f"{self.seconds:.1f} s")


def compile_error(data: bytes, path: str) -> str | None:
    """Why Python 3 itself rejects this source (None if it compiles); compile() honours the coding cookie."""
    try:
        compile(data, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def parses(data: bytes) -> bool:
    try:
        ast.parse(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return False
    return True


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under root: relative path -> (bytes, mtime_ns). Symlinks are not followed."""
    files = {}
    for directory, _, names in os.walk(root):
        for name in names:
            path = Path(directory, name)
            files[path.relative_to(root).as_posix()] = (path.read_bytes(), path.stat().st_mtime_ns)
    return files


def modfix_command(python: str = sys.executable) -> list[str]:
    return [python, "-m", "codemods._cli"]


def run_modfix(args: list[str], cwd: Path, python: str = sys.executable, timeout: float = 1800):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    for name in ("NO_COLOR", "FORCE_COLOR"):
        env.pop(name, None)
    # the result cache lives in the project root, which is the scratch tree here: it would count as a
    # stray file, and a cached answer is not what this check is about
    env["MODFIX_NO_CACHE"] = "1"
    started = time.perf_counter()
    proc = subprocess.run(modfix_command(python) + args, cwd=cwd, capture_output=True, timeout=timeout, env=env,
                          stdin=subprocess.DEVNULL)
    return proc, time.perf_counter() - started


def _normal(path: str, root: Path) -> str:
    path = Path(path)
    if path.is_absolute():
        path = path.relative_to(root)
    return Path(os.path.normpath(path)).as_posix()


def _crash_signs(what: str, proc, report: CheckReport) -> None:
    stderr = proc.stderr.decode("utf-8", errors="replace")
    if proc.returncode not in (0, 1, 2):
        report.crashes.append(f"{what}: exit code {proc.returncode}: {stderr.strip()[-2000:]}")
    if "Traceback" in stderr or "Traceback" in proc.stdout.decode("utf-8", errors="replace"):
        report.crashes.append(f"{what}: a traceback was printed: {stderr.strip()[-2000:]}")
    for line in stderr.splitlines():
        if "internal error" in line:
            report.crashes.append(f"{what}: {line}")


def check_tree(root: Path, name: str | None = None, python: str = sys.executable) -> CheckReport:
    """Run the checks on the files under ``root`` (a scratch copy: ``apply`` rewrites it in place)."""
    root = Path(root).resolve()
    report = CheckReport(name or root.name)
    before = snapshot(root)
    report.files = sum(1 for p in before if p.endswith(".py"))
    report.uncompilable = {p for p, (data, _) in before.items() if p.endswith(".py") and compile_error(data, p)}

    # 1. what there is to fix
    proc, _ = run_modfix(["check", "--output-format", "json", "-q", *MODFIX_ARGS, "."], root, python)
    report.exit_codes["check"] = proc.returncode
    _crash_signs("check", proc, report)
    try:
        findings = json.loads(proc.stdout or b"[]")
    except ValueError as exc:
        report.crashes.append(f"check: stdout is not JSON ({exc}): {proc.stdout[:500]!r}")
        findings = []
    for finding in findings:
        report.findings[finding["code"]] += 1
        if finding.get("fixable") and finding.get("applicability") in ("safe", "unsafe"):
            report.fixable_files.add(_normal(finding["path"], root))
    if snapshot(root) != before:
        report.crashes.append("check: changed files (check must never write)")

    # 2. apply
    proc, report.seconds = run_modfix(["apply", *MODFIX_ARGS, "."], root, python)
    report.exit_codes["apply"] = proc.returncode
    _crash_signs("apply", proc, report)
    stderr = proc.stderr.decode("utf-8", errors="replace")
    scanned = re.search(r"scanned (\d+) files?", stderr)
    report.scanned = int(scanned.group(1)) if scanned else None
    for line in stderr.splitlines():
        match = ERROR_LINE.match(line)
        if match:
            report.reported_errors[_normal(match["path"], root)] = line
    for path, line in report.reported_errors.items():
        if path not in report.uncompilable:
            report.crashes.append(f"apply: an error for a file that Python compiles: {line}")
    for path in sorted(report.uncompilable - set(report.reported_errors)):
        if not parses(before[path][0]):
            report.crashes.append(f"apply: {path} cannot be parsed, but was not named as an error")
    if proc.returncode == 2 and not report.reported_errors:
        report.crashes.append(f"apply: exit code 2 but no file named as the error: {stderr.strip()[-2000:]}")
    if proc.returncode == 2 and not report.uncompilable:
        report.crashes.append("apply: exit code 2 although every file compiles")

    after = snapshot(root)
    if set(after) != set(before):
        report.crashes.append(f"apply: files appeared or vanished: +{sorted(set(after) - set(before))} "
                              f"-{sorted(set(before) - set(after))}")
    for path, (data, mtime) in sorted(before.items()):
        if path not in after:
            continue
        new_data, new_mtime = after[path]
        if new_data == data and new_mtime == mtime:
            continue
        if new_data == data:
            report.unexpected_changes.append(f"{path}: same bytes but the file was touched (mtime changed)")
            continue
        report.rewritten.append(path)
        if path not in report.fixable_files:
            report.unexpected_changes.append(f"{path}: rewritten without an applicable finding")
        error = compile_error(new_data, path)
        if error:
            report.non_compiling.append(f"{path}: {error}")
    expected_apply = 2 if report.reported_errors else (1 if report.rewritten else 0)
    if proc.returncode in (0, 1, 2) and proc.returncode != expected_apply:
        report.crashes.append(f"apply: exit code {proc.returncode}, expected {expected_apply} "
                              f"({len(report.rewritten)} files rewritten, {len(report.reported_errors)} errors)")

    # 3. apply again: nothing left to change
    proc, _ = run_modfix(["apply", *MODFIX_ARGS, "."], root, python)
    report.exit_codes["apply again"] = proc.returncode
    _crash_signs("apply again", proc, report)
    again = snapshot(root)
    for path, (data, mtime) in sorted(after.items()):
        if again.get(path) != (data, mtime):
            report.non_idempotent.append(path)
    expected_again = 2 if report.reported_errors else 0
    if proc.returncode != expected_again:
        report.crashes.append(f"apply again: exit code {proc.returncode}, expected {expected_again}: "
                              f"{proc.stderr.decode('utf-8', errors='replace').strip()[-2000:]}")
    return report


# --- the sample ----------------------------------------------------------------------------------


def read_sample(list_file: Path = SAMPLE_LIST) -> list[str]:
    return [line.strip() for line in list_file.read_text().splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def corpus_ready(corpus: Path) -> bool:
    return corpus.is_dir() and any((corpus / tree).is_dir() for tree in TREES)


def copy_sample(corpus: Path, dest: Path, list_file: Path = SAMPLE_LIST) -> tuple[list[str], list[str]]:
    """Copy the listed files (mtimes kept) under ``dest``; returns (copied, missing)."""
    copied, missing = [], []
    for relative in dict.fromkeys(read_sample(list_file)):
        source = corpus / relative
        if not source.is_file():
            missing.append(relative)
            continue
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
        copied.append(relative)
    return copied, missing


# --- the table -----------------------------------------------------------------------------------


def print_table(reports: list[CheckReport], codes: list[str], out=sys.stdout) -> None:
    columns = ["tree", "files", *codes, "rewritten", "non-compiling", "non-idempotent", "crashes", "seconds"]
    rows = []
    for r in reports:
        rows.append([r.name, str(r.files), *(str(r.findings.get(c, 0)) for c in codes), str(len(r.rewritten)),
                     str(len(r.non_compiling)), str(len(r.non_idempotent)),
                     str(len(r.crashes) + len(r.unexpected_changes)), f"{r.seconds:.1f}"])
    widths = [max(len(col), *(len(row[i]) for row in rows)) for i, col in enumerate(columns)]
    print("  ".join(col.ljust(w) if i == 0 else col.rjust(w) for i, (col, w) in enumerate(zip(columns, widths))),
          file=out)
    for row in rows:
        print("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths))),
              file=out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS,
                        help=f"the directory corpus.sh made (default {DEFAULT_CORPUS})")
    parser.add_argument("--sample", nargs="?", const=SAMPLE_LIST, type=Path, default=None, metavar="LIST",
                        help="check only the fixed sample list (default tests/data/corpus_sample.txt), as one run")
    parser.add_argument("--tree", action="append", choices=TREES, help="only these trees (repeatable)")
    parser.add_argument("--python", default=sys.executable, help="the interpreter that runs modfix")
    args = parser.parse_args(argv)
    corpus = args.corpus.resolve()
    if not corpus_ready(corpus):
        print(f"no corpus under {corpus}: make it with `bash {REPO.parent / 'shared' / 'corpus.sh'} {corpus}`",
              file=sys.stderr)
        return 2

    reports = []
    with tempfile.TemporaryDirectory(prefix="modfix-corpus-check-") as scratch:
        scratch = Path(scratch)
        if args.sample:
            copied, missing = copy_sample(corpus, scratch / "sample", args.sample)
            if missing:
                print(f"{len(missing)} listed files are not in this corpus (e.g. {missing[0]})", file=sys.stderr)
            reports.append(check_tree(scratch / "sample", "sample", args.python))
        else:
            for tree in args.tree or TREES:
                if not (corpus / tree).is_dir():
                    print(f"{tree}: not in {corpus}, skipped", file=sys.stderr)
                    continue
                print(f"{tree}: copying and checking ...", file=sys.stderr, flush=True)
                shutil.copytree(corpus / tree, scratch / tree, symlinks=True)
                reports.append(check_tree(scratch / tree, tree, args.python))
                shutil.rmtree(scratch / tree)
    if not reports:
        print("no tree checked", file=sys.stderr)
        return 2
    codes = sorted({code for r in reports for code in r.findings})
    print_table(reports, codes)
    failed = False
    for r in reports:
        if r.uncompilable:
            print(f"{r.name}: {len(r.uncompilable)} originals Python cannot compile "
                  f"({len(r.reported_errors)} named as errors by modfix)")
        for problem in r.problems:
            failed = True
            print(f"{r.name}: {problem}")
    print("FAILED" if failed else "all checks passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
