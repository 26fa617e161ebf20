"""The analysis every rule shares, computed once per file from Python's ``ast``.

- ``Names``: what each name of the file stands for (``nn`` -> ``torch.nn``), read from its imports.
- ``ClassFacts``: for each nn.Module class, every assignment to ``self.X`` and every use of it, each
  use classified by what the code does with it (calls a method on it, iterates it, passes it on...).
- ``Values``: what an expression builds: a new module, a parameter, None, something that is
  certainly not a module, or something unknown. Unknown stays unknown: rules never guess.
"""
from __future__ import annotations

import ast
import builtins
import enum
import weakref
from dataclasses import dataclass, field
from typing import Callable, Iterator

from ._hierarchy import Hierarchy, resolve_relative

_BUILTIN_NAMES = frozenset(dir(builtins))
_weak = weakref.ref


def module_level_statements(tree: ast.Module) -> Iterator[ast.stmt]:
    """Statements that run at import time, including those under if/try/with (not in functions)."""
    stack = list(reversed(tree.body))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.If, ast.Try, ast.With, ast.For, ast.While)) or type(node).__name__ == "TryStar":
            children = []
            for attr in ("body", "orelse", "finalbody"):
                children += getattr(node, attr, [])
            for handler in getattr(node, "handlers", []):
                children += handler.body
            stack.extend(reversed(children))


def all_statements(tree: ast.AST) -> Iterator[ast.stmt]:
    """Every statement, at any depth (functions and classes included), without visiting expressions."""
    stack = [tree]
    while stack:
        node = stack.pop()
        for attr in ("body", "orelse", "finalbody", "handlers", "cases"):
            children = getattr(node, attr, None)
            if children:
                stack.extend(reversed(children))
        if isinstance(node, ast.stmt):
            yield node


