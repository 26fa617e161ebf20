"""MF201 register-tensor, MF202 parameter-conversion: tensors on ``self`` that the module does not see.

The bug
    A tensor assigned to ``self`` in an nn.Module is invisible to ``parameters()``,
    ``state_dict()`` and ``.to()``/``.cuda()``: the model trains without it, saves without it, and
    crashes (or silently computes on the CPU) after ``model.cuda()``. ``nn.Parameter(t).to(device)``
    (or ``.double()``, ``.cuda()``) has the same effect: the conversion returns a plain tensor.

Example
    class Affine(nn.Module):
        def __init__(self, n_in, n_out):
            super().__init__()
            self.weight = torch.rand(n_out, n_in)            # MF201: learned? never trained
            self.mask = torch.tril(torch.ones(n_in, n_in))   # MF201: constant, left on the CPU

        def forward(self, x):
            return F.linear(x, self.weight).masked_fill(self.mask[: x.size(-1)] == 0, 0)

Evidence first
    Plain tensors on modules are often correct: moved where they are used (``self.t.to(x.device)``,
    ``.type_as(x)``, ``self.t = self.t.to(x.device)``), moved by the class itself (it overrides
    ``_apply``/``to``/``cuda``/``cpu``), replaced on each call (caches, scratch, state set outside
    ``__init__``), scalars (a 0-dim CPU tensor combines with tensors on any device), metadata or
    indices (a CPU index works on any device), kept off on purpose (handed to an optimizer or another
    object, ``object.__setattr__``, a comment that says so). A finding needs evidence that
    registration matters; the first row of this table that the code shows decides:

    ===========================  ===============================================================
    the code shows               decision
    ===========================  ===============================================================
    kept off on purpose          no finding
    already registered           no finding (in the class, a base or a subclass of the run)
    learned                      nn.Parameter: ``requires_grad=True``, ``.requires_grad_()``,
                                 ``nn.init.*_``, or a random weight that forward uses as one
    moved by the class           no finding
    replaced outside __init__    no finding: per-call state
    updated by training          persistent buffer: running statistics, counters, EMAs
    random values in the output  persistent buffer: a checkpoint must keep them
    a scalar                     no finding: a 0-dim tensor works on any device
    meets other values unmoved   non-persistent buffer for a constant; unsafe for a tensor whose
                                 role the code does not reveal (``zeros``/``ones``/``full``)
    nothing of the above         no finding
    ===========================  ===============================================================

    Where the evidence comes from: the module's computation is forward and the methods it calls (a
    sampler or a data-loading callback meets values .to() has no say over); a value a helper returns
    is judged by what its callers do with it; meeting a tensor made on the spot on the default device
    (``torch.ones(shape)``) or another plain attribute of the module is not meeting the module's
    inputs or parameters. A device move, a cast or a reshape onto itself is not an update; a helper of
    the project given the tensor (``self.t = to_device(self.t, x)``) moves it; ``copy_``/``fill_``
    of a value computed from the input alone is a cache, from the module's state an update.

The fix
    The assignment is replaced, never duplicated (``register_buffer`` beside a plain attribute
    raises): ``self.weight = nn.Parameter(...)``, or ``self.register_buffer("mask", ...,
    persistent=False)``, under the name Python stores (``self.__x`` in class ``C`` is ``_C__x``).
    Every assignment of the attribute in ``__init__`` is rewritten the same way, so the state_dict
    keys do not depend on which branch ran. A Parameter or a persistent buffer adds a state_dict key
    (named in the message): checkpoints saved before the fix need ``strict=False``; a
    non-persistent buffer adds none. Tensors whose values meet (in one statement, or on their way
    to the input) are fixed together or not at all: registering one moves it away from the others.

    MF202: ``nn.Parameter(t).to(device)`` -> ``nn.Parameter(t.to(device))``.

Fix safety
    Display-only: the registration would not survive ``__init__`` (the assignment runs before the
    base ``__init__``, directly or in a helper it calls; a later base init, in the class or in a
    subclass with several bases, can run ``nn.Module.__init__`` again); the name is an attribute
    before (a class attribute, an earlier assignment: ``register_buffer`` raises KeyError); the
    attribute is given a value that is not a tensor, or a plain tensor when the fix is a Parameter
    (TypeError); a Parameter written in place in ``__init__``; a tensor used together with one that
    stays where it is. Unsafe: the role is not revealed; another assignment's value is not known;
    a persistent state whose shape may change at run time (concatenation, or a one-element state
    that broadcasts: a checkpoint would not load into a fresh module); a tensor used together with
    tensors of another file's class. ``--explain`` shows the facts behind each finding.
"""
from __future__ import annotations

import ast
import functools
import re
import weakref
from dataclasses import dataclass, field

from ._engine import FileContext
from ._facts import Assignment, ClassFacts, Kind, parent_of, pinned_device
from ._hierarchy import NN_MODULE
from ._facts import self_name
from ._callees import followable, function_run, method_run, module_function, top_level_count
from ._inits import position_in_init, registration_survives
from ._changes import Change, ConvertInsideParameter, RegisterBuffer, WrapInCall
from ._rule import Applicability, Finding, Rule, findings_with_code
from ._tensor_uses import FORWARD_LIKE, NOT_LEARNED, OUTPUT, Access, AccessKind, UseClassifier
from ._tensors import Tensors, TensorInfo, is_scalar

SAFE, UNSAFE, DISPLAY = Applicability.SAFE, Applicability.UNSAFE, Applicability.DISPLAY_ONLY
PARAMETER, BUFFER, PERSISTENT_BUFFER = "parameter", "buffer", "persistent buffer"

_MOVING_METHODS = ("_apply", "to", "cuda", "cpu")
_CONVERSIONS = frozenset({"to", "cuda", "cpu", "double", "float", "half", "bfloat16", "type"})
_CONSTANT_NAME = re.compile(r"^_*(mask|.*_mask|positions?|.*_positions?|.*_ids|ids|index|.*_index|indices|.*_indices"
                            r"|freqs?|.*_freqs?|inv_freq|.*_inv_freq|causal.*|tril.*|eye)$")
_WEIGHT_NAME = re.compile(r"^_*(weight|bias|.*_weight|.*_bias|weights|W|b|w)$")
_LEARNABLE_NAME = re.compile(r"^_*(.*weight.*|.*bias.*|alpha|beta|gamma|scale|.*_scale|gate|.*_gate|temperature"
                             r"|logit_scale|.*embed.*|.*token.*|prompt.*|query|queries|W|b|w|theta|coef.*|lambda_?)$")
# comments that state an intent, not ones that describe the bug ("never registered: not moved")
_KEEP_OFF = re.compile(
    r"(must|should|shall|need\s+to|needs\s+to|do|does|is\s+to|are\s+to)\s*(n[o']t|never)\s+(be\s+)?"
    r"(saved|moved|registered|stored|checkpointed|part\s+of|in\s+(the\s+)?state_?dict|follow)"
    r"|(don'?t|do\s+not)\s+(use\s+)?register(_buffer)?\b"
    r"|keep\s+(it\s+|this\s+|them\s+)?(on\s+(the\s+)?cpu|off\s+(the\s+)?(module|model|device|state_?dict))"
    r"|(deliberately|intentionally|on\s+purpose)\s+(not\s+|un)?(registered|saved|kept|left|outside|off)",
    re.IGNORECASE)
