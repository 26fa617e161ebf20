#!/usr/bin/env python3
"""Write codemods/_torch_tables.py: torch's Module class tree, Tensor methods, and what torch's functions and
Tensor methods return, read off the installed torch.

    python tests/generate_torch_tables.py          # rewrite the table
    python tests/generate_torch_tables.py --check  # exit 1 when the table differs from this torch

modfix never imports torch, so what it knows of torch's class tree and functions is this generated table:

- ``CLASS_BASES``: each class in the MRO of an nn.Module subclass of torch (mixins and typing bases
  included, ``object`` left out), by the name it is defined under, with its direct bases. Which classes
  are Modules, and their exact MROs, follow from it.
- ``ALIASES``: every other public name a class of the table can be imported by (``torch.nn.Linear``,
  ``torch.nn.modules.Linear`` -> ``torch.nn.modules.linear.Linear``).
- ``TENSOR_METHODS``: the public methods of ``torch.Tensor``.
- ``TORCH_FUNCTIONS``: each public function of ``torch``, ``torch.fft``, ``torch.linalg``, ``torch.special``
  and ``torch.nn.functional`` that returns a single tensor, by the name a program calls (``torch.zeros``,
  ``torch.nn.functional.softmax``), with what the result's dtype does: ``"same"`` (it follows the tensors or
  numbers passed: float in, float out, int in, int out; a function of floats only counts), ``"float"``
  (floating or complex whatever the input: ``sqrt``, ``zeros``, ``rand``), ``"int"`` (``argmax``,
  ``randperm``), ``"bool"`` (``eq``, ``isnan``), or ``"unknown"`` (the stubs say it returns a tensor, but no
  call showed its dtype).
- ``TENSOR_METHOD_DTYPES``: the same for the methods of ``torch.Tensor`` (``"view"``, ``"long"``, ``"sum"``).

Both come from torch itself, not from a hand list. A function returns a single tensor when no stub overload
(``torch/_C/_VariableFunctions.pyi``, ``_nn.pyi``, ``nn/functional.pyi``, ``TensorBase`` in ``_C/__init__.pyi``)
or Python return annotation says otherwise, and a stub says so or a call returned one; one that may return a
tuple (``max``, ``sort``, ``where``, ``unique``) is left out. The dtype is what calls show: each function is
called with the argument lists of ``FUNCTION_PATTERNS`` (``METHOD_PATTERNS``), once with float32 tensors and
float numbers and once with int64 tensors and int numbers (float out both times: "float"; float out, then int
out: "same"), warnings silenced, each call guarded, the random generator seeded before each, so the table is
the same on every run. Functions that touch files, compile, start processes, change the state of the process,
or need an accelerator or a backend not every build has are never called (``NEVER_CALLED``): their stubs alone
say whether they are listed.

Every submodule of torch that imports is walked, so the table is complete for the names a program can
import; ``tests/test_torch_facts.py`` checks that it matches the torch the tests run with. Submodules that
need an optional dependency are named in ``SKIPPED_MODULES``: the check leaves out a class that only one
side could import, so it holds wherever the tests run (with numpy or without).
"""
from __future__ import annotations

import ast
import contextlib
import importlib
import inspect
import io
import pkgutil
import sys
import typing
import warnings
from pathlib import Path

TARGET = Path(__file__).resolve().parent.parent / "codemods" / "_torch_tables.py"
ROOT = "torch.nn.Module"  # how modfix names nn.Module, whatever module torch defines it in


def _import_everything(torch) -> tuple[list[str], list[str]]:
    """The submodules of torch that import here, and those that do not (optional dependencies)."""
    failed: set[str] = set()
    argv, sys.argv = sys.argv, sys.argv[:1]  # a few modules parse the command line when imported
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for info in pkgutil.walk_packages(torch.__path__, "torch.", onerror=failed.add):
            if ".testing._internal" in info.name or info.name.endswith(".__main__"):
                continue  # torch's own test helpers (not API; some start servers) and scripts
            try:
                importlib.import_module(info.name)
            except BaseException:  # optional dependencies, platform-only modules
                failed.add(info.name)
    sys.argv = argv
    imported = sorted(name for name, module in sys.modules.items()
                      if module is not None and (name == "torch" or name.startswith("torch.")))
    return imported, sorted(failed - set(imported))


