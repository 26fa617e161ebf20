"""The analysis behind the container rules (use_module_list, use_module_dict).

For each attribute ``self.X`` of an nn.Module class that is assigned a plain list, tuple or dict,
this finds what the container holds (from its literal, its comprehension, or the values appended /
stored into it), decides whether it needs nn.ModuleList / ModuleDict / ParameterList /
ParameterDict, and then vetoes the fix where wrapping could raise or change what the code does:
every use of the attribute in the class, its bases and its subclasses in the run is checked.
"""
from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass, field

from ._callees import function_run, method_run
from ._engine import FileContext
from ._facts import Assignment, ClassFacts, Kind, Use, _scope_nodes, parent_of, pinned_device, set_parents
from ._changes import Change, ReplaceExpression, WrapInCall
from ._rule import Applicability, Finding
from ._hierarchy import NN_MODULE, TORCH_CONTAINERS, torch_class, torch_module_class
from ._inits import SUPER_TWO, InitChains, init_calls, registration_survives
from ._torch_facts import (
    MODULE_DICT_ATTRS, MODULE_LIST_ATTRS, PARAMETER_DICT_ATTRS, PARAMETER_LIST_ATTRS, STATELESS_NN_CLASSES,
    WEIGHTED_LOSS_ARGUMENTS,
)

MODULE_LIST, MODULE_DICT = "ModuleList", "ModuleDict"
PARAMETER_LIST, PARAMETER_DICT = "ParameterList", "ParameterDict"
CODES = {MODULE_LIST: "MF101", MODULE_DICT: "MF102", PARAMETER_LIST: "MF103", PARAMETER_DICT: "MF104"}
ATTRS = {
    MODULE_LIST: MODULE_LIST_ATTRS, MODULE_DICT: MODULE_DICT_ATTRS,
    PARAMETER_LIST: PARAMETER_LIST_ATTRS, PARAMETER_DICT: PARAMETER_DICT_ATTRS,
}

# builtins that only read a sequence: a ModuleList serves them exactly as a list does
_READERS = frozenset({
    "len", "iter", "enumerate", "zip", "reversed", "sorted", "list", "tuple", "map", "filter", "any",
    "all", "sum", "min", "max", "print", "repr", "str", "id", "next", "bool", "set", "frozenset", "dict",
    "getattr", "hasattr", "callable",
})
_TYPE_CHECKS = frozenset({"builtins.isinstance", "builtins.type"})
_SERIALIZERS = ("json.", "pickle.", "yaml.", "marshal.", "copy.copy")

SAFE, UNSAFE, DISPLAY = Applicability.SAFE, Applicability.UNSAFE, Applicability.DISPLAY_ONLY


@dataclass
class Shape:
    """A plain container literal and how to wrap it."""

    kind: str  # "list" or "dict"
    node: ast.expr
    items: list[tuple[ast.expr, frozenset[str]]]  # element (or dict value) and comprehension names
    keys: list[tuple[ast.expr | None, frozenset[str], ast.AST | None]] = field(default_factory=list)
    empty: bool = False
    replace_callee: ast.expr | None = None  # list(<gen>): the callee is replaced, not wrapped
    bare_tuple: bool = False
    comprehension: ast.AST | None = None
    dynamic: bool = False  # filled in a loop: how many items is unknown
    function: ast.AST | None = None  # where the items live, when not where the value is (a helper's return)



def _comp_names(node: ast.AST) -> frozenset[str]:
    names = set()
    for generator in getattr(node, "generators", []):
        for target in ast.walk(generator.target):
            if isinstance(target, ast.Name):
                names.add(target.id)
    return frozenset(names)


def shape_of(value: ast.expr | None, context: FileContext, function, _depth: int = 0) -> Shape | None:
    names = context.names
    if isinstance(value, ast.Name):
        return _local_container(value, context, function)
    if isinstance(value, ast.Call) and _depth < 3:
        helper = _called_function(value, context, function)
        if helper is not None:
            return _returned_container(value, helper, context, _depth)
    if isinstance(value, (ast.List, ast.Tuple)):
        if any(isinstance(e, ast.Starred) for e in value.elts):
            return None
        bare = isinstance(value, ast.Tuple) and not _parenthesized(value, context)
        return Shape("list", value, [(e, frozenset()) for e in value.elts], empty=not value.elts, bare_tuple=bare)
    if isinstance(value, ast.ListComp):
        return Shape("list", value, [(value.elt, _comp_names(value))], comprehension=value)
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Mult):
        for seq, count in ((value.left, value.right), (value.right, value.left)):
            inner = shape_of(seq, context, function, _depth + 1) if _depth < 50 else None
            if inner and inner.kind == "list" and not inner.empty and not isinstance(count, (ast.List, ast.Tuple)):
                return Shape("list", value, inner.items)
        return None
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add) and _depth < 50:
        left = shape_of(value.left, context, function, _depth + 1)
        right = shape_of(value.right, context, function, _depth + 1)
        if left and right and left.kind == right.kind == "list":
            return Shape("list", value, left.items + right.items, empty=left.empty and right.empty)
        return None
    if isinstance(value, ast.Dict):
        if any(k is None for k in value.keys):
            return None
        return Shape("dict", value, [(v, frozenset()) for v in value.values],
                     keys=[(k, frozenset(), None) for k in value.keys], empty=not value.keys)
    if isinstance(value, ast.DictComp):
        comp = _comp_names(value)
        return Shape("dict", value, [(value.value, comp)], keys=[(value.key, comp, value)], comprehension=value)
    if isinstance(value, ast.Call):
        callee = names.qualname(value.func)
        if callee in ("builtins.list", "builtins.tuple") and not value.keywords:
            if not value.args:
                return Shape("list", value, [], empty=True)
            arg = value.args[0]
            if len(value.args) == 1 and isinstance(arg, (ast.GeneratorExp, ast.ListComp)):
                return Shape("list", value, [(arg.elt, _comp_names(arg))], replace_callee=value.func, comprehension=arg)
            items = sequence_items(arg, context, function) if len(value.args) == 1 and isinstance(arg, ast.Call) else None
            if items is not None:  # `list(map(make_block, widths))`
                return Shape("list", value, items, replace_callee=value.func, dynamic=True)
            return None
        if callee == "builtins.dict" and not value.args:
            keys = [(ast.Constant(kw.arg), frozenset(), None) for kw in value.keywords]
            if any(kw.arg is None for kw in value.keywords):
                return None
            return Shape("dict", value, [(kw.value, frozenset()) for kw in value.keywords], keys=keys,
                         empty=not value.keywords)
        if callee == "collections.OrderedDict" and not value.keywords:
            if not value.args:
                return Shape("dict", value, [], empty=True)
            pairs = value.args[0]
            if len(value.args) == 1 and isinstance(pairs, (ast.List, ast.Tuple)) and all(
                isinstance(p, ast.Tuple) and len(p.elts) == 2 for p in pairs.elts
            ):
                return Shape("dict", value, [(p.elts[1], frozenset()) for p in pairs.elts],
                             keys=[(p.elts[0], frozenset(), None) for p in pairs.elts], empty=not pairs.elts)
    return None