_NOT_LEARNED = re.compile(r"\bnot\s+(learned|learnt|learnable|trained|trainable)\b|\bno\s+grad|non-?learn|frozen"
                          r"|\bconstant\b|\bbuffer\b", re.IGNORECASE)
_LEARN_INTENT = re.compile(r"(meant|supposed|intended|should|needs?)\s+to\s+be\s+(learned|learnt|trained)"
                           r"|\blearnable\b|\btrainable\b", re.IGNORECASE)
_LINEAR_OPERATORS = ("torch.nn.functional.linear", "torch.nn.functional.bilinear", "torch.matmul", "torch.mm",
                     "torch.bmm", "torch.einsum", "torch.addmm")


def _says_not_learned(comments: str) -> bool:
    return bool(_NOT_LEARNED.search(comments)) and not _LEARN_INTENT.search(comments)


def stored_name(attr: str, class_name: str) -> str:
    """The attribute Python stores for ``self.<attr>`` inside ``class_name``: ``__x`` in ``C`` is ``_C__x``."""
    stripped = class_name.lstrip("_")
    if attr.startswith("__") and not attr.endswith("__") and stripped:
        return f"_{stripped}{attr}"
    return attr


@dataclass
class Evidence:
    """What the code shows about one tensor attribute of one class. Each fact is a clause that a
    message can quote (empty: not shown); the decision table reads them in order."""

    facts: ClassFacts
    attr: str
    key: str  # the name Python stores
    candidates: list[tuple[Assignment, TensorInfo]]
    others: list[Assignment] = field(default_factory=list)  # construction-time values not known to be tensors
    kept_off: str = ""
    registered: str = ""
    learned: str = ""
    moved_by_class: str = ""
    transient: str = ""
    updated: str = ""
    shape_changes: str = ""
    random_in_output: str = ""
    scalar: str = ""
    meets: str = ""
    handled: str = ""  # moved onto itself before use, or at every use: why "meets" is absent
    learned_on_another_path: str = ""  # `if learn: self.t = nn.Parameter(self.t)`: this path is not learned
    frozen: str = ""  # `self.t.requires_grad = False`, `.requires_grad_(False)`, `.detach()`: not learned
    # what the fix must respect
    compute_statements: set[int] = field(default_factory=set)  # ids of statements where it meets other values
    runtime_writes: list[Access] = field(default_factory=list)
    init_writes_in_place: list[Access] = field(default_factory=list)
    comments: str = ""
    scalar_reshaped: bool = False  # a 0-dim tensor made into more dimensions before it meets other values
    foreign_partners: set[str] = field(default_factory=set)  # tensors of another file it is used with
    partners: set[str] = field(default_factory=set)  # other plain attributes its value meets at run time
    family: list[ClassFacts] = field(default_factory=list)
    computation: set[int] | None = None  # ids of the methods forward runs (computed on first need)

    @property
    def not_learned(self) -> str:
        """What the code says against learning it on this path: frozen, or learned on another path only."""
        return self.frozen or self.learned_on_another_path

    @property
    def infos(self) -> list[TensorInfo]:
        return [info for _, info in self.candidates]

    @property
    def source(self) -> str:
        return " and ".join(sorted({i.source for i in self.infos if i.source})) or "a tensor expression"

    def shown(self, decision: "Decision | None" = None) -> tuple[str, ...]:
        """The facts, one "name: what the code shows" each, for --explain and the JSON output."""
        names = ("kept_off", "registered", "learned", "moved_by_class", "transient", "updated", "shape_changes",
                 "random_in_output", "scalar", "meets", "handled", "learned_on_another_path", "frozen")
        shown = [f"{name.replace('_', ' ')}: {getattr(self, name)}" for name in names if getattr(self, name)]
        for assignment, info in self.candidates:
            traits = [info.dtype if info.dtype != "unknown" else "dtype unknown",
                      f"{info.ndim}-D" if info.ndim is not None else "dimensions unknown"]
            traits += [t for t, on in (("random", info.random), ("a structured constant", info.structured),
                                       ("zeros/ones/full/empty", info.plain)) if on]
            shown.append(f"value (line {assignment.stmt.lineno}): {info.source or 'a tensor'}, {', '.join(traits)}")
        if decision is not None and decision.choice is not None:
            shown.append(f"decision: {decision.choice}, {decision.applicability.value}"
                         + (f" ({decision.reason})" if decision.reason else ""))
        return tuple(shown)


@dataclass
class Decision:
    choice: str | None  # PARAMETER, BUFFER, PERSISTENT_BUFFER; None: no finding
    applicability: Applicability = SAFE
    why: str = ""
    reason: str = ""  # why the fix is unsafe or not applied

    def worse(self, applicability: Applicability, reason: str) -> None:
        rank = {SAFE: 0, UNSAFE: 1, DISPLAY: 2}
        if rank[applicability] > rank[self.applicability]:
            self.applicability, self.reason = applicability, reason


def decide(evidence: Evidence) -> Decision:
    """The decision table of the module docstring: the first fact the code shows decides."""
    e = evidence
    if e.kept_off or e.registered:
        return Decision(None)
    # the code's own word wins over the signs of learning on this path
    if e.learned and not e.not_learned:
        return Decision(PARAMETER, SAFE, e.learned)
    if e.learned and (e.meets or e.random_in_output) and not (e.moved_by_class or e.transient):
        # initialised as a weight (an init function, most of them random), yet not learned here: a checkpoint
        # must keep the values the reloaded model computes with
        return Decision(PERSISTENT_BUFFER, SAFE, f"{e.learned}, but {e.not_learned}: a checkpoint must keep its values")
    if e.moved_by_class or e.transient:
        return Decision(None)
    if e.updated:
        if e.shape_changes:
            return Decision(PERSISTENT_BUFFER, UNSAFE, f"{e.updated}: state to save", (
                f"{e.shape_changes}, and a persistent buffer of another shape does not load into a fresh module"))
        return Decision(PERSISTENT_BUFFER, SAFE, f"{e.updated}: state to save")
    if e.random_in_output:
        return _random_decision(e)
    if e.scalar or not e.meets:
        return Decision(None)
    return _constant_decision(e)


def _random_decision(e: Evidence) -> Decision:
    why = f"{e.random_in_output}: a checkpoint must keep them"
    if all(i.dtype == "int" for i in e.infos):
        return Decision(PERSISTENT_BUFFER, SAFE, f"an integer tensor cannot be learned, and {why}")
    if _says_not_learned(e.comments):
        return Decision(PERSISTENT_BUFFER, SAFE, f"a comment says it is not learned, and {why}")
    if e.not_learned:
        return Decision(PERSISTENT_BUFFER, SAFE, f"{e.not_learned}; {why}")
    if _LEARNABLE_NAME.match(e.attr):
        return Decision(PARAMETER, UNSAFE, why, f"the code does not reveal whether {e.source} is learned; its name "
                                               "suggests a learned value (use a persistent buffer if it is frozen)")
    return Decision(PERSISTENT_BUFFER, UNSAFE, why, f"the code does not reveal whether {e.source} is learned "
                                                    "(use nn.Parameter if it should be trained)")