def _name(cls: type, module_class: type) -> str:
    return ROOT if cls is module_class else f"{cls.__module__}.{cls.__qualname__}"


def _public(module_name: str) -> bool:
    return not any(part.startswith("_") for part in module_name.split("."))


def collect() -> tuple[dict[str, tuple[str, ...]], dict[str, str], list[str]]:
    """The class table, the aliases, and the modules that did not import."""
    import torch

    module_class = torch.nn.Module
    bases: dict[str, tuple[str, ...]] = {}
    aliases: dict[str, str] = {}
    imported, skipped = _import_everything(torch)
    for module_name in imported:
        module = sys.modules[module_name]
        try:
            members = list(vars(module).items())
        except TypeError:
            continue
        for attribute, value in members:
            if not (inspect.isclass(value) and issubclass(value, module_class)):
                continue
            if not value.__module__.startswith("torch") or ".testing._internal" in value.__module__:
                continue
            for cls in value.__mro__:
                if cls is not object:
                    bases[_name(cls, module_class)] = tuple(_name(b, module_class) for b in cls.__bases__ if b is not object)
            defined = _name(value, module_class)
            alias = f"{module_name}.{attribute}"
            if alias != defined and _public(module_name):
                aliases[alias] = defined
    return bases, aliases, skipped


def _wrapped(names: list[str], width: int = 112) -> list[str]:
    lines, line = [], "   "
    for name in names:
        item = f" {name!r},"
        if len(line) + len(item) > width:
            lines.append(line)
            line = "   "
        line += item
    return lines + [line]


def tensor_methods() -> list[str]:
    import torch

    return sorted(n for n in dir(torch.Tensor) if not n.startswith("_") and callable(getattr(torch.Tensor, n)))


# --- what the public functions of torch and the methods of Tensor return, found by calling them --------------

