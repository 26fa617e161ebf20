"""What a fix changes, as the decisions libcst's transformers carry out (``codemods.transformers``).

A rule decides *what* to change; a change names its target by position and says what becomes of it,
and the transformer of its kind makes the change on libcst's tree. Positions are libcst's
``PositionProvider`` convention, which Python's ``ast`` shares: 1-based lines, 0-based columns in
characters (the ``ast`` span of a parenthesized tuple or generator includes its own parentheses: the
transformers accept either). This module does not import libcst: ``check`` and an ``apply`` with
nothing to fix never load it.

Each change also says what it does as text edits at character offsets (``edits``): the fix data of
the JSON and SARIF output, and what decides whether two fixes overlap. The tests check, on every golden
file, that those edits give exactly the text libcst writes.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import ClassVar, Tuple, Union

from ._rule import Edit
from ._source import LineIndex

# (line, column, end line, end column): lines from 1, columns from 0, in characters
Range = Tuple[int, int, int, int]


def range_of(lines: LineIndex, node: ast.AST) -> Range:
    return (node.lineno, lines.char_column(node.lineno, node.col_offset),
            node.end_lineno, lines.char_column(node.end_lineno, node.end_col_offset))


def first_line(statement: ast.stmt, lines: LineIndex) -> int:
    """The statement's first line: its first decorator's ``@``, which may stand lines above the
    decorator's expression (``@(`` or ``@ \\`` and the expression below)."""
    decorators = getattr(statement, "decorator_list", None)
    if not decorators:
        return statement.lineno
    line = min(d.lineno for d in decorators)
    while line > 1 and not lines.line_text(line).lstrip(" \t\x0c").startswith("@"):
        line -= 1
    return line


def _line_span(lines: LineIndex, statement: ast.stmt) -> tuple[int, int]:
    """The offsets of the whole lines a statement occupies, its line ending included."""
    start = lines.starts[first_line(statement, lines) - 1]
    end = lines.starts[statement.end_lineno] if statement.end_lineno < len(lines.starts) else len(lines.text)
    if not lines.text[start:end].endswith(("\n", "\r")) and start:
        # the last line, without a line ending: the one before it goes instead (the file keeps ending without)
        start -= 2 if lines.text[:start].endswith("\r\n") else 1
    return start, end


@dataclass(frozen=True)
class WrapInCall:
    """``value`` -> ``callee(value)``: ``nn.ModuleList([...])``, ``nn.Parameter(t)`` (a tuple without
    parentheses gets them: ``nn.ModuleList((a, b))``)."""

    target: Range
    callee: str
    edits: tuple[Edit, ...]

    # what the transformer of this kind takes: its name, or EditStatements' argument, and the entry
    slot: ClassVar[str] = "WrapInCall"

    def entry(self, moved):
        return (moved(self.target), self.callee)

    @classmethod
    def of(cls, lines: LineIndex, node: ast.expr, callee: str, bare_tuple: bool = False) -> "WrapInCall":
        start, end = lines.span(node)
        opening, closing = (f"{callee}((", "))") if bare_tuple else (f"{callee}(", ")")
        return cls(range_of(lines, node), callee, (Edit(start, start, opening), Edit(end, end, closing)))


@dataclass(frozen=True)
class ReplaceExpression:
    """An expression -> new code: ``[]`` -> ``nn.ModuleList()``, ``list`` -> ``nn.ModuleList`` (a callee or
    an annotation), ``super(Net, self)`` -> ``super()``, ``A.__init__(self)`` -> ``super().__init__()``."""

    target: Range
    code: str
    edits: tuple[Edit, ...]

    # what the transformer of this kind takes: its name, or EditStatements' argument, and the entry
    slot: ClassVar[str] = "ReplaceExpression"

    def entry(self, moved):
        return (moved(self.target), self.code)

    @classmethod
    def of(cls, lines: LineIndex, node: ast.expr, code: str) -> "ReplaceExpression":
        start, end = lines.span(node)
        return cls(range_of(lines, node), code, (Edit(start, end, code),))


@dataclass(frozen=True)
class RegisterBuffer:
    """``self.x = value`` -> ``self.register_buffer("x", value[, persistent=False])``."""

    target: Range  # the assignment statement
    receiver: str
    key: str
    persistent: bool
    edits: tuple[Edit, ...]

    # what the transformer of this kind takes: its name, or EditStatements' argument, and the entry
    slot: ClassVar[str] = "RegisterBuffer"

    def entry(self, moved):
        return (moved(self.target), (self.receiver, self.key, self.persistent))

    @classmethod
    def of(cls, lines: LineIndex, statement: ast.stmt, value: ast.expr, receiver: str, key: str,
           persistent: bool) -> "RegisterBuffer":
        start, end = lines.span(statement)
        value_start, value_end = lines.span(value)
        flag = "" if persistent else ", persistent=False"
        text = f'{receiver}.register_buffer("{key}", {lines.text[value_start:value_end]}{flag})'
        return cls(range_of(lines, statement), receiver, key, persistent, (Edit(start, end, text),))