def _constant_decision(e: Evidence) -> Decision:
    """The tensor meets other values without a move, and nothing says it changes: what is it?"""
    if all(i.dtype == "int" for i in e.infos):
        return Decision(BUFFER, SAFE, f"{e.meets}; an integer or bool tensor ({e.source}) cannot be learned, and "
                                      "__init__ recreates it")
    if _says_not_learned(e.comments):
        return Decision(BUFFER, SAFE, f"{e.meets}; a comment says it is not learned")
    if e.not_learned:
        return Decision(BUFFER, SAFE, f"{e.meets}; {e.not_learned}")
    if all(i.structured for i in e.infos):
        return Decision(BUFFER, SAFE, f"{e.meets}; a constant that __init__ recreates ({e.source})")
    if _CONSTANT_NAME.match(e.attr):
        return Decision(BUFFER, SAFE, f"{e.meets}; its name says it is a constant ({e.attr})")
    if all(i.plain for i in e.infos):
        if _LEARNABLE_NAME.match(e.attr) and all(i.dtype != "int" for i in e.infos):
            return Decision(PARAMETER, UNSAFE, e.meets, (
                f"the code does not reveal whether {e.source} is learned; its name suggests a learned value "
                "(use a buffer if it is constant)"))
        return Decision(BUFFER, UNSAFE, e.meets, (
            f"the code does not reveal whether {e.source} is learned (use nn.Parameter if it should be trained)"))
    if any(i.partial for i in e.infos):
        return Decision(BUFFER, UNSAFE, e.meets, (
            f"part of {e.source} comes from values modfix cannot read, so whether it is constant is unknown"))
    return Decision(BUFFER, SAFE, f"{e.meets}; a value that __init__ computes ({e.source})")