def _called_function(call: ast.Call, context: FileContext, function) -> ast.FunctionDef | None:
    """``self.helper(...)`` or ``helper(...)``, when the code shows which definition runs (``_callees``): a
    method every class of the run built from this one reaches as the same one, a top-level function of the
    file bound once and not shadowed where it is called; not decorated."""
    func = call.func
    if (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
            and isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
            and function.args.args and func.value.id == function.args.args[0].arg):
        owner = context.owner_of(function)
        found = method_run(context, owner, func.attr) if owner is not None else None
        # the class's own method only: an inherited one is read with its own file's names
        return found[1] if found is not None and found[1] in owner.methods.values() else None
    return function_run(context, func, function) if isinstance(func, ast.Name) else None


def _returned_container(call: ast.Call, helper: ast.FunctionDef, context: FileContext, depth: int) -> Shape | None:
    """``self.blocks = self._make_blocks()`` where every ``return`` of the helper is a fresh plain list."""
    returns = [n for n in _scope_nodes(helper) if isinstance(n, ast.Return)]
    if not returns or any(r.value is None for r in returns) or any(
            isinstance(n, (ast.Yield, ast.YieldFrom)) for n in _scope_nodes(helper)):
        return None
    if helper.body and parent_of(helper.body[0]) is None:
        set_parents(helper)
    shapes = [shape_of(r.value, context, helper, depth + 1) for r in returns]
    if any(s is None for s in shapes) or len({s.kind for s in shapes}) != 1:
        return None
    if any(s.function not in (None, helper) for s in shapes):
        return None  # items from a helper of the helper: their own function, not this one
    items = [item for s in shapes for item in s.items]
    keys = [key for s in shapes for key in s.keys]
    return Shape(shapes[0].kind, call, items, keys=keys, dynamic=True, function=helper)


def sequence_items(value: ast.expr, context: FileContext, function) -> list[tuple[ast.expr, frozenset[str]]] | None:
    """What ``extend(value)``, ``+= value`` or ``list(value)`` adds: a plain list or tuple (``shape_of``), a
    generator expression, or ``map(f, ...)`` (the lambda's body, or what calling the class or function
    gives); None when unknown. A generator or a map object is no container itself: only its items count."""
    if isinstance(value, ast.GeneratorExp):
        return [(value.elt, _comp_names(value))]
    if isinstance(value, ast.Call) and context.names.qualname(value.func) == "builtins.map" and len(value.args) >= 2 \
            and not value.keywords:
        mapped = value.args[0]
        if isinstance(mapped, ast.Lambda):
            arguments = mapped.args
            names = {a.arg for a in arguments.posonlyargs + arguments.args + arguments.kwonlyargs}
            return [(mapped.body, frozenset(names))]
        if isinstance(mapped, (ast.Name, ast.Attribute)) and context.values.is_module_class(
                context.hierarchy.resolve(context.names.qualname(mapped))):
            # `map(Block, widths)`: each item is a new Block (a function's result is not read here)
            return [(ast.copy_location(ast.Call(func=mapped, args=[], keywords=[]), mapped), frozenset())]
        return None
    shape = shape_of(value, context, function)
    if shape is None or shape.kind != "list" or shape.function not in (None, function):
        return None  # items of a helper's list live in the helper, not here
    return list(shape.items)


_LIST_FILLS = ("append", "extend", "insert")
_DICT_FILLS = ("update", "setdefault")


def _local_container(name: ast.Name, context: FileContext, function) -> Shape | None:
    """``layers = []; layers.append(m); self.layers = layers``: the local list, with what fills it.

    Only when the local is used for nothing but being filled, iterated, measured and assigned:
    handed anywhere else (``nn.Sequential(*layers)``), it may be registered there."""
    if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    sites = context.values.local_bindings(function).get(name.id, [])
    assigns = [s for s in sites if isinstance(s, ast.Assign)]
    augmented = [s for s in sites if isinstance(s, ast.AugAssign) and isinstance(s.op, ast.Add)]
    if len(assigns) != 1 or len(assigns) + len(augmented) != len(sites):
        return None
    assign = assigns[0]
    if len(assign.targets) != 1 or not isinstance(assign.targets[0], ast.Name) or isinstance(assign.value, ast.Name):
        return None
    loop = parent_of(name)
    while loop is not None and loop is not function and not isinstance(loop, (ast.For, ast.While, ast.AsyncFor)):
        loop = parent_of(loop)
    if isinstance(loop, (ast.For, ast.While, ast.AsyncFor)) and not any(n is assign for n in ast.walk(loop)):
        return None  # one list handed over on every turn, and filled on: wrapping copies it each time
    base = shape_of(assign.value, context, function)
    if base is None:
        return None
    items, keys = list(base.items), list(base.keys)
    for site in augmented:
        if (site.lineno, site.col_offset) > (name.lineno, name.col_offset):
            return None
        extra = shape_of(site.value, context, function) if not isinstance(site.value, ast.Name) else None
        if extra is None or extra.kind != base.kind:
            return None
        items += extra.items
    fills = _LIST_FILLS if base.kind == "list" else _DICT_FILLS
    for node in ast.walk(function):
        if node is name or not (isinstance(node, ast.Name) and node.id == name.id and isinstance(node.ctx, ast.Load)):
            continue
        parent = parent_of(node)
        grand = parent_of(parent)
        is_read = isinstance(parent, (ast.For, ast.comprehension)) or (
            isinstance(parent, ast.Subscript) and isinstance(parent.ctx, ast.Load))
        if not is_read and (node.lineno, node.col_offset) > (name.lineno, name.col_offset):
            return None  # filled after the attribute took it: a wrapped copy would miss the rest
        if isinstance(parent, ast.Attribute) and parent.attr in fills and isinstance(grand, ast.Call) and grand.func is parent:
            args = grand.args
            if parent.attr in ("append",) and len(args) == 1:
                items.append((args[0], frozenset()))
            elif parent.attr in ("insert", "setdefault") and len(args) == 2:
                items.append((args[1], frozenset()))
                if parent.attr == "setdefault":
                    keys.append((args[0], frozenset(), None))
            elif base.kind == "list":
                extra = sequence_items(args[0], context, function) if len(args) == 1 and not isinstance(
                    args[0], ast.Name) else None
                if extra is None:
                    return None
                items += extra
            else:
                extra = shape_of(args[0], context, function) if len(args) == 1 else None
                if extra is None or isinstance(args[0], ast.Name):
                    return None
                items += extra.items
                keys += extra.keys
        elif isinstance(parent, ast.Subscript) and parent.value is node and isinstance(parent.ctx, ast.Store):
            if base.kind != "dict" or not (isinstance(grand, ast.Assign) and grand.targets == [parent]):
                return None
            items.append((grand.value, frozenset()))
            keys.append((parent.slice, frozenset(), None))
        elif isinstance(parent, ast.Subscript) and parent.value is node:
            continue
        elif isinstance(parent, (ast.For, ast.comprehension)) and parent.iter is node:
            continue
        elif isinstance(parent, ast.Call) and context.names.qualname(parent.func) == "builtins.len":
            continue
        else:
            return None
    return Shape(base.kind, name, items, keys=keys, dynamic=True)


