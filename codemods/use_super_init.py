"""MF301-MF308: how an nn.Module subclass initialises its bases.

The bug
    ``nn.Module.__init__`` creates the registries (``_parameters``, ``_buffers``, ``_modules``) and
    resets them when it runs again. Explicit base inits (``nn.Module.__init__(self)``,
    ``Base.__init__(self)``) run it once per base under multiple inheritance, so the second call
    silently drops every submodule the first base registered. Not calling it at all, or assigning
    a submodule before calling it, raises ``AttributeError: cannot assign module before
    Module.__init__() call``. ``super(nn.Module, self).__init__()`` skips it; ``super(Cls)``
    (one argument) builds an unbound super object and runs no init at all.

Example
    class Both(Left, Right):
        def __init__(self):
            Left.__init__(self)
            Right.__init__(self)     # MF304: wipes what Left registered

The fix
    Cooperative ``super().__init__()``:

    - MF301 explicit-base-init: ``nn.Module.__init__(self)`` / ``Base.__init__(self, a)`` naming
      the only, direct base -> ``super().__init__(a)``. Harmless today, it is the call that drops
      submodules as soon as the class is combined with another. When a subclass relies on exactly
      that init (``super()`` would reach another class there), the explicit call is deliberate:
      no finding.
    - MF302 super-skips-module: ``super(nn.Module, self).__init__()`` -> ``super().__init__()``
      when the class derives from nn.Module directly.
    - MF303 unbound-super: ``super(Cls).__init__()`` -> ``super().__init__()``.
    - MF304 explicit-inits-multiple-inheritance: a class calling two or more Module bases
      explicitly, when a later call's ``nn.Module.__init__`` drops state registered before it (by
      an earlier base's init, or by ``__init__`` between the calls) that nothing after it creates
      again. Inits that all run before any state exists, or mixins that set only plain attributes,
      lose nothing: no finding. The whole hierarchy (the class and every base of the run that calls
      a base init explicitly) becomes cooperative: the first explicit call becomes
      ``super().__init__()``, the others are removed.
    - MF305 missing-super-init: an ``__init__`` that never initialises its base gets
      ``super().__init__()`` as its first statement. A mixin's init that a subclass of the run
      calls next to another base's init (which runs nn.Module.__init__) is not missing anything.
    - MF306 late-super-init: ``super().__init__()`` after a submodule, parameter or buffer was
      assigned moves to just before that assignment.
    - MF307 super-wrong-class: ``super(B, self)`` naming another class. Naming a class of the MRO
      skips the inits up to and including B's on purpose more often than not (skipping
      ``nn.Linear.__init__`` to avoid allocating a weight, re-doing a parent's init): reported only
      when a skipped init creates attributes that the class, forward, or a method they call reads
      (``hasattr`` checks aside) and that nothing else creates; a class without ``__init__`` is never
      skipped; a class outside the MRO raises TypeError. Off by default: on 22 libraries it was
      developed without, its one remaining finding read an attribute behind a flag the analysis
      cannot evaluate (``--extend-select MF307``).
    - MF308 super-with-arguments: ``super(Cls, self)`` in Python 3 -> ``super()``. Style, not a bug:
      off by default (``--select MF308``).

    Which bases are nn.Modules comes from torch's own class tree (a generated table): abc.ABC,
    typing.Generic, torch.distributions classes and optimizers are not.

Fix safety
    Only calls on the method's first parameter inside ``__init__`` of nn.Module subclasses count.
    MF301 is safe, except for a class that another class of the run uses as a base in an
    explicit-init hierarchy: it is rewritten only with that hierarchy (MF304), since rewriting one
    base alone can turn working code into a TypeError. MF304 is safe only when every class of
    the hierarchy is in the run, no explicit call passes arguments, no base's ``__init__`` needs
    arguments, and the explicit calls follow the MRO; otherwise display-only (unsafe when only the
    order differs). A first base that is not an nn.Module and not cooperative gets no finding.
    MF305 needs a direct base whose ``__init__`` takes no required arguments (nn.Module, a torch.nn
    container, or a class of the run whose ``__init__`` has no required parameters), otherwise
    display-only. MF303 and MF305 make base inits run where none ran: that is safe only when the
    class cannot be built as it is (a statement that always runs registers a submodule or
    parameter, which raises without nn.Module.__init__), or registers one in a loop under torch
    bases that set nothing (nn.Sequential); a class that builds may rely on what the base init would
    change (a registered name it assigns otherwise, a property, a template method), so the fix is
    unsafe, with what modfix sees. MF306 is safe when the assignment runs unconditionally and nothing the call's
    arguments use is computed between the two places; unsafe when the assignment is conditional; a
    late call preceded only by plain attributes (often deliberate) gets no finding.
"""
from __future__ import annotations

import ast

from ._engine import FileContext
from ._facts import ClassFacts, Kind, self_name
from ._hierarchy import NN_MODULE, torch_class, torch_module_class
from ._inits import (
    EXPLICIT, SUPER, SUPER_ONE, SUPER_TWO, InitCall, InitChains, class_names, init_calls,
    nodes_outside_nested_scopes, own_statement,
)
from ._changes import (
    CallSuperInit, Change, InsertStatement, MoveStatement, RemoveStatement, ReplaceExpression,
)
from ._rule import Applicability, Finding, Rule, findings_with_code

