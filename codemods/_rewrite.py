"""Applies fixes to the text: edits at character offsets, plus the imports they need.

The rewrite is a splice: every character outside an edit is copied as it was, so comments,
formatting, line endings and encoding survive by construction. Edits from different findings that
overlap are not combined: the later finding is left for the next run and reported unfixed.
"""
from __future__ import annotations

import ast

from ._rule import Edit, Finding, Fix
from ._source import LineIndex


def _overlaps(edit: Edit, taken: list[Edit]) -> bool:
    for other in taken:
        if edit.start < other.end and other.start < edit.end:
            return True
        # an insertion strictly inside a replaced range has no well-defined place
        if edit.start == edit.end and other.start < edit.start < other.end:
            return True
        if other.start == other.end and edit.start < other.start < edit.end:
            return True
    return False


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
    for finding, fix in fixes:
        accepted = [edit for edit, _ in taken]
        if any(_overlaps(edit, accepted) for edit in fix.edits):
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
