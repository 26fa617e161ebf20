"""What runs when an nn.Module is built: its base init calls, the inits they run along the MRO, and
what each of those inits creates and registers.

The base-init rules (``use_super_init``) report a second ``nn.Module.__init__`` only when it loses
something, and a ``super(B, self)`` that skips inits only when a skipped init creates attributes the
class needs; the tensor rule refuses a registration that a later base init would wipe. All three ask
the same questions of the same chain, answered here. Classes of the run are read; torch's own are
known from the generated tables; anything else is unknown, and unknown is never taken as "nothing".
"""
from __future__ import annotations

import ast
from dataclasses import dataclass

from ._facts import Assignment, ClassFacts, Kind, parent_of, self_name
from ._hierarchy import NN_MODULE, TORCH_CONTAINERS, torch_class, torch_module_class
from ._torch_facts import STATELESS_NN_CLASSES

EXPLICIT, SUPER, SUPER_TWO, SUPER_ONE = "explicit", "super", "super-two", "super-one"


@dataclass
class InitCall:
    kind: str
    call: ast.Call
    target: str | None  # the class named by X.__init__ / super(X, ...), resolved
    target_node: ast.expr | None
    statement: ast.stmt | None  # the statement, when the call is one on its own lines


def nodes_outside_nested_scopes(function: ast.AST):
    stack = list(ast.iter_child_nodes(function))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            stack.extend(ast.iter_child_nodes(node))


def init_calls(context, facts: ClassFacts) -> list[InitCall]:
    """The base init calls in the class's ``__init__``, in source order."""
    method = facts.methods.get("__init__")
    if method is None or isinstance(method, ast.AsyncFunctionDef):
        return []
    return context.cached(("init-calls", id(method)), lambda: _read_init_calls(context, facts, method))


def _read_init_calls(context, facts: ClassFacts, method: ast.FunctionDef) -> list[InitCall]:
    me = self_name(method)
    calls = []
    for node in nodes_outside_nested_scopes(method):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "__init__"):
            continue
        owner = node.func.value
        statement = own_statement(context, node)
        if isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name) and owner.func.id == "super":
            if not owner.args:
                calls.append(InitCall(SUPER, node, None, None, statement))
            elif len(owner.args) == 2 and isinstance(owner.args[1], ast.Name) and owner.args[1].id == me:
                calls.append(InitCall(SUPER_TWO, node, _resolve(context, facts, owner.args[0]), owner.args[0], statement))
            elif len(owner.args) == 1 and not isinstance(owner.args[0], ast.Starred):
                calls.append(InitCall(SUPER_ONE, node, _resolve(context, facts, owner.args[0]), owner.args[0], statement))
        elif node.args and isinstance(node.args[0], ast.Name) and node.args[0].id == me:
            calls.append(InitCall(EXPLICIT, node, _resolve(context, facts, owner), owner, statement))
    calls.sort(key=lambda c: (c.call.lineno, c.call.col_offset))
    return calls


def _resolve(context, facts: ClassFacts, node: ast.expr) -> str | None:
    if isinstance(node, ast.Name) and node.id == facts.node.name:
        return facts.qualname
    return context.hierarchy.resolve(context.names.qualname(node))


def own_statement(context, call: ast.Call) -> ast.stmt | None:
    """The expression statement holding only this call, alone on its lines."""
    statement = parent_of(call)
    if not isinstance(statement, ast.Expr):
        return None
    lines = context.lines
    before = lines.line_text(statement.lineno)[: lines.char_column(statement.lineno, statement.col_offset)]
    after = lines.line_text(statement.end_lineno)[lines.char_column(statement.end_lineno, statement.end_col_offset):]
    if before.strip() or after.strip().split("#")[0].strip():
        return None
    return statement


@dataclass
class InitEffects:
    """What one class's own initialisation (``__init__`` and the helpers it calls) does to ``self``."""

    created: set[str]  # every attribute it assigns or registers
    registered: set[str]  # those it registers: modules, parameters, buffers


UNKNOWN_CHAIN = None


