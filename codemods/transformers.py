"""libcst transformers that make modfix's changes, each matching its targets by position.

modfix's analysis (Python's ``ast``) decides what to change and whether it is safe; these transformers
make the changes on libcst's tree, so everything they do not touch keeps its bytes: comments,
formatting, line endings. Each one is usable on its own, in any libcst codemod::

    from libcst.metadata import PositionProvider
    from codemods.transformers import WrapInCall

    # targets are positions, as libcst's PositionProvider gives them (a CodeRange) or as
    # (line, column, end_line, end_column) tuples: lines from 1, columns from 0, in characters
    tree = WrapInCall([(position_of_the_list, "nn.ModuleList")]).transform_module(tree)

A target may also be given as Python's ``ast`` reports it: the span of a parenthesized tuple or
generator expression includes its own parentheses there (a generator that is a call's only argument
has none of its own: give libcst's range). After a run, ``unmatched`` lists the targets
no node had (the tree was not the one the positions came from).

=========================  =====================================================================
``WrapInCall``             ``value`` -> ``callee(value)``: ``nn.ModuleList([...])``, ``nn.Parameter(t)``
``ReplaceExpression``      an expression -> new code: ``[]`` -> ``nn.ModuleList()``, ``super(A, self)`` -> ``super()``
``RegisterBuffer``         ``self.x = t`` -> ``self.register_buffer("x", t[, persistent=False])``
``ConvertInsideParameter`` ``nn.Parameter(t).to(d)`` -> ``nn.Parameter(t.to(d))``
``CallSuperInit``          ``Base.__init__(self, a)`` -> ``super().__init__(a)``
``RemoveStatement``        a statement goes (comments above it stay)
``InsertStatement``        a new statement just before another one of the same block
``MoveStatement``          a statement moves to just before another one of the same block
``AddImportLines``         libcst's ``AddImportsVisitor``, adding new import lines only
=========================  =====================================================================

The statement transformers share one class (``EditStatements``): several statement changes in one
block are made together, by one instance.
"""
from __future__ import annotations

import functools
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

__all__ = [
    "PositionedTransformer", "WrapInCall", "ReplaceExpression", "RegisterBuffer", "ConvertInsideParameter",
    "CallSuperInit", "EditStatements", "RemoveStatement", "InsertStatement", "MoveStatement",
    "Together",
]

Position = Union[CodeRange, Tuple[int, int, int, int]]
Key = Tuple[int, int, int, int]


def key_of(position: Position) -> Key:
    if isinstance(position, CodeRange):
        return (position.start.line, position.start.column, position.end.line, position.end.column)
    return tuple(position)


@functools.lru_cache(maxsize=256)
def _expression(code: str) -> cst.BaseExpression:
    return cst.parse_expression(code)  # libcst nodes are immutable: one parse serves every use


class _Transformer(cst.CSTTransformer):
    """A libcst transformer with ``transform_module(tree)``, which resolves the metadata it needs
    and visits the tree. A plain ``CSTTransformer``: use it in any visitor-based codemod."""

    def transform_module(self, tree: cst.Module) -> cst.Module:
        return MetadataWrapper(tree).visit(self)


class PositionedTransformer(_Transformer):
    """A transformer whose targets are nodes at given positions (``PositionProvider``)."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, targets: Iterable[Tuple[Position, object]]) -> None:
        super().__init__()
        self.targets: Dict[Key, object] = {key_of(position): value for position, value in targets}
        self.applied: set = set()

    @property
    def unmatched(self) -> List[Key]:
        return [key for key in self.targets if key not in self.applied]

    def on_visit(self, node) -> bool:
        if isinstance(node, cst.Module):
            self.applied = set()  # a new run: every target is looked for again
        return super().on_visit(node)

    def keys(self, node: cst.CSTNode) -> List[Key]:
        """The positions that name this node: libcst's, and for a parenthesized tuple or generator the
        span of its own (innermost) parentheses, which Python's ast reports."""
        position = self.get_metadata(PositionProvider, node, None)
        if position is None:
            return []
        keys = [key_of(position)]
        if isinstance(node, (cst.Tuple, cst.GeneratorExp)) and node.lpar:
            opening = self.get_metadata(PositionProvider, node.lpar[-1], None)
            closing = self.get_metadata(PositionProvider, node.rpar[0], None)
            if opening is not None and closing is not None:
                keys.append((opening.start.line, opening.start.column, closing.end.line, closing.end.column))
        return keys

    def take(self, node: cst.CSTNode) -> Optional[object]:
        """The target at this node's position, marked applied; None when there is none."""
        for key in self.keys(node):
            if key in self.targets and key not in self.applied:
                self.applied.add(key)
                return self.targets[key]
        return None


