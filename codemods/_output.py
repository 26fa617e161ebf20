"""Output formats: a run's findings as text, JSON, GitHub Actions annotations or SARIF 2.1.0.

Pure functions: they return the text to print and print nothing. Errors (files that could not be
read or parsed) are not findings: ``text``, ``json`` and ``github`` leave them to the CLI's stderr;
``sarif`` also records them as tool execution notifications.

Positions are 1-based lines and 1-based columns counted in characters (Unicode code points), as in
the text output. An end position points just past the last character (SARIF's convention too).

Fix data, in ``json`` and ``sarif``, is a list of edits at positions of the file as it was read
(``FileResult.original``): the edits of one fix never overlap, come sorted by position, and are
applied from the last to the first. A fix that needs an import carries the inserted import lines
as one more edit, at the place ``modfix apply`` puts them; when several fixes of one file need the
same import, each carries that identical edit: apply it once. Fixes of different findings may
overlap (``modfix apply`` then applies the first and leaves the other for its next run).
"""
from __future__ import annotations

import ast
import inspect
import json
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from . import RULES
from ._engine import FileError, FileResult, Options, RunReport
from ._rewrite import import_offset, import_statement
from ._rule import Finding, Fix, Rule
from ._source import LineIndex

FORMATS = ("text", "json", "github", "sarif")

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/modfix/modfix"


def render(fmt: str, report: RunReport, options: Options, *, tool_version: str, explain: bool = False) -> str:
    """The findings of ``report`` in format ``fmt`` (one of ``FORMATS``), ready to print as is; with
    ``explain``, the text format shows the facts behind each finding under it."""
    if fmt == "text":
        return render_text(report, options, explain)
    if fmt == "json":
        return render_json(report, options)
    if fmt == "github":
        return render_github(report, options)
    if fmt == "sarif":
        return render_sarif(report, options, tool_version=tool_version)
    raise ValueError(f"unknown output format {fmt!r} (expected one of {', '.join(FORMATS)})")


# --- text ------------------------------------------------------------------------------------------

def finding_line(path: str, finding: Finding, options: Options) -> str:
    """``path:line:col: CODE [*] message``: the line `modfix check` prints (without the newline)."""
    mark = " [*]" if options.applies(finding) else ""
    return f"{path}:{finding.line}:{finding.column}: {finding.code}{mark} {finding.message}"


def render_text(report: RunReport, options: Options, explain: bool = False) -> str:
    lines = []
    for result in report.files:
        for finding in result.findings:
            lines.append(finding_line(result.path, finding, options) + "\n")
            if explain:
                lines.extend(f"    {fact}\n" for fact in finding.facts)
    return "".join(lines)


# --- shared: findings in a stable order, fix edits as positions ---------------------------------------

def _sorted_findings(report: RunReport) -> list[tuple[FileResult, Finding]]:
    pairs = [(result, finding) for result in report.files for finding in result.findings]
    return sorted(pairs, key=lambda p: (p[0].path, p[1].line, p[1].column, p[1].code))


def _rule_index() -> dict[str, tuple[int, Rule]]:
    return {rule.code: (index, rule) for index, rule in enumerate(RULES)}


def position(lines: LineIndex, offset: int) -> tuple[int, int]:
    """The 1-based (line, column in characters) of a character offset into ``lines.text``."""
    line = lines.line_of(offset)
    return line, offset - lines.starts[line - 1] + 1


class _FileText:
    """One file's original text, indexed once, for the fixes of all its findings."""

    def __init__(self, result: FileResult):
        self.text = result.original or ""
        self.newline = result.source.newline if result.source is not None else "\n"
        self.lines = LineIndex(self.text)
        self._import_at: tuple[int, bool] | None = None

    def import_at(self) -> tuple[int, bool]:
        if self._import_at is None:
            self._import_at = import_offset(self.text, ast.parse(self.text), self.lines)
        return self._import_at

    def edits(self, fix: Fix) -> list[tuple[int, int, str]]:
        """The fix's edits as (start, end, text) offsets, the import lines included, in the order
        `modfix apply` splices them (imports first at a shared offset)."""
        ordered = [(edit.start, edit.end, order, edit.text) for order, edit in enumerate(fix.edits)]
        if fix.imports:
            offset, newline_first = self.import_at()
            text = "".join(import_statement(module, name) + self.newline for module, name in fix.imports)
            ordered.append((offset, offset, -1, (self.newline if newline_first else "") + text))
        ordered.sort()
        return [(start, end, text) for start, end, _, text in ordered]


def _files(report: RunReport) -> dict[int, _FileText]:
    return {id(result): _FileText(result) for result in report.files
            if any(f.fix is not None for f in result.findings) and result.analysed_text() is not None}


# --- json ------------------------------------------------------------------------------------------

def _json_fix(fix: Fix, text: _FileText) -> dict[str, Any]:
    edits = []
    for start, end, content in text.edits(fix):
        (start_line, start_column), (end_line, end_column) = position(text.lines, start), position(text.lines, end)
        edits.append({
            "start": {"line": start_line, "column": start_column},
            "end": {"line": end_line, "column": end_column},
            "content": content,
        })
    return {
        "applicability": fix.applicability.value,
        "edits": edits,
        "imports": [import_statement(module, name) for module, name in fix.imports],
    }


