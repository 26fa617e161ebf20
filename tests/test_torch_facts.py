"""The torch.nn tables modfix carries instead of importing torch match the torch the tests run with."""
from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest

from codemods import _torch_facts as facts
from codemods._hierarchy import Hierarchy, torch_class, torch_module_class

torch = pytest.importorskip("torch")
nn = torch.nn


def test_the_class_table_is_what_torch_has():
    """codemods/_torch_tables.py is what tests/generate_torch_tables.py reads off this torch (in a process
    of its own: it imports every submodule of torch), the probed TORCH_FUNCTIONS and TENSOR_METHOD_DTYPES
    included."""
    script = Path(__file__).with_name("generate_torch_tables.py")
    done = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert done.returncode == 0, ("the table differs: regenerate it with python tests/generate_torch_tables.py\n"
                                  + done.stdout[-3000:])


@pytest.mark.parametrize("namespace", ["torch.nn", "torch.ao.nn.quantized", "torch.nn.parallel", "torch.distributions",
                                       "torch.optim", "torch.nn.utils.parametrize", "torch.fx"])
def test_which_classes_are_modules(namespace):
    import importlib

    module = importlib.import_module(namespace)
    classes = [n for n in dir(module) if inspect.isclass(getattr(module, n))]
    assert classes
    for name in classes:
        cls = getattr(module, name)
        expected = issubclass(cls, nn.Module)
        assert bool(torch_module_class(f"{namespace}.{name}")) == expected, f"{namespace}.{name}"


def test_torch_mros_are_exact():
    hierarchy = Hierarchy([])
    for cls in (nn.Linear, nn.LazyLinear, torch.ao.nn.quantized.FloatFunctional, nn.parallel.DataParallel,
                torch.ao.quantization.MinMaxObserver, nn.TransformerEncoderLayer):
        name = torch_class(f"{cls.__module__}.{cls.__qualname__}")
        expected = [c for c in cls.__mro__ if c is not object]
        assert hierarchy.mro(name) == [
            "torch.nn.Module" if c is nn.Module else f"{c.__module__}.{c.__qualname__}" for c in expected]


@pytest.mark.parametrize("table, container", [
    ("MODULE_LIST_ATTRS", nn.ModuleList), ("MODULE_DICT_ATTRS", nn.ModuleDict),
    ("PARAMETER_LIST_ATTRS", nn.ParameterList), ("PARAMETER_DICT_ATTRS", nn.ParameterDict),
])
def test_container_attributes(table, container):
    assert getattr(facts, table) == frozenset(dir(container()))


def test_stateless_classes_hold_no_state_and_ignore_the_mode():
    needs = {"Threshold": (0.1, 0.0), "Unflatten": (1, (2, 2)), "ConstantPad1d": (1, 0.0),
             "ConstantPad2d": (1, 0.0), "ConstantPad3d": (1, 0.0), "Fold": ((4, 4), 2)}
    for name in facts.STATELESS_NN_CLASSES:
        cls = getattr(nn, name)
        assert torch_module_class(f"torch.nn.{name}")
        args = needs.get(name)
        if args is None:
            for attempt in ((), (2,), (2, 2)):
                try:
                    module = cls(*attempt)
                    break
                except TypeError:
                    continue
        else:
            module = cls(*args)
        assert not list(module.parameters()) and not list(module.buffers()), name
        source = inspect.getsource(type(module).forward)
        assert "self.training" not in source, name


def test_the_method_lists_of_the_tensor_analysis_are_tensor_methods():
    """The hand-kept lists that say what a method does to a tensor (keeps its dimensions, reshapes it in
    place, overwrites it, moves it, reads its metadata) name methods torch.Tensor has."""
    from codemods import _tensor_uses as uses
    from codemods._tensors import NDIM_KEEPING_METHODS

    for table in (uses.DERIVING_METHODS, uses.METADATA_METHODS, uses.RESHAPING_IN_PLACE, uses.OVERWRITING_IN_PLACE,
                  uses.MOVE_METHODS, uses.CAST_METHODS, NDIM_KEEPING_METHODS):
        assert {name for name in table if not hasattr(torch.Tensor, name)} == set()
    assert (uses.METADATA_ATTRIBUTES | uses.VALUE_ATTRIBUTES) - set(dir(torch.Tensor)) == set()
    assert {name for name in uses.DIMENSION_CHANGING if not hasattr(torch, name)} == set()


