"""MF101 use-module-list, MF103 use-parameter-list: submodules or parameters kept in a plain list.

The bug
    PyTorch registers a submodule only when it is assigned to the module directly, or held in an
    nn.ModuleList / nn.Sequential. Modules kept in a plain Python list (or tuple) on ``self`` are
    invisible: ``model.parameters()`` skips them (the optimizer never trains them),
    ``model.state_dict()`` skips them (checkpoints lose them), and ``model.to("cuda")`` leaves them
    on the CPU. The same holds for ``nn.Parameter`` objects in a plain list.

Example
    class Tower(nn.Module):
        def __init__(self, depth):
            super().__init__()
            self.blocks = [Block() for _ in range(depth)]   # MF101

The fix
    Wrap the value in the container PyTorch registers, spelled the way the file already names
    torch.nn (``nn.ModuleList``, ``torch.nn.ModuleList``, or an added ``from torch import nn``)::

        self.blocks = nn.ModuleList([Block() for _ in range(depth)])

    ``self.x = []`` filled with ``append``/``extend``/``insert``/``+=`` becomes
    ``self.x = nn.ModuleList()`` (so do ``extend(<generator>)``, ``list(map(Block, ...))`` and
    ``self.x = self.x + [m]``); nested lists of modules become nested ModuleLists, an unsafe fix
    (how the inner lists are used is not checked); an
    annotation ``self.x: list = []`` becomes ``self.x: nn.ModuleList = nn.ModuleList()``.
    The fix adds state_dict keys (``blocks.0.*``): a checkpoint saved before it needs
    ``strict=False`` or a key map; every message names them.

Fix safety
    Safe only when every element is provably a new module (or nn.Parameter), and every use of the
    attribute in the class, its bases and its subclasses of the run works the same on the
    container. Display-only (wrapping would raise or change behaviour): methods nn.ModuleList lacks
    (``sort``, ``reverse``, ``remove``, ``copy``, ``count``, ``index``, ``clear``; nn.ParameterList
    also lacks ``insert`` and ``pop``), ``isinstance``/``type`` checks, serialization, a later
    reassignment with a plain list or other non-module value (TypeError), modules mixed with other
    values or with parameters. Unsafe (intent uncertain): elements or reassigned values modfix
    cannot see, the attribute handed to an unknown function, a container built outside
    ``__init__``. No finding: containers that alias modules registered another way
    (``nn.Sequential(*self.x)``, ``add_module`` of its items, ``self.x = nn.ModuleList(self.x)``,
    ``[self.encoder, self.decoder]``), ``object.__setattr__``, local lists, non-Module classes.
"""
from __future__ import annotations

from ._containers import CODES, MODULE_LIST, PARAMETER_LIST, container_findings
from ._rule import Rule, findings_with_code


USE_MODULE_LIST = Rule(
    code=CODES[MODULE_LIST], name="use-module-list",
    summary="submodules in a plain list or tuple attribute -> nn.ModuleList",
    check=findings_with_code(container_findings, CODES[MODULE_LIST]), doc=__doc__,
    safety="safe when every element is a new module and every use works on nn.ModuleList; otherwise unsafe or display-only, with the reason",
)
USE_PARAMETER_LIST = Rule(
    code=CODES[PARAMETER_LIST], name="use-parameter-list",
    summary="nn.Parameters in a plain list or tuple attribute -> nn.ParameterList",
    check=findings_with_code(container_findings, CODES[PARAMETER_LIST]), doc=__doc__,
    safety="safe when every element is a new nn.Parameter and every use works on nn.ParameterList; otherwise unsafe or display-only, with the reason",
)