class TensorAnalysis:
    def __init__(self, context: FileContext):
        self.context = context
        self.tensors = tensors_of(context)
        # a function of the context, not a method of this analysis: a cycle would keep the file's tree
        # alive until the (disabled) cyclic collector runs
        self.uses = UseClassifier(context.names, functools.partial(_calls_submodule, context),
                                  context.values.local_bindings, functools.partial(_callers, context),
                                  functools.partial(_plain_attribute, context))
        self.findings: list[Finding] = []
        decided = []
        for facts in context.module_classes:
            for attr in sorted(facts.assignments):
                for assignment in facts.assignments[attr]:
                    self._conversion(assignment)
                evidence = self._evidence(facts, attr)
                if evidence is not None:
                    decided.append((evidence, self._judge(evidence)))
        # across the file's classes: a subclass uses its base's tensors with its own
        for evidence, decision in self._fixed_together(decided):
            if decision.choice is not None:
                self._report(evidence, decision)

    # -- MF201: the evidence

    def _evidence(self, facts: ClassFacts, attr: str) -> Evidence | None:
        candidates = []
        for assignment in facts.assignments[attr]:
            if assignment.kind != "assign" or assignment.shared or not facts.is_init_time(assignment.method):
                continue
            info = self.tensors.info(assignment.value, assignment.method)
            if info is not None:
                candidates.append((assignment, info))
        if not candidates:
            return None
        key = stored_name(attr, facts.node.name)
        # bases and subclasses (only for attributes that get this far); `self.__x` is another
        # attribute in every other class
        family = [facts] if key != attr else self.context.family(facts, attr)
        evidence = Evidence(facts, attr, key, candidates, family=family)
        evidence.comments = " ".join(self._comments(a.stmt) for a, _ in candidates)
        candidate_ids = {id(a) for a, _ in candidates}
        for owner in family:
            for assignment in owner.assignments.get(attr, []):
                if id(assignment) in candidate_ids:
                    continue
                if self.context.values.kind(assignment.value, assignment.method) is Kind.PARAMETER and \
                        _upgrades_on_one_path(assignment, owner.assignments[attr]):
                    continue  # kept as it is: an nn.Parameter replaces a buffer of that name cleanly
                if owner.is_init_time(assignment.method):
                    evidence.others.append(assignment)
                else:
                    self._runtime_write(evidence, owner, assignment)
        for owner in family:
            again = self.context.cached(("run-time-calls", id(owner)), lambda owner=owner: _called_at_run_time(owner))
            for assignment in owner.assignments.get(attr, []):
                caller = again.get(assignment.method.name) if owner.is_init_time(assignment.method) else None
                if caller and assignment.method.name != "__init__":
                    # `self.reset()` in __init__ and again in forward: per-call state, set anew each time
                    evidence.transient = evidence.transient or (
                        f"{assignment.method.name}() sets it while the module is built and again when {caller}() "
                        "calls it")
        self._ownership(evidence, family)
        for owner in family:
            for use in owner.uses.get(attr, []):
                self._read(evidence, owner, use)
        self._values(evidence)
        mover = self._moving_method(facts)
        pinned = pinned_device(facts)
        if mover:
            evidence.moved_by_class = f"the class moves its tensors itself ({mover})"
        elif pinned:
            evidence.moved_by_class = (f"the class moves its inputs to self.{pinned}, a device its constructor "
                                       "fixes: it computes there whatever model.to() says")
        return evidence

    def _partners_elsewhere(self, evidence: Evidence, statement: ast.stmt) -> set[str]:
        """Plain attributes of another file's class (a subclass or base there) that a statement uses
        together with this tensor: that file's tensors are judged in that file's analysis, so the two
        cannot be fixed together here."""
        method = _enclosing_method(statement, None)
        owner = next((f for f in evidence.family if f.methods.get(method.name) is method), None) if method else None
        if owner is None:
            return set()
        lineage = [owner] + [found[1] for q in self.context.hierarchy.ancestors_in_run(owner.qualname)
                             if (found := self.context.class_context(q)) is not None]
        me = self_name(method)
        found = set()
        for node in ast.walk(statement):
            if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == me
                    and node.attr != evidence.attr):
                continue
            definers = [f for f in lineage if node.attr in f.assignments]
            if not definers or all(self.context.is_module_class(f) for f in definers) or any(
                    self.context.values.kind(a.value, a.method, f) in (Kind.MODULE, Kind.ALIAS, Kind.PARAMETER)
                    for f in definers for a in f.assignments[node.attr]):
                continue
            found.add(f"self.{node.attr} in {definers[0].node.name}")
        return found

    def _in_computation(self, evidence: Evidence, node: ast.AST) -> bool:
        """Is ``node`` in the module's computation: forward (its own or inherited) and the methods it
        calls on self, in any class of the family? A sampler, a data-loading callback or a helper
        called from outside meets values that .to() has no say over. True when forward is not found."""
        if evidence.computation is None:
            evidence.computation = self._computation_methods(evidence.family)
        if not evidence.computation:
            return True
        return id(_enclosing_method(node, None)) in evidence.computation

    def _computation_methods(self, family: list[ClassFacts]) -> set[int]:
        """ids of the methods forward reaches through calls on self, resolved along each class's MRO
        (the classes of the run); empty when no class of the family has a forward modfix can read."""
        reached: set[int] = set()
        for facts in family:
            lineage = [facts] + [found[1] for q in self.context.hierarchy.ancestors_in_run(facts.qualname)
                                 if (found := self.context.class_context(q)) is not None]
            def resolve(name: str):
                return next(((owner, owner.methods[name]) for owner in lineage if name in owner.methods), None)
            pending = ["forward", "__call__"]
            seen: set[str] = set()
            while pending:
                name = pending.pop()
                found = resolve(name) if name not in seen else None
                seen.add(name)
                if found is None:
                    continue
                owner, method = found
                reached.add(id(method))
                pending.extend(owner.self_calls.get(name, ()))
        return reached

    def _moving_method(self, facts: ClassFacts) -> str:
        """``Cls._apply()`` (or to/cuda/cpu) defined by the class or a base of the run, which then moves
        its tensors by hand."""
        owners = [facts]
        for qualname in self.context.hierarchy.ancestors_in_run(facts.qualname):
            if qualname == NN_MODULE:
                continue  # nn.Module's own _apply moves registered state only
            found = self.context.class_context(qualname)
            if found is not None:
                owners.append(found[1])
        return next((f"{owner.node.name}.{name}()" for owner in owners for name in _MOVING_METHODS
                     if name in owner.methods), "")

    def _ownership(self, evidence: Evidence, family: list[ClassFacts]) -> None:
        """Already registered, or kept off the module on purpose."""
        values = self.context.values
        for owner in family:
            for registration in owner.registrations:
                if registration.how not in ("register_buffer", "register_parameter"):
                    continue
                name = registration.name
                line = getattr(registration.value, "lineno", None) or registration.method.lineno
                if isinstance(name, ast.Constant) and name.value == evidence.key:
                    evidence.registered = f"{owner.node.name} registers it with {registration.how}()"
                elif not isinstance(name, ast.Constant):
                    evidence.registered = (f"{owner.node.name} registers buffers or parameters under names computed "
                                           f"at run time (near line {line})")
            for assignment in owner.assignments.get(evidence.attr, []):
                if assignment.kind == "object_setattr":
                    evidence.kept_off = f"object.__setattr__ keeps it off the module (line {assignment.stmt.lineno})"
                elif values.kind(assignment.value, assignment.method) is Kind.PARAMETER and not _upgrades_on_one_path(
                        assignment, owner.assignments[evidence.attr]):
                    evidence.registered = f"line {assignment.stmt.lineno} assigns it an nn.Parameter"
        if _KEEP_OFF.search(evidence.comments):
            evidence.kept_off = "a comment says it is kept off the module on purpose"

    def _runtime_write(self, evidence: Evidence, owner: ClassFacts, assignment: Assignment) -> None:
        if assignment.kind != "assign" or assignment.value is None:
            # setattr(), a loop target, `with ... as self.t`: a value set outside __init__ modfix cannot see
            evidence.transient = evidence.transient or (
                f"{assignment.method.name}() sets it outside __init__ (line {assignment.stmt.lineno})")
            return
        write = self.uses.write(evidence.attr, assignment.value, assignment.stmt, assignment.method)
        self._note_write(evidence, write, f"{assignment.method.name}() (line {assignment.stmt.lineno})")

    def _note_write(self, evidence: Evidence, write: Access, where: str, in_place: bool = False) -> None:
        """A write outside __init__: an update is state to save, a new value is per-call state, a move
        onto itself handles the device."""
        evidence.runtime_writes.append(write)
        if write.kind is AccessKind.REPLACE:
            evidence.transient = evidence.transient or f"{where} gives it a new value outside __init__"
        elif write.kind is AccessKind.UPDATE:
            evidence.updated = evidence.updated or (
                f"{where} updates it in place ({write.detail})" if in_place else f"{where} updates it from its own value")
            if write.shape_may_change or (not in_place and self._may_broadcast(evidence, write)):
                evidence.shape_changes = evidence.shape_changes or f"{where} may change its shape"
        elif write.kind is AccessKind.REFRESH:
            evidence.handled = evidence.handled or f"{where} moves it onto itself"
        elif write.shape_may_change:
            evidence.shape_changes = evidence.shape_changes or f"{where} reshapes it in place"

    def _upgraded_here(self, evidence: Evidence, owner: ClassFacts, node: ast.AST) -> Assignment | None:
        """The Parameter assignment of the attribute on one path only whose value this read is, if any."""
        assignments = owner.assignments.get(evidence.attr, [])
        statement = node
        while statement is not None and not isinstance(statement, ast.stmt):
            statement = parent_of(statement)
        return next((a for a in assignments if a.stmt is statement and self.context.values.kind(
            a.value, a.method) is Kind.PARAMETER and _upgrades_on_one_path(a, assignments)), None)

    def _may_broadcast(self, evidence: Evidence, write: Access) -> bool:
        """``self.t = 0.9 * self.t + 0.1 * x.mean(0)`` with ``self.t`` a 0-dim or one-element tensor:
        broadcasting may give the new value the shape of what it meets."""
        return any(i.ndim == 0 or i.unit for i in evidence.infos)

    def _read(self, evidence: Evidence, owner: ClassFacts, use) -> None:
        runtime = not owner.is_init_time(use.method)
        ndims = {i.ndim for i in evidence.infos}
        access = self.uses.read(use.node, use.method, runtime, ndims.pop() if len(ndims) == 1 else None,
                                use.method.name in FORWARD_LIKE)
        line = getattr(access.node, "lineno", use.node.lineno)
        where = f"{_enclosing_method(access.node, use.method).name}() (line {line})"
        kind = access.kind
        upgrade = self._upgraded_here(evidence, owner, use.node) if kind is AccessKind.HANDED else None
        if upgrade is not None:  # `if learn: self.t = nn.Parameter(self.t)`: the other path is judged
            evidence.learned_on_another_path = (
                f"line {upgrade.stmt.lineno} makes it an nn.Parameter only when "
                f"`{ast.unparse(parent_of(upgrade.stmt).test)}`, so on the other path it is not learned")
            return
        if kind is AccessKind.METADATA and access.detail == NOT_LEARNED and not runtime:
            evidence.frozen = evidence.frozen or f"line {line} sets its requires_grad to False"
        if kind is AccessKind.HANDED:
            evidence.kept_off = evidence.kept_off or f"it is handed to {access.detail} (line {line})"
        elif kind is AccessKind.LEARN:
            evidence.learned = evidence.learned or f"it is initialised for learning with {access.detail} (line {line})"
            if access.raises_on_parameter:
                evidence.init_writes_in_place.append(access)
        elif kind in (AccessKind.UPDATE, AccessKind.REPLACE, AccessKind.CAST) and not runtime:
            if not access.through_data:  # `.data.fill_(1.0)` bypasses autograd: fine on an nn.Parameter
                evidence.init_writes_in_place.append(access)
        elif kind in (AccessKind.UPDATE, AccessKind.REPLACE, AccessKind.REFRESH, AccessKind.CAST):
            self._note_write(evidence, access, where, in_place=True)
        if not runtime:
            return
        evidence.partners |= access.partners
        if kind is AccessKind.COMPUTE and access.reshaped:
            evidence.scalar_reshaped = True  # `torch.cat([..., self.t.unsqueeze(0)])`: no longer a scalar
        for node in ((access.node,) if kind is AccessKind.COMPUTE else ()) + access.computations:
            statement = _statement_of(node)
            if statement is not None:
                evidence.compute_statements.add(id(statement))
                evidence.foreign_partners |= self._partners_elsewhere(evidence, statement)
        if kind is AccessKind.COMPUTE and self._in_computation(evidence, access.node):
            evidence.meets = evidence.meets or (
                f"{where} returns it unmoved as the module's output" if access.detail == OUTPUT
                else f"{where} uses it with other values without moving it ({access.detail})")
            if (_WEIGHT_NAME.match(evidence.attr) and all(i.random and i.dtype != "int" for i in evidence.infos)
                    and not _says_not_learned(evidence.comments) and _directly_used(use.node, access.node)):
                operator = self._weight_use(access, use.node)
                if operator:
                    evidence.learned = evidence.learned or (
                        f"a random weight ({evidence.source}) that {use.method.name}() uses as one ({operator})")
        if kind in (AccessKind.COMPUTE, AccessKind.MOVED, AccessKind.INDEX) and any(i.random for i in evidence.infos):
            evidence.random_in_output = evidence.random_in_output or (
                f"its random values ({evidence.source}) are used by {where}")
        if kind is AccessKind.MOVED:
            evidence.handled = evidence.handled or f"{where} moves it where it is used ({access.detail})"

    def _values(self, evidence: Evidence) -> None:
        """What the values themselves say: a request for gradients, an init function, a scalar."""
        infos = evidence.infos
        if any(i.requires_grad for i in infos):
            evidence.learned = f"it asks for gradients ({evidence.source} with requires_grad)"
        elif infos and all(i.frozen for i in infos):
            evidence.frozen = "its value is detached or has requires_grad set to False"
        for assignment, _ in evidence.candidates:
            for call in self._init_calls_on_local(assignment):
                evidence.learned = evidence.learned or f"it is initialised for learning with {call}()"
        if evidence.scalar_reshaped:
            pass
        elif all(i.ndim == 0 for i in infos):
            evidence.scalar = f"a 0-dim tensor ({evidence.source}), which works with tensors on any device"
        elif all(i.ndim == 0 or i.maybe_scalar for i in infos):
            evidence.scalar = (f"{evidence.source} of a constructor argument of unknown type: a number more often "
                               "than not, and then a 0-dim tensor, which works with tensors on any device")
        if evidence.handled and evidence.meets and any(w.kind is AccessKind.REFRESH for w in evidence.runtime_writes):
            evidence.meets = ""  # moved onto itself before it is used

    # -- MF201: from the decision to the finding

    def _fixed_together(self, decided: list[tuple[Evidence, Decision]]) -> list[tuple[Evidence, Decision]]:
        """Tensors used in one statement move together or not at all: registering one of them alone
        would move it away from the others on the first model.to()."""
        by_statement: dict[int, dict[str, int]] = {}  # statement -> attribute -> the first evidence of it
        for index, (evidence, _) in enumerate(decided):
            for statement in evidence.compute_statements:
                # a subclass that assigns the attribute too holds the same attribute: not a group of two
                by_statement.setdefault(statement, {}).setdefault(evidence.key, index)
        links = [list(members.values()) for members in by_statement.values()]
        by_attr: dict[str, list[int]] = {}
        for index, (evidence, _) in enumerate(decided):
            by_attr.setdefault(evidence.attr, []).append(index)
        for index, (evidence, _) in enumerate(decided):  # values that meet on their way to a computation
            links += [[index, other] for other in sorted(i for attr in evidence.partners for i in by_attr.get(attr, ()))
                      if decided[other][0].key != evidence.key and (decided[other][0].facts is evidence.facts
                                                                    or decided[other][0].facts in evidence.family)]
        groups = _components(len(decided), links)
        for group in groups:
            if len(group) < 2:
                continue
            members = [decided[i] for i in group]
            names = ", ".join(f"self.{e.attr}" for e, _ in members)
            if any(e.kept_off for e, _ in members):
                for e, d in members:
                    d.choice = None  # one is kept off on purpose: so is the group it is used with
                continue
            staying = [e for e, d in members if _stays(e, d)]
            fixed = [(e, d) for e, d in members if d.choice is not None and not _stays(e, d)]
            if staying and fixed:
                stay = ", ".join(f"self.{e.attr}" for e in staying)
                for _, d in fixed:
                    d.worse(DISPLAY, f"it is used together with {stay}, which stays where it is built; registering "
                                     "one alone splits them across devices")
            elif fixed and any(d.applicability is UNSAFE for _, d in fixed):
                for _, d in fixed:
                    d.worse(UNSAFE, f"fixed together with the tensors it is used with ({names}), one of which is unsafe")
        return decided

    def _judge(self, evidence: Evidence) -> Decision:
        """The table's decision, then what keeps its fix from applying as it is (before the groups are
        judged: a member that cannot be fixed keeps the others from being fixed alone)."""
        decision = decide(evidence)
        if decision.choice is None:
            return decision
        self._blockers(evidence, decision)
        if decision.choice == PARAMETER and self.context.torch_nn_name("Parameter") is None:
            decision.worse(DISPLAY, "the name `nn` is taken in this file, so torch.nn cannot be named")
        return decision

    def _report(self, evidence: Evidence, decision: Decision) -> None:
        context = self.context
        attr, key = evidence.attr, evidence.key
        spelled = context.torch_nn_name("Parameter") if decision.choice == PARAMETER else None
        keys = (key,) if decision.choice in (PARAMETER, PERSISTENT_BUFFER) else ()
        fix = {PARAMETER: "make it an nn.Parameter", BUFFER: "register it as a buffer (persistent=False)",
               PERSISTENT_BUFFER: "register it as a buffer"}[decision.choice]
        named = f"`self.{attr}`" + (f" (stored as `{key}`)" if key != attr else "")
        message = f"{named} holds a tensor that parameters(), state_dict() and .to() do not see; {fix}: {decision.why}"
        if decision.applicability is UNSAFE:
            message += f" (unsafe fix: {decision.reason})"
        elif decision.applicability is DISPLAY:
            message += f"; not fixed automatically: {decision.reason}"
        if decision.applicability is not DISPLAY:
            message += f"; the fix adds state_dict key {keys[0]}" if keys else "; the fix adds no state_dict key"
        edits: list[Change] = []
        imports: tuple = ()
        if decision.applicability is not DISPLAY:
            for assignment in _rewritten(evidence):
                edits += self._edits(assignment, decision.choice, key, spelled)
            imports = spelled[1] if spelled else ()
        for assignment, _ in evidence.candidates:
            self.findings.append(context.finding(
                "MF201", assignment.value, message, decision.applicability,
                changes=edits if assignment is evidence.candidates[0][0] else (), imports=imports,
                added_keys=keys if decision.applicability is not DISPLAY else (), facts=evidence.shown(decision)))

    def _edits(self, assignment: Assignment, choice: str, key: str, spelled) -> list[Change]:
        lines = self.context.lines
        value = assignment.value
        if choice == PARAMETER:
            if isinstance(value, ast.Constant) and value.value is None:
                return []
            return [WrapInCall.of(lines, value, spelled[0])]
        receiver = self_name(assignment.method) or "self"
        return [RegisterBuffer.of(lines, assignment.stmt, value, receiver, key, choice == PERSISTENT_BUFFER)]

    def _blockers(self, evidence: Evidence, decision: Decision) -> None:
        """What keeps the chosen fix from being applied as it is: each lowers the applicability."""
        facts, attr, choice = evidence.facts, evidence.attr, decision.choice
        own = facts.assignments.get(attr, [])
        for assignment in evidence.others:
            where = f"line {assignment.stmt.lineno}" + (
                "" if assignment in own else f" (in {_owner_name(assignment, evidence.family)})")
            value = assignment.value
            if isinstance(value, ast.Constant) and value.value is None:
                continue
            if assignment in own and not _rewritable(assignment):
                decision.worse(DISPLAY, f"{where} assigns it in a way the fix cannot rewrite")
                continue
            kind = self.context.values.kind(value, assignment.method)
            if isinstance(value, (ast.Constant, ast.List, ast.Tuple, ast.Dict, ast.Set, ast.JoinedStr, ast.ListComp,
                                  ast.DictComp)) or kind in (Kind.MODULE, Kind.ALIAS) or is_scalar(
                                      value, assignment.method):
                if all(_exclusive(assignment.stmt, c.stmt) for c, _ in evidence.candidates):
                    # The two never meet, so nothing raises; but one name holding a number on one path and
                    # state on the other leaves what the author meant open.
                    decision.worse(DISPLAY, f"on another path ({where}) it is a value that is not a tensor, so "
                                            "whether it is state is unclear")
                else:
                    decision.worse(DISPLAY, f"{where} assigns it a value that is not a tensor, which a "
                                            f"{'Parameter' if choice == PARAMETER else 'buffer'} rejects")
            elif assignment in own:
                decision.worse(UNSAFE, f"{where} assigns it a value modfix cannot see, rewritten the same way")
            elif choice == PARAMETER or self.tensors.info(value, assignment.method) is None:
                decision.worse(UNSAFE, f"{where} assigns it a value modfix cannot see")
        if choice == PARAMETER:
            for write in evidence.runtime_writes:
                line = getattr(write.node, "lineno", "?")
                if write.kind is AccessKind.UPDATE and not isinstance(write.node, ast.stmt):
                    decision.worse(DISPLAY, f"line {line} updates it in place, which raises on an nn.Parameter "
                                            "outside torch.no_grad()")
                else:
                    decision.worse(DISPLAY, f"line {line} assigns it a plain tensor, which raises TypeError once it "
                                            "is an nn.Parameter")
            for write in evidence.init_writes_in_place:
                decision.worse(DISPLAY, f"line {write.node.lineno} writes into it in place, which raises on an "
                                        "nn.Parameter outside torch.no_grad()")
        else:
            earlier = self._set_before(evidence)
            if earlier:
                decision.worse(DISPLAY, f"{earlier}, and register_buffer raises KeyError for a name that is "
                                        "already an attribute")
        for assignment, _ in evidence.candidates:
            problem = registration_survives(self.context, facts, assignment,
                                            registering="nn.Parameter" if choice == PARAMETER else "register_buffer")
            if problem:
                decision.worse(DISPLAY, problem)
        if evidence.foreign_partners:
            decision.worse(UNSAFE, f"it is used together with {', '.join(sorted(evidence.foreign_partners))} "
                                   "(another file, judged there): registering one alone could split them")

    def _set_before(self, evidence: Evidence) -> str:
        """Where the name is an attribute before the registration runs (register_buffer and
        register_parameter raise KeyError then): a class attribute of the class or a base, a base's
        __init__, or an earlier assignment of this class's construction (``self.mask = None`` first)
        that is not in the other branch of the same ``if``. "" when nowhere."""
        facts, attr, key = evidence.facts, evidence.attr, evidence.key
        lineage = [facts] + [found[1] for q in self.context.hierarchy.ancestors_in_run(facts.qualname)
                             if (found := self.context.class_context(q)) is not None]
        for owner in lineage:
            if key in _class_attributes(owner):
                return f"{owner.node.name} defines {key} as a class attribute"
        if key == attr:
            for owner in lineage[1:]:
                for assignment in owner.assignments.get(attr, []):
                    if owner.is_init_time(assignment.method):
                        return f"line {assignment.stmt.lineno} (in {owner.node.name}) sets self.{attr} first"
        candidates = [a for a, _ in evidence.candidates]
        positions = [p for a in candidates if (p := position_in_init(facts, a)) is not None]
        first = min(positions, default=None)
        for assignment in facts.assignments.get(attr, []):
            if assignment in candidates or not facts.is_init_time(assignment.method) or first is None:
                continue
            position = position_in_init(facts, assignment)
            if position is not None and position < first and not any(
                    _exclusive(assignment.stmt, c.stmt) for c in candidates):
                return f"line {assignment.stmt.lineno} sets self.{attr} first"
        return ""

    # -- helpers

    def _weight_use(self, access: Access, used: ast.AST) -> str:
        """The operator that uses the tensor ``used`` as a weight (``F.linear``, ``@``, ``.matmul``), if
        one does. A bias counts only beside a weight read from the module (``F.linear(x, self.w, self.b)``):
        the bias of a weight computed on the fly is as learned as that weight is, which is unknown."""
        node = access.node
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
            return "@"
        if not isinstance(node, ast.Call):
            return ""
        callee = self.context.names.qualname(node.func) or ""
        if callee in _LINEAR_OPERATORS or callee.startswith("torch.nn.functional.conv"):
            arguments = {k.arg: k.value for k in node.keywords}
            weight = node.args[1] if len(node.args) > 1 else arguments.get("weight")
            is_bias = weight is not None and not _contains(weight, used)
            if is_bias and callee.startswith("torch.nn.functional.") and not _reads_attribute(weight, used):
                return ""
            return callee.replace("torch.nn.functional.", "F.")
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("matmul", "mm"):
            return f".{node.func.attr}"
        return ""

    def _init_calls_on_local(self, assignment: Assignment) -> list[str]:
        """``w = torch.empty(...); nn.init.xavier_uniform_(w); self.w = w``"""
        value = assignment.value
        if not isinstance(value, ast.Name):
            return []
        found = []
        for node in ast.walk(assignment.method):
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Name) and node.args[0].id == value.id:
                callee = self.context.names.qualname(node.func)
                if callee and callee.startswith("torch.nn.init."):
                    found.append(callee.replace("torch.nn.", "nn."))
        return found

    def _comments(self, statement: ast.stmt) -> str:
        lines = self.context.lines
        found = []
        for number in range(statement.lineno, statement.end_lineno + 1):
            text = lines.line_text(number)
            if "#" in text:
                found.append(text.split("#", 1)[1])
        number = statement.lineno - 1
        while number >= 1 and lines.line_text(number).strip().startswith("#"):
            found.append(lines.line_text(number).strip()[1:])
            number -= 1
        return " ".join(found)

    # -- MF202

    def _conversion(self, assignment: Assignment) -> None:
        value = assignment.value
        outer = value
        conversions = []
        while isinstance(outer, ast.Call) and isinstance(outer.func, ast.Attribute) and outer.func.attr in _CONVERSIONS:
            conversions.append(outer)
            outer = outer.func.value
        if not conversions or not isinstance(outer, ast.Call) or self.context.values.kind(outer, assignment.method) is not Kind.PARAMETER:
            return
        if not outer.args or outer.keywords and any(k.arg != "requires_grad" for k in outer.keywords):
            return
        context = self.context
        _, parameter_end = context.span(outer)
        _, value_end = context.span(value)
        chain = context.text[parameter_end:value_end]
        change = ConvertInsideParameter.of(context.lines, value, outer)
        self.findings.append(context.finding(
            "MF202", value,
            f"`nn.Parameter(...){chain}` returns a plain tensor: `self.{assignment.attr}` is not registered, not "
            f"trained and not saved; convert the tensor inside the Parameter; the fix adds state_dict key {assignment.attr}",
            SAFE, changes=[change], added_keys=(assignment.attr,)))


