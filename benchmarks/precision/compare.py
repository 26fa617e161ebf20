#!/usr/bin/env python3
"""Precision on code modfix was not developed on: re-run modfix and compare with the classified findings.

    python benchmarks/precision/compare.py [CORPUS_DIR] [--modfix CMD] [--markdown]
    python benchmarks/precision/compare.py /tmp/modfix-holdout --classified benchmarks/precision/holdout.jsonl

CORPUS_DIR is what ``../shared/precision_corpus.sh`` builds (default /tmp/modfix-precision), or the 18
further libraries ``holdout.sh`` beside this file fetches (classified in ``holdout.jsonl``). The
script runs ``modfix check --no-cache --unsafe-fixes --output-format json`` over it and compares the
findings with ``classified.jsonl`` beside this file: one line per finding ever read by a reviewer
(path, line, code), with the verdict (``real`` bug, ``debatable``, or ``false`` positive), the idiom or
principle behind it, a note a reviewer can check, and the applicability and fix it had when it was
classified. It prints:

- each finding that no classification covers (read it and add a line to classified.jsonl);
- each classified finding that is gone (a ``real`` one gone is lost recall: say why in the commit);
- each finding whose fix or applicability changed since it was classified (read the fix again);
- the table per rule: findings, real, debatable, false, unclassified, and false ones labelled safe.

The exit status is 1 when a finding is unclassified or a fix changed, so a change that moves a finding
shows up.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CLASSIFIED = HERE / "classified.jsonl"


def load_classified(path: Path = CLASSIFIED) -> dict[tuple[str, int, str], dict]:
    rows = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                rows[(row["path"], row["line"], row["code"])] = row
    return rows


def run_modfix(command: str, corpus: str) -> list[dict]:
    argv = shlex.split(command) + ["check", "--no-cache", "--unsafe-fixes", "--output-format", "json",
                                   "--exclude", ".downloads", "."]
    done = subprocess.run(argv, cwd=corpus, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        sys.stderr.write(done.stderr)
        raise SystemExit(f"modfix exited {done.returncode}")
    return json.loads(done.stdout)


def fix_of(finding: dict) -> list | None:
    if not finding.get("fix"):
        return None
    return [[e["start"]["line"], e["start"]["column"], e["end"]["line"], e["end"]["column"], e["content"]]
            for e in finding["fix"]["edits"]]


def table(findings: list[dict], classified: dict) -> list[tuple]:
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for finding in findings:
        row = classified.get((finding["path"], finding["line"], finding["code"]))
        verdict = row["verdict"] if row else "unclassified"
        counts[finding["code"]]["findings"] += 1
        counts[finding["code"]][verdict] += 1
        if row and verdict == "false" and finding["applicability"] == "safe":
            counts[finding["code"]]["false-safe"] += 1
    rows = []
    for code in sorted(counts):
        c = counts[code]
        rows.append((code, c["findings"], c["real"], c["debatable"], c["false"], c["unclassified"], c["false-safe"]))
    total = tuple(sum(r[i] for r in rows) for i in range(1, 7))
    rows.append(("all",) + total)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", default=os.environ.get("MODFIX_PRECISION_DIR", "/tmp/modfix-precision"))
    parser.add_argument("--modfix", default=f"{shlex.quote(sys.executable)} -m codemods")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown (for the README)")
    parser.add_argument("--classified", type=Path, default=CLASSIFIED, help="the classified findings (JSON lines)")
    args = parser.parse_args()
    if not os.path.isdir(args.corpus):
        raise SystemExit(f"{args.corpus}: no such folder; run ../shared/precision_corpus.sh first")
    classified = load_classified(args.classified)
    findings = run_modfix(args.modfix, args.corpus)
    seen = set()
    unclassified, changed = [], []
    for finding in findings:
        key = (finding["path"], finding["line"], finding["code"])
        seen.add(key)
        row = classified.get(key)
        if row is None:
            unclassified.append(finding)
        elif (row["classified"]["applicability"], row["classified"]["fix"]) != (finding["applicability"], fix_of(finding)):
            changed.append((finding, row))
    gone = [row for key, row in classified.items() if key not in seen]

    for finding in unclassified:
        print(f"NEW      {finding['path']}:{finding['line']}: {finding['code']} {finding['applicability']}: {finding['message']}")
    for finding, row in changed:
        print(f"CHANGED  {finding['path']}:{finding['line']}: {finding['code']} ({row['verdict']}) was "
              f"{row['classified']['applicability']}, now {finding['applicability']}: {finding['message']}")
    for row in sorted(gone, key=lambda r: (r["verdict"] != "real", r["path"], r["line"])):
        print(f"GONE     {row['path']}:{row['line']}: {row['code']} ({row['verdict']}, {row['principle'] or 'real bug'})")

    rows = table(findings, classified)
    header = ("rule", "findings", "real", "debatable", "false", "unclassified", "false and safe")
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for row in rows:
            print("| " + " | ".join(str(v) for v in row) + " |")
    else:
        print()
        print("  ".join(f"{h:>12}" for h in header))
        for row in rows:
            print("  ".join(f"{v:>12}" for v in row))
    return 1 if unclassified or changed else 0


if __name__ == "__main__":
    sys.exit(main())
