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

The fix
    The assignment is replaced, never duplicated (``register_buffer`` beside a plain attribute
    raises KeyError): ``self.weight = nn.Parameter(torch.rand(n_out, n_in))``, or
    ``self.register_buffer("mask", torch.tril(...), persistent=False)``. Which one is chosen from
    the evidence, the first that applies:

    1. Parameter: explicit intent to learn (``requires_grad=True``, ``.requires_grad_()``, or the
       tensor is passed to ``torch.nn.init.*_``).
    2. Buffer: an integer or bool tensor, which cannot be learned; non-persistent when
       ``__init__`` recreates the values (``arange``), persistent when random (``randperm``).
    3. Persistent buffer: state updated outside ``__init__`` without gradients (running
       statistics, EMA, counters: ``self.running = m * self.running + ...`` in forward).
    4. Non-persistent buffer: structured constants (``eye``, ``arange``, ``linspace``, ``tril``,
       ``torch.tensor([...])`` literals and arithmetic on them) or names that say so (``mask``,
       ``*_mask``, ``positions``, ``*_ids``, ``index``, ``freqs``, ``inv_freq``), or a comment saying
       it is not learned.
    5. Parameter: a random float tensor named as a weight (``weight``, ``bias``, ``*_weight``,
       ``*_bias``, ``W``, ``b``) that forward uses with ``F.linear``, ``F.conv*``, ``@``, ``matmul``.
    6. Otherwise the role is not clear (``zeros``/``ones``/``full`` are how learnable scales start;
       random tensors may be frozen features): an unsafe fix, a non-persistent buffer unless the
       name leans to a learned value.

    MF202: ``nn.Parameter(t).to(device)`` -> ``nn.Parameter(t.to(device))``.
    A Parameter or a persistent buffer adds a state_dict key (named in the message): checkpoints
    saved before the fix need ``strict=False``; a non-persistent buffer adds none.

Fix safety
    No finding for names already registered (in the class or its bases in the run), tensors set
    only outside ``__init__`` (per-call caches), ``None`` placeholders, and classes that override
    ``_apply``/``to``/``cuda``/``cpu`` to move tensors by hand. Display-only: the attribute is
    reassigned with a non-tensor (a buffer would raise), or with a plain tensor when the fix is a
    Parameter (TypeError); the tensor is handed to an optimizer or another object; a comment says
    it must not be saved or moved; the assignment runs before ``super().__init__()``. Unsafe:
    choice 6, and reassignments with values modfix cannot see.
