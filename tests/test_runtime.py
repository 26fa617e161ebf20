"""The rewrites under real PyTorch (CPU): before and after, for every fixture that defines build().

After the rewrite the model must be fully registered -- after ``.to("meta")`` no tensor reachable from
a submodule's plain attributes (through lists, tuples, dicts) stays on the CPU, and every module
reachable that way is in ``model.modules()`` -- and its forward output under a fixed seed must equal
the original's.
"""
from __future__ import annotations

import importlib.util
import itertools
import sys
import warnings
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from _fixtures import Case, all_cases, read  # noqa: E402

from codemods import fix_source  # noqa: E402

_counter = itertools.count()


def _load(text: str, tmp_path, name: str):
    path = tmp_path / f"{name}.py"
    path.write_text(text, encoding="utf-8", newline="")
    module_name = f"_modfix_runtime_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spec.loader.exec_module(module)
    return module


def _build_and_run(module, train=False):
    torch.manual_seed(0)
    model = module.build()
    output = None
    if hasattr(module, "example_input"):
        torch.manual_seed(1)
        inputs = module.example_input()
        model.train(train)
        with torch.no_grad():
            output = model(*inputs)
    return model, output


_MODE_DEPENDENT = (nn.modules.batchnorm._BatchNorm, nn.modules.dropout._DropoutNd, nn.RReLU)


def _reachable(value, seen):
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, (torch.Tensor, nn.Module)):
        yield value
    elif isinstance(value, (list, tuple, set)):
        for item in value:
            yield from _reachable(item, seen)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _reachable(item, seen)


def registration_problems(model, stays_plain: frozenset[str] = frozenset()) -> list[str]:
    """What the model does not register; ``stays_plain``: attributes of the model itself kept plain on purpose."""
    problems = []
    modules = {id(m) for m in model.modules()}
    model = model.to("meta")
    for owner_name, owner in model.named_modules():
        for attr, value in vars(owner).items():
            if attr in ("_parameters", "_buffers", "_modules") or (owner is model and attr in stays_plain):
                continue
            for obj in _reachable(value, set()):
                where = f"{owner_name or type(model).__name__}.{attr}"
                if isinstance(obj, nn.Module) and id(obj) not in modules:
                    problems.append(f"{where}: module {type(obj).__name__} not registered")
                elif isinstance(obj, torch.Tensor) and obj.device.type != "meta":
                    problems.append(f"{where}: tensor stayed on {obj.device}")
    return problems


def _outputs_equal(a, b) -> bool:
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.shape == b.shape and torch.allclose(a, b)
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(_outputs_equal(x, y) for x, y in zip(a, b))
    return a == b


def _rewritten_cases():
    for case in all_cases():
        source = read(case.input)
        if "def build(" not in source:
            continue
        for unsafe, expected in ((False, case.expected), (True, case.unsafe_expected)):
            if expected.exists():
                yield pytest.param(case, unsafe, id=f"{case.name}{'-unsafe' if unsafe else ''}")


@pytest.mark.parametrize("case, unsafe", list(_rewritten_cases()))
def test_rewrite_registers_everything_and_computes_the_same(case: Case, unsafe: bool, tmp_path) -> None:
    source = read(case.input)
    result = fix_source(source, unsafe_fixes=unsafe, select=case.select)
    assert result.fixed is not None, "the fixture expects a rewrite"
    after_model, after = _build_and_run(_load(result.fixed, tmp_path, "after"))
    assert registration_problems(after_model, case.stays_plain) == []
    try:
        before_model, before = _build_and_run(_load(source, tmp_path, "before"))
    except Exception:
        return  # the bug made the original unusable (no base init, a dropped submodule): nothing to compare
    if before is not None and not _outputs_equal(before, after):
        # model.eval() now reaches the BatchNorm/Dropout layers it missed: that is the fix. In
        # training mode, where both versions run those layers alike, the outputs must agree.
        newly_registered = {id(m) for m in after_model.modules()} - {id(m) for m in before_model.modules()}
        assert any(isinstance(m, _MODE_DEPENDENT) for m in after_model.modules() if id(m) in newly_registered), (
            "forward output changed by the rewrite"
        )
        module = _load(source, tmp_path, "before_train")
        _, before = _build_and_run(module, train=True)
        _, after = _build_and_run(_load(result.fixed, tmp_path, "after_train"), train=True)
        assert _outputs_equal(before, after), "forward output changed by the rewrite (training mode)"
    # the bug was real: the original misses parameters the rewrite registers
    assert len(list(after_model.parameters())) + len(list(after_model.buffers())) >= len(
        list(before_model.parameters())
    ) + len(list(before_model.buffers()))


def _untouched_cases():
    for case in all_cases():
        source = read(case.input)
        if "def build(" in source and not case.expected.exists():
            yield pytest.param(case, id=case.name)


@pytest.mark.parametrize("case", list(_untouched_cases()))
def test_untouched_fixture_builds(case: Case, tmp_path) -> None:
    """Cases left alone are real code: they import, and correct ones (ok_) build and run."""
    module = _load(read(case.input), tmp_path, "case")
    if Path(case.input).name.startswith("ok_"):
        _build_and_run(module)



def _safe_rewrites():
    return [p for p in _rewritten_cases() if not p.values[1]]


@pytest.mark.parametrize("case, unsafe", _safe_rewrites())
def test_a_safe_fix_keeps_checkpoints_loading(case: Case, unsafe: bool, tmp_path) -> None:
    """A checkpoint of the fixed model, taken after a training step (running statistics, counters and
    caches have moved), loads into a fresh instance with strict=True: a safe fix adds no state_dict key
    that the constructor cannot recreate (a constant made persistent, a state whose shape changed)."""
    module = _load(fix_source(read(case.input), select=case.select).fixed, tmp_path, "after")
    if not hasattr(module, "example_input"):
        pytest.skip("no example input to train on")
    torch.manual_seed(0)
    model = module.build()
    torch.manual_seed(1)
    model.train(True)
    model(*module.example_input())
    module.build().load_state_dict(model.state_dict())


def test_a_module_that_skips_module_init_breaks_the_container_holding_it() -> None:
    """Why MF101 does not wrap a list of instances whose __init__ is ``super(nn.Module, self).__init__()``."""
    class Skipping(nn.Linear):
        def __init__(self):
            super(nn.Module, self).__init__()

    plain = [Skipping()]  # works as a plain list: nothing walks into it
    holder = nn.Module()
    holder.blocks = nn.ModuleList()
    holder.blocks.append(plain[0])
    with pytest.raises(AttributeError):
        list(holder.parameters())