def _own_and_outer(node: cst.BaseExpression):
    """Split a node's parentheses: (the node with only those Python counts as part of it, the
    parentheses around it). A tuple's or a generator's innermost pair is its own."""
    if isinstance(node, (cst.Tuple, cst.GeneratorExp)) and node.lpar:
        return node.with_changes(lpar=[node.lpar[-1]], rpar=[node.rpar[0]]), (node.lpar[:-1], node.rpar[1:])
    return node.with_changes(lpar=[], rpar=[]), (node.lpar, node.rpar)


def _as_argument(node: cst.BaseExpression) -> cst.BaseExpression:
    """The node as one argument among others: a tuple without parentheses gets them."""
    if isinstance(node, cst.Tuple) and not node.lpar:
        return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return node


class WrapInCall(PositionedTransformer):
    """``value`` -> ``callee(value)``. Targets: ``(position, callee)``, the callee as code
    (``"nn.ModuleList"``). Parentheses around the value end up around the call."""

    def on_leave(self, original_node, updated_node):
        updated_node = super().on_leave(original_node, updated_node)
        if isinstance(original_node, cst.BaseExpression) and isinstance(updated_node, cst.BaseExpression):
            callee = self.take(original_node)
            if callee is not None:
                inner, (lpar, rpar) = _own_and_outer(updated_node)
                return cst.Call(func=_expression(callee), args=[cst.Arg(value=_as_argument(inner))],
                                lpar=lpar, rpar=rpar)
        return updated_node


class ReplaceExpression(PositionedTransformer):
    """An expression -> ``code``. Targets: ``(position, code)``. Parentheses around it stay."""

    def on_leave(self, original_node, updated_node):
        updated_node = super().on_leave(original_node, updated_node)
        if isinstance(original_node, cst.BaseExpression) and isinstance(updated_node, cst.BaseExpression):
            code = self.take(original_node)
            if code is not None:
                _, (lpar, rpar) = _own_and_outer(updated_node)
                new = _expression(code)  # its own parentheses, if it has any, inside those around the target
                return new.with_changes(lpar=[*lpar, *new.lpar], rpar=[*new.rpar, *rpar])
        return updated_node


class RegisterBuffer(PositionedTransformer):
    """``receiver.x = value`` -> ``receiver.register_buffer("key", value[, persistent=False])``.
    Targets: ``(position of the assignment statement, (receiver, key, persistent))``."""

    def on_leave(self, original_node, updated_node):
        updated_node = super().on_leave(original_node, updated_node)
        if isinstance(original_node, (cst.Assign, cst.AnnAssign)) and getattr(updated_node, "value", None) is not None:
            spec = self.take(original_node)
            if spec is not None:
                receiver, key, persistent = spec
                flag = "" if persistent else ", persistent=False"
                call = _expression(f'{receiver}.register_buffer("{key}", None{flag})')
                value, _ = _own_and_outer(updated_node.value)
                args = list(call.args)
                args[1] = args[1].with_changes(value=_as_argument(value))
                return cst.Expr(value=call.with_changes(args=args), semicolon=updated_node.semicolon)
        return updated_node


_ATOMS = (cst.Call, cst.Name, cst.Attribute, cst.Subscript)