FUNCTION_NAMESPACES = ("torch", "torch.fft", "torch.linalg", "torch.special", "torch.nn.functional")
# helpers torch.nn.functional imports for its own use: not its API
NOT_API = frozenset({
    "torch.nn.functional.Optional", "torch.nn.functional.boolean_dispatch",
    "torch.nn.functional.handle_torch_function", "torch.nn.functional.has_torch_function",
    "torch.nn.functional.has_torch_function_unary", "torch.nn.functional.has_torch_function_variadic",
})
# Never called while probing (what their stubs say of them still counts), with NEVER_CALLED_PREFIXES:
NEVER_CALLED = frozenset({
    # they read or write files, or load code
    "torch.load", "torch.save", "torch.from_file", "torch.import_ir_module", "torch.import_ir_module_from_buffer",
    "torch.get_file_path",
    # they compile, trace or run other callables, or start futures or processes
    "torch.compile", "torch.cond", "torch.while_loop", "torch.vmap", "torch.fork", "torch.wait",
    "torch.prepare_multiprocessing_environment", "torch.profiler_allow_cudagraph_cupti_lazy_reinit_cuda12",
    # they change the state of the process: the random seed, threads, autocast, determinism
    "torch.manual_seed", "torch.seed", "torch.use_deterministic_algorithms", "torch.init_num_threads",
    "torch.autocast_increment_nesting", "torch.autocast_decrement_nesting", "torch.clear_autocast_cache",
    "torch.thread_safe_generator",
    # Tensor methods: the autograd engine, a shared-memory file, and what needs an accelerator or a backend that
    # not every build of torch has (what they do would differ from machine to machine, and the table must not)
    "Tensor.backward", "Tensor.share_memory_", "Tensor.record_stream", "Tensor.cuda", "Tensor.xpu", "Tensor.ipu",
    "Tensor.mtia", "Tensor.pin_memory", "Tensor.to_mkldnn",
})
NEVER_CALLED_PREFIXES = (
    "torch.set_",  # they change the state of the process (default dtype and device, threads, printing, ...)
    # kernels of one backend: whether they run depends on the build of torch and on the machine
    "torch.cudnn_", "torch.miopen_", "torch.mkldnn_", "torch.fbgemm_",
)
# The argument lists a function is called with, each twice: once with float32 tensors and float numbers, once
# with int64 tensors and int numbers. "T" is a 3x3 tensor of positive values (symmetric positive definite, all
# below 1 when float), "R" a row of 3 ascending values, "B" and "Q" the 3x3 values as a 1x3x3 and a 1x1x3x3
# tensor, "L" a list of two "T", "S2"/"S3" the numbers 2 and 3; "M" (a 3x3 bool mask), "I" (a 3x3 index tensor)
# and "V" (a 1-D one) are the same both times, as are the other values (dims, sizes, flags, strings). The
# first list that gives a tensor with floats says what the dtype does (``_classified``): the plainest first.
FUNCTION_PATTERNS = (
    ("T",), ("T", "T"), ("T", 1), ("T", "T", "T"), ("T", "M"), ("T", "M", 1), ("M", "T", "T"), ("T", 1, "I"),
    ("T", "I"), ("T", "V"), ("I", "T"), ("T", "I", "T"), ("T", 0, "V"), ("T", 0, 1), ("T", 0, 0, 1),
    ("T", "T", 1), ("L",), ("ij->ji", "T"), ("T", "R"), ("R",), ("R", "R"), ("R", "T", "R"), ("T", "R", "R"),
    ("B",), ("B", 1), ("B", "B"), ("B", "B", "B"), ("T", "B", "B"), ("Q", "Q"), ("Q", 1), ("Q", 1, 1), (1, "T"),
    ("T", 0.5, False), ("T", (3,)), ("T", (3, 3)), ("T", (1, 0)), ("T", (1, 1)), ("T", "M", "T"),
    ("T", 1, "I", "T"), ("T", 0, "V", "T"), ("T", 0, "V", 1), ("T", "R", 0, 0), ("T", (3, 3), (3, 1)),
    ("T", 1, (3, 1)), ("T", True), ("T", True, True),
    # factories
    ("S2",), ("S2", "S3"), ("S2", "S3", "S3"), ((2, 3),), ((2, 3), "S2"), ("S2", (2, 3)), ("S2", "S3", (2, 3)),
)
# the same for a method, called on the first value of the list
METHOD_PATTERNS = (
    ("T",), ("T", 0), ("T", -1), ("T", 1), ("T", "T"), ("T", 0, 1), ("T", 3, 3), ("T", "M"), ("T", "M", 1),
    ("T", "M", "T"), ("T", 1, "I"), ("T", "I", "T"), ("T", 0, "V"), ("T", 0, 0, 1), ("T", 0, 2, 1),
    ("T", "T", "T"), ("T", "R"), ("R",), ("R", "R"), ("R", "T", "R"), ("T", "R", "R"), ("B", "B"),
    ("B", "B", "B"), ("T", "B", "B"), ("T", 1, "T"), ("T", 1, "I", "T"), ("T", 1, "I", "T", "sum"),
    ("T", 0, "V", "T"), ("T", 0, "V", 1), ("T", "R", 0, 0), ("T", (3, 3), (3, 1)), ("T", (2, 3)),
    ("T", (2, 3), 1), ("T", "V"), ("T", 0.5), ("T", 1, (3, 1)), ("T", True), ("T", True, True),
)
NOT_A_TENSOR = "not a tensor"


def _values(torch, floating: bool) -> dict:
    square = [[0.9, 0.2, 0.1], [0.2, 0.8, 0.3], [0.1, 0.3, 0.7]] if floating else [[2, 1, 1], [1, 2, 1], [1, 1, 2]]
    return {
        "T": torch.tensor(square), "B": torch.tensor(square).reshape(1, 3, 3),
        "Q": torch.tensor(square).reshape(1, 1, 3, 3), "R": torch.tensor([0.1, 0.2, 0.9] if floating else [1, 1, 2]),
        "M": torch.tensor([[True, False, True], [False, True, False], [True, False, True]]),
        "I": torch.tensor([[0, 1, 2], [2, 1, 0], [1, 0, 2]]), "V": torch.tensor([0, 2, 1]),
    }


