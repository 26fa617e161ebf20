"""Applies fixes: libcst's transformers make the changes, on the top-level statements they touch.

The rules' changes (``_changes``) are made by the transformers of ``codemods.transformers``, matched by
position. libcst parses only what holds a change, each as a module of its own: inside a top-level class
the body statements that hold changes (below a stand-in ``class _:`` header), else the top-level
statement, and when an import is needed the module's head (the imports after the docstring); not the
file (libcst's parser costs about eight times Python's, and a file with one fix is usually large). Every other line is copied as it was, so comments, formatting, line
endings and encoding survive by construction. ``import libcst`` happens here, only when a fix applies.
Fixes whose edits overlap are not combined: the later finding is left for the next run and reported
unfixed; so is a fix whose target libcst does not find, or whose statement libcst cannot parse.
"""
from __future__ import annotations

import ast
import bisect

from ._changes import first_line
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


def _alone(tree: ast.Module, index: int) -> bool:
    """Is the top-level statement the only one on its lines?"""
    statement = tree.body[index]
    before = tree.body[index - 1] if index else None
    after = tree.body[index + 1] if index + 1 < len(tree.body) else None
    return (before is None or before.end_lineno < statement.lineno) and (
        after is None or after.lineno > statement.end_lineno)


def _is_docstring(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant) and isinstance(
        statement.value.value, str)


def head_lines(tree: ast.Module, lines: LineIndex) -> tuple[int, int]:
    """The first and last lines of the module's head, where libcst's AddImportsVisitor adds imports:
    the imports at the top (each on its own line), after the docstring; with none, no lines (just after
    the docstring), or the comments above the first statement (a coding cookie among them stays first).
    The docstring stays out of it: libcst does not see a docstring of joined literals as one."""
    body = tree.body
    index = 1 if body and _is_docstring(body[0]) and _alone(tree, 0) else 0
    first = body[0].end_lineno + 1 if index else 1
    last = first - 1
    while index < len(body) and isinstance(body[index], (ast.Import, ast.ImportFrom)) and _alone(tree, index):
        last = body[index].end_lineno
        index += 1
    if first == 1 and last == 0 and body:
        last = first_line(body[0], lines) - 1
    return first, last


def import_offset(text: str, tree: ast.Module, lines: LineIndex) -> tuple[int, bool]:
    """Where new import lines go (the start of the line after the module's head). Returns (offset,
    needs a newline before it)."""
    line = head_lines(tree, lines)[1] + 1
    if line <= len(lines.starts):
        offset = lines.starts[line - 1]
        return offset, offset == len(text) and not text.endswith(("\n", "\r"))
    return len(text), not text.endswith(("\n", "\r"))


def _lines_of(change) -> tuple[int, int]:
    ranges = [getattr(change, name) for name in ("target", "before", "parameter") if hasattr(change, name)]
    return min(r[0] for r in ranges), max(r[2] for r in ranges)


class _Regions:
    """What libcst parses for a change: the top-level statement that holds it, as whole lines; or, inside
    a top-level class, only the statements of its body that hold changes (a method, usually), parsed
    below a stand-in class header. A large class with one fix in ``__init__`` costs its ``__init__``."""

    def __init__(self, tree: ast.Module, lines: LineIndex):
        self.lines = lines
        self.statements = tree.body
        self.spans = [(first_line(s, lines), s.end_lineno) for s in tree.body]
        self.firsts = [first for first, _ in self.spans]

    def around(self, first: int, last: int) -> tuple[int, int, bool]:
        """(first line, last line, whether they are statements of a class body) of what holds the lines."""
        index = max(bisect.bisect_right(self.firsts, first) - 1, 0)
        start, end, holders = first, last, []
        while index < len(self.spans) and self.spans[index][0] <= last:
            if self.spans[index][1] >= first:
                start, end = min(start, self.spans[index][0]), max(end, self.spans[index][1])
                holders.append(index)
            index += 1
        if len(holders) == 1 and isinstance(self.statements[holders[0]], ast.ClassDef):
            inside = self._in_body(self.statements[holders[0]], first, last)
            if inside is not None:
                return (*inside, True)
        return start, end, False

    def _in_body(self, node: ast.ClassDef, first: int, last: int) -> tuple[int, int] | None:
        """The lines of the body statements that hold lines first..last, when they hold all of them and
        each of those statements has its lines to itself; else None."""
        spans = [(first_line(s, self.lines), s.end_lineno) for s in node.body]
        if any(a[1] >= b[0] for a, b in zip(spans, spans[1:])) or not self._starts_its_line(node.body[0], spans[0][0]):
            return None
        held = [span for span in spans if span[1] >= first and span[0] <= last]
        if not held or held[0][0] > first or held[-1][1] < last:
            return None
        return held[0][0], held[-1][1]

    def _starts_its_line(self, statement: ast.stmt, line: int) -> bool:
        """Does the statement begin its first line (not on the class header's line)?"""
        if getattr(statement, "decorator_list", None):
            return True  # its first line begins with the `@`
        text = self.lines.line_text(line)
        return line == statement.lineno and not text[: self.lines.char_column(line, statement.col_offset)].strip()