class InitChains:
    """Questions about the init chain of the classes of one file's run."""

    def __init__(self, context):
        self.context = context
        self._effects: dict[str, InitEffects | None] = {}

    def first_runs(self, mro: list[str], after: int) -> list[str] | None:
        """The classes whose __init__ runs when the one found after ``mro[after]`` is called
        cooperatively (``super(mro[after], self).__init__()``); None when a class of the chain is
        unknown. Explicit calls inside an init are followed along the same MRO."""
        ran: list[str] = []
        if not self._follow(mro, after + 1, ran, set()):
            return UNKNOWN_CHAIN
        return ran

    def runs_from(self, mro: list[str], target: str) -> list[str] | None:
        """``Target.__init__(self)`` run on an instance with this MRO: the classes whose __init__ runs."""
        if target not in mro:
            return UNKNOWN_CHAIN
        ran: list[str] = []
        if not self._follow(mro, mro.index(target), ran, set()):
            return UNKNOWN_CHAIN
        return ran

    def _follow(self, mro: list[str], start: int, ran: list[str], seen: set[int]) -> bool:
        """Run the first __init__ at or after ``start``; False when the chain goes where modfix cannot see."""
        hierarchy = self.context.hierarchy
        for index in range(start, len(mro)):
            klass = mro[index]
            if klass == NN_MODULE:
                ran.append(klass)
                return True
            if not hierarchy.in_run(klass):
                if torch_class(klass) is None:
                    return False  # a class outside the run and outside torch: its __init__ is unknown
                if torch_module_class(klass):
                    ran += [klass, NN_MODULE]  # torch's Modules chain cooperatively to nn.Module.__init__
                    return True
                continue  # torch's mixins (and abc, typing) pass the call on
            found = self.context.class_context(klass)
            if found is None:
                return False  # in the run but not a Module class here: not read
            context, facts = found
            if "__init__" not in facts.methods:
                continue
            if index in seen:
                return True
            seen.add(index)
            ran.append(klass)
            for call in init_calls(context, facts):
                if call.kind == SUPER:
                    if not self._follow(mro, index + 1, ran, seen):
                        return False
                elif call.kind in (SUPER_TWO, EXPLICIT):
                    if call.target not in mro:
                        return False
                    position = mro.index(call.target) + (1 if call.kind == SUPER_TWO else 0)
                    if not self._follow(mro, position, ran, seen):
                        return False
                elif call.kind == SUPER_ONE:
                    continue  # `super(C).__init__()` is unbound: it initialises the super object, not self
                else:
                    return False
            return True
        return True

    def effects(self, qualname: str, arguments: bool = True) -> InitEffects | None:
        """What the class's own initialisation does (not its bases'); None when it cannot be read.
        ``arguments``: whether the call passes any (a torch container registers only what it is given)."""
        if qualname == NN_MODULE:
            return InitEffects(set(), set())
        if not self.context.hierarchy.in_run(qualname):
            return _torch_effects(qualname, arguments)
        if qualname not in self._effects:
            found = self.context.class_context(qualname)
            self._effects[qualname] = _own_effects(found[0], found[1]) if found else None
        return self._effects[qualname]


def _torch_effects(qualname: str, arguments: bool) -> InitEffects | None:
    """A torch class's init registers state unless the tables say it holds none; its attribute names
    are not known (an empty ``created`` set must not be read as "creates nothing")."""
    name = torch_module_class(qualname)
    if name is None:
        return None
    short = name.rsplit(".", 1)[-1]
    stateless = short in STATELESS_NN_CLASSES and torch_class(f"torch.nn.{short}") == name
    if stateless or (name in TORCH_CONTAINERS and not arguments):
        return InitEffects(set(), set())
    return None


def _own_effects(context, facts: ClassFacts) -> InitEffects:
    created, registered = set(), set()
    values = context.values
    for attr, assignments in facts.assignments.items():
        for assignment in assignments:
            if not facts.is_init_time(assignment.method):
                continue
            created.add(attr)
            if values.kind(assignment.value, assignment.method, facts) in (Kind.MODULE, Kind.PARAMETER, Kind.ALIAS):
                registered.add(attr)
    for registration in facts.registrations:
        if not facts.is_init_time(registration.method):
            continue
        name = registration.name
        label = name.value if isinstance(name, ast.Constant) and isinstance(name.value, str) else "<computed>"
        created.add(label)
        if registration.how != "setattr" or values.kind(registration.value, registration.method, facts) in (
                Kind.MODULE, Kind.PARAMETER):
            registered.add(label)
    return InitEffects(created, registered)


def registration_survives(context, facts: ClassFacts, assignment: Assignment,
                          registering: str = "register_buffer/nn.Parameter") -> str:
    """Why a registration fix at ``assignment`` (register_buffer, nn.Parameter, a container) would not
    hold, or "": nn.Module.__init__ must have run before it, and nothing after it may run it again."""
    init = facts.methods.get("__init__")
    if init is None:
        return ""
    position = position_in_init(facts, assignment)
    if position is None:
        return ""
    calls = _base_init_calls(init)
    if not calls:
        return ""
    before = [c for c in calls if (c.lineno, c.col_offset) < position]
    after = [c for c in calls if (c.lineno, c.col_offset) > position]
    if not before:
        return f"it is assigned before the base __init__ runs, where {registering} would raise"
    if not any(_reaches_module_init(context, facts, call) for call in before):
        return f"the base __init__ it runs first never reaches nn.Module.__init__, so {registering} would raise"
    for call in after:
        if _can_reinitialise(context, facts, call):
            return (f"line {call.lineno} calls `{ast.unparse(call.func)}`, which can run nn.Module.__init__ again "
                    "and drop what was registered before it")
    return _wiped_by_subclass(context, facts)


