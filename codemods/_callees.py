"""Which function a call runs, when the code shows it whatever the instance and the caller.

The tensor and container analyses follow a value into the function that returns it (``self._make_mask(n)``,
``build_alibi(h, w)``, ``self._make_layers(cfg)``) only when they can be sure which definition runs: a method
that every class of the run built from this one reaches as the same definition along its MRO, bound nowhere
else; a function defined once at the top of its file, not shadowed where it is called; not decorated (a
decorator may return anything) but for staticmethod, caches and torch.no_grad.
"""
from __future__ import annotations

import ast

from ._engine import FileContext
from ._facts import module_level_statements
from ._hierarchy import torch_class
from ._inits import class_names


def defined_along(context: FileContext, qualname: str, name: str) -> ast.FunctionDef | None:
    """The method ``name`` that an instance of the class runs: the first definition along its MRO; None when
    a class of the MRO cannot be read or binds the name otherwise (a class attribute, ``self.<name> = ...``)."""
    for klass in context.hierarchy.mro(qualname) or ():
        if not context.hierarchy.in_run(klass):
            if torch_class(klass) is None:
                return None  # a base modfix cannot read may define it
            continue  # torch's classes define no private helpers of user code
        found = context.class_context(klass)
        if found is None:
            return None
        facts = found[1]
        if name in facts.assignments:
            return None
        method = facts.methods.get(name)
        if method is not None:
            return method if isinstance(method, ast.FunctionDef) else None
        if name in class_names(facts):
            return None
    return None


def method_run(context: FileContext, owner, name: str) -> tuple[FileContext, ast.FunctionDef] | None:
    """``self.<name>(...)`` in a method of ``owner``: the definition that runs and the file that holds it, when
    every class of the run built from ``owner`` reaches the same one and it is not decorated."""
    hierarchy = context.hierarchy
    definition = defined_along(context, owner.qualname, name)
    if definition is None or not followable(definition) or any(
            defined_along(context, d, name) is not definition for d in hierarchy.descendants_in_run(owner.qualname)):
        return None
    for klass in hierarchy.mro(owner.qualname) or ():
        found = context.class_context(klass) if hierarchy.in_run(klass) else None
        if found is not None and found[1].methods.get(name) is definition:
            return found[0], definition
    return None


def function_run(context: FileContext, func: ast.Name, function) -> ast.FunctionDef | None:
    """``f(...)`` in ``function``: the top-level ``def f`` of the file, bound once, not shadowed where it is
    called (a parameter, a local, a nested def), not decorated."""
    definition = module_function(context, func.id)  # first: the locals are read only for a name worth it
    if definition is None or not followable(definition) or (
            isinstance(function, ast.AST) and func.id in context.values.local_bindings(function)):
        return None
    return definition


def module_function(context: FileContext, name: str) -> ast.FunctionDef | None:
    """The top-level ``def name`` of the file, when nothing else at the top binds that name."""
    definition = context.values.module_functions.get(name)
    return definition if top_level_count(context, name) == 1 and isinstance(definition, ast.FunctionDef) else None


def top_level_count(context: FileContext, name: str) -> int:
    return context.cached("top-level-bindings", lambda: _top_level_bindings(context.tree)).get(name, 0)


def _top_level_bindings(tree: ast.Module) -> dict[str, int]:
    """How many statements at the top of the module bind each name (defs, assignments, imports, loops)."""
    counts: dict[str, int] = {}
    for statement in module_level_statements(tree):
        names: list[str] = []
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names = [statement.name]
        elif isinstance(statement, (ast.Import, ast.ImportFrom)):
            names = [(a.asname or a.name).split(".")[0] for a in statement.names]
        elif isinstance(statement, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.With)):
            targets = statement.targets if isinstance(statement, ast.Assign) else (
                [i.optional_vars for i in statement.items if i.optional_vars] if isinstance(statement, ast.With)
                else [statement.target])
            names = [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
        for found in names:
            counts[found] = counts.get(found, 0) + 1
    return counts


_FOLLOWED_DECORATORS = frozenset({"staticmethod", "lru_cache", "cache", "no_grad"})


def followable(function: ast.FunctionDef) -> bool:
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name not in _FOLLOWED_DECORATORS:
            return False
    return True