class ConvertInsideParameter(PositionedTransformer):
    """``nn.Parameter(t).to(d)`` -> ``nn.Parameter(t.to(d))``. Targets: ``(position of the whole
    value, position of the Parameter call)``; the method calls between them move onto the tensor
    (the Parameter's first argument), which is parenthesized when it is not an atom."""

    def on_leave(self, original_node, updated_node):
        updated_node = super().on_leave(original_node, updated_node)
        if isinstance(original_node, cst.Call):
            parameter = self.targets.get(next(iter(self.keys(original_node)), None))
            if parameter is not None:
                converted = self._convert(original_node, updated_node, key_of(parameter))
                if converted is not None:
                    self.take(original_node)
                    return converted
        return updated_node

    def _convert(self, original: cst.Call, updated: cst.Call, parameter: Key):
        chain: List[cst.Call] = []  # the conversions, outermost first (the updated nodes)
        while key_of(self.get_metadata(PositionProvider, original)) != parameter:
            if not (isinstance(original, cst.Call) and isinstance(original.func, cst.Attribute)
                    and isinstance(original.func.value, cst.Call)):
                return None
            chain.append(updated)
            original, updated = original.func.value, updated.func.value
        if not chain or not updated.args or updated.args[0].keyword is not None or updated.args[0].star:
            return None
        tensor = updated.args[0].value
        if not isinstance(tensor, _ATOMS) and not tensor.lpar:
            tensor = tensor.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        current = tensor
        for index, call in enumerate(reversed(chain)):
            if index == len(chain) - 1:  # the outermost call's parentheses go around the Parameter call
                call = call.with_changes(lpar=[], rpar=[])
            current = call.with_changes(func=call.func.with_changes(value=current))
        outermost = chain[0]
        args = [updated.args[0].with_changes(value=current), *updated.args[1:]]
        return updated.with_changes(args=args, lpar=outermost.lpar, rpar=outermost.rpar)


class CallSuperInit(PositionedTransformer):
    """``Base.__init__(self, a, b=1)`` -> ``super().__init__(a, b=1)``. Targets: ``(position, True)``."""

    def on_leave(self, original_node, updated_node):
        updated_node = super().on_leave(original_node, updated_node)
        if isinstance(original_node, cst.Call) and isinstance(updated_node, cst.Call) and updated_node.args:
            if self.take(original_node) is not None:
                return updated_node.with_changes(
                    func=_expression("super().__init__"), args=updated_node.args[1:],
                    whitespace_after_func=cst.SimpleWhitespace(""), whitespace_before_args=cst.SimpleWhitespace(""))
        return updated_node


