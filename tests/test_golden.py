"""One parametrized test over every golden fixture: exact text, findings, parse-ability, idempotence."""
from __future__ import annotations

import ast
import os

import pytest

from codemods import fix_source

from _fixtures import Case, all_cases, read

UPDATE = os.environ.get("MODFIX_UPDATE_GOLDEN") == "1"
CASES = all_cases()


def _findings_text(result) -> str:
    return "".join(
        f"{f.line}:{f.column} {f.code} {f.applicability.value} {f.message}\n" for f in result.findings
    )


def _fixed(source: str, unsafe: bool, select=None) -> str:
    result = fix_source(source, unsafe_fixes=unsafe, select=select)
    assert result.error is None, result.error
    return result.fixed if result.fixed is not None else source


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden(case: Case) -> None:
    source = read(case.input)
    select = case.select
    safe = _fixed(source, unsafe=False, select=select)
    unsafe = _fixed(source, unsafe=True, select=select)
    report = fix_source(source, unsafe_fixes=True, select=select)

    if UPDATE:
        case.findings.write_text(_findings_text(report)) if report.findings else case.findings.unlink(missing_ok=True)
    expected_safe = read(case.expected) if case.expected.exists() else source
    expected_unsafe = read(case.unsafe_expected) if case.unsafe_expected.exists() else expected_safe
    assert safe == expected_safe, "modfix apply"
    assert unsafe == expected_unsafe, "modfix apply --unsafe-fixes"

    expected_findings = read(case.findings) if case.findings.exists() else ""
    assert _findings_text(report) == expected_findings
    if case.input.name.startswith("ok_"):
        assert not report.findings, "an ok_ case must get no finding"
    elif not case.expected.exists() and not case.unsafe_expected.exists():
        assert report.findings, "a case left unchanged without the ok_ prefix must be reported"

    for text, unsafe_fixes in ((safe, False), (unsafe, True)):
        ast.parse(text)
        assert _fixed(text, unsafe_fixes, select) == text, "a second run changed the file again"
    if safe != source:
        assert not [f for f in fix_source(safe, select=select).findings if f.fixable and f.applicability.value == "safe"], (
            "safe findings remain after the safe fixes were applied"
        )