SAFE, UNSAFE, DISPLAY = Applicability.SAFE, Applicability.UNSAFE, Applicability.DISPLAY_ONLY

# torch.nn bases whose __init__ takes no required argument
_ARGUMENT_FREE_TORCH_BASES = frozenset(
    torch_class(f"torch.nn.{n}") for n in ("Module", "Sequential", "ModuleList", "ModuleDict", "ParameterList",
                                           "ParameterDict", "Identity")
)
_REGISTERING_CALLS = ("register_buffer", "register_parameter", "add_module", "register_module")


class InitAnalysis:
    """All findings of this family for one file."""

    def __init__(self, context: FileContext):
        self.context = context
        self.findings: list[Finding] = []
        self._hierarchy_verdicts: dict[str, tuple[Applicability, str]] = {}
        self._losses: dict[str, str] = {}
        for facts in context.module_classes:
            self._class(facts)

    # -- reading the calls

    def bases(self, context: FileContext, facts: ClassFacts) -> list[str | None]:
        return [context.hierarchy.resolve(context.names.qualname(b)) for b in facts.node.bases]

    # -- the rules

    def _class(self, facts: ClassFacts) -> None:
        context = self.context
        method = facts.methods.get("__init__")
        if method is None:
            return
        calls = init_calls(context, facts)
        bases = self.bases(context, facts)
        for call in calls:
            if call.kind == SUPER_ONE:
                message = (f"`super({ast.unparse(call.target_node)})` with one argument is unbound: no base "
                           "__init__ runs at all, and the module fails on first use; use `super().__init__()`")
                after = method.body[method.body.index(call.statement) + 1:] if call.statement in method.body else []
                clash = self._builds_as_it_is(facts, method, after)
                self._report("MF303", call.call, message + (f" (unsafe fix: {clash})" if clash else ""),
                             UNSAFE if clash else SAFE, [self._replace_super(call)])
            elif call.kind == SUPER_TWO:
                self._super_two(facts, call, bases)
        explicit = [c for c in calls if c.kind == EXPLICIT]
        module_targets = {c.target for c in explicit if self._is_module(c.target)}
        unknown_targets = {c.target for c in explicit if not self._is_module(c.target)
                           and not (c.target and self.context.hierarchy.in_run(c.target))}
        if len(bases) >= 2 and module_targets and len(module_targets | unknown_targets) >= 2:
            if self._lost(facts.qualname):
                self._hierarchy_member(facts, facts.qualname)
            return
        if len(bases) == 1 and len(explicit) == 1 and explicit[0].target == bases[0] and self._is_module(bases[0]):
            roots = self._hierarchies_containing(facts.qualname)
            if roots:
                self._hierarchy_member(facts, roots[0])
            else:
                self._explicit_single(facts, explicit[0])
        # a class that overrides __call__ bypasses the Module machinery the missing init would set up
        if not calls and len(bases) == 1 and "__call__" not in facts.methods and not self._initialised_elsewhere(facts):
            self._missing(facts, method, bases[0])
        single = [c for c in calls if c.kind in (SUPER, EXPLICIT)]
        if len(single) == 1:
            self._late(facts, method, single[0])

    def _is_module(self, qualname: str | None) -> bool:
        return qualname == NN_MODULE or self.context.hierarchy.is_module(qualname)

    def _report(self, code: str, node: ast.AST, message: str, applicability: Applicability,
                edits: list[Change] = (), facts: tuple[str, ...] = ()) -> None:
        if applicability is DISPLAY:
            edits = []
        self.findings.append(self.context.finding(code, node, message, applicability, changes=edits, facts=facts))

    def _replace_super(self, call: InitCall) -> Change:
        return ReplaceExpression.of(self.context.lines, call.call.func.value, "super()")

    def _super_two(self, facts: ClassFacts, call: InitCall, bases: list[str | None]) -> None:
        named = ast.unparse(call.target_node)
        if call.target == facts.qualname:
            self._report("MF308", call.call, f"`super({named}, self)` can be written `super()` in Python 3",
                         SAFE, [self._replace_super(call)])
        elif call.target == NN_MODULE:
            if bases == [NN_MODULE]:
                self._report("MF302", call.call, (
                    "`super(nn.Module, self).__init__()` starts after nn.Module in the MRO, so "
                    "nn.Module.__init__ never runs and the module fails on first use; use `super().__init__()`"),
                    SAFE, [self._replace_super(call)])
            else:
                self._report("MF302", call.call, (
                    "`super(nn.Module, self).__init__()` skips nn.Module.__init__ and every base __init__ "
                    "before it; not fixed automatically: the intended base init is unclear"), DISPLAY)
        elif call.target is not None:
            mro = self.context.hierarchy.mro(facts.qualname)
            if mro is not None and call.target not in mro:
                consequence = f"{named} is not a base of {facts.node.name}, so this raises TypeError"
            else:
                consequence = self._skip_loses(facts, call, mro)
                if not consequence:
                    return  # skipping inits on purpose (nn.Linear's weight, a parent's init re-done): fine
            self._report("MF307", call.call, (
                f"`super({named}, self)` inside {facts.node.name} names another class: {consequence}; "
                f"reported only (if that is deliberate, say so with `# noqa: MF307`)"), DISPLAY,
                facts=(f"mro: {' -> '.join(k.rsplit('.', 1)[-1] for k in mro)}",) if mro else ())

    def _skip_loses(self, facts: ClassFacts, call: InitCall, mro: list[str] | None) -> str:
        """What ``super(B, self).__init__()`` loses: attributes that an init it skips creates, that the
        class or a method it can reach reads, and that nothing else creates. "" when nothing is lost or
        an init involved cannot be read (a class outside the run creates what it likes)."""
        if mro is None:
            return ""
        chains = InitChains(self.context)
        ran: set[str] = set()
        for other in init_calls(self.context, facts):
            if other.kind == SUPER:
                runs = chains.first_runs(mro, 0)
            elif other.kind == SUPER_TWO and other.target in mro:
                runs = chains.first_runs(mro, mro.index(other.target))
            elif other.kind == EXPLICIT and other.target in mro:
                runs = chains.runs_from(mro, other.target)
            else:
                runs = None
            if runs is None:
                return ""
            ran.update(runs)
        skipped = [k for k in mro[1: mro.index(call.target) + 1] if k not in ran and self._defines_init(k)]
        creates: dict[str, str] = {}
        for klass in skipped:
            effects = chains.effects(klass)
            if effects is None:
                return ""
            for attr in sorted(effects.created):
                creates.setdefault(attr, klass)
        elsewhere = self._created_elsewhere(facts, mro, ran, chains)
        if elsewhere is None:
            return ""
        reads = self._reachable_reads(mro)
        missing = [a for a in creates if a in reads and a not in elsewhere]
        if not missing:
            return ""
        shown = ", ".join(f"self.{a}" for a in missing[:3]) + (", ..." if len(missing) > 3 else "")
        first = missing[0]
        where, line = reads[first]
        skipped_names = ", ".join(f"{k.rsplit('.', 1)[-1]}.__init__" for k in skipped)
        return (f"it skips {skipped_names}, which creates {shown}; {where}() reads self.{first} (line {line}) "
                f"and nothing else creates it, so it raises AttributeError")

    def _defines_init(self, qualname: str) -> bool:
        if not self.context.hierarchy.in_run(qualname):
            return qualname != NN_MODULE
        found = self.context.class_context(qualname)
        return found is None or "__init__" in found[1].methods

    def _created_elsewhere(self, facts: ClassFacts, mro: list[str], ran: set[str], chains: InitChains) -> set[str] | None:
        """Attributes that exist without the skipped inits: set anywhere in the class, by the inits that
        do run, or defined in a class body of the MRO; None when one of those cannot be read."""
        created = set(facts.assignments) | {r.name.value for r in facts.registrations
                                             if isinstance(r.name, ast.Constant) and isinstance(r.name.value, str)}
        for klass in ran:
            effects = chains.effects(klass)
            if effects is None:
                return None
            created |= effects.created
        for klass in mro:
            found = self.context.class_context(klass) if self.context.hierarchy.in_run(klass) else None
            if found is not None:
                created |= class_names(found[1])
        return created

    def _reachable_reads(self, mro: list[str]) -> dict[str, tuple[str, int]]:
        """Attributes read by what the class runs: its own methods, forward (the Module's entry point),
        and the inherited methods these call on self; not reads guarded by ``hasattr(self, "x")``.
        attr -> (method, line)."""
        definers: dict[str, ClassFacts] = {}
        for klass in mro:
            found = self.context.class_context(klass) if self.context.hierarchy.in_run(klass) else None
            for name in (found[1].methods if found else ()):
                definers.setdefault(name, found[1])
        own = definers and [name for name, owner in definers.items() if owner.qualname == mro[0]]
        pending = list(own or []) + ["forward"]
        reached: set[str] = set()
        reads: dict[str, tuple[str, int]] = {}
        while pending:
            name = pending.pop()
            if name in reached or name not in definers:
                continue
            reached.add(name)
            owner = definers[name]
            method = owner.methods[name]
            guarded = _hasattr_guards(method)
            for attr, uses in owner.uses.items():
                for use in uses:
                    if use.method is method and attr not in definers and attr not in guarded:
                        reads.setdefault(attr, (name, use.node.lineno))
            pending.extend(owner.self_calls.get(name, ()))
        return reads

    def _explicit_single(self, facts: ClassFacts, call: InitCall) -> None:
        edit = self._to_super(call.call)
        shown = ast.unparse(call.call)
        shown = shown if len(shown) <= 60 else f"{ast.unparse(call.target_node)}.__init__(self, ...)"
        applicability, reason = self._super_reaches(facts.qualname, call.target)
        if applicability is DISPLAY:
            return  # a subclass relies on exactly this init (super() would reach another): deliberate
        message = (f"`{shown}` calls the base init explicitly where `super().__init__(...)` runs the same one; "
                   "once the class is combined with another base, the explicit call runs nn.Module.__init__ a "
                   "second time and drops what that base registered; use `super().__init__(...)`")
        if applicability is UNSAFE:
            message += f" (unsafe fix: {reason})"
        self._report("MF301", call.call, message, applicability, [edit])

    def _super_reaches(self, qualname: str, base: str) -> tuple[Applicability, str]:
        """Does ``super()`` in the class reach ``base`` in every subclass of the run, as the explicit call does?"""
        hierarchy = self.context.hierarchy
        unsure = None
        for descendant in sorted(hierarchy.descendants_in_run(qualname)):
            mro = hierarchy.mro(descendant)
            name = descendant.rsplit(".", 1)[-1]
            if self._calls_several_bases(descendant):
                return DISPLAY, (f"it is a base of {name}, which initialises several bases explicitly; rewriting "
                                 f"{qualname.rsplit('.', 1)[-1]} alone could make {name} raise")
            if mro is None or qualname not in mro:
                unsure = unsure or f"subclass {name} has bases modfix cannot see, so super() might reach another class"
                continue
            following = mro[mro.index(qualname) + 1]
            if following != base:
                # exact even when torch.nn classes stand in for their own MRO: none of them is an
                # ancestor of this class, so the one after it is another class whatever they inherit
                return DISPLAY, (f"in subclass {name}, super() would reach {following.rsplit('.', 1)[-1]}.__init__ "
                                 f"instead of {base.rsplit('.', 1)[-1]}.__init__")
        return (UNSAFE, unsure) if unsure else (SAFE, "")

    def _calls_several_bases(self, qualname: str) -> bool:
        if len(self.context.hierarchy.bases(qualname)) < 2:
            return False  # known from the class statement, without parsing the subclass's file
        found = self.context.class_context(qualname)
        if found is None:
            return False
        other_context, other = found
        targets = {c.target_node and ast.unparse(c.target_node) for c in init_calls(other_context, other)
                   if c.kind == EXPLICIT}
        return len(self.bases(other_context, other)) >= 2 and len(targets) >= 2

    def _to_super(self, call: ast.Call) -> Change:
        """``X.__init__(self, a, b=1)`` -> ``super().__init__(a, b=1)``, keeping the arguments' text."""
        return CallSuperInit.of(self.context.lines, call)

    # -- MF304: multiple inheritance with explicit inits

    def _hierarchies_containing(self, qualname: str) -> list[str]:
        roots = []
        for descendant in self.context.hierarchy.descendants_in_run(qualname):
            if len(self.context.hierarchy.bases(descendant)) < 2:
                continue  # known from the class statement, without parsing the subclass's file
            found = self.context.class_context(descendant)
            if found is None:
                continue
            other_context, other = found
            bases = self.bases(other_context, other)
            calls = [c for c in init_calls(other_context, other) if c.kind == EXPLICIT]
            targets = {c.target for c in calls if self._is_module(c.target)}
            if len(bases) >= 2 and len(targets) >= 2:
                mro = self.context.hierarchy.mro(descendant) or []
                if (qualname in mro or qualname in targets) and self._lost(descendant):
                    roots.append(descendant)
        return sorted(roots)

    def _lost(self, root: str) -> str:
        """What the root's explicit base inits drop: state registered before a later one runs
        nn.Module.__init__ again (by an earlier base's init, or by __init__ between the calls), that
        nothing after it creates again. "" when nothing is provably lost."""
        if root not in self._losses:
            self._losses[root] = self._find_loss(root)
        return self._losses[root]

    def _find_loss(self, root: str) -> str:
        found = self.context.class_context(root)
        mro = self.context.hierarchy.mro(root)
        if found is None or mro is None:
            return ""
        context, facts = found
        chains = InitChains(context)
        calls = [c for c in init_calls(context, facts) if c.kind == EXPLICIT]
        own = _own_registrations(context, facts)
        registered: dict[str, str] = {}  # attr -> what registered it
        for index, call in enumerate(calls):
            runs = chains.runs_from(mro, call.target) if call.target else None
            position = (call.call.lineno, call.call.col_offset)
            if index and runs is not None and NN_MODULE in runs:
                effects = [chains.effects(k) for k in runs if k != NN_MODULE and torch_module_class(k) is None]
                if any(e is None for e in effects):
                    return ""  # an init that runs after it may create anything again: nothing provably lost
                again = set().union(*(e.created for e in effects))
                again |= {attr for attr, at in own.items() if at > position}
                lost = [a for a in registered if a not in again]
                if lost:
                    shown = ", ".join(f"self.{a}" for a in lost[:3]) + (", ..." if len(lost) > 3 else "")
                    return (f"{ast.unparse(call.target_node)}.__init__ runs nn.Module.__init__ again, which drops "
                            f"{shown} (registered by {registered[lost[0]]})")
            for klass in runs or ():
                effects = chains.effects(klass, arguments=len(call.call.args) > 1 or bool(call.call.keywords))
                for attr in sorted(effects.registered if effects else ()):
                    registered.setdefault(attr, f"{ast.unparse(call.target_node)}.__init__")
            following = (calls[index + 1].call.lineno, calls[index + 1].call.col_offset) if index + 1 < len(calls) \
                else (float("inf"), 0)
            for attr, at in own.items():
                if position < at < following:
                    registered.setdefault(attr, f"{facts.node.name}.__init__ (line {at[0]})")
        return ""

    def _hierarchy_verdict(self, root: str) -> tuple[Applicability, str]:
        if root in self._hierarchy_verdicts:
            return self._hierarchy_verdicts[root]
        verdict = self._judge_hierarchy(root)
        self._hierarchy_verdicts[root] = verdict
        return verdict

    def _judge_hierarchy(self, root: str) -> tuple[Applicability, str]:
        hierarchy = self.context.hierarchy
        found = self.context.class_context(root)
        if found is None:
            return DISPLAY, f"{root} is not in the run"
        root_context, root_facts = found
        mro = hierarchy.mro(root)
        if mro is None:
            outside = [b for b in self.bases(root_context, root_facts) if b is None or not (b == NN_MODULE or hierarchy.in_run(b))]
            shown = ", ".join(ast.unparse(n) for n, b in zip(root_facts.node.bases, self.bases(root_context, root_facts))
                              if b in outside) or "a base"
            return DISPLAY, f"{shown} is outside the run (or the MRO cannot be computed), so the cooperative chain cannot be checked"
        root_calls = [c for c in init_calls(root_context, root_facts) if c.kind == EXPLICIT]
        for member in mro[1:]:
            if member == NN_MODULE:
                continue
            member_found = self.context.class_context(member)
            if member_found is None:
                return DISPLAY, f"{member.rsplit('.', 1)[-1]} is outside the run, so the cooperative chain cannot be checked"
            member_context, member_facts = member_found
            init = member_facts.methods.get("__init__")
            if init is None:
                continue
            required = _required_parameters(init)
            if required:
                return DISPLAY, (f"{member_facts.node.name}.__init__ needs {', '.join(required)}, which a "
                                 "cooperative super().__init__() would not pass (bases with different signatures)")
            member_calls = init_calls(member_context, member_facts)
            if not member_calls:
                return DISPLAY, f"{member_facts.node.name}.__init__ calls no base __init__, so the chain would stop there"
            if any(c.kind in (SUPER_ONE, SUPER_TWO) for c in member_calls):
                return DISPLAY, f"{member_facts.node.name}.__init__ uses super() with arguments"
            if any(c.kind == EXPLICIT and (len(c.call.args) > 1 or c.call.keywords) for c in member_calls):
                return DISPLAY, f"{member_facts.node.name}.__init__ passes arguments to its base init"
            if any(c.kind == EXPLICIT and c.statement is None for c in member_calls):
                return DISPLAY, f"an explicit init call in {member_facts.node.name} is not a statement of its own"
        if any(len(c.call.args) > 1 or c.call.keywords for c in root_calls):
            return DISPLAY, "the explicit base inits pass arguments, which the cooperative chain would not pass identically"
        if any(not self._is_module(c.target) for c in root_calls):
            return DISPLAY, "a base that is not an nn.Module is initialised explicitly too"
        if any(c.statement is None for c in root_calls):
            return DISPLAY, "an explicit init call is not a statement of its own"
        order = [mro.index(c.target) if c.target in mro else -1 for c in root_calls]
        if order != sorted(order):
            return UNSAFE, "the explicit calls run the bases in another order than the MRO that super() follows"
        return self._cooperation_changes(root, mro) or (SAFE, "")

    def _cooperation_changes(self, root: str, mro: list[str]) -> tuple[Applicability, str] | None:
        """What turning the members' explicit inits into super() would change besides the root:
        another subclass of a member, whose MRO puts another class after it, would run that class's
        init instead; and a member's statements after its base init would run after the inits that
        follow it in the chain, which may read what they set (``self.dim``)."""
        hierarchy = self.context.hierarchy
        members = [m for m in mro[1:] if m != NN_MODULE and hierarchy.in_run(m)]
        for member in members:
            following = mro[mro.index(member) + 1]
            for descendant in hierarchy.descendants_in_run(member):
                other = hierarchy.mro(descendant)
                if descendant == root or other is None or root in other:
                    continue
                after = other[other.index(member) + 1] if member in other[:-1] else None
                if after != following and len(hierarchy.bases(descendant)) > 1:
                    return DISPLAY, (f"in {descendant.rsplit('.', 1)[-1]}, super() in {member.rsplit('.', 1)[-1]} would "
                                     f"reach {(after or 'another class').rsplit('.', 1)[-1]}.__init__ instead")
        for index, member in enumerate(members):
            late = self._set_after_base_init(member)
            for later in members[index + 1:]:
                found = self.context.class_context(later)
                reads = {a for a, uses in found[1].uses.items()
                         if any(found[1].is_init_time(u.method) for u in uses)} if found else set()
                clash = sorted(late & reads)
                if clash:
                    return DISPLAY, (f"{later.rsplit('.', 1)[-1]}.__init__ reads self.{clash[0]}, which "
                                     f"{member.rsplit('.', 1)[-1]}.__init__ sets after its base init: the cooperative "
                                     f"chain would run {later.rsplit('.', 1)[-1]}.__init__ first")
        return None

    def _set_after_base_init(self, qualname: str) -> set[str]:
        found = self.context.class_context(qualname)
        if found is None:
            return set()
        context, facts = found
        calls = init_calls(context, facts)
        if not calls:
            return set()
        position = (calls[0].call.lineno, calls[0].call.col_offset)
        init = facts.methods["__init__"]
        return {attr for attr, assignments in facts.assignments.items()
                if any(a.method is init and (a.stmt.lineno, a.stmt.col_offset) > position for a in assignments)}

    def _hierarchy_member(self, facts: ClassFacts, root: str) -> None:
        applicability, reason = self._hierarchy_verdict(root)
        calls = [c for c in init_calls(self.context, facts) if c.kind == EXPLICIT]
        if not calls:
            return
        edits = self._cooperative_edits(calls) if applicability is not DISPLAY else []
        root_name = root.rsplit(".", 1)[-1]
        if root == facts.qualname:
            named = ", ".join(f"{ast.unparse(c.target_node)}.__init__" for c in calls)
            message = (f"{facts.node.name} calls {named} explicitly: {self._lost(root)}; use one cooperative "
                       "`super().__init__()` (with the explicit base inits of its bases in the run)")
        else:
            message = (f"{facts.node.name} initialises its base explicitly and is a base of {root_name}, whose "
                       f"explicit base inits lose state; becomes `super().__init__()` together with {root_name}")
        if applicability is UNSAFE:
            message += f" (unsafe fix: {reason})"
        elif applicability is DISPLAY:
            message += f"; not fixed automatically: {reason}"
        self._report("MF304", calls[0].call, message, applicability, edits,
                     facts=(f"lost: {self._lost(root)}", f"fix: {applicability.value}" + (f" ({reason})" if reason else "")))

    def _cooperative_edits(self, calls: list[InitCall]) -> list[Change]:
        first, *others = calls
        lines = self.context.lines
        return [ReplaceExpression.of(lines, first.call, "super().__init__()")] + [
            RemoveStatement.of(lines, call.statement) for call in others]

    # -- MF305: no base init at all

    def _initialised_elsewhere(self, facts: ClassFacts) -> bool:
        """Could __init__ reach a base init some other way: any ``__init__`` call (even a wrong one),
        any ``super()``, or a call of an inherited method on self (``super()._init(...)``,
        ``self._setup()`` defined in a base)?"""
        for name in facts.init_methods:
            method = facts.methods.get(name)
            me = self_name(method) if method else None
            for node in nodes_outside_nested_scopes(method) if method else ():
                if isinstance(node, ast.Attribute) and node.attr == "__init__":
                    return True
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super":
                    return True
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and isinstance(node.func.value, ast.Name) and node.func.value.id == me
                        and node.func.attr not in facts.methods and not node.func.attr.startswith("register_")
                        and node.func.attr != "add_module"):
                    return True
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args
                        and isinstance(node.args[0], ast.Name) and node.args[0].id == me
                        and self._is_module(self.context.names.qualname(node.func.value))):
                    return True  # Base.setup(self, ...)
        return False

    def _missing(self, facts: ClassFacts, method: ast.FunctionDef, base: str | None) -> None:
        body = method.body
        if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            body = body[1:]
        if not body or all(isinstance(s, (ast.Raise, ast.Pass)) for s in body):
            return  # abstract or empty constructors
        first = body[0]
        if first.lineno == method.lineno:
            return
        completer = self._completed_by_subclass(facts)
        if completer:
            return  # a mixin's init: the subclass that calls it runs nn.Module.__init__ through another base
        needs = self._base_required_parameters(base)
        edit = InsertStatement.of(self.context.lines, first, "super().__init__()", self.context.source.newline)
        registering = next((s for s in method.body if self._registers(facts, method, s)), None)
        if registering is not None:
            consequence = (f"line {registering.lineno} assigns a submodule, parameter or buffer, which raises "
                           "AttributeError (cannot assign module before Module.__init__() call)")
        else:
            consequence = "nn.Module.__init__ never runs, so calling the module raises AttributeError"
        message = f"{facts.node.name}.__init__ never calls the base __init__: {consequence}; add `super().__init__()`"
        if needs is None:
            self._report("MF305", method, message + "; not fixed automatically: the base __init__ is unknown", DISPLAY)
        elif needs:
            self._report("MF305", method, message + (
                f"; not fixed automatically: the base __init__ needs {', '.join(needs)}"), DISPLAY)
        else:
            clash = self._builds_as_it_is(facts, method, method.body)
            self._report("MF305", method, message + (f" (unsafe fix: {clash})" if clash else ""),
                         UNSAFE if clash else SAFE, [edit])

    def _builds_as_it_is(self, facts: ClassFacts, method: ast.FunctionDef, statements: list[ast.stmt]) -> str:
        """Why making the base inits run where none ran (MF303, MF305) is not safe, or "". Safe only when the
        class cannot be built as it is: a statement that always runs registers a submodule or parameter, which
        raises without nn.Module.__init__. A class that builds may rely on what the base init would change
        (its attributes, properties, what it reads), so the fix is offered, unsafe, with what modfix sees."""
        if any(self._registers(facts, method, statement, top_level_only=True) for statement in statements):
            return ""
        if any(self._registers(facts, method, statement) for statement in statements) and self._bases_set_nothing(facts):
            return ""  # raises whenever it registers (a loop), and the bases are torch's, setting nothing: nn.Sequential
        clash = self._clashes_with_base_registrations(facts)
        return clash or (f"{facts.node.name}() builds as it is, and what the base __init__ this makes run "
                         "sets may clash with what the class sets or reads")

    def _newly_run(self, facts: ClassFacts) -> tuple[InitChains, list[str] | None]:
        """The inits ``super().__init__()`` would run in the class (None when one cannot be read)."""
        mro = self.context.hierarchy.mro(facts.qualname)
        chains = InitChains(self.context)
        return chains, chains.first_runs(mro, 0) if mro else None

    def _bases_set_nothing(self, facts: ClassFacts) -> bool:
        """Are the inits that ``super().__init__()`` would run all torch's, known to set nothing (a container
        built empty, a stateless layer)?"""
        chains, ran = self._newly_run(facts)
        return ran is not None and all(not self.context.hierarchy.in_run(k) and (effects := chains.effects(
            k, arguments=False)) is not None and not effects.created for k in ran)

    def _clashes_with_base_registrations(self, facts: ClassFacts) -> str:
        """Why making the base inits run where none ran (MF303, MF305) may raise, or "": the bases then register
        their submodules and parameters, and nn.Module.__setattr__ refuses to replace a registered parameter
        or submodule with a value of another kind (TypeError); only nn.Parameter and None replace anything.
        A class that never initialised assigns whatever it likes today, so each of its assignments of a name
        a base registers is such a replacement."""
        chains, ran = self._newly_run(facts)
        if ran is None:
            return ""  # the base init is unknown: reported as such by the callers
        registered: set[str] = set()
        for klass in ran:
            effects = chains.effects(klass)
            if effects is None:
                registered = None
                break
            registered |= effects.registered
        values = self.context.values
        for attr in sorted(facts.assignments):
            if registered is not None and attr not in registered:
                continue
            for assignment in facts.assignments[attr]:
                if not facts.is_init_time(assignment.method):
                    continue
                if values.kind(assignment.value, assignment.method, facts) in (Kind.PARAMETER, Kind.NONE):
                    continue
                if registered is None:
                    return (f"what the base __init__ registers is not known, and line {assignment.stmt.lineno} "
                            f"assigns self.{attr}, which raises TypeError if a base registers it as another kind")
                return (f"the base __init__ it makes run registers self.{attr}, and line {assignment.stmt.lineno} "
                        "assigns it a value of another kind, which raises TypeError")
        return ""

    def _completed_by_subclass(self, facts: ClassFacts) -> str:
        """A subclass of the run that calls this class's __init__ explicitly and another base init too,
        before it when this init registers state (which needs nn.Module.__init__ to have run)."""
        init = facts.methods["__init__"]
        registers = any(self._registers(facts, init, statement) for statement in init.body)
        for descendant in self.context.hierarchy.descendants_in_run(facts.qualname):
            if len(self.context.hierarchy.bases(descendant)) < 2:
                continue
            found = self.context.class_context(descendant)
            if found is None:
                continue
            calls = init_calls(found[0], found[1])
            mine = next((i for i, c in enumerate(calls) if c.kind == EXPLICIT and c.target == facts.qualname), None)
            others = [i for i, c in enumerate(calls) if c.target != facts.qualname]
            if mine is not None and others and (not registers or min(others) < mine):
                return descendant
        return ""

    def _base_required_parameters(self, base: str | None) -> list[str] | None:
        """The base init's required parameters; None when unknown."""
        if base in _ARGUMENT_FREE_TORCH_BASES or base == NN_MODULE:
            return []
        hierarchy = self.context.hierarchy
        mro = hierarchy.mro(base) if base else None
        if mro is None:
            return None
        for klass in mro:
            if klass == NN_MODULE:
                return []
            found = self.context.class_context(klass)
            if found is None:
                return None
            init = found[1].methods.get("__init__")
            if init is not None:
                return _required_parameters(init)
        return []

    # -- MF306: super().__init__() after a submodule was assigned

    def _late(self, facts: ClassFacts, method: ast.FunctionDef, call: InitCall) -> None:
        statement = call.statement
        if statement is None or statement not in method.body:
            return
        index = method.body.index(statement)
        first = None
        for position, earlier in enumerate(method.body[:index]):
            if self._registers(facts, method, earlier):
                first = position
                break
        if first is None:
            return
        target = method.body[first]
        conditional = not self._registers(facts, method, target, top_level_only=True)
        used = {n.id for n in ast.walk(call.call) if isinstance(n, ast.Name)}
        used_attrs = {n.attr for n in ast.walk(call.call) if isinstance(n, ast.Attribute)
                      and isinstance(n.value, ast.Name) and n.value.id == self_name(method)}
        between = method.body[first:index]
        bound_between = {n.id for s in between for n in ast.walk(s) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
        attrs_between = {n.attr for s in between for n in ast.walk(s) if isinstance(n, ast.Attribute)
                         and not isinstance(n.ctx, ast.Load)}
        message = (f"`{ast.unparse(call.call)}` runs after line {target.lineno} assigns a submodule, parameter or "
                   "buffer, which raises AttributeError (cannot assign module before Module.__init__() call); "
                   "call it first")
        if (used - {"super", self_name(method)}) & bound_between or used_attrs & attrs_between:
            self._report("MF306", call.call, message + "; not fixed automatically: its arguments are computed "
                         "after that assignment", DISPLAY)
            return
        if own_statement(self.context, call.call) is None or not self._alone(target):
            self._report("MF306", call.call, message + "; not fixed automatically: the statements share lines", DISPLAY)
            return
        edits = [MoveStatement.of(self.context.lines, statement, target, self.context.source.newline)]
        if conditional:
            self._report("MF306", call.call, message + " (unsafe fix: that assignment is conditional)", UNSAFE, edits)
        else:
            self._report("MF306", call.call, message, SAFE, edits)

    def _alone(self, statement: ast.stmt) -> bool:
        lines = self.context.lines
        before = lines.line_text(statement.lineno)[: lines.char_column(statement.lineno, statement.col_offset)]
        return not before.strip()

    def _registers(self, facts: ClassFacts, method: ast.FunctionDef, statement: ast.stmt,
                   top_level_only: bool = False) -> bool:
        """Does the statement assign a module or parameter to self, or register one?"""
        me = self_name(method)
        nodes = [statement] if top_level_only else list(ast.walk(statement))
        values = self.context.values
        for node in nodes:
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == me
                       for t in targets):
                    if values.kind(node.value, method, facts) in (Kind.MODULE, Kind.PARAMETER):
                        return True
            call = node.value if top_level_only and isinstance(node, ast.Expr) else node
            if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                    and call.func.attr in _REGISTERING_CALLS and isinstance(call.func.value, ast.Name)
                    and call.func.value.id == me):
                return True
        return False