class EditStatements(PositionedTransformer):
    """Statements removed, inserted and moved within their block, made together per block.

    ``removals``: positions of statements that go; their own lines go, comments above them stay.
    ``insertions``: ``(position of a statement, code[, line ending])``: a new statement just before it, below the
    comments above it. ``moves``: ``(position of a statement, position of another one of the same
    block)``: the first goes just before the second, the same way."""

    def __init__(self, removals: Iterable[Position] = (),
                 insertions: Iterable[Tuple] = (),
                 moves: Iterable[Tuple[Position, Position]] = ()) -> None:
        self.insertions: Dict[Key, List[cst.BaseStatement]] = {}
        for position, code, *ending in insertions:
            statement = cst.parse_statement(code)
            if ending and isinstance(statement, cst.SimpleStatementLine):
                newline = cst.TrailingWhitespace(newline=cst.Newline(value=ending[0]))
                statement = statement.with_changes(trailing_whitespace=newline)
            self.insertions.setdefault(key_of(position), []).append(statement)
        self.moves: Dict[Key, Key] = {key_of(a): key_of(b) for a, b in moves}
        self.removals = {key_of(p) for p in removals}
        targets = [(k, "remove") for k in self.removals] + [(k, "move") for k in self.moves]
        targets += [(k, "insert") for k in self.insertions if k not in self.moves and k not in self.removals]
        super().__init__(targets)

    def leave_IndentedBlock(self, original_node, updated_node):
        body, footer = self._edit(original_node.body, updated_node.body, updated_node.footer)
        return updated_node.with_changes(body=body, footer=footer)

    def leave_Module(self, original_node, updated_node):
        body, footer = self._edit(original_node.body, updated_node.body, updated_node.footer)
        return updated_node.with_changes(body=body, footer=footer)

    def _statement_keys(self, statement: cst.CSTNode) -> List[Key]:
        if isinstance(statement, cst.SimpleStatementLine):
            return [k for small in statement.body for k in self.keys(small)]
        return self.keys(statement)

    def _edit(self, original: Sequence, updated: Sequence, footer: Sequence):
        if len(original) != len(updated):
            return updated, footer  # another transformer changed this block: leave it (targets stay unmatched)
        keys = [self._statement_keys(o) for o in original]
        if not any(k in self.targets or k in self.insertions for ks in keys for k in ks):
            return updated, footer
        moved: Dict[Key, List[cst.CSTNode]] = {}
        for statement_keys, statement in zip(keys, updated):
            for key in statement_keys:
                if key in self.moves and self._whole_line(statement):
                    moved.setdefault(self.moves[key], []).append(statement)
        here = {key for statement_keys in keys for key in statement_keys}
        result: List[cst.CSTNode] = []
        carried: List[cst.EmptyLine] = []  # comments above a statement that went, for the next one
        for index, (statement_keys, statement) in enumerate(zip(keys, updated)):
            new = [inserted for k in statement_keys for inserted in self.insertions.get(k, ())]
            new += [s for k in statement_keys for s in moved.get(k, ())]
            self.applied.update(k for k in statement_keys if k in self.insertions)
            leading = [*carried, *statement.leading_lines]
            carried = []
            if new:
                result.append(new[0].with_changes(leading_lines=leading))
                result.extend(s.with_changes(leading_lines=()) for s in new[1:])
                leading = []
            going = [k for k in statement_keys if k in self.removals or self.moves.get(k) in here]
            if going:
                if self._whole_line(statement):
                    self.applied.update(going)
                    carried = leading
                    continue
                if isinstance(statement, cst.SimpleStatementLine):
                    smalls = zip(original[index].body, statement.body)
                    kept = [small for was, small in smalls if not set(self.keys(was)) & self.removals]
                    self.applied.update(k for k in going if k in self.removals)
                    statement = statement.with_changes(body=kept)
            result.append(statement.with_changes(leading_lines=leading))
        return result, (*carried, *footer)

    def _whole_line(self, statement: cst.CSTNode) -> bool:
        return not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) == 1


class RemoveStatement(EditStatements):
    """A statement goes. Targets: positions."""

    def __init__(self, targets: Iterable[Position]) -> None:
        super().__init__(removals=targets)


class InsertStatement(EditStatements):
    """A new statement before another. Targets: ``(position of that statement, code)``."""

    def __init__(self, targets: Iterable[Tuple[Position, str]]) -> None:
        super().__init__(insertions=targets)


class MoveStatement(EditStatements):
    """A statement moves before another of its block. Targets: ``(its position, the other's)``."""

    def __init__(self, targets: Iterable[Tuple[Position, Position]]) -> None:
        super().__init__(moves=targets)


