"""Generated programs: modfix never raises, its output parses, and a second pass changes nothing.

(a) arbitrary valid Python from hypothesmith (its grammar strategy, as is and placed in the body of
    an nn.Module's ``__init__`` so that the rules look at it; and its libcst node strategy);
(b) nn.Module subclasses built from the shapes the rules know (lists, tuples, dicts of layers, ints
    and None; tensors; appends in loops; reassignments in other methods; super().__init__ first,
    late, missing or spelled the old ways; several import spellings), and with real PyTorch: when the
    original classes build, the classes rewritten with the safe fixes build too and register at
    least everything the original registered, and every unregistered layer or tensor left on them
    is named by a finding.

Example counts are small by default; ``MODFIX_HYPOTHESIS_EXAMPLES=5000`` runs deeper.
``MODFIX_HYPOTHESIS_SHARED_NAMES=0`` keeps the classes of one hierarchy from setting the same
attributes (the bugs found there, at the end of this file, are fixed; this is for narrowing a failure).
"""
from __future__ import annotations

import ast
import os
import textwrap
import warnings
from dataclasses import dataclass

import pytest

hypothesis = pytest.importorskip("hypothesis")
hypothesmith = pytest.importorskip("hypothesmith")
from hypothesis import HealthCheck, Phase, assume, given, note, settings, strategies as st  # noqa: E402

from codemods import RULES, fix_source  # noqa: E402

ALL = frozenset(rule.code for rule in RULES)
DEEP = os.environ.get("MODFIX_HYPOTHESIS_EXAMPLES")


def examples(default: int) -> settings:
    return settings(
        max_examples=int(DEEP) if DEEP else default,
        deadline=None,
        print_blob=True,
        # hypothesmith targets bigger programs; hill-climbing on that took most of the time
        phases=[phase for phase in Phase if phase is not Phase.target],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    )