class Names:
    """What the names of a file stand for, as qualified names (``nn.Linear`` -> ``torch.nn.Linear``)."""

    def __init__(self, bindings: dict[str, str | None], global_names: frozenset[str] = frozenset()):
        self.bindings = bindings
        # names bound at module level: the only ones a rewrite may use anywhere in the file
        self.global_names = global_names

    @classmethod
    def from_tree(cls, tree: ast.Module, module_name: str, is_package: bool, deep: bool = False,
                  imports: Callable[[str], str] | None = None) -> "Names":
        """``imports``: how an absolute import is spelled in the run (see ``ModuleNames``)."""
        bindings: dict[str, str | None] = {}
        spelled = imports or (lambda target: target)

        def bind(name: str, target: str | None) -> None:
            if name in bindings and bindings[name] != target:
                bindings[name] = None  # bound two ways (try/except imports, shadowing): unknown
            else:
                bindings[name] = target

        statements = all_statements(tree) if deep else module_level_statements(tree)
        for node in statements:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        bind(alias.asname, spelled(alias.name))
                    else:
                        top = alias.name.split(".")[0]
                        bind(top, spelled(top))
            elif isinstance(node, ast.ImportFrom):
                source = spelled(node.module) if node.module else node.module
                if node.level:
                    source = resolve_relative(module_name, is_package, node.level, node.module)
                for alias in node.names:
                    if alias.name == "*":
                        continue
                    bind(alias.asname or alias.name, f"{source}.{alias.name}" if source else None)
        global_names = set()
        for node in module_level_statements(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                global_names.update((a.asname or a.name).split(".")[0] for a in node.names)
            elif isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                global_names.add(node.name)
        names = cls(bindings, frozenset(global_names))
        for node in module_level_statements(tree):
            if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                bind(node.name, f"{module_name}.{node.name}")
            elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        alias = names.qualname(node.value) if isinstance(node.value, (ast.Name, ast.Attribute)) else None
                        bind(target.id, alias or f"{module_name}.{target.id}")
        return names

    def qualname(self, expr: ast.AST) -> str | None:
        attributes = []
        while isinstance(expr, ast.Attribute):  # a loop: attribute chains can be thousands long
            attributes.append(expr.attr)
            expr = expr.value
        if not isinstance(expr, ast.Name):
            return None
        if expr.id in self.bindings:
            base = self.bindings[expr.id]
        else:
            base = f"builtins.{expr.id}" if expr.id in _BUILTIN_NAMES else None
        if base is None:
            return None
        return ".".join([base] + attributes[::-1])

    def torch_nn_prefix(self) -> str | None:
        """How this file spells torch.nn (``nn``, ``torch.nn``), or None when it cannot yet."""
        name = self.name_for("torch.nn")
        if name:
            return name
        if self.bindings.get("torch") == "torch" and "torch" in self.global_names:
            return "torch.nn"
        return None

    def name_for(self, qualname: str) -> str | None:
        """A module-level name bound to ``qualname``, preferring the conventional short one."""
        by_target = self.__dict__.get("_by_target")
        if by_target is None:  # indexed once: a file of thousands of classes asks thousands of times
            by_target = self.__dict__["_by_target"] = {}
            for name, target in self.bindings.items():
                if name in self.global_names:
                    by_target.setdefault(target, []).append(name)
        found = by_target.get(qualname)
        return min(found, key=lambda n: (n != qualname.rsplit(".", 1)[-1], len(n), n)) if found else None


# ---------------------------------------------------------------------------------------------
# What happens to self.X


@dataclass
class Assignment:
    """``self.X = value`` (also annotated, tuple targets, setattr(self, "X", v))."""

    attr: str
    stmt: ast.stmt
    value: ast.expr | None  # None when the value cannot be paired with the target
    method: ast.FunctionDef
    annotation: ast.expr | None = None
    kind: str = "assign"  # assign | setattr | object_setattr
    shared: bool = False  # `self.a = self.b = []`: one object under two names


@dataclass
class Use:
    """One read of ``self.X``; ``kind`` says what the code does with it.

    kinds: method (``self.X.m()``: detail = m), attribute (``self.X.a``), call (``self.X()``),
    arg (``f(self.X)``), starred_arg (``f(*self.X)``), subscript, setitem, delitem, iter,
    binop (detail = "Add:left"), compare, return, alias (``y = self.X``: detail = y), augassign
    (detail = operator), element (inside a literal), truth, del, other.
    """

    attr: str
    kind: str
    node: ast.Attribute
    method: ast.FunctionDef
    detail: str = ""
    call: ast.Call | None = None
    value: ast.expr | None = None  # what is stored by setitem / method / augassign
    key: ast.expr | None = None  # the subscript of setitem


@dataclass
class Registration:
    """``self.add_module(name, value)`` and friends, ``setattr(self, name, value)``."""

    how: str  # add_module | register_module | register_parameter | register_buffer | setattr
    name: ast.expr | None
    value: ast.expr | None
    method: ast.FunctionDef


_REGISTRATION_METHODS = ("add_module", "register_module", "register_parameter", "register_buffer")


@dataclass
class ClassFacts:
    node: ast.ClassDef
    qualname: str
    methods: dict[str, ast.FunctionDef] = field(default_factory=dict)
    assignments: dict[str, list[Assignment]] = field(default_factory=dict)
    uses: dict[str, list[Use]] = field(default_factory=dict)
    registrations: list[Registration] = field(default_factory=list)
    init_methods: set[str] = field(default_factory=set)  # __init__ and the helpers it calls
    self_calls: dict[str, set[str]] = field(default_factory=dict)  # method -> names it calls on self

    def is_init_time(self, method: ast.FunctionDef) -> bool:
        return method.name in self.init_methods and self.methods.get(method.name) is method


def self_name(method: ast.FunctionDef) -> str | None:
    """The name of a method's first parameter (``self``, ``this``); None for static and class methods."""
    return _self_name(method)


def _self_name(method: ast.FunctionDef) -> str | None:
    for decorator in method.decorator_list:
        if isinstance(decorator, ast.Name) and decorator.id in ("staticmethod", "classmethod"):
            return None
    args = method.args.posonlyargs + method.args.args
    return args[0].arg if args else None


# method -> a weak link to its class (a strong one would keep the method, its key, alive through the class)
_CLASS_OF: "weakref.WeakKeyDictionary[ast.AST, Callable[[], ast.ClassDef | None]]" = weakref.WeakKeyDictionary()


def class_of(method: ast.AST) -> ast.ClassDef | None:
    """The class a method (as its facts know it) is defined in."""
    link = _CLASS_OF.get(method)
    return link() if link is not None else None


def set_parents(root: ast.AST) -> list[ast.AST]:
    """Record each node's parent (``parent_of``); returns every node below ``root``.

    One hand-rolled pass: this runs over every method of every Module class, and ``ast.walk``
    plus ``ast.iter_child_nodes`` would visit each node twice. The link is a weak reference: a strong
    one would make every tree a reference cycle, which only the (disabled) cyclic collector frees,
    so a run could not let go of the trees of files it is done with."""
    nodes: list[ast.AST] = []
    stack = [root]
    node_type = ast.AST
    while stack:
        node = stack.pop()
        link = _weak(node)
        for name in node._fields:
            value = getattr(node, name, None)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, node_type):
                        item._modfix_parent = link  # type: ignore[attr-defined]
                        stack.append(item)
                        nodes.append(item)
            elif isinstance(value, node_type):
                value._modfix_parent = link  # type: ignore[attr-defined]
                stack.append(value)
                nodes.append(value)
    return nodes