def _parenthesized(node: ast.Tuple, context: FileContext) -> bool:
    """Whether the tuple's own parentheses enclose it (``(a, b)``), as opposed to ``a, b`` or ``(a), (b)``."""
    start, end = context.span(node)
    fragment = context.text[start:end]
    if not (fragment.startswith("(") and fragment.endswith(")")):
        return False
    depth = 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(fragment).readline):
            if token.type == tokenize.OP and token.string in "([{":
                depth += 1
            elif token.type == tokenize.OP and token.string in ")]}":
                depth -= 1
                if depth == 0:
                    return token.end == (fragment.count("\n") + 1, len(fragment.rsplit("\n", 1)[-1]))
    except (tokenize.TokenError, SyntaxError):
        return False
    return False


@dataclass
class Verdict:
    applicability: Applicability | None  # None = no finding at all
    reason: str = ""

    def worse(self, applicability: Applicability | None, reason: str) -> "Verdict":
        rank = {SAFE: 0, UNSAFE: 1, DISPLAY: 2, None: 3}
        return Verdict(applicability, reason) if rank[applicability] > rank[self.applicability] else self


@dataclass
class Candidate:
    facts: ClassFacts
    assignment: Assignment
    shape: Shape


@dataclass
class ContainerEvidence:
    """What the code shows about one attribute assigned plain containers."""

    facts: ClassFacts
    attr: str
    kind: str  # "list" or "dict": what the assignment that runs last in __init__ builds
    family: list[ClassFacts]
    assignments: list[Assignment]
    uses: list[Use]
    owner_of: dict[int, ClassFacts]
    candidates: list[Candidate] = field(default_factory=list)  # fresh plain containers of that kind
    rebuilt: list[Candidate] = field(default_factory=list)  # `self.X = [b for b in self.X ...]`
    fills: list[Use] = field(default_factory=list)  # append, extend, insert, +=, item assignment
    elements: list[ast.expr | None] = field(default_factory=list)
    element_kinds: set[Kind] = field(default_factory=set)
    nested_edits: dict[int, list[Change]] = field(default_factory=dict)
    uninitialised: set[str] = field(default_factory=set)  # element classes that never run nn.Module.__init__
    concatenations: list[Assignment] = field(default_factory=list)  # `self.X = self.X + [m]`
    stateless: bool = False  # activations, pooling, unweighted losses only
    kept_off: str = ""
    registered: str = ""

    def shown(self, container: str, verdict: "Verdict") -> tuple[str, ...]:
        """The facts behind the finding, for --explain and the JSON output."""
        kinds = ", ".join(sorted(k.value for k in self.element_kinds))
        lines = [f"holds: {kinds} (plain {self.kind}, {len(self.candidates)} assignment(s), {len(self.fills)} fill(s))"]
        lines.append(f"decision: nn.{container}, {verdict.applicability.value}"
                     + (f" ({verdict.reason})" if verdict.reason else ""))
        return tuple(lines)


def decide(evidence: ContainerEvidence) -> str | None:
    """Which nn container the attribute needs, or None for no finding; the first row that holds decides."""
    e = evidence
    if e.kept_off or e.registered or not e.candidates:
        return None  # kept off on purpose, or registered another way
    if not e.element_kinds or e.element_kinds == {Kind.UNKNOWN}:
        return None  # an empty container never filled, or nothing known about the contents
    if e.stateless:
        return None  # registering activations, pooling or unweighted losses changes nothing
    if Kind.MODULE in e.element_kinds:
        return MODULE_LIST if e.kind == "list" else MODULE_DICT
    if Kind.PARAMETER in e.element_kinds:
        return PARAMETER_LIST if e.kind == "list" else PARAMETER_DICT
    return None  # aliases of registered modules, plain values: nothing unregistered here