def _upgrades_on_one_path(assignment: Assignment, assignments: list[Assignment]) -> bool:
    """``self.t = torch.ones(n)`` then ``if learn: self.t = nn.Parameter(self.t)``: the Parameter exists on
    one path only; on the other the plain tensor stays, and is judged as such. (Registering it as a buffer
    holds on both paths: assigning an nn.Parameter replaces a buffer of that name cleanly.)"""
    body = assignment.method.body
    branch = parent_of(assignment.stmt)
    if assignment.stmt in body or not isinstance(branch, ast.If) or branch not in body or branch.orelse:
        return False  # unconditional, nested deeper, or with an else that may make it a Parameter too
    later = [a for a in assignments if a.method is assignment.method and a.stmt.lineno > branch.lineno]
    earlier = [a for a in assignments if a is not assignment and a.method is assignment.method
               and a.stmt in body and a.stmt.lineno < assignment.stmt.lineno]
    # the one assignment after the plain one (two complementary ifs may make it a Parameter on every path)
    return bool(earlier) and later == [assignment]


def _called_at_run_time(facts: ClassFacts) -> dict[str, str]:
    """Methods of the class that a method outside construction calls on self (directly or through others):
    name -> the outermost such caller."""
    found: dict[str, str] = {}
    for caller in facts.methods:
        if caller in facts.init_methods:
            continue
        pending = list(facts.self_calls.get(caller, ()))
        while pending:
            name = pending.pop()
            if name in facts.methods and name not in found:
                found[name] = caller
                pending.extend(facts.self_calls.get(name, ()))
    return found