def test_the_table_check_leaves_out_what_only_one_side_could_import():
    """A torch submodule that needs an optional dependency (numpy, tensorboard) imports in one place and
    not in another: the check must hold in both, and still see a class that is missing or changed."""
    import importlib.util

    script = Path(__file__).with_name("generate_torch_tables.py")
    spec = importlib.util.spec_from_file_location("generate_torch_tables", script)
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    from codemods import _torch_tables as table

    bases, aliases = dict(table.CLASS_BASES), dict(table.ALIASES)
    assert generator.differences(bases, aliases, []) == []
    # more imports here than where the table was made: classes of its skipped modules are no difference
    extra = dict(bases, **{"torch.utils.tensorboard.writer.Plotter": ("torch.nn.Module",)})
    assert generator.differences(extra, aliases, []) == []
    # fewer imports here: classes of the modules that did not import are no difference either
    fewer = {k: v for k, v in bases.items() if not k.startswith("torch.nn.modules.linear.")}
    fewer_aliases = {k: v for k, v in aliases.items() if not v.startswith("torch.nn.modules.linear.")}
    assert generator.differences(fewer, fewer_aliases, ["torch.nn.modules.linear"]) == []
    # but a class that only this torch has, one it lacks, or other bases, is
    assert generator.differences(dict(bases, **{"torch.nn.modules.linear.Fancy": ("torch.nn.Module",)}), aliases, [])
    assert generator.differences(fewer, fewer_aliases, [])
    changed = dict(bases, **{"torch.nn.modules.linear.Linear": ("torch.nn.Module", "abc.ABC")})
    assert generator.differences(changed, aliases, [])


def test_torch_imports_without_a_warning_in_the_test_environment():
    # the test extra must hold what torch needs to import quietly (numpy), or every run warns
    proc = subprocess.run([sys.executable, "-W", "error", "-c", "import torch"], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]


# --- TORCH_FUNCTIONS and TENSOR_METHOD_DTYPES: what torch's functions and Tensor methods return -------------

KINDS = {"same", "float", "int", "bool", "unknown"}


def _generator():
    import importlib.util

    script = Path(__file__).with_name("generate_torch_tables.py")
    spec = importlib.util.spec_from_file_location("generate_torch_tables", script)
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    return generator


def _torch_callable(qualified: str):
    import importlib

    namespace, _, name = qualified.rpartition(".")
    return getattr(importlib.import_module(namespace), name)


def _family(value) -> str:
    if not isinstance(value, torch.Tensor):
        return "not a tensor"
    if value.dtype == torch.bool:
        return "bool"
    return "float" if value.dtype.is_floating_point or value.dtype.is_complex else "int"


@pytest.fixture
def _rng_kept():
    """The calls seed torch's random generator: the tests after them find it as it was."""
    state = torch.get_rng_state()
    yield
    torch.set_rng_state(state)


def _first_tensor(call, argument_lists):
    """The argument list (its index) that first makes ``call`` return a tensor with a float32 input, and the
    dtype families it gives with float32 and with int64 tensors (None: it raised)."""
    import warnings

    for index, make in enumerate(argument_lists):
        results = []
        for dtype in (torch.float32, torch.int64):
            square = torch.tensor([[0.9, 0.2, 0.1], [0.2, 0.8, 0.3], [0.1, 0.3, 0.7]])
            x = (square * 10).round().to(dtype) if dtype == torch.int64 else square
            torch.default_generator.manual_seed(0)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    results.append(_family(call(*make(x))))
            except Exception:  # not these arguments, or not this dtype
                results.append(None)
        if results[0] is not None:
            return index, results
    return None, (None, None)


# (a second, plainer set of argument lists than the generator's, to check what it found)
FUNCTION_CALLS = (lambda x: (x,), lambda x: (x, x), lambda x: (x, 1), lambda x: ([x, x],))
METHOD_CALLS = (lambda x: (x,), lambda x: (x, x), lambda x: (x, 0), lambda x: (x, -1))
# what a float32 (int64) input gives, by the table's value
FROM_FLOAT = {"same": "float", "float": "float", "int": "int", "bool": "bool"}
FROM_INT = {"same": "int", "float": "float", "int": "int", "bool": "bool"}


