"""The torch.nn tables modfix carries instead of importing torch match the torch the tests run with."""
from __future__ import annotations

import inspect

import pytest

from codemods import _torch_facts as facts

torch = pytest.importorskip("torch")
nn = torch.nn


def test_module_classes():
    exported = {n for n in dir(nn) if inspect.isclass(getattr(nn, n)) and issubclass(getattr(nn, n), nn.Module)}
    assert facts.NN_MODULE_CLASSES == exported


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
        assert name in facts.NN_MODULE_CLASSES
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