"""
from __future__ import annotations

import ast
import re

from ._engine import FileContext
from ._facts import Assignment, ClassFacts, Kind, Use, parent_of
from ._rule import Applicability, Edit, Finding, Rule, findings_with_code
from ._tensors import Tensors, TensorInfo

SAFE, UNSAFE, DISPLAY = Applicability.SAFE, Applicability.UNSAFE, Applicability.DISPLAY_ONLY
PARAMETER, BUFFER, PERSISTENT_BUFFER = "parameter", "buffer", "persistent buffer"

_MOVING_METHODS = frozenset({"_apply", "to", "cuda", "cpu", "float", "double", "half"})
_CONVERSIONS = frozenset({"to", "cuda", "cpu", "double", "float", "half", "bfloat16", "type"})
_CONSTANT_NAME = re.compile(r"^(mask|.*_mask|positions?|.*_positions?|.*_ids|ids|index|.*_index|indices|.*_indices"
                            r"|freqs?|.*_freqs?|inv_freq|.*_inv_freq|causal.*|tril.*|eye)$")
_WEIGHT_NAME = re.compile(r"^(weight|bias|.*_weight|.*_bias|weights|W|b|w)$")
_LEARNABLE_NAME = re.compile(r"^(.*weight.*|.*bias.*|alpha|beta|gamma|scale|.*_scale|gate|.*_gate|temperature"
                             r"|logit_scale|.*embed.*|.*token.*|prompt.*|query|queries|W|b|w|theta|coef.*|lambda_?)$")
# comments that state an intent, not ones that describe the bug ("never registered: not moved")
_KEEP_OFF = re.compile(
    r"(must|should|shall|need\s+to|needs\s+to|do|does|is\s+to|are\s+to)\s*(n[o']t|never)\s+(be\s+)?"
    r"(saved|moved|registered|stored|checkpointed|part\s+of|in\s+(the\s+)?state_?dict|follow)"
    r"|keep\s+(it\s+|this\s+|them\s+)?(on\s+(the\s+)?cpu|off\s+(the\s+)?(module|model|device|state_?dict))"
    r"|(deliberately|intentionally|on\s+purpose)\s+(not\s+|un)?(registered|saved|kept|left|outside|off)",
    re.IGNORECASE)
_NOT_LEARNED = re.compile(r"\bnot\s+(learned|learnt|learnable|trained|trainable)\b|\bno\s+grad|non-?learn|frozen"
                          r"|\bconstant\b|\bbuffer\b", re.IGNORECASE)
_LEARN_INTENT = re.compile(r"(meant|supposed|intended|should|needs?)\s+to\s+be\s+(learned|learnt|trained)"
                           r"|\blearnable\b|\btrainable\b", re.IGNORECASE)
_LINEAR_OPERATORS = ("torch.nn.functional.linear", "torch.nn.functional.bilinear", "torch.matmul", "torch.mm",
                     "torch.bmm", "torch.einsum", "torch.addmm")


class TensorAnalysis:
    def __init__(self, context: FileContext):
        self.context = context
        self.tensors = Tensors(context.names, context.values.local_bindings)
        self.findings: list[Finding] = []
        for facts in context.module_classes:
            if any(name in facts.methods for name in ("_apply", "to", "cuda", "cpu")):
                continue  # the class moves its tensors by hand
            for attr in sorted(facts.assignments):
                self._attribute(facts, attr)

    # -- MF201

    def _attribute(self, facts: ClassFacts, attr: str) -> None:
        for assignment in facts.assignments[attr]:
            self._conversion(facts, assignment)
        candidates: list[tuple[Assignment, TensorInfo]] = []
        for assignment in facts.assignments[attr]:
            if assignment.kind != "assign" or assignment.shared or not facts.is_init_time(assignment.method):
                continue
            info = self.tensors.info(assignment.value, assignment.method)
            if info is not None:
                candidates.append((assignment, info))
        if not candidates:
            return
        family = self.context.family(facts, attr)  # bases and subclasses: only for attributes that need them
        assignments = [a for owner in family for a in owner.assignments.get(attr, [])]
        uses = [(owner, u) for owner in family for u in owner.uses.get(attr, [])]
        if self._registered(family, attr, assignments):
            return
        infos = [info for _, info in candidates]
        candidate_ids = {id(a) for a, _ in candidates}
        others = [a for a in assignments if id(a) not in candidate_ids]
        comments = " ".join(self._comments(a.stmt) for a, _ in candidates)

        choice, applicability, evidence = self._choose(facts, attr, candidates, infos, uses, comments)
        if choice is None:
            return
        reason = ""
        if _KEEP_OFF.search(comments):
            applicability, reason = DISPLAY, "a comment says it is kept off the module on purpose"
        for assignment in others:
            value_kind = self._reassigned(assignment)
            line = getattr(assignment.stmt, "lineno", "?")
            if value_kind == "none":
                continue
            if value_kind == "tensor" and choice == PARAMETER:
                if applicability is UNSAFE:
                    choice, evidence = BUFFER, evidence + f"; a Parameter is ruled out: line {line} assigns a plain tensor"
                else:
                    applicability = DISPLAY
                    reason = reason or (f"line {line} assigns it a plain tensor, which raises TypeError once it is an "
                                        "nn.Parameter")
            elif value_kind == "other":
                applicability = DISPLAY
                reason = reason or f"line {line} assigns it a value that is not a tensor, which a buffer rejects"
            elif value_kind == "unknown" and applicability is SAFE:
                applicability = UNSAFE
                reason = reason or f"line {line} assigns it a value modfix cannot see"
        for owner, use in uses:
            handed = self._handed_off(use)
            if handed:
                applicability, reason = DISPLAY, handed
                break
        if choice != PARAMETER:
            earlier = self._set_before(facts, family, attr, candidates)
            if earlier is not None:
                applicability = DISPLAY
                reason = (f"line {earlier.stmt.lineno} sets self.{attr} first, and register_buffer raises KeyError "
                          "for a name that is already an attribute")
        for assignment, _ in candidates:
            if self._before_base_init(facts, assignment):
                applicability = DISPLAY
                reason = "it is assigned before super().__init__(), where register_buffer/nn.Parameter would raise"
        for assignment, info in candidates:
            self._report(facts, assignment, info, choice, applicability, evidence, reason)

    def _set_before(self, facts: ClassFacts, family: list[ClassFacts], attr: str,
                    candidates: list) -> Assignment | None:
        """A plain assignment of the name that runs before the candidate: in a base's __init__, or
        earlier in this class's (``self.mask = None`` then ``self.mask = torch.ones(...)``)."""
        candidate_ids = {id(a) for a, _ in candidates}
        first = min((a.stmt.lineno for a, _ in candidates if a.method.name == "__init__"), default=None)
        ancestors = [f for f in family if f is not facts and f.qualname in
                     self.context.hierarchy.ancestors_in_run(facts.qualname)]
        for owner in ancestors:
            for assignment in owner.assignments.get(attr, []):
                if owner.is_init_time(assignment.method):
                    return assignment
        for assignment in facts.assignments.get(attr, []):
            if (id(assignment) not in candidate_ids and assignment.method.name == "__init__"
                    and first is not None and assignment.stmt.lineno < first):
                return assignment
        return None

    def _registered(self, family: list[ClassFacts], attr: str, assignments: list[Assignment]) -> bool:
        for owner in family:
            for registration in owner.registrations:
                if (registration.how in ("register_buffer", "register_parameter")
                        and isinstance(registration.name, ast.Constant) and registration.name.value == attr):
                    return True
        values = self.context.values
        return any(a.kind == "object_setattr" or values.kind(a.value, a.method) is Kind.PARAMETER
                   for a in assignments)

    def _choose(self, facts, attr, candidates, infos, uses, comments):
        names = self.context.names
        init_uses = [u for owner, u in uses if owner.is_init_time(u.method)]
        later_uses = [u for owner, u in uses if not owner.is_init_time(u.method)]
        source = " and ".join(sorted({i.source for i in infos if i.source})) or "a tensor expression"
        # 1. explicit intent to learn
        if any(i.requires_grad for i in infos):
            return PARAMETER, SAFE, f"it asks for gradients ({source} with requires_grad)"
        for use in init_uses:
            call = use.call if use.kind == "arg" else None
            if use.kind == "attribute" and use.detail == "data" and isinstance(parent_of(parent_of(use.node)), ast.Call):
                call = parent_of(parent_of(use.node))  # nn.init.xavier_uniform_(self.W.data)
                if parent_of(use.node) not in call.args:
                    call = None
            callee = names.qualname(call.func) if call is not None else None
            if callee and callee.startswith(("torch.nn.init.", "torch.nn.modules.init.")):
                return PARAMETER, SAFE, f"it is initialised with {callee.replace('torch.nn.', 'nn.')}()"
            if use.kind == "method" and use.detail == "requires_grad_":
                return PARAMETER, SAFE, "it asks for gradients (.requires_grad_())"
        for assignment, _ in candidates:
            for call in self._init_calls_on_local(assignment):
                return PARAMETER, SAFE, f"it is initialised with {call}()"
        # 2. cannot be learned
        if all(i.dtype == "int" for i in infos):
            if any(i.random for i in infos):
                return PERSISTENT_BUFFER, SAFE, f"an integer tensor ({source}) cannot be learned; its random values must be saved"
            updated = next((u for u in later_uses if _updates_state(u)), None)
            if updated is not None:
                return PERSISTENT_BUFFER, SAFE, (f"an integer tensor ({source}) cannot be learned, and "
                                                 f"{updated.method.name}() updates it (line {updated.node.lineno}): state to save")
            return BUFFER, SAFE, f"an integer or bool tensor ({source}) cannot be learned, and __init__ recreates it"
        # 3. state updated outside __init__
        for use in later_uses:
            if _updates_state(use):
                return PERSISTENT_BUFFER, SAFE, (f"{use.method.name}() updates it without gradients (line "
                                                 f"{use.node.lineno}): state to save")
        for assignment in self._later_assignments(facts, attr):
            if self._derived_from_itself(assignment, attr):
                return PERSISTENT_BUFFER, SAFE, (f"{assignment.method.name}() updates it from its own value (line "
                                                 f"{assignment.stmt.lineno}): state to save")
        # 4. structured constants
        if all(i.structured and not i.random for i in infos):
            return BUFFER, SAFE, f"a constant that __init__ recreates ({source})"
        if _CONSTANT_NAME.match(attr) and not any(i.random for i in infos):
            return BUFFER, SAFE, f"its name says it is a constant ({attr})"
        if _NOT_LEARNED.search(comments) and not _LEARN_INTENT.search(comments):
            persistent = any(i.random for i in infos)
            return (PERSISTENT_BUFFER if persistent else BUFFER), SAFE, "a comment says it is not learned"
        # 5. a random weight used as one
        if (_WEIGHT_NAME.match(attr) and all(i.random and i.dtype != "int" for i in infos)
                and any(self._used_as_weight(u) for u in later_uses)):
            return PARAMETER, SAFE, f"a random weight ({source}) that {self._weight_use(later_uses)} uses as one"
        # 6. unclear: only the shapes that are ambiguous in practice; other tensors are left alone
        if not all(i.plain or i.random for i in infos):
            return None, None, ""
        if _LEARNABLE_NAME.match(attr) and all(i.dtype != "int" for i in infos):
            return PARAMETER, UNSAFE, (f"the code does not reveal whether {source} is learned; its name suggests a "
                                       "learned value, so the fix makes it an nn.Parameter (or a buffer, if it is constant)")
        return BUFFER, UNSAFE, (f"the code does not reveal whether {source} is learned; the fix makes it a "
                                "non-persistent buffer (use nn.Parameter if it should be trained)")

    def _later_assignments(self, facts: ClassFacts, attr: str) -> list[Assignment]:
        """The class's assignments of the attribute outside __init__ and its helpers."""
        return [a for a in facts.assignments.get(attr, []) if not facts.is_init_time(a.method) and a.value is not None]

    def _derived_from_itself(self, assignment: Assignment, attr: str) -> bool:
        """``self.x = m * self.x + ...``, directly or through a local computed from it."""
        value = assignment.value
        if isinstance(value, ast.Name):
            sites = self.context.values.local_bindings(assignment.method).get(value.id, [])
            if len(sites) != 1 or not isinstance(sites[0], ast.Assign):
                return False
            value = sites[0].value
        return isinstance(value, (ast.BinOp, ast.Call)) and any(
            isinstance(n, ast.Attribute) and n.attr == attr and isinstance(n.value, ast.Name)
            for n in _value_references(value, self.context.names))

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

    def _used_as_weight(self, use: Use) -> bool:
        return self._weight_use([use]) is not None

    def _weight_use(self, uses: list[Use]) -> str | None:
        names = self.context.names
        for use in uses:
            parent = parent_of(use.node)
            if use.kind == "arg" and use.call is not None:
                callee = names.qualname(use.call.func) or ""
                if callee in _LINEAR_OPERATORS or callee.startswith("torch.nn.functional.conv"):
                    return f"{use.method.name}() ({callee.replace('torch.nn.functional.', 'F.')})"
            if use.kind == "binop" and use.detail.startswith("MatMult"):
                return f"{use.method.name}() (@)"
            if isinstance(parent, ast.Call) and isinstance(parent.func, ast.Attribute) and parent.func.attr in ("matmul", "mm"):
                return f"{use.method.name}() (.{parent.func.attr})"
        return None

    def _reassigned(self, assignment: Assignment) -> str:
        value = assignment.value
        if value is None:
            return "unknown"
        if self._derived_from_itself(assignment, assignment.attr):
            return "tensor"  # arithmetic on the tensor itself
        if isinstance(value, ast.Constant):
            return "none" if value.value is None else "other"
        if self.tensors.info(value, assignment.method) is not None:
            return "tensor"
        kind = self.context.values.kind(value, assignment.method)
        if kind in (Kind.NOT_MODULE,) and isinstance(value, (ast.List, ast.Tuple, ast.Dict, ast.Set, ast.JoinedStr)):
            return "other"
        if kind in (Kind.MODULE, Kind.ALIAS):
            return "other"
        return "unknown"

    def _handed_off(self, use: Use) -> str:
        if use.kind not in ("arg", "element") or (use.kind == "arg" and use.call is None):
            return ""
        call = use.call
        if use.kind == "element":
            call = parent_of(parent_of(use.node))
            if not isinstance(call, ast.Call):
                return ""
        callee = self.context.names.qualname(call.func) or ast.unparse(call.func)
        if callee.startswith("torch.distributed."):
            return f"it is handed to {callee}(), so its placement is managed by hand"
        if callee.startswith("torch.optim."):
            return f"it is handed to the optimizer {callee.split('.')[-1]}, which keeps the tensor itself"
        last = callee.rsplit(".", 1)[-1]
        if last[:1].isupper() and callee not in ("torch.nn.Parameter", "torch.Tensor") and not callee.startswith("builtins."):
            return f"it is handed to {last}(), which keeps the tensor itself"
        return ""

    def _before_base_init(self, facts: ClassFacts, assignment: Assignment) -> bool:
        init = facts.methods.get("__init__")
        if assignment.method is not init:
            return False
        for node in ast.walk(init):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "__init__":
                return (node.lineno, node.col_offset) > (assignment.stmt.lineno, assignment.stmt.col_offset)
        return False

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

    def _report(self, facts, assignment, info, choice, applicability, evidence, reason) -> None:
        attr = assignment.attr
        context = self.context
        value = assignment.value
        self_name = assignment.method.args.args[0].arg if assignment.method.args.args else "self"
        edits: list[Edit] = []
        imports: tuple = ()
        if choice == PARAMETER:
            spelled = context.torch_nn_name("Parameter")
            if spelled is None:
                applicability, reason = DISPLAY, "the name `nn` is taken in this file, so torch.nn cannot be named"
            else:
                start, end = context.span(value)
                edits = [Edit(start, start, f"{spelled[0]}("), Edit(end, end, ")")]
                imports = spelled[1]
            fix = "make it an nn.Parameter"
            keys = (attr,)
        else:
            start, end = context.span(assignment.stmt)
            value_start, value_end = context.span(value)
            persistent = "" if choice == PERSISTENT_BUFFER else ", persistent=False"
            edits = [Edit(start, end, f'{self_name}.register_buffer("{attr}", {context.text[value_start:value_end]}{persistent})')]
            fix = "register it as a buffer" + ("" if choice == PERSISTENT_BUFFER else " (persistent=False)")
            keys = (attr,) if choice == PERSISTENT_BUFFER else ()
        message = (f"`self.{attr}` holds a tensor that parameters(), state_dict() and .to() do not see; "
                   f"{fix}: {evidence}")
        if applicability is UNSAFE:
            message += f" (unsafe fix{': ' + reason if reason else ''})"
        elif applicability is DISPLAY:
            message += f"; not fixed automatically: {reason}"
            edits = []
        if applicability is not DISPLAY:
            message += (f"; the fix adds state_dict key {keys[0]}" if keys else "; the fix adds no state_dict key")
        self.findings.append(context.finding("MF201", value, message, applicability, edits=edits,
                                             imports=imports, added_keys=keys if applicability is not DISPLAY else ()))

    # -- MF202

    def _conversion(self, facts: ClassFacts, assignment: Assignment) -> None:
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
        tensor = outer.args[0]
        tensor_start, tensor_end = context.span(tensor)
        chain = context.text[parameter_end:value_end]
        edits = [Edit(tensor_end, tensor_end, chain), Edit(parameter_end, value_end, "")]
        if not isinstance(tensor, (ast.Call, ast.Name, ast.Attribute, ast.Subscript)):
            # `randn(n) * 0.02` must become `(randn(n) * 0.02).to(device)`, not `... * 0.02.to(device)`
            edits = [Edit(tensor_start, tensor_start, "("), Edit(tensor_end, tensor_end, ")" + chain),
                     Edit(parameter_end, value_end, "")]
        self.findings.append(context.finding(
            "MF202", value,
            f"`nn.Parameter(...){chain}` returns a plain tensor: `self.{assignment.attr}` is not registered, not "
            f"trained and not saved; convert the tensor inside the Parameter; the fix adds state_dict key {assignment.attr}",
            SAFE, edits=edits, added_keys=(assignment.attr,)))


