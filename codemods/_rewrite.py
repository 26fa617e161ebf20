"""Applies fixes to the text: edits at character offsets, plus the imports they need.

The rewrite is a splice: every character outside an edit is copied as it was, so comments,
formatting, line endings and encoding survive by construction. Edits from different findings that
overlap are not combined: the later finding is left for the next run and reported unfixed.
"""
from __future__ import annotations

import ast
import bisect

from ._rule import Edit, Finding, Fix
from ._source import LineIndex


def _overlap(first: Edit, second: Edit) -> bool:
    """Does one edit reach into the other? An insertion at the edge of a replaced range does not; one
    strictly inside it does (it has no well-defined place)."""
    return first.start < second.end and second.start < first.end or (
        first.start == first.end and second.start < first.start < second.end) or (
        second.start == second.end and first.start < second.start < first.end)


class _Taken:
    """The edits accepted so far, sorted by (start, end). None overlaps another, so their ends are
    sorted too: whether a new edit overlaps one is a binary search, not a scan (a file of thousands of
    findings made the scan quadratic)."""

    def __init__(self) -> None:
        self.spans: list[tuple[int, int]] = []

    def accepts(self, edits: list[Edit]) -> bool:
        """Can these edits (one fix) go in with those accepted? Adds them when they can."""
        for index, edit in enumerate(edits):
            # the last accepted edit starting before this one ends reaches furthest: does it reach past
            # this one's start? (an insertion strictly inside a replaced range is such an overlap too)
            before = bisect.bisect_left(self.spans, (edit.end,))
            if before and self.spans[before - 1][1] > edit.start:
                return False
            if any(_overlap(edit, other) for other in edits[:index]):
                return False
        for edit in edits:
            bisect.insort(self.spans, (edit.start, edit.end))
        return True


def import_statement(module: str, name: str) -> str:
    return f"from {module} import {name}" if module else f"import {name}"


def import_offset(text: str, tree: ast.Module, lines: LineIndex) -> tuple[int, bool]:
    """Where a new import line goes: after the last top-level import, else before the first
    statement after the docstring. Returns (offset, needs a newline before it)."""
    body = tree.body
    imports = [n for n in body if isinstance(n, (ast.Import, ast.ImportFrom))]
    if imports:
        line = imports[-1].end_lineno + 1
    else:
        rest = body[1:] if body and isinstance(body[0], ast.Expr) and isinstance(
            getattr(body[0], "value", None), ast.Constant) and isinstance(body[0].value.value, str) else body
        if rest:
            first = rest[0]
            line = (first.decorator_list[0].lineno if getattr(first, "decorator_list", None) else first.lineno)
        else:
            line = (body[-1].end_lineno + 1) if body else 1
    if line <= len(lines.starts):
        offset = lines.starts[line - 1]
        return offset, offset == len(text) and not text.endswith(("\n", "\r"))
    return len(text), not text.endswith(("\n", "\r"))


def apply(text: str, tree: ast.Module, newline: str, fixes: list[tuple[Finding, Fix]]) -> tuple[str, list[Finding]]:
    taken: list[tuple[Edit, int]] = []
    applied: list[Finding] = []
    imports: list[tuple[str, str]] = []
    spans = _Taken()
    for finding, fix in fixes:
        if not spans.accepts(list(fix.edits)):
            continue
        taken.extend((edit, len(applied)) for edit in fix.edits)
        applied.append(finding)
        imports.extend(i for i in fix.imports if i not in imports)
    if not applied:
        return text, []
    edits = [(edit.start, edit.end, order, edit.text) for order, (edit, _) in enumerate(taken)]
    if imports:
        offset, newline_first = import_offset(text, tree, LineIndex(text))
        lines = "".join(import_statement(m, n) + newline for m, n in imports)
        edits.append((offset, offset, -1, (newline if newline_first else "") + lines))
    edits.sort()
    out, position = [], 0
    for start, end, _, replacement in edits:
        out.append(text[position:start])
        out.append(replacement)
        position = max(position, end)
    out.append(text[position:])
    return "".join(out), applied