def findings_as_json(report: RunReport, options: Options) -> list[dict[str, Any]]:
    rules = _rule_index()
    texts = _files(report)
    out = []
    for result, finding in _sorted_findings(report):
        rule = rules.get(finding.code)
        out.append({
            "path": result.path,
            "line": finding.line,
            "column": finding.column,
            "end_line": finding.end_line,
            "end_column": finding.end_column,
            "code": finding.code,
            "name": rule[1].name if rule else None,
            "message": finding.message,
            "applicability": finding.applicability.value,
            "fixable": options.applies(finding),
            "fix": _json_fix(finding.fix, texts[id(result)]) if finding.fix is not None and id(result) in texts
            else None,
            "facts": list(finding.facts),
        })
    return out


def render_json(report: RunReport, options: Options) -> str:
    return json.dumps(findings_as_json(report, options), indent=2) + "\n"


# --- github ----------------------------------------------------------------------------------------

def escape_data(value: str) -> str:
    """Escape a workflow command's message, as the GitHub Actions toolkit does."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Escape a workflow command's property value (``file=``, ``title=``...)."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def render_github(report: RunReport, options: Options) -> str:
    """One ``::error`` workflow command per finding (every finding is an error, whatever its fix)."""
    lines = []
    for result, finding in _sorted_findings(report):
        properties = ",".join(f"{key}={escape_property(str(value))}" for key, value in (
            ("file", result.path), ("line", finding.line), ("col", finding.column),
            ("endLine", finding.end_line), ("endColumn", finding.end_column),
            ("title", f"modfix {finding.code}"),
        ))
        lines.append(f"::error {properties}::{escape_data(finding.message)}\n")
    return "".join(lines)


# --- sarif -----------------------------------------------------------------------------------------

def artifact_uri(path: str) -> str:
    """A relative POSIX URI reference for a relative path, a ``file:`` URI for an absolute one."""
    pure = PurePath(path)
    if pure.is_absolute():
        return pure.as_uri()
    return quote(pure.as_posix(), safe="/-._~!$&'()*+,;=@")


def _first_paragraph(doc: str) -> str:
    return inspect.cleandoc(doc).split("\n\n", 1)[0].replace("\n", " ").strip()


def _sarif_rule(rule: Rule) -> dict[str, Any]:
    doc = inspect.cleandoc(rule.doc) if rule.doc.strip() else rule.summary
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": _first_paragraph(doc) or rule.summary},
        "help": {"text": doc},
        "defaultConfiguration": {"enabled": rule.default_enabled, "level": "error"},
        "properties": {"fix-safety": rule.fix_safety},
    }


def _region(lines: LineIndex, start: int, end: int) -> dict[str, int]:
    (start_line, start_column), (end_line, end_column) = position(lines, start), position(lines, end)
    return {"startLine": start_line, "startColumn": start_column, "endLine": end_line, "endColumn": end_column}


def _sarif_fix(finding: Finding, fix: Fix, uri: str, text: _FileText) -> dict[str, Any]:
    return {
        "description": {"text": f"Apply modfix's {fix.applicability.value} fix for {finding.code}"},
        "artifactChanges": [{
            "artifactLocation": {"uri": uri},
            "replacements": [
                {"deletedRegion": _region(text.lines, start, end), "insertedContent": {"text": content}}
                for start, end, content in text.edits(fix)
            ],
        }],
        "properties": {"applicability": fix.applicability.value},
    }


def _notification(error: FileError) -> dict[str, Any]:
    location: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(error.path)}}
    if error.line:
        location["region"] = {"startLine": error.line}
    notification: dict[str, Any] = {
        "level": "error",
        "message": {"text": error.message},
        "locations": [{"physicalLocation": location}],
    }
    if error.internal:
        notification["properties"] = {"internal": True}
    return notification


def sarif_log(report: RunReport, options: Options, *, tool_version: str) -> dict[str, Any]:
    rules = _rule_index()
    texts = _files(report)
    results = []
    for result, finding in _sorted_findings(report):
        uri = artifact_uri(result.path)
        entry: dict[str, Any] = {"ruleId": finding.code}
        if finding.code in rules:
            entry["ruleIndex"] = rules[finding.code][0]
        entry.update({
            "level": "error",
            "message": {"text": finding.message},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": uri},
                "region": {"startLine": finding.line, "startColumn": finding.column,
                           "endLine": finding.end_line, "endColumn": finding.end_column},
            }}],
        })
        # a display-only fix would break the code: it is never offered to a tool that applies fixes
        if finding.fix is not None and finding.fixable and id(result) in texts:
            entry["fixes"] = [_sarif_fix(finding, finding.fix, uri, texts[id(result)])]
        entry["properties"] = {"applicability": finding.applicability.value, "fixable": options.applies(finding)}
        results.append(entry)
    errors = report.all_errors
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "modfix",
                "version": tool_version,
                "informationUri": INFORMATION_URI,
                "rules": [_sarif_rule(rule) for rule in RULES],
            }},
            "invocations": [{
                "executionSuccessful": not errors,
                "toolExecutionNotifications": [_notification(error) for error in errors],
            }],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }


def render_sarif(report: RunReport, options: Options, *, tool_version: str) -> str:
    return json.dumps(sarif_log(report, options, tool_version=tool_version), indent=2) + "\n"