def _hasattr_guards(method: ast.FunctionDef) -> set[str]:
    """Attributes the method checks for first: ``hasattr(self, "x")``, ``getattr(self, "x", None)``."""
    me = self_name(method)
    found = set()
    for node in ast.walk(method):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("hasattr", "getattr")
                and len(node.args) >= 2 and isinstance(node.args[0], ast.Name) and node.args[0].id == me
                and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)):
            found.add(node.args[1].value)
    return found


def _own_registrations(context: FileContext, facts: ClassFacts) -> dict[str, tuple[int, int]]:
    """What __init__ itself registers (modules, parameters, buffers), and where."""
    init = facts.methods.get("__init__")
    found: dict[str, tuple[int, int]] = {}
    for attr, assignments in facts.assignments.items():
        for assignment in assignments:
            if assignment.method is init and context.values.kind(assignment.value, init, facts) in (
                    Kind.MODULE, Kind.PARAMETER, Kind.ALIAS):
                found.setdefault(attr, (assignment.stmt.lineno, assignment.stmt.col_offset))
    for registration in facts.registrations:
        name = registration.name
        if registration.method is init and isinstance(name, ast.Constant) and isinstance(name.value, str):
            found.setdefault(name.value, (name.lineno, name.col_offset))
    return found


def _required_parameters(function: ast.FunctionDef) -> list[str]:
    args = function.args
    positional = args.posonlyargs + args.args
    without_default = positional[1: len(positional) - len(args.defaults)] if positional else []
    keyword_only = [a for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is None]
    return [a.arg for a in without_default + keyword_only]