def tensors_of(context: FileContext) -> Tensors:
    """The tensor inference of one file (shared: what its functions return is read once)."""
    return context.cached("tensor-values", lambda: _new_tensors(context))


def _new_tensors(context: FileContext) -> Tensors:
    # kept in the context's cache, so it holds the context only weakly: a cycle would keep the file's tree
    # alive until the (disabled) cyclic collector runs
    ref = weakref.ref(context)
    return Tensors(context.names, context.values.local_bindings,
                   lambda call, function: _callee(ref(), call, function),
                   lambda function, attr: _assigned_in(ref(), function, attr))


def _assigned_in(context: FileContext, function: ast.AST, attr: str) -> list[ast.stmt] | None:
    """The statements of this method of a Module class of the file that set ``self.<attr>`` (from the class's
    facts, read once); None when the method is no such method, or may set any attribute (``setattr``)."""
    owner = context.owner_of(function)
    if owner is None or any(r.method is function and r.how == "setattr" for r in owner.registrations):
        return None
    return [a.stmt for a in owner.assignments.get(attr, ()) if a.method is function]


def _callee(context: FileContext, call: ast.Call, function: ast.AST) -> tuple[ast.FunctionDef, Tensors] | None:
    """The function a call runs, when the code shows which one whatever the instance and the caller, with
    the tensor inference of its file: ``self._m(...)``, a private method that every class of the run built
    from this one reaches as the same definition (a public one may be overridden by a subclass modfix never
    sees), set nowhere else (a class attribute, an instance attribute); or ``f(...)`` of a function defined
    once at the top of this file, or imported (once) from another file of the run that defines it once at
    its top; not shadowed where it is called. Decorated functions are not followed (a decorator may return
    anything), but for staticmethod, caches and torch.no_grad."""
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        owner = context.owner_of(function) if isinstance(function, ast.FunctionDef) else None
        name = func.attr
        if owner is None or func.value.id != self_name(function) or not name.startswith("_") or name.startswith("__"):
            return None
        found = method_run(context, owner, name)
        return (found[1], tensors_of(found[0])) if found is not None else None
    if not isinstance(func, ast.Name):
        return None
    definition = function_run(context, func, function)
    if definition is not None:
        return definition, tensors_of(context)
    if top_level_count(context, func.id) == 1:  # `from .masks import causal_mask`, bound once here
        qualname = context.hierarchy.resolve(context.names.qualname(func))
        module, _, name = (qualname or "").rpartition(".")
        if not module or module == context.parsed.module_name or context.hierarchy.in_run(qualname):
            return None  # not a function of another file (a class builds an object, not a tensor)
        home = context.run.module_context(module)
        definition = module_function(home, name) if home is not None else None
        if definition is not None and followable(definition) and not (
                isinstance(function, ast.AST) and func.id in context.values.local_bindings(function)):
            return definition, tensors_of(home)
    return None