class ContainerAnalysis:
    """All container findings of one file (computed once, shared by the four rule codes)."""

    def __init__(self, context: FileContext):
        self.context = context
        self.values = context.values
        self.findings: list[Finding] = []
        for facts in context.module_classes:
            for attr in sorted(facts.assignments):
                self._attribute(facts, attr)

    # -- what the container holds

    def _element_kind(self, expr, function, owner, comp, edits, container_of_modules=True,
                      uninitialised: set[str] | None = None) -> Kind:
        """The kind of an element; nested plain containers of modules count as modules (wrapped too).
        ``uninitialised`` collects the classes of elements that are Modules never initialised as one."""
        nested = shape_of(expr, self.context, function) if container_of_modules else None
        if nested is not None and not nested.empty:
            inner = {self._element_kind(e, function, owner, comp | c, edits, uninitialised=uninitialised)
                     for e, c in nested.items}
            if inner == {Kind.MODULE}:
                if nested.kind == "dict" and self._key_problem(nested, function, MODULE_DICT)[0] is not SAFE:
                    return Kind.UNKNOWN
                edits.extend(self._wrap(nested, MODULE_LIST if nested.kind == "list" else MODULE_DICT))
                return Kind.MODULE
            return Kind.NOT_MODULE if Kind.NOT_MODULE in inner else Kind.UNKNOWN
        # the element's own position is accounted for: only other hand-offs of a local count as escapes
        kind = self.values.kind(expr, function, owner, comp, escapes_allowed={id(expr)})
        if kind is Kind.MODULE and uninitialised is not None:
            skipping = self._skips_module_init(expr, function)
            if skipping:
                uninitialised.add(skipping)
        return kind

    def _skips_module_init(self, expr: ast.expr, function, depth: int = 0) -> str | None:
        """The class of a constructed element whose __init__ provably never runs nn.Module.__init__
        (``super(nn.Module, self).__init__()``): such an instance has no _modules or _parameters, so once a
        registered container holds it, parameters(), .to() and state_dict() of the owner raise. Followed
        through a local and the returns of a helper (``make_block()``, ``self._make()``)."""
        if isinstance(expr, ast.Name) and function is not None:
            sites = self.values.local_bindings(function).get(expr.id, [])
            if len(sites) == 1 and isinstance(sites[0], ast.Assign):
                expr = sites[0].value
        if not isinstance(expr, ast.Call):
            return None
        helper = _called_function(expr, self.context, function) if depth < 3 else None
        if helper is not None:
            returned = [n.value for n in _scope_nodes(helper) if isinstance(n, ast.Return) and n.value is not None]
            return next((found for value in returned
                         if (found := self._skips_module_init(value, helper, depth + 1))), None)
        hierarchy = self.context.hierarchy
        qualname = hierarchy.resolve(self.context.names.qualname(expr.func))
        if qualname is None or not hierarchy.in_run(qualname):
            return None
        mro = hierarchy.mro(qualname)
        found = self.context.class_context(qualname) if mro else None
        calls = init_calls(found[0], found[1]) if found is not None else []
        if len(calls) == 1 and calls[0].kind == SUPER_TWO and calls[0].target == NN_MODULE:
            return qualname  # `super(nn.Module, self).__init__()` in its own __init__: what follows never runs it
        ran = InitChains(self.context).first_runs(mro, -1) if mro else None
        return qualname if ran is not None and NN_MODULE not in ran else None

    def _attribute(self, facts: ClassFacts, attr: str) -> None:
        evidence = self._evidence(facts, attr)
        container = decide(evidence) if evidence is not None else None
        if container is None:
            return
        verdict = self._blockers(evidence, container)
        for candidate in evidence.candidates:
            self._report(candidate, container, verdict, evidence.nested_edits[id(candidate)],
                         bool(evidence.fills or evidence.concatenations),
                         evidence.shown(container, verdict))

    # -- the evidence

    def _evidence(self, facts: ClassFacts, attr: str) -> "ContainerEvidence | None":
        candidates = []
        for assignment in facts.assignments[attr]:
            if assignment.kind != "assign" or assignment.shared:
                continue
            shape = shape_of(assignment.value, self.context, assignment.method)
            if shape is not None:
                candidates.append(Candidate(facts, assignment, shape))
        if not candidates:
            return None
        # only now the bases and subclasses, which may live in other files: most attributes never get here
        family = self.context.family(facts, attr)
        # the assignment that runs last in __init__ decides what the attribute is; a list here and a
        # dict there: the other kind is judged as a reassignment (display-only)
        kind = max(candidates, key=lambda c: (c.assignment.method.name == "__init__", c.assignment.stmt.lineno)).shape.kind
        evidence = ContainerEvidence(
            facts, attr, kind, family,
            assignments=[a for owner in family for a in owner.assignments.get(attr, [])],
            uses=[u for owner in family for u in owner.uses.get(attr, [])],
            owner_of={id(u): o for o in family for u in o.uses.get(attr, [])})
        for candidate in candidates:
            if candidate.shape.kind != kind:
                continue
            if any(isinstance(n, ast.Attribute) and n.attr == attr and isinstance(n.value, ast.Name)
                   for n in ast.walk(candidate.assignment.value)):
                # `self.X = [b for b in self.X if ...]`: not a new container but a plain reassignment
                evidence.rebuilt.append(candidate)
                continue
            edits: list[Change] = []
            for expr, comp in candidate.shape.items:
                evidence.element_kinds.add(self._element_kind(
                    expr, candidate.shape.function or candidate.assignment.method, facts, comp, edits,
                    uninitialised=evidence.uninitialised))
                evidence.elements.append(expr)
            evidence.nested_edits[id(candidate)] = edits
            evidence.candidates.append(candidate)
        evidence.fills = [u for u in evidence.uses if self._is_fill(u, kind)]
        filled = [(use.method, evidence.owner_of.get(id(use), facts), self._filled_values(use)) for use in evidence.fills]
        if kind == "list":
            for assignment in evidence.assignments:
                owner = next((f for f in family if assignment in f.assignments.get(attr, [])), facts)
                # another file's class is read with that file's names: judged there, a reassignment here
                items = self._concatenated(assignment, attr) if self.context.is_module_class(owner) else None
                if items is not None:
                    evidence.concatenations.append(assignment)
                    filled.append((assignment.method, owner, items))
        fill_edits: list[Change] = []
        for method, owner, values in filled:
            # a nested plain list (`append([a, b])`) is wrapped too, where the fix can write: in this file
            here = self.context.is_module_class(owner)
            for value, comp in values:
                evidence.element_kinds.add(self._element_kind(
                    value, method, owner, comp, fill_edits, here, uninitialised=evidence.uninitialised))
                evidence.elements.append(value)
        if evidence.candidates:
            evidence.nested_edits[id(evidence.candidates[0])].extend(fill_edits)
        if kind == "dict":
            evidence.element_kinds.discard(Kind.NONE)
        evidence.stateless = bool(evidence.elements) and all(self._stateless(e) for e in evidence.elements)
        self._ownership(evidence)
        return evidence

    def _ownership(self, evidence: "ContainerEvidence") -> None:
        """Kept off the module on purpose, or registered another way."""
        attr, uses = evidence.attr, evidence.uses
        if any(a.kind == "object_setattr" for a in evidence.assignments):
            evidence.kept_off = "object.__setattr__ keeps it off the module"
        elif any(self._handed_to_optimizer(u) for u in uses):
            evidence.kept_off = "the class hands it to its own optimizer"
        elif pinned_device(evidence.facts):
            evidence.kept_off = (f"the class moves its inputs to self.{pinned_device(evidence.facts)}, a device its "
                                 "constructor fixes, and computes there whatever model.to() says")
        if self._registered_elsewhere(attr, evidence.family, uses):
            evidence.registered = "its items are registered another way (nn.Sequential(*x), add_module, setattr)"
        elif any(u.kind == "alias" and self._alias_registered(u) for u in uses):
            evidence.registered = "a local holding it is handed to an nn container"
        elif any(self._wrapped_later(a, attr) for a in evidence.assignments):
            evidence.registered = "it is wrapped in an nn container later"

    # -- what keeps the fix from applying as it is

    def _blockers(self, evidence: "ContainerEvidence", container: str) -> Verdict:
        facts, attr = evidence.facts, evidence.attr
        verdict = self._element_verdict(evidence.element_kinds, container)
        if any(evidence.nested_edits.get(id(c)) for c in evidence.candidates):
            verdict = verdict.worse(UNSAFE, (
                "its items are plain lists or dicts of modules, wrapped too, and how they are used is not checked"))
        for qualname in sorted(evidence.uninitialised):
            verdict = verdict.worse(DISPLAY, (
                f"it holds {qualname.rsplit('.', 1)[-1]} instances, whose __init__ never runs nn.Module.__init__; "
                "once registered they make parameters(), .to() and state_dict() raise"))
        for candidate in evidence.rebuilt:
            verdict = verdict.worse(DISPLAY, (
                f"it is rebuilt as a plain {candidate.shape.kind} from its own items at line "
                f"{candidate.assignment.stmt.lineno}, which raises TypeError once it is an nn.{container}"))
        for use in evidence.uses:
            applicability, reason = self._use_verdict(use, container, evidence.owner_of.get(id(use), facts))
            if applicability is not SAFE:
                verdict = verdict.worse(applicability, reason)
        candidate_ids = {id(c.assignment) for c in evidence.candidates + evidence.rebuilt}
        candidate_ids |= {id(a) for a in evidence.concatenations}
        for assignment in evidence.assignments:
            if id(assignment) not in candidate_ids:
                verdict = verdict.worse(*self._reassignment_verdict(assignment, attr, container, evidence.family))
        for assignment in evidence.concatenations:
            owner = next((f for f in evidence.family if assignment in f.assignments.get(attr, [])), facts)
            if container != MODULE_LIST:
                verdict = verdict.worse(DISPLAY, (
                    f"line {assignment.stmt.lineno} concatenates it with a list, which nn.{container} does not support"))
            elif not owner.is_init_time(assignment.method):
                verdict = verdict.worse(UNSAFE, "it is filled outside __init__")
        for candidate in evidence.candidates:
            if not facts.is_init_time(candidate.assignment.method):
                verdict = verdict.worse(UNSAFE, f"it is assigned in {candidate.assignment.method.name}(), not while the module is built")
            else:
                problem = registration_survives(self.context, facts, candidate.assignment,
                                                registering=f"assigning an nn.{container}")
                if problem:
                    verdict = verdict.worse(DISPLAY, problem)
        if container in (MODULE_DICT, PARAMETER_DICT):
            for candidate in evidence.candidates:
                verdict = verdict.worse(*self._key_problem(candidate.shape, candidate.assignment.method, container))
            for use in evidence.uses:
                if use.kind == "setitem" and use.key is not None:
                    verdict = verdict.worse(*self._key_verdict(use.key, frozenset(), use.method, container, None))
        if any(f.method.name != "__init__" and not evidence.owner_of.get(id(f), facts).is_init_time(f.method)
               for f in evidence.fills):
            verdict = verdict.worse(UNSAFE, "it is filled outside __init__")
        return verdict

    def _element_verdict(self, kinds: set[Kind], container: str) -> Verdict:
        """What else the container holds besides what the nn container takes."""
        holds_modules = container in (MODULE_LIST, MODULE_DICT)
        verdict = Verdict(SAFE)
        others = kinds - {Kind.MODULE if holds_modules else Kind.PARAMETER}
        if Kind.ALIAS in others and holds_modules:
            verdict = verdict.worse(DISPLAY, "it also holds modules registered elsewhere; wrapping would register them twice")
        if Kind.PARAMETER in others or Kind.MODULE in others:
            verdict = verdict.worse(DISPLAY, "it mixes modules and nn.Parameters")
        if Kind.NOT_MODULE in others or Kind.NONE in others:
            what = "modules" if holds_modules else "nn.Parameters"
            verdict = verdict.worse(DISPLAY, f"it mixes {what} with other values, which nn.{container} rejects")
        if Kind.UNKNOWN in others:
            verdict = verdict.worse(UNSAFE, "some elements may not be " + ("modules" if holds_modules else "nn.Parameters"))
        return verdict

    def _stateless(self, expr: ast.expr | None) -> bool:
        if not isinstance(expr, ast.Call):
            return False
        qualname = torch_module_class(self.context.names.qualname(expr.func))
        short = qualname.rsplit(".", 1)[-1] if qualname else ""
        if short not in STATELESS_NN_CLASSES or torch_class(f"torch.nn.{short}") != qualname:
            return False
        if qualname.endswith("Loss"):
            return not expr.args and not any(k.arg in WEIGHTED_LOSS_ARGUMENTS or k.arg is None for k in expr.keywords)
        return True

    # -- fills: append / extend / insert / += / item assignment

    def _is_fill(self, use: Use, kind: str) -> bool:
        if kind == "list":
            return (use.kind == "method" and use.detail in ("append", "extend", "insert")) or (
                use.kind == "augassign" and use.detail == "Add") or use.kind == "setitem"
        return use.kind == "setitem" or (use.kind == "method" and use.detail in ("update", "setdefault"))

    def _filled_values(self, use: Use) -> list[tuple[ast.expr | None, frozenset[str]]]:
        """The values a fill puts in, with the comprehension (or lambda) names they are written in."""
        none = frozenset()
        if use.kind == "setitem":
            return [(use.value, none)]
        if use.kind == "augassign":
            items = sequence_items(use.value, self.context, use.method) if use.value is not None else None
            return items if items is not None else [(None, none)]
        args = use.call.args if use.call else []
        if use.detail == "append" and len(args) == 1:
            return [(args[0], none)]
        if use.detail in ("insert", "setdefault") and len(args) == 2:
            return [(args[1], none)]
        if use.detail == "extend" and len(args) == 1:
            items = sequence_items(args[0], self.context, use.method)
            return items if items is not None else [(None, none)]
        if use.detail == "update" and len(args) == 1:
            shape = shape_of(args[0], self.context, use.method)
            return list(shape.items) if shape else [(None, none)]
        return [(None, none)]

    def _concatenation_onto_itself(self, use: Use) -> bool:
        """Is the read the left side of ``self.X = self.X + [m]`` (``_concatenated``)?"""
        binop = parent_of(use.node)
        statement = parent_of(binop)
        return (isinstance(statement, ast.Assign) and statement.value is binop and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Attribute) and statement.targets[0].attr == use.node.attr
                and self.values._is_self_attr(statement.targets[0], use.method)
                and self._concatenated_items(binop, use.node.attr, use.method) is not None)

    def _concatenated(self, assignment: Assignment, attr: str) -> list[tuple[ast.expr, frozenset[str]]] | None:
        """``self.X = self.X + [m]``: a fill written as a concatenation (nn.ModuleList + a list gives an
        nn.ModuleList); the items it adds, or None when the assignment is no such thing."""
        return self._concatenated_items(assignment.value, attr, assignment.method) if assignment.kind == "assign" \
            else None

    def _concatenated_items(self, value, attr: str, method) -> list[tuple[ast.expr, frozenset[str]]] | None:
        if not (isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add) and isinstance(value.left, ast.Attribute)
                and value.left.attr == attr and self.values._is_self_attr(value.left, method)):
            return None
        if not isinstance(value.right, (ast.List, ast.ListComp)):
            return None  # `self.x + (m,)`: a tuple stays a tuple (hashable, a dict key); a name may be anything
        return sequence_items(value.right, self.context, method)

    # -- vetoes

    def _registered_elsewhere(self, attr: str, family: list[ClassFacts], uses: list[Use]) -> bool:
        """Also unpacked into nn.Sequential, wrapped later, or its items passed to add_module/setattr."""
        for use in uses:
            if use.kind in ("arg", "starred_arg") and use.call is not None:
                if torch_class(self.context.names.qualname(use.call.func)) in TORCH_CONTAINERS:
                    return True
            generator = parent_of(parent_of(use.node)) if isinstance(parent_of(use.node), ast.comprehension) else None
            holder = parent_of(generator) if isinstance(generator, (ast.GeneratorExp, ast.ListComp)) else None
            if isinstance(holder, ast.Call) and torch_class(self.context.names.qualname(holder.func)) in TORCH_CONTAINERS:
                return True  # `nn.ModuleList(nn.Sequential(*p) for p in self.pairs)`: its items are registered there
        for owner in family:
            for registration in owner.registrations:
                if registration.value is not None and self._derived_from(registration.value, attr, registration.method):
                    return True
        return False

    def _handed_to_optimizer(self, use: Use) -> bool:
        """``torch.optim.Adam(self.params)``, ``Adam(list(self.params.values()), ...)``, or through a local:
        the class trains these itself, off the module on purpose."""
        node = use.node
        names = self.context.names
        while node is not None and not isinstance(node, ast.stmt):
            if isinstance(node, ast.Call) and (names.qualname(node.func) or "").startswith("torch.optim."):
                return True
            node = parent_of(node)
        if use.kind == "alias":
            return any(isinstance(n, ast.Call) and (names.qualname(n.func) or "").startswith("torch.optim.")
                       and any(isinstance(a, ast.Name) and a.id == use.detail for a in ast.walk(n))
                       for n in ast.walk(use.method))
        return False

    def _derived_from(self, value: ast.expr, attr: str, method) -> bool:
        """``self.X[i]``, or a loop variable over ``self.X`` / ``enumerate(self.X)`` / ``self.X.items()``."""
        if isinstance(value, ast.Subscript) and isinstance(value.value, ast.Attribute) and value.value.attr == attr:
            return True
        if not isinstance(value, ast.Name):
            return False
        for node in ast.walk(method):
            if isinstance(node, (ast.For, ast.comprehension)):
                bound = {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
                if value.id in bound and any(
                    isinstance(n, ast.Attribute) and n.attr == attr for n in ast.walk(node.iter)
                ):
                    return True
        return False

    def _use_verdict(self, use: Use, container: str, owner: ClassFacts) -> tuple[Applicability, str]:
        names = self.context.names
        is_list = container in (MODULE_LIST, PARAMETER_LIST)
        if use.kind == "method":
            if use.detail not in ATTRS[container]:
                return DISPLAY, f".{use.detail}() is called on it, which nn.{container} does not have"
            if use.detail == "pop" and container == MODULE_LIST and use.call is not None and not use.call.args:
                return DISPLAY, ".pop() is called without an index, which nn.ModuleList requires"
            return SAFE, ""
        if use.kind == "attribute":
            if use.detail not in ATTRS[container]:
                return DISPLAY, f".{use.detail} is read from it, which nn.{container} does not have"
            return SAFE, ""
        if use.kind in ("arg", "starred_arg"):
            callee = names.qualname(use.call.func) if use.call else None
            if use.kind == "starred_arg":
                return SAFE, ""
            if callee in _TYPE_CHECKS:
                return DISPLAY, f"its type is checked ({callee.split('.')[-1]}()), and would change"
            if callee and callee.startswith("builtins.") and callee[9:] in _READERS:
                return SAFE, ""
            if callee and callee.startswith(_SERIALIZERS):
                return DISPLAY, f"it is serialized with {callee}(), which would store another type"
            shown = ast.unparse(use.call.func) if use.call else "a call"
            return UNSAFE, f"it is passed to {shown}(), which may expect a plain {'list' if is_list else 'dict'}"
        if use.kind == "binop":
            op, side = use.detail.split(":")
            if container == MODULE_LIST and op == "Add" and side == "left":
                if self._concatenation_onto_itself(use):
                    return SAFE, ""  # `self.X = self.X + [m]`: an nn.ModuleList again, registered by the assignment
                return UNSAFE, "`+` on it would give an nn.ModuleList, not a list"
            return DISPLAY, f"it is an operand of `{_OPERATORS.get(op, op)}`, which nn.{container} does not support like a {'list' if is_list else 'dict'}"
        if use.kind == "compare":
            if use.detail == "in":
                return SAFE, ""
            return DISPLAY, "it is compared with a plain container, which would no longer be equal"
        if use.kind == "augassign":
            if use.detail == "Add" and is_list:
                return SAFE, ""
            if use.detail == "BitOr" and container == PARAMETER_DICT:
                return SAFE, ""
            return DISPLAY, f"it is updated with an augmented assignment nn.{container} does not support"
        if use.kind == "alias":
            return self._alias_verdict(use, container)
        if use.kind == "stored" and _stored_on_self(use):
            target = parent_of(use.node).targets[0]
            return DISPLAY, f"it is also stored as `{ast.unparse(target)}`, which would register it twice"
        if use.kind == "stored":
            return UNSAFE, "it is stored in another object, which may expect a plain container"
        if use.kind in ("subscript", "setitem", "delitem", "iter", "truth", "del", "return", "call", "element"):
            if use.kind == "delitem" and container == PARAMETER_LIST:
                return DISPLAY, "items are deleted from it, which nn.ParameterList does not support"
            if use.kind == "setitem" and is_list and isinstance(use.key, ast.Slice):
                return UNSAFE, "a slice of it is assigned"
            return SAFE, ""
        return UNSAFE, f"it is used in a way modfix does not analyse (line {use.node.lineno})"

    def _alias_verdict(self, use: Use, container: str) -> tuple[Applicability, str]:
        """``layers = self.X``: the local is checked like the attribute itself."""
        name = use.detail
        for node in ast.walk(use.method):
            if not (isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load)):
                continue
            parent = parent_of(node)
            if isinstance(parent, ast.Attribute) and parent.attr not in ATTRS[container]:
                return DISPLAY, f".{parent.attr} is used on it (through `{name}`), which nn.{container} does not have"
            if isinstance(parent, ast.Call) and parent.func is not node:
                callee = self.context.names.qualname(parent.func)
                if callee in _TYPE_CHECKS:
                    return DISPLAY, "its type is checked, and would change"
        return SAFE, ""

    def _alias_registered(self, use: Use) -> bool:
        """``layers = self.X; self.net = nn.Sequential(*layers)``: registered through the local."""
        for node in ast.walk(use.method):
            if isinstance(node, ast.Name) and node.id == use.detail and isinstance(node.ctx, ast.Load):
                parent = parent_of(node)
                if isinstance(parent, ast.Starred):
                    parent = parent_of(parent)
                if (isinstance(parent, ast.Call) and parent.func is not node
                        and torch_class(self.context.names.qualname(parent.func)) in TORCH_CONTAINERS):
                    return True
        return False

    def _decided(self, facts: ClassFacts, attr: str) -> str | None:
        """The container a class's own finding makes of the attribute (None: it has no finding of its own,
        so a plain container it assigns stays plain)."""
        evidence = self._evidence(facts, attr)
        return decide(evidence) if evidence is not None else None

    def _own_applicability(self, facts: ClassFacts, attr: str, container: str) -> Applicability:
        """How sure the class's own finding on the attribute is. Asked of subclasses only, so the questions
        never come back round; remembered, or a chain of subclasses would judge each one once per base."""
        known = self.__dict__.setdefault("_own_applicabilities", {})
        key = (id(facts), attr, container)
        if key not in known:
            evidence = self._evidence(facts, attr)
            applicability = self._blockers(evidence, container).applicability if evidence is not None else None
            known[key] = DISPLAY if applicability is None else applicability  # no fix of its own: it stays plain
        return known[key]

    def _wrapped_later(self, assignment: Assignment, attr: str) -> bool:
        """``self.X = nn.ModuleList(self.X)``: registered already."""
        value = assignment.value
        return (isinstance(value, ast.Call) and torch_class(self.context.names.qualname(value.func)) in TORCH_CONTAINERS
                and any(isinstance(n, ast.Attribute) and n.attr == attr for n in ast.walk(value)))

    def _reassignment_verdict(self, assignment: Assignment, attr: str, container: str,
                              family: list[ClassFacts]) -> tuple[Applicability, str]:
        value = assignment.value
        if assignment.kind == "setattr" and value is None:
            return UNSAFE, f"it is also set with setattr() (line {assignment.stmt.lineno})"
        if self._wrapped_later(assignment, attr):
            return SAFE, ""  # judged with the evidence: registered already
        owner = next((f for f in family if assignment in f.assignments.get(attr, [])), None)
        shape = shape_of(value, self.context, assignment.method) if owner is not None else None
        if shape is not None:
            kinds = {self._element_kind(e, assignment.method, owner, c, []) for e, c in shape.items}
            wanted = Kind.MODULE if container in (MODULE_LIST, MODULE_DICT) else Kind.PARAMETER
            same_kind = shape.kind == ("list" if container in (MODULE_LIST, PARAMETER_LIST) else "dict")
            if same_kind and kinds <= {wanted} and self.context.is_module_class(owner):
                if owner is family[0]:
                    return SAFE, ""  # another plain container of this class, wrapped by this finding
                if self._decided(owner, attr) == container:
                    # wrapped by that class's own finding; a subclass assigns after this class did, so its
                    # plain container would raise if that finding were not made as surely as this one
                    later = owner.qualname in self.context.hierarchy.descendants_in_run(family[0].qualname)
                    applicability = self._own_applicability(owner, attr, container) if later else SAFE
                    if applicability is SAFE:
                        return SAFE, ""
                    return applicability, (f"it is reassigned with a plain {shape.kind} at line "
                                           f"{assignment.stmt.lineno}, whose own fix is {applicability.value}")
            return DISPLAY, (f"it is reassigned with a plain {shape.kind} at line {assignment.stmt.lineno}, "
                             f"which raises TypeError once it is an nn.{container}")
        kind = self.values.kind(value, assignment.method, owner)
        if kind in (Kind.NONE,) or (kind in (Kind.MODULE, Kind.ALIAS) and container in (MODULE_LIST, MODULE_DICT)):
            return SAFE, ""
        if kind is Kind.NOT_MODULE:
            return DISPLAY, (f"it is reassigned with a value that is not a module at line {assignment.stmt.lineno}, "
                             f"which raises TypeError once it is an nn.{container}")
        if kind is Kind.PARAMETER and container in (PARAMETER_LIST, PARAMETER_DICT):
            return SAFE, ""
        return UNSAFE, f"it is reassigned at line {assignment.stmt.lineno} with a value modfix cannot see"

    # -- ModuleDict / ParameterDict keys

    def _key_problem(self, shape: Shape, function, container: str) -> tuple[Applicability, str]:
        verdict = Verdict(SAFE)
        for key, comp, comprehension in shape.keys:
            applicability, reason = self._key_verdict(key, comp, function, container, comprehension)
            verdict = verdict.worse(applicability, reason)
        return verdict.applicability, verdict.reason

    def _key_verdict(self, key, comp, function, container, comprehension) -> tuple[Applicability, str]:
        values = self._possible_keys(key, function, comprehension)
        if values is None:
            return UNSAFE, "its keys come from values modfix cannot see; nn.{0} needs non-empty str keys without '.'".format(container)
        for value in values:
            problem = _key_error(value, container)
            if problem:
                return DISPLAY, problem
        return SAFE, ""

    def _possible_keys(self, key, function, comprehension) -> list | None:
        """The values a key expression can take, or None when they cannot be known.

        Ints are represented by the type ``int`` when only the type is known (a range() loop)."""
        if isinstance(key, ast.Constant):
            return [key.value]
        if isinstance(key, ast.JoinedStr):
            pattern = ""
            for part in key.values:
                if isinstance(part, ast.Constant):
                    pattern += re.escape(str(part.value))
                elif isinstance(part, ast.FormattedValue) and self._possible_keys(part.value, function, comprehension) == [int]:
                    pattern += "-?[0-9]+"
                else:
                    return None
            return [re.compile(pattern)]
        if isinstance(key, ast.Call) and self.context.names.qualname(key.func) == "builtins.str" and len(key.args) == 1:
            inner = self._possible_keys(key.args[0], function, comprehension)
            if inner == [int]:
                return [re.compile("-?[0-9]+")]
            return None
        if isinstance(key, ast.Name):
            iterable = self._loop_iterable(key.id, function, comprehension)
            if iterable is None:
                return None
            return self._iterated_values(iterable, key.id)
        return None

    def _loop_iterable(self, name: str, function, comprehension) -> tuple[ast.AST, ast.expr] | None:
        scopes = [comprehension] if comprehension is not None else []
        scopes.append(function)
        for scope in scopes:
            for node in ast.walk(scope):
                if isinstance(node, (ast.For, ast.comprehension)):
                    if any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node.target)):
                        return node.target, node.iter
        return None

    def _iterated_values(self, loop: tuple[ast.AST, ast.expr], name: str) -> list | None:
        target, iterable = loop
        call = self.context.names.qualname(iterable.func) if isinstance(iterable, ast.Call) else None
        if call == "builtins.range" and isinstance(target, ast.Name):
            return [int]
        if call == "builtins.enumerate" and isinstance(target, ast.Tuple) and len(target.elts) == 2:
            if isinstance(target.elts[0], ast.Name) and target.elts[0].id == name:
                return [int]
            if isinstance(target.elts[1], ast.Name) and target.elts[1].id == name and iterable.args:
                return _literal_items(iterable.args[0])
            return None
        if isinstance(target, ast.Name):
            return _literal_items(iterable)
        return None

    # -- the finding

    def _wrap(self, shape: Shape, container: str) -> list[Change]:
        spelled = self.context.torch_nn_name(container)
        if spelled is None:
            return []
        name, lines = spelled[0], self.context.lines
        if shape.empty:
            return [ReplaceExpression.of(lines, shape.node, f"{name}()")]
        if shape.replace_callee is not None:
            return [ReplaceExpression.of(lines, shape.replace_callee, name)]
        return [WrapInCall.of(lines, shape.node, name, bare_tuple=shape.bare_tuple)]

    def _report(self, candidate: Candidate, container: str, verdict: Verdict, nested: list[Change],
                filled: bool, facts: tuple[str, ...] = ()) -> None:
        attr = candidate.assignment.attr
        shape = candidate.shape
        code = CODES[container]
        holds = "submodules" if container in (MODULE_LIST, MODULE_DICT) else "nn.Parameters"
        plain = "dict" if shape.kind == "dict" else ("tuple" if isinstance(shape.node, ast.Tuple) else "list")
        keys = _added_keys(attr, shape, container, filled)
        reach = "parameters(), state_dict(), .to() and .eval()" if holds == "submodules" else "parameters(), state_dict() and .to()"
        message = f"`self.{attr}` keeps {holds} in a plain {plain}: {reach} do not reach them; use nn.{container}"
        edits: list[Change] = []
        imports: tuple = ()
        applicability = verdict.applicability
        spelled = self.context.torch_nn_name(container)
        if spelled is None:
            applicability = DISPLAY
            verdict = Verdict(DISPLAY, "the name `nn` is taken in this file, so torch.nn cannot be named")
        else:
            edits = self._wrap(shape, container) + nested
            imports = spelled[1]
            annotation = candidate.assignment.annotation
            if annotation is not None:
                edits.append(ReplaceExpression.of(self.context.lines, annotation, spelled[0]))
        if applicability is UNSAFE:
            message += f" (unsafe fix: {verdict.reason})"
        elif applicability is DISPLAY:
            message += f"; not fixed automatically: {verdict.reason}"
        if keys and applicability is not DISPLAY:
            message += f"; the fix adds state_dict keys {', '.join(keys)}"
        if applicability is DISPLAY:
            edits = []
        self.findings.append(self.context.finding(
            code, shape.node, message, applicability, changes=edits, imports=imports, added_keys=keys, facts=facts,
        ))