_SHAPE_ONLY_ATTRIBUTES = frozenset({"shape", "dtype", "device", "size", "ndim", "numel", "dim", "new_zeros",
                                    "new_ones", "new_empty", "new_full", "new_tensor"})


def _value_references(value: ast.expr, names) -> list[ast.AST]:
    """The nodes whose values flow into ``value``: not those only read for their shape, dtype or
    device (``torch.randn_like(self.w)``, ``self.w.shape``)."""
    found, stack = [], [value]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Call):
            callee = names.qualname(node.func) or ""
            if callee.endswith("_like") or (isinstance(node.func, ast.Attribute) and node.func.attr in _SHAPE_ONLY_ATTRIBUTES):
                stack.extend(node.args[1:] if callee.endswith("_like") else node.args)
                stack.extend(k.value for k in node.keywords)
                continue
        if isinstance(node, ast.Attribute) and node.attr in _SHAPE_ONLY_ATTRIBUTES:
            continue
        found.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return found


def _updates_state(use: Use) -> bool:
    if use.kind == "method" and use.detail.endswith("_") and use.detail != "requires_grad_":
        return True
    if use.kind in ("augassign", "setitem"):
        return True
    if use.kind == "attribute" and use.detail == "data" and isinstance(parent_of(parent_of(use.node)), ast.Assign):
        return True
    return False


def tensor_findings(context: FileContext) -> list[Finding]:
    return context.cached("tensors", lambda: TensorAnalysis(context).findings)


REGISTER_TENSOR = Rule(
    code="MF201", name="register-tensor",
    summary="tensor attribute on self -> nn.Parameter or register_buffer, chosen from evidence",
    check=findings_with_code(tensor_findings, "MF201"), doc=__doc__,
    safety="safe when the evidence decides (intent to learn, integer dtype, state updates, constants, "
           "weights used as weights); unsafe when the role is unclear; display-only when kept off on purpose",
)
PARAMETER_CONVERSION = Rule(
    code="MF202", name="parameter-conversion",
    summary="nn.Parameter(t).to(device) returns a plain tensor -> nn.Parameter(t.to(device))",
    check=findings_with_code(tensor_findings, "MF202"), doc=__doc__,
    safety="safe",
)
RULES = (REGISTER_TENSOR, PARAMETER_CONVERSION)