def _merged(regions: list[tuple[int, int, bool, list]]) -> list[tuple[int, int, bool, list]]:
    """Regions that share lines become one; a class body's statements stay so only with others of it."""
    regions.sort(key=lambda r: (r[0], r[1]))
    merged: list[tuple[int, int, bool, list]] = []
    for start, end, in_class, items in regions:
        if merged and start <= merged[-1][1]:
            previous = merged.pop()
            merged.append((previous[0], max(previous[1], end), previous[2] and in_class, previous[3] + items))
        else:
            merged.append((start, end, in_class, list(items)))
    return merged


def _offsets(lines: LineIndex, start: int, end: int) -> tuple[int, int]:
    """The character offsets of lines start..end, line endings included (no lines: where start begins)."""
    size = len(lines.text)
    begin = lines.starts[start - 1] if start - 1 < len(lines.starts) else size
    return begin, ((lines.starts[end] if end < len(lines.starts) else size) if end >= start else begin)


class _Imports(tuple):
    """A fix's imports, (module, name) pairs, among the changes of a region."""


def _chosen(fixes: list[tuple[Finding, Fix]]) -> list[tuple[Finding, Fix]]:
    """The fixes to make: in order, each one whose edits do not overlap those of an earlier one."""
    spans = _Taken()
    return [(finding, fix) for finding, fix in fixes if spans.accepts(list(fix.edits))]


def apply(text: str, tree: ast.Module, newline: str, fixes: list[tuple[Finding, Fix]]) -> tuple[str, list[Finding]]:
    """The text with the fixes made (those that do not overlap an earlier one), and the findings fixed.

    libcst parses only the top-level statements that hold a change, and the module's head when an import
    is added; every other line is copied as it was."""
    chosen = _chosen(fixes)
    if not chosen:
        return text, []
    lines = LineIndex(text)
    regions = _Regions(tree, lines)
    pieces: list[tuple[int, int, bool, list]] = []
    for number, (_, fix) in enumerate(chosen):
        for change in fix.changes:
            pieces.append((*regions.around(*_lines_of(change)), [(number, change)]))
        if fix.imports:
            pieces.append((*head_lines(tree, lines), False, [(number, _Imports(fix.imports))]))
    out, position, failed = [], 0, set()
    for start, end, in_class, items in _merged(pieces):
        begin, stop = _offsets(lines, start, end)
        new, lost = _rewrite_region(text[begin:stop], start, newline, items, in_class)
        failed |= lost
        out.append(text[position:begin])
        out.append(new)
        position = stop
    out.append(text[position:])
    if failed:  # a fix that could not be made may share a region with others: make those without it
        return apply(text, tree, newline, [pair for number, pair in enumerate(chosen) if number not in failed])
    return "".join(out), [finding for finding, _ in chosen]


def _rewrite_region(region: str, first_line: int, newline: str, items: list,
                    in_class: bool = False) -> tuple[str, set[int]]:
    """The region's new text, made by libcst, and the fixes (numbers) that could not be made in it. The
    statements of a class body are parsed below a stand-in header (``class _:``), taken off again."""
    import libcst as cst

    numbers = {number for number, _ in items}
    header = f"class _:{newline}" if in_class else ""
    # libcst drops a form feed that starts the first line (before a statement), or cannot parse it (before
    # an indentation): kept aside, as it was
    body = region.lstrip("\x0c")
    before = region[: len(region) - len(body)]
    try:
        module = cst.parse_module(header + body, config=cst.PartialParserConfig(default_newline=newline))
    except cst.ParserSyntaxError:  # e.g. a form feed in an indentation, which Python accepts
        return region, numbers
    # libcst gives back every byte it parsed, but for a last line ending that is a lone "\r" (dropped);
    # what it does not give back at the end is kept as it was, and a region it would change is not rewritten
    unchanged = module.code
    if not (header + body).startswith(unchanged) or len(unchanged) < len(header):
        return region, numbers
    kept = (header + body)[len(unchanged):]
    module, lost = transform(module, items, first_line, len(before), header_lines=1 if in_class else 0)
    new = module.code
    if not new.startswith(header):
        return region, numbers
    new = new[len(header):]
    if not body and new and not new.endswith(("\n", "\r")):
        new += newline  # an empty head given an import line: the first statement follows on the next line
    return before + new + kept, lost