def _stored_on_self(use: Use) -> bool:
    statement = parent_of(use.node)
    return (isinstance(statement, ast.Assign) and len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Attribute)
            and isinstance(statement.targets[0].value, ast.Name)
            and statement.targets[0].value.id == use.node.value.id)


_OPERATORS = {"Add": "+", "Mult": "*", "Sub": "-", "BitOr": "|", "Mod": "%"}


def _literal_items(node: ast.expr) -> list | None:
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)) and all(isinstance(e, ast.Constant) for e in node.elts):
        return [e.value for e in node.elts]
    if isinstance(node, ast.Dict) and all(isinstance(k, ast.Constant) for k in node.keys):
        return [k.value for k in node.keys]
    return None


def _key_error(value, container: str) -> str:
    attrs = ATTRS[container]
    if value is int or isinstance(value, int) and not isinstance(value, bool):
        return f"its keys are ints; nn.{container} accepts only str keys"
    if isinstance(value, re.Pattern):
        clash = sorted(a for a in attrs if value.fullmatch(a))
        if "\\." in value.pattern:
            return f"its keys contain '.', which nn.{container} rejects"
        return f"a key could be {clash[0]!r}, an attribute of nn.{container}" if clash else ""
    if not isinstance(value, str):
        return f"its keys are {type(value).__name__}s; nn.{container} accepts only str keys"
    if value == "":
        return f"it has an empty key, which nn.{container} rejects"
    if "." in value:
        return f"its key {value!r} contains '.', which nn.{container} rejects"
    if container == PARAMETER_DICT and value == "training":
        return "its key 'training' would silently replace the module's training flag in nn.ParameterDict"
    if value in attrs:
        return f"its key {value!r} is an attribute of nn.{container}, which raises KeyError"
    return ""


def _added_keys(attr: str, shape: Shape, container: str, filled: bool) -> tuple[str, ...]:
    suffix = ".*" if container in (MODULE_LIST, MODULE_DICT) else ""
    if shape.kind == "list":
        if shape.comprehension is not None or filled or shape.dynamic or isinstance(shape.node, ast.BinOp):
            return (f"{attr}.<i>{suffix}",)
        count = len(shape.items)
        shown = [f"{attr}.{i}{suffix}" for i in range(min(count, 3))]
        return tuple(shown + (["..."] if count > 3 else []))
    shown = []
    if shape.dynamic:
        return (f"{attr}.<key>{suffix}",)
    for key, _, comprehension in shape.keys[:3]:
        if isinstance(key, ast.Constant) and comprehension is None:
            shown.append(f"{attr}.{key.value}{suffix}")
        else:
            return (f"{attr}.<key>{suffix}",)
    if filled or not shown:
        shown.append(f"{attr}.<key>{suffix}")
    return tuple(shown + (["..."] if len(shape.keys) > 3 else []))


def container_findings(context: FileContext) -> list[Finding]:
    return context.cached("containers", lambda: ContainerAnalysis(context).findings)