def _arguments(values: dict, pattern: tuple, floating: bool) -> list:
    """Fresh values for an argument list (a call may change its arguments in place)."""
    args = []
    for slot in pattern:
        if isinstance(slot, str) and slot in values:
            args.append(values[slot].clone())
        elif slot == "L":
            args.append([values["T"].clone(), values["T"].clone()])
        elif slot in ("S2", "S3"):
            args.append(float(slot[1]) if floating else int(slot[1]))
        else:
            args.append(slot)
    return args


def _family(torch, dtype) -> str:
    if dtype == torch.bool:
        return "bool"
    if dtype.is_floating_point or dtype.is_complex:
        return "float"
    try:
        torch.iinfo(dtype)
    except (TypeError, ValueError):
        return "other"  # quantized and bit dtypes
    return "int"


def _outcome(torch, call, args) -> str | None:
    """The dtype family of what ``call(*args)`` returns, NOT_A_TENSOR, or None when it raises."""
    torch.default_generator.manual_seed(0)  # (torch.manual_seed would seed every accelerator too: slow)
    try:
        value = call(*args)
    except KeyboardInterrupt:
        raise
    except BaseException:  # wrong arguments, a dtype the function is not implemented for, SystemExit, ...
        return None
    return _family(torch, value.dtype) if isinstance(value, torch.Tensor) else NOT_A_TENSOR


def _probed(torch, target, patterns, method: bool, until_one: bool) -> list[tuple[str | None, str | None]]:
    """What each argument list gives with floats and with ints: ``target(*args)``, or for a method (target its
    name) ``args[0].target(*args[1:])``. ``until_one``: stop at the first list that gives a tensor with floats
    (when the stubs say every overload returns a tensor, later lists could only change nothing)."""
    found, values = [], {floating: _values(torch, floating) for floating in (True, False)}
    for pattern in patterns:
        pair = []
        for floating in (True, False):
            args = _arguments(values[floating], pattern, floating)
            call = getattr(args.pop(0), target, None) if method else target
            pair.append(_outcome(torch, call, args) if call is not None else None)
        found.append((pair[0], pair[1]))
        if until_one and pair[0] is not None:
            break
    return found


def _kind(on_float: str | None, on_int: str | None) -> str:
    """What the result's dtype does, from what one argument list gave with floats and with ints."""
    if on_float and on_int:
        if (on_float, on_int) == ("float", "int"):
            return "same"
        return on_float if on_float == on_int and on_float != "other" else "unknown"
    if on_float == "float":  # a function of floats only (mean, softmax, erf): float in, float out
        return "same"
    found = on_float or on_int
    return found if found in ("float", "int", "bool") else "unknown"


def _says_tensor(torch, annotation) -> bool:
    """Whether a return annotation (a stub's text, or what a Python function has) is a tensor."""
    if isinstance(annotation, str):
        return annotation.strip("'\"") in ("Tensor", "torch.Tensor", "Self", "S")  # S: a TypeVar bound to Tensor
    if annotation is getattr(typing, "Self", object()):
        return True
    return inspect.isclass(annotation) and issubclass(annotation, torch.Tensor)


def _classified(torch, outcomes, annotations) -> str | None:
    """The table's value for a callable, or None when it is not known to return a single tensor: when a stub
    overload or a call says it returns something else, or neither a stub nor a call says it returns a tensor.
    The first argument list that gave a tensor with floats says what the dtype does (with what it gave with
    ints), else the first that gave one with ints: a list that only works with ints may have its ints read as
    indices (``take(t, t)``) where a later one shows what the function does to values (``take(t, index)``)."""
    results = [result for pair in outcomes for result in pair if result is not None]
    if NOT_A_TENSOR in results or not all(_says_tensor(torch, a) for a in annotations):
        return None
    if not results and not annotations:
        return None
    decisive = next((p for p in outcomes if p[0]), None) or next((p for p in outcomes if p[1]), None)
    return _kind(*decisive) if decisive else "unknown"


