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
    of its own: it imports every submodule of torch)."""
    script = Path(__file__).with_name("generate_torch_tables.py")
    done = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert done.returncode == 0, "the table differs: regenerate it with python tests/generate_torch_tables.py"


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