_EXPRESSION_SLOTS = ("WrapInCall", "ReplaceExpression", "RegisterBuffer", "ConvertInsideParameter", "CallSuperInit")
_STATEMENT_SLOTS = ("removals", "insertions", "moves")  # EditStatements' arguments


def transform(module, items: list, first_line: int = 1, first_column: int = 0, header_lines: int = 0):
    """libcst's transformers make the changes on ``module``, whose line ``header_lines + 1`` is line
    ``first_line`` of the file the changes' positions refer to, from its column ``first_column``. ``items``:
    (fix number, change or _Imports). Returns the new module and the numbers of the fixes whose targets
    were not found."""
    from libcst.metadata import MetadataWrapper, PositionProvider

    from . import transformers as t

    shift = first_line - 1 - header_lines

    def moved(position):
        line, column, end_line, end_column = position
        column -= first_column if line == first_line else 0
        end_column -= first_column if end_line == first_line else 0
        return (line - shift, column, end_line - shift, end_column)

    owners: dict[tuple[str, tuple], int] = {}
    slots: dict[str, list] = {}
    imports: list = []
    for number, change in items:
        if isinstance(change, _Imports):
            imports.extend(pair for pair in change if pair not in imports)
            continue
        slots.setdefault(change.slot, []).append(change.entry(moved))
        # which fix a target belongs to, per transformer (a statement and its call share a position)
        kind = "statements" if change.slot in _STATEMENT_SLOTS else change.slot
        owners[(kind, moved(getattr(change, "target", None) or change.before))] = number
    transformers = [getattr(t, name)(slots[name]) for name in _EXPRESSION_SLOTS if name in slots]
    if any(name in slots for name in _STATEMENT_SLOTS):
        transformers.append(t.EditStatements(**{name: slots[name] for name in _STATEMENT_SLOTS if name in slots}))
    together = t.Together(transformers)
    # the positions of this module as it is (no copy: the transformers build a new tree anyway)
    module = together.visit_with(module, MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider))
    if imports:
        from libcst.codemod import CodemodContext
        from libcst.codemod.visitors import ImportItem

        items = [ImportItem(module_name, name) if module_name else ImportItem(name) for module_name, name in imports]
        module = t.AddImportLines(CodemodContext(), items).transform_module(module)
    lost = set()
    for transformer in transformers:
        kind = "statements" if isinstance(transformer, t.EditStatements) else type(transformer).__name__
        lost |= {owners[(kind, key)] for key in transformer.unmatched if (kind, key) in owners}
    return module, lost


def apply_to_module(module, fixes: list[tuple[Finding, Fix]]):
    """The fixes made on a whole module libcst has parsed (the codemod commands): the new module and
    the findings fixed. A fix whose target is not found is not made; when together they make the module
    unparsable, each is added in turn and kept only if the module still parses, as ``modfix apply`` does."""
    chosen = _chosen(fixes)

    def made(pairs):
        items = [(number, change) for number, (_, fix) in enumerate(pairs) for change in fix.changes]
        new, lost = transform(module, items)
        if lost:
            return None, [pair for number, pair in enumerate(pairs) if number not in lost]
        imports = _Imports(dict.fromkeys(pair for _, fix in pairs for pair in fix.imports))
        if imports:  # in the module's head, as `modfix apply` adds them
            new = _with_imports(new, imports)
        return (new if new is not None and _parses(new.code) else None), pairs

    while chosen:
        new, kept = made(chosen)
        if new is not None:
            return new, [finding for finding, _ in chosen]
        if len(kept) < len(chosen):
            chosen = kept  # targets not found: without those fixes
            continue
        kept = []
        for pair in chosen:
            if made(kept + [pair])[0] is not None:
                kept.append(pair)
        if len(kept) == len(chosen):
            break  # not expected: every fix parses alone and together they do not
        chosen = kept
    return module, []


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
        return True
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False


def _with_imports(module, imports: "_Imports"):
    """The module with import lines added in its head, made as ``apply`` makes them (libcst parses the
    head alone: the whole module's AddImportsVisitor would not see a docstring of joined literals)."""
    import libcst as cst

    code = module.code
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    lines = LineIndex(code)
    start, end = head_lines(tree, lines)
    begin, stop = _offsets(lines, start, end)
    new, lost = _rewrite_region(code[begin:stop], start, module.default_newline, [(0, imports)])
    if lost:
        return None
    return cst.parse_module(code[:begin] + new + code[stop:], config=module.config_for_parsing)