def parses(text: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def fix_is_sound(source: str, *, unsafe_fixes: bool = True):
    """fix_source does not raise, reports no internal error, its output parses, and it is a fixpoint."""
    result = fix_source(source, unsafe_fixes=unsafe_fixes, select=ALL)
    if result.error is not None:
        assert not result.error.internal, f"internal error: {result.error.message}"
        assert result.fixed is None
        assert not parses(source), f"a parsable text was refused: {result.error.message}"
        return result
    assert result.original == source  # the text comes back as it came, except for the edits
    if result.fixed is None:
        return result
    note(f"rewritten:\n{result.fixed}")
    assert parses(result.fixed), "the rewritten text does not parse"
    again = fix_source(result.fixed, unsafe_fixes=unsafe_fixes, select=ALL)
    assert again.error is None, again.error
    assert again.fixed is None or again.fixed == result.fixed, "a second pass changes the text again"
    return result


# --- (a) hypothesmith ----------------------------------------------------------------------------


@examples(100)
@given(hypothesmith.from_grammar())
def test_grammar_generated_python(source):
    fix_is_sound(source)


@examples(10)  # slow to generate: about 0.5 s an example
@given(hypothesmith.from_node())
def test_libcst_node_generated_python(source):
    fix_is_sound(source)


MODULE_PRELUDE = """\
import torch
import torch.nn as nn


class Generated(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = [nn.Linear(2, 2), nn.Linear(2, 2)]
{body}
    def forward(self, x):
{body}
        return x
"""


@examples(100)
@given(hypothesmith.from_grammar())
def test_grammar_generated_python_inside_a_module(body):
    source = MODULE_PRELUDE.format(body=textwrap.indent(body, " " * 8) + "\n        pass\n")
    assume(parses(source))
    fix_is_sound(source)


# --- (b) nn.Module classes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Spelling:
    imports: str
    torch: str  # how to write torch.<x>
    nn: str  # how to write torch.nn.<x>


SPELLINGS = [
    Spelling("import torch\nimport torch.nn as nn\n", "torch", "nn"),
    Spelling("import torch\nfrom torch import nn\n", "torch", "nn"),
    Spelling("import torch\n", "torch", "torch.nn"),
    Spelling("import torch\nimport torch.nn\n", "torch", "torch.nn"),
    Spelling("import torch as T\nimport torch.nn as tnn\n", "T", "tnn"),
    Spelling("import torch\nfrom torch import nn as N\nfrom collections import OrderedDict\n", "torch", "N"),
]

NAMES = ["blocks", "layers", "heads", "stages", "weight", "bias", "mask", "scale", "running_mean", "table",
         "position_ids", "inv_freq", "extra", "items"]
KEYS = ["a", "b", "cls", "box", "k0", "train", "a.b", ""]


@st.composite
def layer(draw, s: Spelling, local_classes: tuple[str, ...]) -> str:
    choices = [
        f"{s.nn}.Linear({draw(st.integers(1, 3))}, {draw(st.integers(1, 3))})",
        f"{s.nn}.ReLU()",
        f"{s.nn}.Conv1d(2, 2, 1)",
        f"{s.nn}.LayerNorm(2)",
        f"{s.nn}.Sequential({s.nn}.Linear(2, 2), {s.nn}.ReLU())",
    ] + [f"{name}()" for name in local_classes]
    return draw(st.sampled_from(choices))


@st.composite
def element(draw, s: Spelling, local_classes: tuple[str, ...]) -> str:
    return draw(st.one_of(
        layer(s, local_classes), layer(s, local_classes), layer(s, local_classes),
        st.sampled_from(["1", "None", "0.5"]),
    ))


@st.composite
def tensor(draw, s: Spelling) -> str:
    t = s.torch
    n = draw(st.integers(1, 3))
    return draw(st.sampled_from([
        f"{t}.zeros({n})", f"{t}.ones({n}, {n})", f"{t}.arange({n})", f"{t}.randn({n}, {n})",
        f"{t}.rand({n})", f"{t}.zeros({n}, dtype={t}.long)", f"{t}.tensor([1.0, 2.0])",
        f"{t}.zeros({n}, requires_grad=True)", f"{t}.eye({n})", f"{t}.empty({n}).normal_()",
    ]))


@st.composite
def container(draw, s: Spelling, local_classes: tuple[str, ...]) -> str:
    elems = st.lists(element(s, local_classes), min_size=0, max_size=3)
    one = element(s, local_classes)
    n = draw(st.integers(1, 3))
    kind = draw(st.sampled_from(["list", "tuple", "dict", "comp", "mul", "listgen", "dictcomp", "nested", "concat",
                                 "dictcall", "params", "paramdict"]))
    if kind == "list":
        return "[" + ", ".join(draw(elems)) + "]"
    if kind == "tuple":
        items = draw(elems)
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if kind == "dict":
        keys = draw(st.lists(st.sampled_from(KEYS), max_size=3, unique=True))
        return "{" + ", ".join(f"{k!r}: {draw(one)}" for k in keys) + "}"
    if kind == "comp":
        return f"[{draw(one)} for _ in range({n})]"
    if kind == "mul":
        return f"[{draw(one)}] * {n}"
    if kind == "listgen":
        return f"list({draw(one)} for _ in range({n}))"
    if kind == "dictcomp":
        return f"{{f'k{{i}}': {draw(one)} for i in range({n})}}"
    if kind == "nested":
        return f"[[{draw(one)} for _ in range({n})] for _ in range({n})]"
    if kind == "concat":
        return f"[{draw(one)}] + [{draw(one)} for _ in range({n})]"
    if kind == "dictcall":
        return f"dict(a={draw(one)}, b={draw(one)})"
    if kind == "params":
        return f"[{s.nn}.Parameter({draw(tensor(s))}) for _ in range({n})]"
    return f"{{'w': {s.nn}.Parameter({draw(tensor(s))}), 'b': {s.nn}.Parameter({draw(tensor(s))})}}"


@st.composite
def init_statement(draw, s: Spelling, local_classes: tuple[str, ...], names: tuple[str, ...]) -> tuple[str, str]:
    """One statement of __init__ (its lines, indented 8) and the attribute it sets."""
    name = draw(st.sampled_from(names))
    kind = draw(st.sampled_from(["container", "container", "append", "setitem", "tensor", "tensor", "parameter",
                                 "annotated", "plain", "extend", "iadd"]))
    one = draw(element(s, local_classes))
    n = draw(st.integers(1, 3))
    if kind == "container":
        lines = [f"self.{name} = {draw(container(s, local_classes))}"]
    elif kind == "append":
        lines = [f"self.{name} = {draw(st.sampled_from(['[]', 'list()']))}",
                 f"for i in range({n}):", f"    self.{name}.append({one})"]
    elif kind == "setitem":
        lines = [f"self.{name} = {{}}", f"for i in range({n}):", f"    self.{name}[f'k{{i}}'] = {one}"]
    elif kind == "extend":
        lines = [f"self.{name} = []", f"self.{name}.extend([{one}, {one}])"]
    elif kind == "iadd":
        lines = [f"self.{name} = []", f"self.{name} += [{one}]"]
    elif kind == "tensor":
        lines = [f"self.{name} = {draw(tensor(s))}"]
    elif kind == "parameter":
        lines = [f"self.{name} = {s.nn}.Parameter({draw(tensor(s))})"]
    elif kind == "annotated":
        lines = [f"self.{name}: list = [{one}, {one}]"]
    else:
        lines = [f"self.{name} = {draw(layer(s, local_classes))}"]
    return "\n".join(" " * 8 + line for line in lines), name


@st.composite
def other_method(draw, s: Spelling, names: list[str], index: int) -> str:
    name = draw(st.sampled_from(names))
    body = draw(st.sampled_from([
        f"self.{name} = [{s.nn}.Linear(2, 2)]",
        f"self.{name} = {s.torch}.zeros(2)",
        f"for m in self.{name}:\n    print(m)",
        f"with {s.torch}.no_grad():\n    self.{name}.add_(1)",
        f"self.{name}.sort(key=id)",
        f"self.{name}.append({s.nn}.Linear(2, 2))",
        f"return len(self.{name})",
        f"return isinstance(self.{name}, list)",
        f"return {s.torch}.nn.functional.linear(x, self.{name})",
        f"self.{name} = self.{name} * 0.9 + 0.1",
    ]))
    return f"    def method{index}(self, x=None):\n" + textwrap.indent(body, " " * 8) + "\n"


@st.composite
def base_init(draw, s: Spelling, cls: str, base: str) -> str:
    return " " * 8 + draw(st.sampled_from([
        "super().__init__()",
        "super().__init__()",
        f"super({cls}, self).__init__()",
        f"{base}.__init__(self)",
        f"super({s.nn}.Module, self).__init__()",
        f"super({cls}).__init__()",
    ]))


@st.composite
def module_class(draw, s: Spelling, cls: str, bases: tuple[str, ...], local_classes: tuple[str, ...],
                 names: tuple[str, ...]) -> str:
    base = draw(st.sampled_from(bases))
    statements = draw(st.lists(init_statement(s, local_classes, names), min_size=1, max_size=5))
    lines = [f"class {cls}({base}):", "    def __init__(self):"]
    body = [text for text, _ in statements]
    where = draw(st.sampled_from(["first", "first", "first", "late", "missing"]))
    if where != "missing":
        position = 0 if where == "first" else draw(st.integers(1, len(body)))
        body.insert(position, draw(base_init(s, cls, base)))
    lines += body
    names = [name for _, name in statements]
    methods = draw(st.lists(other_method(s, names, 0), max_size=2))
    text = "\n".join(lines) + "\n"
    for index, method in enumerate(methods):
        text += "\n" + method.replace("def method0(", f"def method{index}(", 1)
    return text


@st.composite
def module_program(draw, disjoint_names: bool = False) -> str:
    """1 to 3 classes, each an nn.Module or a subclass of an earlier one. With ``disjoint_names``,
    no two classes set the same attribute (see DISJOINT_NAMES)."""
    s = draw(st.sampled_from(SPELLINGS))
    count = draw(st.integers(1, 3))
    classes: list[str] = []
    texts = []
    for index in range(count):
        cls = f"Gen{index}"
        bases = (f"{s.nn}.Module",) + tuple(classes)
        names = tuple(NAMES[index::count]) if disjoint_names else tuple(NAMES)
        texts.append(draw(module_class(s, cls, bases, tuple(classes), names)))
        classes.append(cls)
    return s.imports + "\n\n" + "\n\n".join(texts)


# Classes of one hierarchy may set the same attributes (where base and subclass fixes interact);
# MODFIX_HYPOTHESIS_SHARED_NAMES=0 turns that off to narrow a failure down.
DISJOINT_NAMES = os.environ.get("MODFIX_HYPOTHESIS_SHARED_NAMES") == "0"


@examples(200)
@given(module_program(disjoint_names=DISJOINT_NAMES), st.booleans())
def test_generated_modules_never_break(source, unsafe):
    note(source)
    assert parses(source), source
    fix_is_sound(source, unsafe_fixes=unsafe)


# --- (b) with PyTorch: what the rewrite registers -------------------------------------------------


def build_all(source: str) -> dict:
    """Every Gen class of the program: its instance, or the exception its construction raised."""
    import torch  # noqa: F401  (the generated code imports it; importing here keeps the cost once)

    namespace: dict = {"__name__": "generated"}
    exec(compile(source, "<generated>", "exec"), namespace)
    built = {}
    for name, value in list(namespace.items()):
        if name.startswith("Gen") and isinstance(value, type):
            try:
                built[name] = value()
            except Exception as exc:
                built[name] = exc
    return built


def holdings(value, path: str, depth: int = 0):
    """The layers and tensors held on an attribute, by path, looking into plain lists/tuples/dicts."""
    import torch

    if depth > 4:
        return
    if isinstance(value, torch.nn.Module) or isinstance(value, torch.Tensor):
        yield path, value
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from holdings(item, f"{path}[{index}]", depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from holdings(item, f"{path}[{key!r}]", depth + 1)


def unregistered(instance, plain_tensors: bool = True) -> dict[str, list[str]]:
    """Per attribute of ``instance`` (and its submodules): held layers with state, and tensors (only
    nn.Parameters without ``plain_tensors``), that parameters()/buffers()/modules() do not reach."""
    import torch

    registered = {id(t) for t in instance.parameters()} | {id(t) for t in instance.buffers()}
    modules = {id(m) for m in instance.modules()}
    missing: dict[str, list[str]] = {}
    for owner in instance.modules():
        for attribute, value in vars(owner).items():
            if attribute.startswith("_") or attribute == "training":
                continue
            for path, held in holdings(value, attribute):
                if isinstance(held, torch.nn.Module):
                    if not initialised(held):
                        continue  # never ran nn.Module.__init__: no registries, so no state to register
                    has_state = any(True for _ in held.parameters()) or any(True for _ in held.buffers())
                    if id(held) not in modules and has_state:
                        missing.setdefault(attribute, []).append(path)
                elif id(held) not in registered and (plain_tensors or isinstance(held, torch.nn.Parameter)):
                    missing.setdefault(attribute, []).append(path)
    return missing


def initialised(instance) -> bool:
    """nn.Module.__init__ ran for it and every submodule (else it has no registries at all)."""
    try:
        return all("_parameters" in vars(m) for m in instance.modules())
    except AttributeError:  # a submodule without registries
        return False


def state_names(instance) -> set[str]:
    if not initialised(instance):
        return set()
    return {name for name, _ in instance.named_parameters()} | {name for name, _ in instance.named_buffers()}




def assigned_once(source: str) -> set[str]:
    """Attributes with exactly one ``self.X = ...`` / ``self.X: T = ...`` in the whole program."""
    counts: dict[str, int] = {}
    for node in ast.walk(ast.parse(source)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        for target in targets:
            if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
                counts[target.attr] = counts.get(target.attr, 0) + 1
    return {name for name, count in counts.items() if count == 1}


@examples(100)
@given(module_program(disjoint_names=DISJOINT_NAMES))
def test_generated_modules_rewritten_with_safe_fixes_build_and_register(source):
    pytest.importorskip("torch")
    note(source)
    original = build_all(source)
    result = fix_is_sound(source, unsafe_fixes=False)
    rewritten = build_all(result.fixed or source)
    for name, before in original.items():
        if isinstance(before, Exception) or not initialised(before):
            continue  # the original does not build, or never ran nn.Module.__init__: no working module
        after = rewritten[name]
        if isinstance(after, Exception) and repr(after) in {repr(e) for e in original.values() if isinstance(e, Exception)}:
            # a fix that makes a base __init__ run where none ran (MF303, MF305) runs the base's own code: when
            # the original already raises this building that base, the error is the program's, not the fix's
            continue
        assert not isinstance(after, Exception), f"{name}: the original builds, the safe rewrite raises {after!r}"
        assert initialised(after), f"{name}: the rewrite no longer runs nn.Module.__init__"
        lost = state_names(before) - state_names(after)
        assert not lost, f"{name}: the rewrite dropped registered state {sorted(lost)}"
        # what is still not registered is named by a finding, at least where the attribute is assigned
        # once (an attribute assigned containers of different kinds is unknown: see the xfail below).
        # Plain tensors are claimed only with evidence that registration matters (a use in forward),
        # which these programs do not have: only modules and Parameters are owed a finding here.
        reported = {f.message.split("`")[1] for f in result.remaining + result.findings if "`" in f.message}
        once = assigned_once(source)
        for attribute, paths in unregistered(after, plain_tensors=False).items():
            if attribute in once:
                assert f"self.{attribute}" in reported, (
                    f"{name}: self.{attribute} holds unregistered {paths} and no finding names it")


# --- bugs found by the properties above: each a minimal reproduction ---------------------------------


def rewrite_and_build(source: str, cls: str = "Child", *, unsafe_fixes: bool = False, working: bool = True) -> str:
    """Build ``cls`` from the original (it builds; with ``working``, as a working module) and from the
    rewrite, which raises what the rewrite broke."""
    import torch  # noqa: F401

    namespace: dict = {}
    exec(compile(source, "<original>", "exec"), namespace)
    assert initialised(namespace[cls]()) == working
    result = fix_source(source, unsafe_fixes=unsafe_fixes, select=ALL)
    assert result.fixed is not None, "modfix does not fix this any more: check the reproduction"
    namespace = {}
    exec(compile(result.fixed, "<rewritten>", "exec"), namespace)
    namespace[cls]()  # raises: the safe fix broke a working module
    return result.fixed


BASE_LIST_CHILD_DICT = """\
import torch.nn as nn


class Base(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = [nn.Linear(2, 2)]


class Child(Base):
    def __init__(self):
        super().__init__()
        self.blocks = {}
"""


def keeps_working(source: str, cls: str = "Child") -> list:
    """The safe fixes leave ``cls`` constructible; returns the findings (still reported)."""
    import torch  # noqa: F401

    namespace: dict = {}
    exec(compile(source, "<original>", "exec"), namespace)
    namespace[cls]()
    result = fix_source(source, select=ALL)
    namespace = {}
    exec(compile(result.fixed or source, "<rewritten>", "exec"), namespace)
    namespace[cls]()
    return result.findings


def test_safe_container_fix_in_a_base_keeps_a_subclass_that_reassigns_it_working():
    """Was a bug: the safe MF101 fix of Base.blocks ignored the subclass's dict (TypeError in Child())."""
    pytest.importorskip("torch")
    findings = keeps_working(BASE_LIST_CHILD_DICT)
    assert [(f.code, f.applicability.value) for f in findings] == [("MF101", "display-only")]


BASE_PLAIN_CHILD_TENSOR = """\
import torch
import torch.nn as nn


class Base(nn.Module):
    def __init__(self):
        super().__init__()
        self.mask = None


class Child(Base):
    def __init__(self):
        super().__init__()
        self.mask = torch.tensor([1.0, 2.0])

    def forward(self, x):
        return x * self.mask
"""


def test_safe_register_buffer_in_a_subclass_whose_base_sets_a_plain_attribute():
    """Was a bug: register_buffer('mask', ...) in Child after Base set self.mask (KeyError in Child())."""
    pytest.importorskip("torch")
    findings = keeps_working(BASE_PLAIN_CHILD_TENSOR)
    assert [(f.code, f.applicability.value) for f in findings] == [("MF201", "display-only")]


NEVER_INITIALISED = {
    # the safe MF303 fix super().__init__() now runs Base.__init__, which registers the Parameter
    # `table`: the next line raises TypeError: cannot assign 'list' as parameter 'table'
    "unbound-super-then-plain-assignment": """\
import torch
import torch.nn as nn


class Base(nn.Module):
    def __init__(self):
        super().__init__()
        self.table = nn.Parameter(torch.eye(2))


class Child(Base):
    def __init__(self):
        super(Child).__init__()
        self.table = []
""",
    # MF302 is not fixed here, but the safe MF101 fix is: ModuleList() raises AttributeError: cannot
    # assign module before Module.__init__() call
    "super-skips-module-then-container": """\
import torch.nn as nn


class Base(nn.Module):
    def __init__(self):
        super().__init__()


class Child(Base):
    def __init__(self):
        super(nn.Module, self).__init__()
        self.layers = []
        self.layers.append(nn.Linear(1, 1))
""",
}


@pytest.mark.parametrize("name", list(NEVER_INITIALISED))
def test_safe_fix_of_a_never_initialised_module_does_not_make_construction_raise(name):
    """Were bugs (the original never runs nn.Module.__init__, so it is no working module either, but it
    builds): the MF303 fix is unsafe when the base init it makes run registers a name the class then
    assigns otherwise; a container fix is not safe where nn.Module.__init__ never ran."""
    pytest.importorskip("torch")
    import torch  # noqa: F401

    source = NEVER_INITIALISED[name]
    result = fix_source(source, unsafe_fixes=False, select=ALL)
    assert result.findings, "the never-initialised module is still reported"
    namespace: dict = {}
    exec(compile(result.fixed or source, "<rewritten>", "exec"), namespace)
    namespace["Child"]()


MIXED_CONTAINER_KINDS = """\
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = {}
        self.blocks = []
        self.blocks += [nn.LayerNorm(2)]
"""


def test_attribute_assigned_two_container_kinds_is_still_reported():
    result = fix_source(MIXED_CONTAINER_KINDS, unsafe_fixes=True, select=ALL)
    assert result.error is None
    assert any("`self.blocks`" in f.message for f in result.findings)


BASE_TENSOR_CHILD_LIST = """\
import torch
import torch.nn as nn


class Base(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = torch.zeros(1)

    def forward(self, x):
        return torch.cat([x, self.layers])


class Child(Base):
    def __init__(self):
        super().__init__()
        self.layers = [nn.Linear(1, 1) for _ in range(1)]
"""


BASE_WITHOUT_INIT_CHILD_TENSOR = """\
import torch
import torch.nn as nn


class Base(nn.Module):
    def __init__(self):
        self.scale = 2


class Child(Base):
    def __init__(self):
        super().__init__()
        self.mask = torch.tril(torch.ones(3, 3))

    def forward(self, x):
        return x * self.mask * self.scale
"""


def test_one_apply_reaches_the_fixpoint_with_fixes_in_a_base_and_a_subclass():
    """The reproduction this replaces (a base's buffer fix that enabled the subclass's list fix) was
    itself a breaking fix, now refused (next test); here the base's fix (MF305) is what lets the
    subclass register its buffer at all."""
    first = fix_source(BASE_WITHOUT_INIT_CHILD_TENSOR, unsafe_fixes=True, select=ALL)
    assert first.fixed is not None
    assert sorted(f.code for f in first.findings) == ["MF201", "MF305"]
    second = fix_source(first.fixed, unsafe_fixes=True, select=ALL)
    assert second.fixed is None or second.fixed == first.fixed, second.fixed


def test_a_buffer_fix_waits_for_a_base_init_that_never_reaches_nn_module():
    result = fix_source(BASE_WITHOUT_INIT_CHILD_TENSOR, unsafe_fixes=True, select=["MF201"])
    assert [f.applicability.value for f in result.findings] == ["display-only"]
    assert "nn.Module.__init__" in result.findings[0].message


def test_a_base_buffer_fix_is_refused_when_a_subclass_assigns_a_list():
    """Was the first half of the reproduction above: the base's tensor became a buffer, and the
    subclass's `self.layers = [...]` then raises TypeError (cannot assign 'list' as buffer)."""
    torch = pytest.importorskip("torch")
    findings = fix_source(BASE_TENSOR_CHILD_LIST, unsafe_fixes=True, select=ALL).findings
    base = [f for f in findings if f.code == "MF201"]
    assert [f.applicability.value for f in base] == ["display-only"]
    assert "line 17" in base[0].message and "not a tensor" in base[0].message
    registered = BASE_TENSOR_CHILD_LIST.replace("self.layers = torch.zeros(1)",
                                                'self.register_buffer("layers", torch.zeros(1))')
    namespace: dict = {}
    exec(compile(registered, "<registered>", "exec"), namespace)
    with pytest.raises(TypeError):
        namespace["Child"]()
    assert torch