def _calls_submodule(context: FileContext, call: ast.Call, method: ast.FunctionDef) -> bool:
    """``self.encoder(...)``, ``self.blocks[i](...)``: a call of a module, which meets its parameters."""
    func = call.func
    while isinstance(func, ast.Subscript):
        func = func.value
    values = context.values
    owner = context.owner_of(method)
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and owner is not None:
        args = method.args.posonlyargs + method.args.args
        if args and func.value.id == args[0].arg and func.attr not in owner.methods:
            return values._attribute_kind(func.attr, owner) is Kind.ALIAS
    if isinstance(func, ast.Name):
        return values.kind(func, method, owner) in (Kind.MODULE, Kind.ALIAS)
    return False


def _plain_attribute(context: FileContext, expr: ast.AST, method: ast.FunctionDef) -> bool:
    """``self.prior``: another attribute of the module that is neither a submodule nor a Parameter (a
    plain tensor, a number): it lives where this one does, so meeting it is not meeting the module's
    inputs or parameters."""
    if not (isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name)
            and expr.value.id == self_name(method)):
        return False
    owner = context.owner_of(method)
    if owner is None:
        return False
    # the class and its bases of the run: `self._neg_Y` set by a base's __init__ is plain state too
    lineage = [(context, owner)] + [found for q in context.hierarchy.ancestors_in_run(owner.qualname)
                                    if (found := context.class_context(q)) is not None]
    defining = [(where, facts) for where, facts in lineage if expr.attr in facts.assignments]
    if not defining or any(expr.attr in facts.methods for _, facts in lineage):
        return False
    return not any(
        any(where.values.kind(a.value, a.method, facts) in (Kind.MODULE, Kind.ALIAS, Kind.PARAMETER)
            or a.kind == "setattr" for a in facts.assignments[expr.attr])
        or any(isinstance(r.name, ast.Constant) and r.name.value == expr.attr for r in facts.registrations)
        for where, facts in defining)