def _wiped_by_subclass(context, facts: ClassFacts) -> str:
    """A subclass of the run that runs this class's __init__ and then another base init that can run
    nn.Module.__init__ again (``Masked.__init__(self); Projected.__init__(self)``) drops what this
    class registers."""
    hierarchy = context.hierarchy
    for descendant in hierarchy.descendants_in_run(facts.qualname):
        if len(hierarchy.bases(descendant)) < 2:
            continue  # known from the class statement, without parsing the subclass's file
        found = context.class_context(descendant)
        mro = hierarchy.mro(descendant)
        if found is None or mro is None:
            continue
        chains = InitChains(found[0])
        calls = [c for c in init_calls(found[0], found[1]) if c.kind == EXPLICIT and c.target in mro]
        for index, call in enumerate(calls):
            if facts.qualname not in (chains.runs_from(mro, call.target) or ()):
                continue
            for later in calls[index + 1:]:
                runs = chains.runs_from(mro, later.target)
                if runs is None or NN_MODULE in runs:
                    return (f"subclass {found[1].node.name} runs {ast.unparse(later.target_node)}.__init__ after it, "
                            "which can run nn.Module.__init__ again and drop what was registered")
    return ""


def _reaches_module_init(context, facts: ClassFacts, call: ast.Call) -> bool:
    """Does this base init call run nn.Module.__init__? Followed along the MRO through the classes of
    the run (``InitChains``): one whose __init__ calls no base init stops the chain, and
    ``super(nn.Module, self)`` starts after it. Unknown classes are trusted."""
    hierarchy = context.hierarchy
    mro = hierarchy.mro(facts.qualname)
    owner = call.func.value
    if mro is None:
        return True
    chains = InitChains(context)
    if isinstance(owner, ast.Call):  # super().__init__() or super(X, self).__init__()
        named = owner.args[0] if owner.args else None
        start = hierarchy.resolve(context.names.qualname(named)) if named is not None else facts.qualname
        if named is not None and isinstance(named, ast.Name) and named.id == facts.node.name:
            start = facts.qualname
        if start not in mro:
            return True
        if len(owner.args) == 1:
            return False  # `super(X).__init__()` is unbound: it initialises nothing of self
        if NN_MODULE in mro and mro.index(start) >= mro.index(NN_MODULE):
            return False  # what comes after nn.Module in the MRO (mixins, object) never runs its __init__
        ran = chains.first_runs(mro, mro.index(start))
    else:
        target = hierarchy.resolve(context.names.qualname(owner))
        if target not in mro:
            return True
        ran = chains.runs_from(mro, target)
    return ran is None or NN_MODULE in ran


def _can_reinitialise(context, facts: ClassFacts, call: ast.Call) -> bool:
    """Can this base init call reach nn.Module.__init__? Yes for a Module base, and for any base
    whose __init__ modfix cannot see; no for a class of the run whose __init__ calls no base init."""
    owner = call.func.value
    if isinstance(owner, ast.Call):
        return True  # super().__init__() a second time
    target = context.hierarchy.resolve(context.names.qualname(owner))
    if target is None or context.hierarchy.is_module(target):
        return True
    module, _, name = target.rpartition(".")
    if module != context.parsed.module_name:
        return True  # a base modfix does not read here: its __init__ may continue the chain
    for node in context.tree.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            init = next((n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
            return init is None or bool(_base_init_calls(init))
    return True


def _base_init_calls(init: ast.FunctionDef) -> list[ast.Call]:
    """``super().__init__(...)``, ``super(C, self).__init__(...)``, ``Base.__init__(self, ...)`` in __init__,
    in source order (for classes read as they are, without their facts: mixins that are no Modules)."""
    me = self_name(init)
    found = []
    for node in nodes_outside_nested_scopes(init):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "__init__"):
            continue
        owner = node.func.value
        if (isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name) and owner.func.id == "super") or (
                node.args and isinstance(node.args[0], ast.Name) and node.args[0].id == me):
            found.append(node)
    return sorted(found, key=lambda c: (c.lineno, c.col_offset))


def position_in_init(facts: ClassFacts, assignment: Assignment) -> tuple[int, int] | None:
    """Where in __init__ the assignment runs: its own position, or that of the first call in __init__
    (in source order) that leads to the helper method it is in, directly or through other helpers
    (``self._setup()`` calling ``self._make_mask()``); None when __init__ does not reach it."""
    init = facts.methods.get("__init__")
    if init is None:
        return None
    if assignment.method is init:
        return assignment.stmt.lineno, assignment.stmt.col_offset
    target = assignment.method.name
    me = self_name(init)
    calls = sorted((n for n in nodes_outside_nested_scopes(init)
                    if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                    and isinstance(n.func.value, ast.Name) and n.func.value.id == me and n.func.attr in facts.methods),
                   key=lambda n: (n.lineno, n.col_offset))
    for call in calls:
        reached, pending = set(), [call.func.attr]
        while pending:
            name = pending.pop()
            if name == target:
                return call.lineno, call.col_offset
            if name not in reached:
                reached.add(name)
                pending.extend(n for n in facts.self_calls.get(name, ()) if n in facts.methods)
    return None


def class_names(facts: ClassFacts) -> set[str]:
    """Names the class body defines: methods, properties, class attributes."""
    names = set()
    for statement in facts.node.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(statement.name)
        elif isinstance(statement, ast.Assign):
            names.update(t.id for t in statement.targets if isinstance(t, ast.Name))
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            names.add(statement.target.id)
    return names