def test_the_probed_tables_name_torch_callables_that_return_tensors():
    from codemods import _torch_tables as table

    assert len(table.TORCH_FUNCTIONS) > 500 and len(table.TENSOR_METHOD_DTYPES) > 300
    assert set(table.TORCH_FUNCTIONS.values()) | set(table.TENSOR_METHOD_DTYPES.values()) <= KINDS
    for qualified in table.TORCH_FUNCTIONS:
        assert qualified.startswith(("torch.fft.", "torch.linalg.", "torch.special.", "torch.nn.functional.")) \
            or qualified.count(".") == 1, qualified
        assert callable(_torch_callable(qualified)), qualified
    assert set(table.TENSOR_METHOD_DTYPES) <= table.TENSOR_METHODS
    assert all(callable(getattr(torch.Tensor, name)) for name in table.TENSOR_METHOD_DTYPES)
    # what returns something else, always or for some arguments, is left out
    for left_out in ("torch.max", "torch.sort", "torch.where", "torch.split", "torch.unique", "torch.is_tensor",
                     "torch.numel", "torch.linalg.eigh", "torch.nn.functional.max_pool2d", "torch.manual_seed"):
        assert left_out not in table.TORCH_FUNCTIONS, left_out
    for left_out in ("max", "sort", "split", "item", "tolist", "size", "dim", "type", "numpy", "backward"):
        assert left_out not in table.TENSOR_METHOD_DTYPES, left_out


@pytest.mark.parametrize("qualified, kind", [
    ("torch.sin", "float"), ("torch.sqrt", "float"), ("torch.argmax", "int"), ("torch.eq", "bool"),
    ("torch.zeros", "float"), ("torch.randn", "float"), ("torch.randperm", "int"), ("torch.zeros_like", "same"),
    ("torch.cat", "same"), ("torch.matmul", "same"), ("torch.arange", "same"), ("torch.isnan", "bool"),
    ("torch.nn.functional.softmax", "same"), ("torch.fft.rfft", "float"), ("torch.linalg.norm", "same"),
    ("torch.special.erf", "float"), ("Tensor.view", "same"), ("Tensor.reshape", "same"), ("Tensor.sum", "same"),
    ("Tensor.mean", "same"), ("Tensor.float", "float"), ("Tensor.long", "int"), ("Tensor.bool", "bool"),
    ("Tensor.argsort", "int"), ("Tensor.masked_fill", "same"), ("Tensor.uniform_", "same"),
    ("Tensor.cuda", "unknown"),  # not called: what it does depends on the machine
])
def test_what_the_probed_tables_say_of_well_known_callables(qualified, kind):
    from codemods import _torch_tables as table

    if qualified.startswith("Tensor."):
        assert table.TENSOR_METHOD_DTYPES[qualified[len("Tensor."):]] == kind
    else:
        assert table.TORCH_FUNCTIONS[qualified] == kind


@pytest.mark.parametrize("kind_of_table", ["functions", "methods"])
def test_the_probed_dtypes_hold_when_called_again(kind_of_table, _rng_kept):
    """Each entry whose dtype the table knows, called again with argument lists of its own: the first that
    takes a float32 tensor gives the family the table says, and with an int64 tensor (when it takes one)."""
    from codemods import _torch_tables as table

    if kind_of_table == "functions":
        entries = {name: (_torch_callable(name), kind) for name, kind in table.TORCH_FUNCTIONS.items()}
        calls = FUNCTION_CALLS
    else:
        entries = {name: (getattr(torch.Tensor, name), kind) for name, kind in table.TENSOR_METHOD_DTYPES.items()}
        calls = METHOD_CALLS
    known = {name: value for name, value in entries.items() if value[1] != "unknown"}
    checked, wrong = 0, []
    for name, (call, kind) in sorted(known.items()):
        index, (on_float, on_int) = _first_tensor(call, calls)
        if index is None:
            continue  # these lists do not suit it (factories, functions of indices, ...)
        checked += 1
        if on_float != FROM_FLOAT[kind] or on_int not in (None, FROM_INT[kind]):
            wrong.append(f"{name}: {kind!r} in the table, float32 -> {on_float}, int64 -> {on_int}")
    assert wrong == []
    assert checked > 0.6 * len(known)  # most of the table was checked