@dataclass(frozen=True)
class ConvertInsideParameter:
    """``nn.Parameter(t).to(d)`` -> ``nn.Parameter(t.to(d))``: the conversions after the Parameter call
    (which return a plain tensor) move onto the tensor inside it, parenthesized when it is not an atom."""

    target: Range  # the whole value: the Parameter call and the conversions after it
    parameter: Range  # the Parameter call
    edits: tuple[Edit, ...]

    # what the transformer of this kind takes: its name, or EditStatements' argument, and the entry
    slot: ClassVar[str] = "ConvertInsideParameter"

    def entry(self, moved):
        return (moved(self.target), moved(self.parameter))

    @classmethod
    def of(cls, lines: LineIndex, value: ast.expr, parameter: ast.Call) -> "ConvertInsideParameter":
        parameter_start, parameter_end = lines.span(parameter)
        _, value_end = lines.span(value)
        # parentheses around the Parameter call go: `(nn.Parameter(t)).to(d)` -> `nn.Parameter(t.to(d))`
        text, opening = lines.text, parameter_start
        while True:
            before = text[:opening].rstrip(" \t\r\n")
            after = len(text) - len(text[parameter_end:].lstrip(" \t\r\n"))
            if not (before.endswith("(") and text[after:after + 1] == ")"):
                break
            opening, parameter_end = len(before) - 1, after + 1
        tensor = parameter.args[0]
        tensor_start, tensor_end = lines.span(tensor)
        chain = text[parameter_end:value_end]
        edits = (Edit(opening, parameter_start, ""),) if opening < parameter_start else ()
        if needs_parentheses(tensor):
            # `randn(n) * 0.02` must become `(randn(n) * 0.02).to(device)`, not `... * 0.02.to(device)`
            edits += (Edit(tensor_start, tensor_start, "("), Edit(tensor_end, tensor_end, ")" + chain),
                      Edit(lines.span(parameter)[1], value_end, ""))
        else:
            edits += (Edit(tensor_end, tensor_end, chain), Edit(lines.span(parameter)[1], value_end, ""))
        return cls(range_of(lines, value), range_of(lines, parameter), edits)


def needs_parentheses(expression: ast.expr) -> bool:
    """Does ``expression.method()`` need parentheses around the expression?"""
    return not isinstance(expression, (ast.Call, ast.Name, ast.Attribute, ast.Subscript))


@dataclass(frozen=True)
class CallSuperInit:
    """``Base.__init__(self, a, b=1)`` -> ``super().__init__(a, b=1)``: the arguments after ``self`` keep
    their text."""

    target: Range  # the call
    edits: tuple[Edit, ...]

    # what the transformer of this kind takes: its name, or EditStatements' argument, and the entry
    slot: ClassVar[str] = "CallSuperInit"

    def entry(self, moved):
        return (moved(self.target), True)

    @classmethod
    def of(cls, lines: LineIndex, call: ast.Call) -> "CallSuperInit":
        start, end = lines.span(call)
        rest = list(call.args[1:]) + list(call.keywords)
        if not rest:
            edit = Edit(start, end, "super().__init__()")
        else:
            first = min(rest, key=lambda n: (n.lineno, n.col_offset))
            edit = Edit(start, lines.span(first)[0], "super().__init__(")
        return cls(range_of(lines, call), (edit,))


@dataclass(frozen=True)
class RemoveStatement:
    """A statement goes, with its line; comments above it stay where they are."""

    target: Range
    edits: tuple[Edit, ...]

    # what the transformer of this kind takes: its name, or EditStatements' argument, and the entry
    slot: ClassVar[str] = "removals"

    def entry(self, moved):
        return moved(self.target)

    @classmethod
    def of(cls, lines: LineIndex, statement: ast.stmt) -> "RemoveStatement":
        start, end = _line_span(lines, statement)
        return cls(range_of(lines, statement), (Edit(start, end, ""),))


@dataclass(frozen=True)
class InsertStatement:
    """A new statement (``code``) on its own line just before a statement of the same block, below the
    comments above that statement."""

    before: Range
    code: str
    newline: str  # its line ending: that of the line it goes above
    edits: tuple[Edit, ...]

    # what the transformer of this kind takes: its name, or EditStatements' argument, and the entry
    slot: ClassVar[str] = "insertions"

    def entry(self, moved):
        return (moved(self.before), self.code, self.newline)

    @classmethod
    def of(cls, lines: LineIndex, before: ast.stmt, code: str, newline: str) -> "InsertStatement":
        number = first_line(before, lines)
        line = lines.line_text(number)
        indent = line[: len(line) - len(line.lstrip())]
        ending = line[len(line.rstrip("\r\n")):] or newline
        offset = lines.starts[number - 1]
        return cls(range_of(lines, before), code, ending, (Edit(offset, offset, f"{indent}{code}{ending}"),))


@dataclass(frozen=True)
class MoveStatement:
    """A statement moves, with its line, to just before another statement of the same block."""

    target: Range
    before: Range
    edits: tuple[Edit, ...]

    # what the transformer of this kind takes: its name, or EditStatements' argument, and the entry
    slot: ClassVar[str] = "moves"

    def entry(self, moved):
        return (moved(self.target), moved(self.before))

    @classmethod
    def of(cls, lines: LineIndex, statement: ast.stmt, before: ast.stmt, newline: str) -> "MoveStatement":
        start, end = _line_span(lines, statement)
        moved = lines.text[start:end]
        if not moved.endswith(("\n", "\r")):  # the last line: its line ending is the one before it
            ending = len(moved) - len(moved.lstrip("\r\n"))
            moved = moved[ending:] + moved[:ending]
        offset = lines.starts[first_line(before, lines) - 1]
        return cls(range_of(lines, statement), range_of(lines, before),
                   (Edit(offset, offset, moved), Edit(start, end, "")))


Change = Union[WrapInCall, ReplaceExpression, RegisterBuffer, ConvertInsideParameter, CallSuperInit,
               RemoveStatement, InsertStatement, MoveStatement]