def parent_of(node: ast.AST) -> ast.AST | None:
    link = getattr(node, "_modfix_parent", None)
    return link() if link is not None else None


def _is_self(node: ast.AST, self_name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == self_name


def _assigned_value(target: ast.expr, stmt: ast.Assign) -> ast.expr | None:
    """The expression a (possibly tuple-nested) target receives, when it can be paired."""
    if target in stmt.targets:
        return stmt.value
    path = []
    node = target
    while node not in stmt.targets:
        parent = parent_of(node)
        if not isinstance(parent, (ast.Tuple, ast.List)):
            return None
        path.append(parent.elts.index(node))
        node = parent
    value = stmt.value
    for index in reversed(path):
        if not isinstance(value, (ast.Tuple, ast.List)) or any(isinstance(e, ast.Starred) for e in value.elts):
            return None
        if len(value.elts) <= index:
            return None
        value = value.elts[index]
    return value


def _classify_use(node: ast.Attribute, attr: str, method: ast.FunctionDef) -> Use:
    parent = parent_of(node)
    use = Use(attr=attr, kind="other", node=node, method=method)
    if isinstance(parent, ast.Attribute):
        grand = parent_of(parent)
        if isinstance(grand, ast.Call) and grand.func is parent:
            use.kind, use.detail, use.call = "method", parent.attr, grand
        else:
            use.kind, use.detail = "attribute", parent.attr
    elif isinstance(parent, ast.Call):
        use.call = parent
        use.kind = "call" if parent.func is node else "arg"
    elif isinstance(parent, ast.keyword):
        use.kind, use.call = "arg", parent_of(parent)
    elif isinstance(parent, ast.Starred):
        grand = parent_of(parent)
        if isinstance(grand, ast.Call):
            use.kind, use.call = "starred_arg", grand
        else:
            use.kind = "iter"  # [*self.X] unpacks: only iteration is needed
    elif isinstance(parent, ast.Subscript) and parent.value is node:
        if isinstance(parent.ctx, ast.Store):
            use.kind, use.key = "setitem", parent.slice
            stmt = parent_of(parent)
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and stmt.targets[0] is parent:
                use.value = stmt.value
            elif isinstance(stmt, ast.AnnAssign):
                use.value = stmt.value
        elif isinstance(parent.ctx, ast.Del):
            use.kind = "delitem"
        else:
            use.kind, use.key = "subscript", parent.slice
            if isinstance(parent_of(parent), ast.AugAssign) and parent_of(parent).target is parent:
                use.kind = "setitem"
    elif isinstance(parent, (ast.For, ast.AsyncFor, ast.comprehension)) and parent.iter is node:
        use.kind = "iter"
    elif isinstance(parent, ast.BinOp):
        use.kind = "binop"
        use.detail = f"{type(parent.op).__name__}:{'left' if parent.left is node else 'right'}"
    elif isinstance(parent, ast.Compare):
        use.kind = "compare"
        ops = {type(op).__name__ for op in parent.ops}
        use.detail = "in" if ops <= {"In", "NotIn"} and parent.left is not node else ",".join(sorted(ops))
    elif isinstance(parent, (ast.Return, ast.Yield, ast.YieldFrom)):
        use.kind = "return"
    elif isinstance(parent, ast.Assign) and parent.value is node:
        targets = parent.targets
        if len(targets) == 1 and isinstance(targets[0], ast.Name):
            use.kind, use.detail = "alias", targets[0].id
        elif len(targets) == 1 and isinstance(targets[0], (ast.Tuple, ast.List)):
            use.kind = "iter"  # a, b = self.X
        else:
            use.kind = "stored"
    elif isinstance(parent, ast.AugAssign) and parent.target is node:
        use.kind, use.detail, use.value = "augassign", type(parent.op).__name__, parent.value
    elif isinstance(parent, (ast.List, ast.Tuple, ast.Set, ast.Dict)):
        use.kind = "element"
    elif isinstance(parent, (ast.BoolOp, ast.UnaryOp)) or (
        isinstance(parent, (ast.If, ast.While, ast.IfExp, ast.Assert)) and parent.test is node
    ):
        use.kind = "truth"
    elif isinstance(parent, ast.Delete):
        use.kind = "del"
    return use


_PINNED_DEVICES: "weakref.WeakKeyDictionary[ast.ClassDef, str]" = weakref.WeakKeyDictionary()


def pinned_device(facts: ClassFacts) -> str:
    """``x.to(self.device)`` in a method outside __init__, where __init__ sets ``self.device`` from a
    constructor argument or a constant: the class computes on a device of its own choosing, whatever
    ``model.to()`` says. Returns the attribute (``device``), or "" (once per class: each of its
    attributes asks)."""
    known = _PINNED_DEVICES.get(facts.node)
    if known is None:
        known = _PINNED_DEVICES[facts.node] = _pinned_device(facts)
    return known


def _pinned_device(facts: ClassFacts) -> str:
    init = facts.methods.get("__init__")
    if init is None:
        return ""
    parameters = {a.arg for a in init.args.posonlyargs + init.args.args + init.args.kwonlyargs}
    fixed = set()
    for attr, assignments in facts.assignments.items():
        values = [a.value for a in assignments if a.method is init]
        if values and len(values) == len(assignments) and all(
                (isinstance(v, ast.Name) and v.id in parameters) or isinstance(v, ast.Constant) for v in values):
            fixed.add(attr)
    for attr in fixed:
        for use in facts.uses.get(attr, []):
            if facts.is_init_time(use.method) or use.kind != "arg" or use.call is None:
                continue
            func = use.call.func
            if isinstance(func, ast.Attribute) and func.attr == "to" and not (
                    isinstance(func.value, ast.Attribute) and isinstance(func.value.value, ast.Name)
                    and func.value.value.id == self_name(use.method)):
                return attr  # `waveform.to(self.device)`: an input moved to the class's own device
    return ""


def _registration_arguments(call: ast.Call) -> tuple[ast.expr | None, ast.expr | None]:
    """The name and value of ``register_buffer(name, tensor)``, positional or by keyword."""
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    name = call.args[0] if call.args else keywords.get("name")
    value = call.args[1] if len(call.args) > 1 else next(
        (keywords[k] for k in ("tensor", "param", "module", "value") if k in keywords), None)
    return name, value


def collect_class_facts(node: ast.ClassDef, qualname: str) -> ClassFacts:
    facts = ClassFacts(node=node, qualname=qualname)
    for statement in node.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            facts.methods[statement.name] = statement
    calls: dict[str, set[str]] = {}
    for method in facts.methods.values():
        _CLASS_OF[method] = _weak(node)
        self_name = _self_name(method)
        if self_name is None:
            continue
        called = calls.setdefault(method.name, set())
        for inner in set_parents(method):
            if isinstance(inner, ast.Attribute) and _is_self(inner.value, self_name):
                _record_attribute(facts, inner, method)
                parent = parent_of(inner)
                if isinstance(parent, ast.Call) and parent.func is inner:
                    called.add(inner.attr)
                    if inner.attr in _REGISTRATION_METHODS:
                        name, value = _registration_arguments(parent)
                        if name is not None:
                            facts.registrations.append(Registration(inner.attr, name, value, method))
            elif isinstance(inner, ast.Call) and len(inner.args) >= 3:
                _record_setattr(facts, inner, self_name, method)
    for records in list(facts.assignments.values()) + list(facts.uses.values()):
        records.sort(key=_source_order)
    facts.self_calls = calls
    pending = ["__init__"] if "__init__" in facts.methods else []
    while pending:
        name = pending.pop()
        if name in facts.init_methods:
            continue
        facts.init_methods.add(name)
        pending.extend(n for n in calls.get(name, ()) if n in facts.methods)
    return facts


def _source_order(record: Assignment | Use) -> tuple[int, int]:
    node = record.stmt if isinstance(record, Assignment) else record.node
    return getattr(node, "lineno", 0), getattr(node, "col_offset", 0)


def _record_attribute(facts: ClassFacts, node: ast.Attribute, method: ast.FunctionDef) -> None:
    attr = node.attr
    if isinstance(node.ctx, ast.Store):
        stmt = parent_of(node)
        while isinstance(stmt, (ast.Tuple, ast.List, ast.Starred)):
            stmt = parent_of(stmt)
        if isinstance(stmt, ast.Assign):
            value = _assigned_value(node, stmt)
            shared = len(stmt.targets) > 1
            facts.assignments.setdefault(attr, []).append(
                Assignment(attr, stmt, value, method, shared=shared)
            )
        elif isinstance(stmt, ast.AnnAssign):
            facts.assignments.setdefault(attr, []).append(
                Assignment(attr, stmt, stmt.value, method, annotation=stmt.annotation)
            )
        elif isinstance(stmt, ast.AugAssign):
            use = Use(attr=attr, kind="augassign", node=node, method=method,
                      detail=type(stmt.op).__name__, value=stmt.value)
            facts.uses.setdefault(attr, []).append(use)
        else:  # for-loop targets, with-as, walrus: a value we cannot see
            facts.assignments.setdefault(attr, []).append(Assignment(attr, stmt, None, method))
        return
    facts.uses.setdefault(attr, []).append(_classify_use(node, attr, method))


def _record_setattr(facts: ClassFacts, call: ast.Call, self_name: str, method: ast.FunctionDef) -> None:
    func = call.func
    target, name, value = call.args[0], call.args[1], call.args[2]
    if not _is_self(target, self_name):
        return
    if isinstance(func, ast.Name) and func.id == "setattr":
        how = "setattr"
    elif (
        isinstance(func, ast.Attribute) and func.attr == "__setattr__"
        and isinstance(func.value, ast.Name) and func.value.id in ("object", "super")
    ) or (isinstance(func, ast.Attribute) and func.attr == "__setattr__" and isinstance(func.value, ast.Call)):
        how = "object_setattr"
    else:
        return
    if isinstance(name, ast.Constant) and isinstance(name.value, str):
        kind = "object_setattr" if how == "object_setattr" else "setattr"
        stmt = parent_of(call)
        facts.assignments.setdefault(name.value, []).append(
            Assignment(name.value, stmt if isinstance(stmt, ast.stmt) else call, value, method, kind=kind)
        )
    if how == "setattr":
        facts.registrations.append(Registration("setattr", name, value, method))


# ---------------------------------------------------------------------------------------------
# What an expression builds


class Kind(enum.Enum):
    MODULE = "a new module"
    ALIAS = "a module registered elsewhere"  # self.encoder, or a local that is also handed on
    PARAMETER = "an nn.Parameter"
    NONE = "None"
    NOT_MODULE = "not a module"
    UNKNOWN = "unknown"


_MODULE_PRESERVING_METHODS = frozenset(
    {"to", "cuda", "cpu", "float", "half", "double", "bfloat16", "train", "eval", "requires_grad_", "type"}
)
_LITERALS = (ast.Constant, ast.List, ast.Tuple, ast.Dict, ast.Set, ast.ListComp, ast.DictComp,
             ast.SetComp, ast.GeneratorExp, ast.JoinedStr, ast.Lambda)


def _scope_nodes(function: ast.AST) -> Iterator[ast.AST]:
    """Nodes of a function body, not descending into nested functions, classes or comprehensions."""
    stack = list(ast.iter_child_nodes(function))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef,
                             ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            continue
        stack.extend(ast.iter_child_nodes(node))


class Values:
    """Answers "what does this expression build?" inside one file."""

    def __init__(self, names: Names, hierarchy: Hierarchy, module_name: str,
                 module_functions: dict[str, ast.FunctionDef],
                 classes: dict[ast.ClassDef, ClassFacts], module_factories: frozenset[str] = frozenset()):
        self.names = names
        self.module_factories = module_factories
        self.hierarchy = hierarchy
        self.module_name = module_name
        self.module_functions = module_functions
        self.classes = classes
        self._returns: dict[ast.AST, Kind] = {}
        self._locals: dict[ast.AST, dict[str, list[ast.AST]]] = {}
        self._resolving: set[tuple[int, str]] = set()

    def is_module_class(self, qualname: str | None) -> bool:
        return qualname is not None and self.hierarchy.is_module(qualname)

    def kind(self, expr: ast.expr | None, function: ast.AST | None, owner: ClassFacts | None = None,
             comprehension_names: frozenset[str] = frozenset(), escapes_allowed: set[int] = frozenset()) -> Kind:
        if expr is None:
            return Kind.UNKNOWN
        if isinstance(expr, ast.Constant):
            return Kind.NONE if expr.value is None else Kind.NOT_MODULE
        if isinstance(expr, _LITERALS) or isinstance(expr, (ast.BinOp, ast.Compare, ast.UnaryOp)):
            return Kind.NOT_MODULE if not isinstance(expr, ast.BinOp) else self._binop_kind(expr)
        if isinstance(expr, ast.IfExp):
            kinds = {self.kind(expr.body, function, owner, comprehension_names),
                     self.kind(expr.orelse, function, owner, comprehension_names)}
            return kinds.pop() if len(kinds) == 1 else Kind.UNKNOWN
        if isinstance(expr, ast.Name):
            if expr.id in comprehension_names:
                return Kind.UNKNOWN
            return self._local_kind(expr.id, function, owner, escapes_allowed)
        if isinstance(expr, ast.Attribute) and owner is not None and self._is_self_attr(expr, function):
            return self._attribute_kind(expr.attr, owner)
        if isinstance(expr, ast.Call):
            return self._call_kind(expr, function, owner, comprehension_names)
        return Kind.UNKNOWN

    def _binop_kind(self, expr: ast.BinOp) -> Kind:
        # arithmetic yields numbers, tensors or sequences, never a module
        return Kind.NOT_MODULE

    def _is_self_attr(self, expr: ast.Attribute, function: ast.AST | None) -> bool:
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return False
        return _is_self(expr.value, _self_name(function) or "")

    def _attribute_kind(self, attr: str, owner: ClassFacts) -> Kind:
        key = (id(owner), "self." + attr)
        if key in self._resolving:
            return Kind.UNKNOWN  # `self.x = self.x.to(device)`: what it holds is what it held
        self._resolving.add(key)
        try:
            # `self.enc = self.enc.to(device)` holds what it held: the other assignments say what that is
            assignments = [a for a in owner.assignments.get(attr, []) if not self._keeps_itself(a.value, attr, a.method)]
            if assignments and all(
                a.kind != "object_setattr" and self.kind(a.value, a.method, owner) is Kind.MODULE
                for a in assignments
            ):
                return Kind.ALIAS
            return Kind.UNKNOWN
        finally:
            self._resolving.discard(key)

    def _keeps_itself(self, value: ast.expr | None, attr: str, function) -> bool:
        """``self.enc.to(device).eval()``: the attribute's own value, through methods that return it."""
        while (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
               and value.func.attr in _MODULE_PRESERVING_METHODS):
            value = value.func.value
        return isinstance(value, ast.Attribute) and value.attr == attr and self._is_self_attr(value, function)

    def _call_kind(self, call: ast.Call, function, owner, comprehension_names) -> Kind:
        func = call.func
        qualname = self.names.qualname(func)
        if qualname in ("torch.nn.Parameter", "torch.nn.parameter.Parameter"):
            return Kind.PARAMETER
        if qualname in ("copy.deepcopy",) and call.args:
            inner = self.kind(call.args[0], function, owner, comprehension_names)
            return Kind.MODULE if inner in (Kind.MODULE, Kind.ALIAS) else Kind.UNKNOWN
        if self.is_module_class(qualname) or (qualname is not None and qualname in self.module_factories):
            return Kind.MODULE
        if isinstance(func, ast.Attribute):
            if func.attr in _MODULE_PRESERVING_METHODS:
                inner = self.kind(func.value, function, owner, comprehension_names)
                if inner is Kind.MODULE:
                    return Kind.MODULE
            if owner is not None and self._is_self_attr(func, function) and func.attr in owner.methods:
                return self._returns_kind(owner.methods[func.attr], owner)
        if qualname and qualname.startswith(self.module_name + "."):
            local = qualname[len(self.module_name) + 1:]
            if local in self.module_functions:
                return self._returns_kind(self.module_functions[local], None)
        if qualname and qualname.startswith("builtins."):
            return Kind.NOT_MODULE if qualname[9:] in _NON_MODULE_BUILTINS else Kind.UNKNOWN
        if qualname and qualname.split(".")[0] in ("torch", "math", "numpy") and not qualname.startswith("torch.nn"):
            return Kind.NOT_MODULE if qualname.split(".")[-1][:1].islower() else Kind.UNKNOWN
        return Kind.UNKNOWN

    def _returns_kind(self, function: ast.FunctionDef, owner: ClassFacts | None) -> Kind:
        """MODULE when every ``return`` of the function returns a new module."""
        if function in self._returns:
            return self._returns[function]
        self._returns[function] = Kind.UNKNOWN  # recursion
        if function.body and parent_of(function.body[0]) is None:
            set_parents(function)  # module-level functions: only class bodies have parents up front
        returns = [n for n in _scope_nodes(function) if isinstance(n, ast.Return)]
        yields = any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in _scope_nodes(function))
        result = Kind.UNKNOWN
        if returns and not yields:
            allowed = {id(r.value) for r in returns}
            kinds = {self.kind(r.value, function, owner, escapes_allowed=allowed) for r in returns}
            if kinds == {Kind.MODULE}:
                result = Kind.MODULE
        self._returns[function] = result
        return result

    def local_bindings(self, function: ast.AST) -> dict[str, list[ast.AST]]:
        """name -> the nodes that bind it in the function (an Assign, or anything else that binds)."""
        if function in self._locals:
            return self._locals[function]
        bindings: dict[str, list[ast.AST]] = {}
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            for arg in ast.walk(function.args):
                if isinstance(arg, ast.arg):
                    bindings.setdefault(arg.arg, []).append(arg)
        for node in _scope_nodes(function):
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                bindings.setdefault(node.id, []).append(parent_of(node) or node)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    bindings.setdefault((alias.asname or alias.name).split(".")[0], []).append(node)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bindings.setdefault(node.name, []).append(node)
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                for name in node.names:
                    bindings.setdefault(name, []).append(node)
        self._locals[function] = bindings
        return bindings

    def _local_kind(self, name: str, function: ast.AST | None, owner: ClassFacts | None,
                    escapes_allowed: set[int] = frozenset()) -> Kind:
        if function is None:
            return Kind.UNKNOWN
        sites = self.local_bindings(function).get(name)
        if not sites or (id(function), name) in self._resolving:
            return Kind.UNKNOWN  # `x = x if c else y` refers to itself: nothing to learn there
        kinds = set()
        self._resolving.add((id(function), name))
        try:
            for site in sites:
                if isinstance(site, ast.Assign) and len(site.targets) == 1 and isinstance(site.targets[0], ast.Name):
                    kinds.add(self.kind(site.value, function, owner))
                else:
                    return Kind.UNKNOWN
        finally:
            self._resolving.discard((id(function), name))
        if len(kinds) != 1:
            return Kind.UNKNOWN
        kind = kinds.pop()
        if kind is Kind.MODULE and self.local_escapes(name, function, escapes_allowed):
            return Kind.ALIAS
        return kind

    def local_escapes(self, name: str, function: ast.AST, allowed: set[int] = frozenset()) -> bool:
        """Is the local handed anywhere a registration could hide (an argument, stored, returned)?

        Calling it, reading its attributes and iterating it are fine; ``allowed`` holds ids of the
        nodes the caller accounts for (the container it is put into).
        """
        for node in ast.walk(function):
            if not (isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load)):
                continue
            if id(node) in allowed:
                continue
            parent = parent_of(node)
            if isinstance(parent, ast.Attribute) or (isinstance(parent, ast.Call) and parent.func is node):
                continue
            if (isinstance(parent, ast.Call) and isinstance(parent.func, ast.Attribute)
                    and parent.func.attr in _LOOKUP_METHODS):
                continue  # `xs.remove(layer)`, `xs.index(layer)` look it up; they store it nowhere
            if isinstance(parent, (ast.For, ast.comprehension)) and parent.iter is node:
                continue
            return True
        return False


_LOOKUP_METHODS = frozenset({"remove", "index", "count"})

_NON_MODULE_BUILTINS = frozenset({
    "int", "float", "str", "bool", "list", "dict", "tuple", "set", "frozenset", "len", "range",
    "sum", "min", "max", "abs", "round", "sorted", "reversed", "enumerate", "zip", "map", "filter",
    "bytes", "repr", "format", "hash", "id", "isinstance", "issubclass", "any", "all",
})


def class_qualname(node: ast.ClassDef, module_name: str, top_level: bool) -> str:
    return f"{module_name}.{node.name}" if top_level else f"{module_name}.<local>.{node.name}"