def test_the_factories_of_the_probed_table_make_what_it_says(_rng_kept):
    import warnings

    from codemods import _torch_tables as table

    factories = [name for name in table.TORCH_FUNCTIONS if name.count(".") == 1]
    checked = 0
    for name in factories:
        kind = table.TORCH_FUNCTIONS[name]
        if kind not in ("float", "int", "bool") or _first_tensor(_torch_callable(name), FUNCTION_CALLS)[0] is not None:
            continue  # "same" follows what it is given; a function of tensors is checked above
        try:  # a factory: it takes sizes
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                made = _torch_callable(name)(2, 3)
        except Exception:
            continue
        checked += 1
        assert _family(made) == kind, name
    assert checked >= 8  # zeros, ones, empty, rand, randn, eye, randperm, tril_indices, ...


def test_the_factory_lists_of_the_tensor_analysis_are_in_the_probed_tables():
    """The factories the tensor analysis gives special rules (random, structured, plain) name callables the
    probed tables have; every other torch function and Tensor method is known from the tables alone."""
    from codemods import _tensors
    from codemods import _torch_tables as table

    for hand_list in (_tensors.RANDOM_FACTORIES, _tensors.STRUCTURED_FACTORIES, _tensors.PLAIN_FACTORIES):
        assert {name for name in hand_list if f"torch.{name}" not in table.TORCH_FUNCTIONS} == set()
    assert _tensors.NDIM_KEEPING_FUNCTIONS - {n.rsplit(".", 1)[-1] for n in table.TORCH_FUNCTIONS} == {"where"}
    assert _tensors.NDIM_KEEPING_METHODS - set(table.TENSOR_METHOD_DTYPES) == set()
    # torch.where(c) alone gives a tuple, which keeps it out of the table: the analysis reads where(c, a, b) itself
    mask = torch.tensor([[True, False], [False, True]])
    assert not isinstance(torch.where(mask), torch.Tensor)
    assert isinstance(torch.where(mask, torch.ones(2, 2), torch.zeros(2, 2)), torch.Tensor)


def test_the_table_check_sees_a_changed_probed_entry():
    """--check compares the probed tables too (test_the_class_table_is_what_torch_has runs it): an entry that
    differs, is missing, or is extra is a difference."""
    from codemods import _torch_tables as table

    generator = _generator()
    bases, aliases = dict(table.CLASS_BASES), dict(table.ALIASES)
    functions, methods = dict(table.TORCH_FUNCTIONS), dict(table.TENSOR_METHOD_DTYPES)
    assert generator.differences(bases, aliases, [], functions, methods) == []
    assert generator.differences(bases, aliases, [], dict(functions, **{"torch.sin": "same"}), methods)
    assert generator.differences(bases, aliases, [], {k: v for k, v in functions.items() if k != "torch.sin"},
                                 methods)
    assert generator.differences(bases, aliases, [], functions, dict(methods, fancy="same"))


def test_the_random_callables_are_the_ones_whose_result_depends_on_the_seed():
    """RANDOM_CALLABLES (generated by calling each entry from two seeds) holds the random ones, and the tensor
    analysis reads their results as random, not as constants __init__ recreates."""
    import ast

    from codemods import _torch_tables as table
    from codemods._facts import Names
    from codemods._tensors import Tensors

    assert {"torch.nn.functional.dropout", "torch.bernoulli", "Tensor.exponential_", "Tensor.uniform_"} <= \
        table.RANDOM_CALLABLES
    assert not {"torch.sin", "torch.arange", "Tensor.view", "Tensor.sum"} & table.RANDOM_CALLABLES
    torch.manual_seed(0)
    first = torch.nn.functional.dropout(torch.ones(64))
    torch.manual_seed(1)
    assert not torch.equal(first, torch.nn.functional.dropout(torch.ones(64)))
    tree = ast.parse("import torch\nimport torch.nn.functional as F\n"
                     "a = F.dropout(torch.arange(4.0))\nb = torch.arange(4.0).exponential_()\nc = torch.arange(4.0).sin()\n")
    tensors = Tensors(Names.from_tree(tree, "m", False), lambda function: {})
    found = [tensors.info(statement.value) for statement in tree.body[2:]]
    assert [(i.random, i.structured) for i in found] == [(True, False), (True, False), (False, True)]