def _enclosing_method(node: ast.AST, default):
    """The method a node is in (the outermost function: a read followed into a caller is in the caller)."""
    method = default
    while node is not None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            method = node
        node = parent_of(node)
    return method


def _callers(context: FileContext, method: ast.FunctionDef) -> list[tuple[ast.Call, ast.FunctionDef, bool]]:
    """The calls ``self.<method>(...)`` in the methods of the class that defines ``method``."""
    owner = context.owner_of(method)
    if owner is None:
        return []
    found = []
    for caller in owner.methods.values():
        if method.name not in owner.self_calls.get(caller.name, ()):
            continue
        for node in ast.walk(caller):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == method.name
                    and isinstance(node.func.value, ast.Name)):
                found.append((node, caller, not owner.is_init_time(caller)))
    return found


def _directly_used(node: ast.AST, consumer: ast.AST) -> bool:
    """Does the value of ``node`` reach ``consumer`` as it is (``.data``, ``.t()``, ``.float()`` aside),
    not through a local or another function?"""
    while True:
        parent = parent_of(node)
        if parent is consumer or (isinstance(parent, ast.keyword) and parent_of(parent) is consumer):
            return True
        if isinstance(parent, ast.Attribute) and parent.attr in ("data", "T", "mT"):
            node = parent
            continue
        call = parent_of(parent)
        if (isinstance(parent, ast.Attribute) and isinstance(call, ast.Call) and call.func is parent
                and parent.attr in ("t", "transpose", "view", "reshape", "float", "double", "half", "to", "type_as")):
            node = call
            continue
        return False


def _contains(tree: ast.AST, node: ast.AST) -> bool:
    return any(n is node for n in ast.walk(tree))


def _reads_attribute(expr: ast.AST, like: ast.Attribute) -> bool:
    """``self.w``, ``self.w.t()``: a value read from the same object as ``like`` (``self.b``) is."""
    while isinstance(expr, (ast.Attribute, ast.Call)):
        expr = expr.func if isinstance(expr, ast.Call) else expr.value
    return isinstance(expr, ast.Name) and isinstance(like.value, ast.Name) and expr.id == like.value.id


def _stays(evidence: Evidence, decision: Decision) -> bool:
    """Will the tensor stay on the device it was built on, whatever model.to() does?"""
    if decision.choice is not None:
        return decision.applicability is DISPLAY
    proven_scalar = evidence.scalar and all(i.ndim == 0 for i in evidence.infos)
    return not (evidence.registered or evidence.transient or evidence.moved_by_class or proven_scalar
                or evidence.handled)


def _components(count: int, links) -> list[list[int]]:
    parent = list(range(count))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for linked in links:
        for other in linked[1:]:
            parent[root(other)] = root(linked[0])
    groups: dict[int, list[int]] = {}
    for i in range(count):
        groups.setdefault(root(i), []).append(i)
    return list(groups.values())


def _statement_of(node: ast.AST) -> ast.stmt | None:
    while node is not None and not isinstance(node, ast.stmt):
        node = parent_of(node)
    return node


def _class_attributes(facts: ClassFacts) -> set[str]:
    """Names the class body gives a value (``mask = None``, ``mask: Tensor = None``), not bare annotations."""
    names = set()
    for statement in facts.node.body:
        if isinstance(statement, ast.Assign):
            names.update(t.id for t in statement.targets if isinstance(t, ast.Name))
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None and isinstance(statement.target, ast.Name):
            names.add(statement.target.id)
    return names


def _exclusive(first: ast.stmt, second: ast.stmt) -> bool:
    """Are the two statements in different branches of one ``if`` or different cases of one ``match``
    (never both run)?"""
    def branches(node):
        found = []
        while node is not None:
            parent = parent_of(node)
            if isinstance(parent, ast.If):
                found.append((id(parent), "body" if node in parent.body else "orelse" if node in parent.orelse else "test"))
            elif isinstance(parent, ast.match_case) and node in parent.body:
                match = parent_of(parent)
                found.append((id(match), f"case {match.cases.index(parent)}" if isinstance(match, ast.Match) else "test"))
            node = parent
        return dict(found)
    mine, theirs = branches(first), branches(second)
    return any(side != theirs[i] for i, side in mine.items() if i in theirs and "test" not in (side, theirs[i]))


def _owner_name(assignment: Assignment, family: list[ClassFacts]) -> str:
    """The class whose method makes the assignment (a base or a subclass)."""
    return next((f.node.name for f in family if f.methods.get(assignment.method.name) is assignment.method),
                "another class")


def _rewritten(evidence: Evidence) -> list[Assignment]:
    """The assignments the fix rewrites: every one in this class's construction, but ``None``s (a
    buffer and a Parameter both accept None)."""
    own = evidence.facts.assignments.get(evidence.attr, [])
    others = [a for a in evidence.others if a in own and _rewritable(a)
              and not (isinstance(a.value, ast.Constant) and a.value.value is None)]
    return sorted([a for a, _ in evidence.candidates] + others, key=lambda a: (a.stmt.lineno, a.stmt.col_offset))


def _rewritable(assignment: Assignment) -> bool:
    """A plain ``self.X = value`` statement of its own, which the fix can replace."""
    statement = assignment.stmt
    return (assignment.kind == "assign" and not assignment.shared and isinstance(statement, (ast.Assign, ast.AnnAssign))
            and assignment.value is not None
            and (isinstance(statement, ast.AnnAssign) or len(statement.targets) == 1)
            and isinstance(statement.targets[0] if isinstance(statement, ast.Assign) else statement.target, ast.Attribute))


def tensor_findings(context: FileContext) -> list[Finding]:
    return context.cached("tensors", lambda: TensorAnalysis(context).findings)


REGISTER_TENSOR = Rule(
    code="MF201", name="register-tensor",
    summary="tensor attribute on self -> nn.Parameter or register_buffer, chosen from evidence",
    check=findings_with_code(tensor_findings, "MF201"), doc=__doc__,
    safety="safe when the evidence decides (learned, state updated by training, constants that meet the input); "
           "unsafe when the role is unclear; display-only when the registration would not hold",
)
PARAMETER_CONVERSION = Rule(
    code="MF202", name="parameter-conversion",
    summary="nn.Parameter(t).to(device) returns a plain tensor -> nn.Parameter(t.to(device))",
    check=findings_with_code(tensor_findings, "MF202"), doc=__doc__,
    safety="safe",
)
RULES = (REGISTER_TENSOR, PARAMETER_CONVERSION)