def _value(torch, target, patterns, method: bool, annotations: list, never_call: bool) -> str | None:
    """The table's value for a function or method (``_classified``), calling it unless a stub already says it
    may return something else than a tensor."""
    stubs_say_tensor = [_says_tensor(torch, a) for a in annotations]
    if not all(stubs_say_tensor):
        return None
    outcomes = [] if never_call else _probed(torch, target, patterns, method, until_one=bool(stubs_say_tensor))
    return _classified(torch, outcomes, annotations)


def _stub_returns(path: Path, class_name: str | None = None) -> dict[str, list[str]]:
    """The return annotation of each overload of each function of a stub (or of one class of it)."""
    body = ast.parse(path.read_text(encoding="utf-8")).body
    if class_name is not None:
        body = next(node.body for node in body if isinstance(node, ast.ClassDef) and node.name == class_name)
    returns: dict[str, list[str]] = {}
    pending = list(body)
    while pending:
        node = pending.pop(0)
        if isinstance(node, ast.If):
            pending += node.body + node.orelse
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns is not None:
            returns.setdefault(node.name, []).append(ast.unparse(node.returns))
    return returns


def _python_return(torch, obj) -> list:
    """The return annotation of a function written in Python, when it has one; for one that calls one of two
    functions as a flag says (``torch.unique``, ``max_pool2d``), theirs."""
    if not inspect.isfunction(inspect.unwrap(obj)):
        return []
    dispatched = torch._jit_internal.boolean_dispatched.get(obj)
    if dispatched is not None:
        return _python_return(torch, dispatched["if_true"]) + _python_return(torch, dispatched["if_false"])
    try:
        annotation = inspect.signature(obj).return_annotation
    except (TypeError, ValueError, NameError):
        return []
    return [] if annotation is inspect.Signature.empty else [annotation]


def _probing(work):
    """Run ``work`` with warnings and printing silenced, from float32 as the default dtype."""
    import torch

    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float32)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            return work()
    finally:
        torch.set_default_dtype(default)


def _never_called(name: str) -> bool:
    return name in NEVER_CALLED or name.startswith(NEVER_CALLED_PREFIXES)


def public_functions() -> list[tuple[str, str, object]]:
    """(namespace, name, value) of each public function of FUNCTION_NAMESPACES (classes and modules left out)."""
    found = []
    for namespace in FUNCTION_NAMESPACES:
        module = importlib.import_module(namespace)
        for name in sorted(dir(module)):
            value = getattr(module, name, None)
            if name.startswith("_") or f"{namespace}.{name}" in NOT_API or not callable(value):
                continue
            if not (inspect.isclass(value) or inspect.ismodule(value)):
                found.append((namespace, name, value))
    return found


def torch_functions() -> dict[str, str]:
    """TORCH_FUNCTIONS: each public function of FUNCTION_NAMESPACES that returns a single tensor (by its stubs
    and by calling it), and what its dtype does."""
    import torch

    stubs = Path(torch.__file__).parent
    variable_functions = _stub_returns(stubs / "_C" / "_VariableFunctions.pyi")
    nn_builtins = _stub_returns(stubs / "_C" / "_nn.pyi")
    functional = _stub_returns(stubs / "nn" / "functional.pyi")

    def annotations(namespace: str, name: str, value) -> list:
        found = _python_return(torch, value)
        if getattr(torch._C._VariableFunctions, name, None) is value:
            found += variable_functions.get(name, [])
        if getattr(torch._C._nn, name, None) is value:
            found += nn_builtins.get(name, [])
        return found + (functional.get(name, []) if namespace == "torch.nn.functional" else [])

    def work() -> dict[str, str]:
        table = {}
        for namespace, name, value in public_functions():
            kind = _value(torch, value, FUNCTION_PATTERNS, False, annotations(namespace, name, value),
                          _never_called(f"{namespace}.{name}"))
            if kind is not None:
                table[f"{namespace}.{name}"] = kind
        return table

    return _probing(work)