@functools.lru_cache(maxsize=None)
def _add_import_lines():
    # libcst.codemod (with its matchers) takes twice as long to import as libcst itself: loaded only
    # when an import is added
    from libcst.codemod.visitors import AddImportsVisitor

    class AddImportLines(AddImportsVisitor):
        """libcst's ``AddImportsVisitor`` that adds each missing import as a line of its own after the
        imports at the top of the module, and changes nothing else: it never rewrites an existing import line
        or adds a blank line
        (``from torch import randn`` stays as it is; ``from torch import nn`` comes below it).
        ``AddImportLines(context, [ImportItem("torch", "nn")]).transform_module(tree)``."""

        def visit_Module(self, node):
            # `from torch import *` does not bind `nn` (a submodule, not in torch's __all__), though
            # AddImportsVisitor counts it as importing everything: only a name imported by name counts
            wanted = {module: set(names) for module, names in self.module_mapping.items()}
            super().visit_Module(node)
            for module, names in wanted.items():
                named = {alias.evaluated_name for imp in self.all_imports
                         if isinstance(imp, cst.ImportFrom) and not isinstance(imp.names, cst.ImportStar)
                         and imp.module is not None and not imp.relative and _dotted(imp.module) == module
                         for alias in imp.names if alias.asname is None}
                missing = names - named
                if missing:
                    self.module_mapping[module] = self.module_mapping.get(module, set()) | missing

        def leave_ImportFrom(self, original_node, updated_node):
            return updated_node

        def _insert_empty_line(self, statements):
            return statements  # the new lines only: no blank line is added below them

    AddImportLines.__module__ = __name__
    return AddImportLines


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return node.value if isinstance(node, cst.Name) else ""


def __getattr__(name: str):
    if name == "AddImportLines":
        return _add_import_lines()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Together(_Transformer):
    """Several positioned transformers in one pass over the tree: each sees every node, in the order
    given, and all of them match positions of the tree as it was before any of them changed it.

    Made for the transformers of this module: it resolves PositionProvider only, visits every child
    whatever their ``visit_*`` methods return (but for statements none of whose lines holds a target),
    and does not dispatch ``visit_<Node>_<attribute>`` hooks."""

    def __init__(self, transformers: Sequence[PositionedTransformer]) -> None:
        super().__init__()
        self.transformers = list(transformers)
        # the lines the targets span: statements elsewhere are not visited below their own level
        self.lines = [(key[0], key[2]) for transformer in self.transformers for key in transformer.targets]
        for transformer in self.transformers:
            if isinstance(transformer, EditStatements):
                self.lines += [(key[0], key[2]) for key in transformer.insertions]
                self.lines += [(key[0], key[2]) for key in transformer.moves.values()]

    def transform_module(self, tree: cst.Module) -> cst.Module:
        positions = MetadataWrapper(tree, unsafe_skip_copy=True).resolve(PositionProvider)
        return self.visit_with(tree, positions)

    def visit_with(self, tree: cst.Module, positions) -> cst.Module:
        """Visit ``tree``, whose PositionProvider metadata is ``positions``."""
        for transformer in self.transformers:
            transformer.metadata = {PositionProvider: positions}
        return tree.visit(self)

    def on_visit(self, node) -> bool:
        for transformer in self.transformers:
            transformer.on_visit(node)
        if isinstance(node, (cst.BaseStatement, cst.BaseSmallStatement)) and self.lines:
            # a statement none of whose lines holds a target: nothing below it changes (a definition's
            # decorators stand above the line libcst's position starts at)
            position = self.transformers[0].get_metadata(PositionProvider, node, None)
            decorators = getattr(node, "decorators", ())
            start = self.transformers[0].get_metadata(PositionProvider, decorators[0], None) if decorators else None
            first_line = (start or position).start.line if position is not None else 0
            if position is not None and not any(first <= position.end.line and first_line <= last
                                                for first, last in self.lines):
                return False
        return True

    def on_leave(self, original_node, updated_node):
        for transformer in self.transformers:
            updated_node = transformer.on_leave(original_node, updated_node)
            if isinstance(updated_node, (cst.RemovalSentinel, cst.FlattenSentinel)):
                break
        return updated_node

    # the transformers define no visit_<Node>_<attribute> methods: not dispatched (a call per field)
    def on_visit_attribute(self, node, attribute) -> None:
        pass

    def on_leave_attribute(self, original_node, attribute) -> None:
        pass

    @property
    def unmatched(self) -> List[Key]:
        return [key for transformer in self.transformers for key in transformer.unmatched]
