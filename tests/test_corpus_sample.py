"""Real code: modfix with every rule and the unsafe fixes over a fixed sample of four real trees.

The sample is ``tests/data/corpus_sample.txt`` (every 20th file of transformers, timm, torchvision
and torch, plus every file with a finding in a full-tree run), taken from the corpus that
``../shared/corpus.sh`` unpacks: ``$MODFIX_CORPUS`` (made there by the script if missing), else
``/tmp/modfix-corpus`` when it is there, else the script is run once into a temporary directory
(pip download, a minute or two); without network the test is skipped. The checks are those of ``benchmarks/corpus_check.py`` (which runs
them over the full trees): no crash, exit 2 only for files Python cannot compile, rewritten files
compile, a second apply changes nothing, every other file byte-identical and untouched.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
import corpus_check  # noqa: E402  (benchmarks/ is not a package)

CORPUS_SCRIPT = REPO.parent / "shared" / "corpus.sh"
MIN_FILES = 100  # fewer listed files found: not the corpus the list was made from


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> Path:
    """$MODFIX_CORPUS (made there if missing), else /tmp/modfix-corpus, else made in a temporary directory."""
    configured = os.environ.get("MODFIX_CORPUS")
    if configured:
        target = Path(configured)
    elif corpus_check.corpus_ready(Path("/tmp/modfix-corpus")):
        return Path("/tmp/modfix-corpus")
    else:
        target = tmp_path_factory.mktemp("corpus")
    if corpus_check.corpus_ready(target):
        return target
    if not CORPUS_SCRIPT.is_file():
        pytest.skip(f"no corpus in {target} and no {CORPUS_SCRIPT} to make one")
    env = dict(os.environ, PIP=f"{sys.executable} -m pip")
    try:
        proc = subprocess.run(["bash", str(CORPUS_SCRIPT), str(target)], capture_output=True, env=env,
                              timeout=900, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.skip(f"{CORPUS_SCRIPT} did not finish in 15 minutes")
    if proc.returncode != 0 or not corpus_check.corpus_ready(target):
        tail = proc.stderr.decode(errors="replace").strip().splitlines()[-3:]
        pytest.skip(f"cannot make the corpus (no network?): {CORPUS_SCRIPT} exited {proc.returncode}: "
                    + " | ".join(tail))
    return target


def test_corpus_sample_never_breaks_and_never_loses_a_byte(corpus, tmp_path, record_property):
    copied, missing = corpus_check.copy_sample(corpus, tmp_path / "sample")
    if len(copied) < MIN_FILES:
        pytest.skip(f"only {len(copied)} of the {len(copied) + len(missing)} files of {corpus_check.SAMPLE_LIST.name} "
                    f"are in {corpus}: another version of the corpus?")
    report = corpus_check.check_tree(tmp_path / "sample", "sample")
    print(report.summary())
    record_property("findings_per_rule", dict(sorted(report.findings.items())))
    record_property("rewritten_files", len(report.rewritten))

    assert not report.problems, "\n".join([report.summary(), *report.problems])
    assert report.scanned == len(copied)
    if not missing:  # the sample holds files with findings: the rewrite checks must not be vacuous
        assert sum(report.findings.values()) > 0 and report.rewritten, report.summary()
    if report.uncompilable:
        assert set(report.reported_errors) == report.uncompilable, report.summary()


def test_the_fast_path_says_what_analysing_every_file_says(corpus, tmp_path, monkeypatch):
    """The first pass skips files without Module classes and families are looked up lazily, in
    parallel workers: the findings must be those of a full analysis of every file, in one process.
    So must a run whose tree budget is so small that every tree is dropped and parsed again."""
    from codemods import RULES, _engine
    from codemods._engine import Options, run

    copied, _ = corpus_check.copy_sample(corpus, tmp_path / "sample")
    if len(copied) < MIN_FILES:
        pytest.skip("not the corpus the sample list was made from")
    every = frozenset(r.code for r in RULES)

    def findings(**extra):
        report = run([str(tmp_path / "sample")], RULES, Options(unsafe_fixes=True, select=every, **extra), write=False)
        return [(r.path, r.fixed, [(f.line, f.column, f.code, f.message) for f in r.findings],
                 r.error and r.error.message) for r in report.files]

    reference = findings(analyse_every_file=True, jobs=1)
    assert findings(jobs=2) == reference
    assert findings(jobs=1) == reference
    monkeypatch.setattr(_engine, "TREE_BUDGET", 1)
    assert findings(jobs=2) == reference