def init_findings(context: FileContext) -> list[Finding]:
    return context.cached("inits", lambda: InitAnalysis(context).findings)


def _rule(code: str, name: str, summary: str, safety: str, default_enabled: bool = True) -> Rule:
    return Rule(code=code, name=name, summary=summary, check=findings_with_code(init_findings, code), doc=__doc__,
                default_enabled=default_enabled, safety=safety)


EXPLICIT_BASE_INIT = _rule(
    "MF301", "explicit-base-init", "nn.Module.__init__(self) / Base.__init__(self) -> super().__init__()",
    "safe; a base of an explicit-init hierarchy in the run is fixed only with it (MF304)")
SUPER_SKIPS_MODULE = _rule(
    "MF302", "super-skips-module", "super(nn.Module, self).__init__() never runs nn.Module.__init__",
    "safe when the class derives from nn.Module directly, else display-only")
UNBOUND_SUPER = _rule("MF303", "unbound-super", "super(Cls).__init__() runs no init at all",
                      "safe when the class cannot be built as it is, else unsafe")
EXPLICIT_INITS_MULTIPLE_INHERITANCE = _rule(
    "MF304", "explicit-inits-multiple-inheritance",
    "A.__init__(self); B.__init__(self) runs nn.Module.__init__ twice and drops submodules",
    "safe when the whole hierarchy is in the run and no init takes arguments; else display-only")
MISSING_SUPER_INIT = _rule(
    "MF305", "missing-super-init", "__init__ never calls the base __init__",
    "safe when the base __init__ needs no arguments and the class cannot be built as it is; unsafe when it can; "
    "display-only when the base needs arguments")
LATE_SUPER_INIT = _rule(
    "MF306", "late-super-init", "super().__init__() after a submodule is assigned",
    "safe when the assignment is unconditional and the call's arguments are ready; unsafe if conditional")
SUPER_WRONG_CLASS = _rule("MF307", "super-wrong-class", "super(Other, self) skips an init whose attributes are used",
                          "display-only: the intended class is unclear; off by default (precision: see the rule's "
                          "documentation)", default_enabled=False)
SUPER_WITH_ARGUMENTS = _rule("MF308", "super-with-arguments", "super(Cls, self) -> super() (style)",
                             "safe; off by default (select it with --select MF308)", default_enabled=False)

RULES = (EXPLICIT_BASE_INIT, SUPER_SKIPS_MODULE, UNBOUND_SUPER, EXPLICIT_INITS_MULTIPLE_INHERITANCE,
         MISSING_SUPER_INIT, LATE_SUPER_INIT, SUPER_WRONG_CLASS, SUPER_WITH_ARGUMENTS)