def tensor_method_dtypes() -> dict[str, str]:
    """TENSOR_METHOD_DTYPES: each public method of torch.Tensor that returns a single tensor (by its stubs and
    by calling it), and what its dtype does."""
    import torch

    base = _stub_returns(Path(torch.__file__).parent / "_C" / "__init__.pyi", "TensorBase")

    def work() -> dict[str, str]:
        table = {}
        for name in tensor_methods():
            value = getattr(torch.Tensor, name)
            said = _python_return(torch, value) if inspect.isfunction(inspect.unwrap(value)) else base.get(name, [])
            kind = _value(torch, name, METHOD_PATTERNS, True, said, _never_called(f"Tensor.{name}"))
            if kind is not None:
                table[name] = kind
        return table

    return _probing(work)


def _varies(torch, target, patterns, method: bool) -> bool:
    """Does the result depend on the random seed? The first argument list that gives a tensor with floats,
    called from seed 0 and from seed 1 on fresh copies of the same values."""
    values = _values(torch, True)
    for pattern in patterns:
        results = []
        for seed in (0, 1):
            args = _arguments(values, pattern, True)
            call = getattr(args.pop(0), target, None) if method else target
            torch.default_generator.manual_seed(seed)
            try:
                results.append(call(*args) if call is not None else None)
            except KeyboardInterrupt:
                raise
            except BaseException:
                results.append(None)
        first, second = results
        if isinstance(first, torch.Tensor) and isinstance(second, torch.Tensor):
            if first.layout != torch.strided or first.is_quantized:
                return False  # sparse, quantized: not compared here
            if first.shape != second.shape or first.dtype != second.dtype:
                return True
            try:
                if first.is_floating_point() or first.is_complex():
                    return not torch.allclose(first, second, equal_nan=True)
                return not torch.equal(first, second)
            except Exception:  # a dtype the comparison is not implemented for
                return False
    return False


def random_callables(functions: dict[str, str], methods: dict[str, str]) -> list[str]:
    """RANDOM_CALLABLES: the functions of TORCH_FUNCTIONS and the methods of TENSOR_METHOD_DTYPES (as
    ``Tensor.<name>``) whose result depends on the random seed (dropout, bernoulli, exponential_, ...)."""
    import torch

    def work() -> list[str]:
        found = []
        for qualname in sorted(functions):
            namespace, _, name = qualname.rpartition(".")
            if "empty" in name:
                continue  # uninitialised memory differs from call to call, seed or not: not random, and not stable
            value = getattr(importlib.import_module(namespace), name, None)
            if value is not None and not _never_called(qualname) and _varies(torch, value, FUNCTION_PATTERNS, False):
                found.append(qualname)
        for name in sorted(methods):
            if "empty" not in name and not _never_called(f"Tensor.{name}") and _varies(torch, name, METHOD_PATTERNS, True):
                found.append(f"Tensor.{name}")
        return found

    return _probing(work)


def render(bases, aliases, skipped, functions: dict[str, str], methods: dict[str, str],
           random: list[str] = ()) -> str:
    import torch

    lines = [
        f'"""Generated by tests/generate_torch_tables.py from torch {torch.__version__.split("+")[0]}: do not edit.',
        "",
        "CLASS_BASES: every class in the MRO of an nn.Module subclass of torch, by the name it is defined under,",
        "with its direct bases (object left out). ALIASES: the other public names those classes are imported by.",
        "TENSOR_METHODS: the public methods of torch.Tensor. SKIPPED_MODULES: the submodules of torch that did",
        "not import where the table was generated (optional dependencies): classes defined there are missing.",
        "",
        "TORCH_FUNCTIONS: the public functions of torch, torch.fft, torch.linalg, torch.special and",
        "torch.nn.functional that return a single tensor, by the name a program calls (torch.zeros); and",
        "TENSOR_METHOD_DTYPES: the methods of torch.Tensor that do, by name. Each says what the result's dtype",
        "does, as calling it with float32 and int64 tensors (and with float and int numbers) showed:",
        '"same" (follows the tensors or numbers passed: float in, float out; a function of floats only',
        'counts), "float" (floating or complex whatever the input: sqrt, zeros, rand), "int" (argmax,',
        'randperm), "bool" (eq, isnan), or "unknown" (the stubs say it returns a tensor; no call told more).',
        "Functions that may return something else (a tuple: max, sort, where) are left out.",
        "RANDOM_CALLABLES: those of them (methods as Tensor.<name>) whose result depends on the random seed.",
        '"""',
        "",
        "CLASS_BASES = {",
    ]
    lines += [f"    {name!r}: {tuple(found)!r}," for name, found in sorted(bases.items())]
    lines += ["}", "", "ALIASES = {"]
    lines += [f"    {alias!r}: {name!r}," for alias, name in sorted(aliases.items())]
    lines += ["}", "", "TENSOR_METHODS = frozenset(("]
    lines += _wrapped(tensor_methods())
    lines += ["))", "", "SKIPPED_MODULES = ("]
    lines += [f"    {name!r}," for name in skipped]
    lines += [")", "", "TORCH_FUNCTIONS = {"]
    lines += [f"    {name!r}: {kind!r}," for name, kind in sorted(functions.items())]
    lines += ["}", "", "TENSOR_METHOD_DTYPES = {"]
    lines += [f"    {name!r}: {kind!r}," for name, kind in sorted(methods.items())]
    lines += ["}", "", "RANDOM_CALLABLES = frozenset(("]
    lines += _wrapped(list(random))
    lines += ["))", ""]
    return "\n".join(lines)


def _within(name: str, modules) -> bool:
    return any(name == m or name.startswith(m + ".") for m in modules)


def _importable_only_elsewhere(kind: str, name: str, value, skipped) -> bool:
    """A class defined in a skipped module, or an alias in one or for such a class."""
    return _within(name, skipped) or (kind == "alias" and _within(value, skipped))


def differences(bases, aliases, skipped, functions: dict[str, str] | None = None,
                methods: dict[str, str] | None = None, random: list[str] | None = None) -> list[str]:
    """How the table differs from this torch, leaving out what only one side could import: a class
    defined in a module that did not import here, or that did not import where the table was made.
    The probed tables are compared when given (probing takes a few seconds)."""
    table: dict = {}
    exec(compile(TARGET.read_text(encoding="utf-8"), str(TARGET), "exec"), table)
    found = []
    for kind, mine, theirs in (("class", bases, table["CLASS_BASES"]), ("alias", aliases, table["ALIASES"])):
        for name in sorted(set(mine) | set(theirs)):
            if name in mine and name in theirs:
                if mine[name] != theirs[name]:
                    found.append(f"{kind} {name}: {theirs[name]!r} in the table, {mine[name]!r} in this torch")
            elif name in theirs and not _importable_only_elsewhere(kind, name, theirs[name], skipped):
                found.append(f"{kind} {name}: in the table, not in this torch")
            elif name in mine and not _importable_only_elsewhere(kind, name, mine[name], table["SKIPPED_MODULES"]):
                found.append(f"{kind} {name}: in this torch, not in the table")
    if set(tensor_methods()) != set(table["TENSOR_METHODS"]):
        found.append("TENSOR_METHODS differ")
    for kind, mine, theirs in (("function", functions, table.get("TORCH_FUNCTIONS")),
                               ("method", methods, table.get("TENSOR_METHOD_DTYPES"))):
        if mine is None:
            continue
        theirs = theirs or {}
        found += [f"{kind} {name}: {theirs.get(name)!r} in the table, {mine.get(name)!r} in this torch"
                  for name in sorted(set(mine) | set(theirs)) if mine.get(name) != theirs.get(name)]
    if random is not None and set(random) != set(table.get("RANDOM_CALLABLES", ())):
        found.append(f"RANDOM_CALLABLES differ: {sorted(set(random) ^ set(table.get('RANDOM_CALLABLES', ())))}")
    import torch

    made_from = f"from torch {torch.__version__.split('+')[0]}:"
    if made_from not in (table.get("__doc__") or "").splitlines()[0]:
        found.append(f"the table was not generated {made_from[:-1]}")
    return found


def main() -> int:
    bases, aliases, skipped = collect()
    functions, methods = torch_functions(), tensor_method_dtypes()
    random = random_callables(functions, methods)
    if "--check" in sys.argv:
        found = differences(bases, aliases, skipped, functions, methods, random)
        print("\n".join(found[:50]))
        return 1 if found else 0
    TARGET.write_text(render(bases, aliases, skipped, functions, methods, random), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
