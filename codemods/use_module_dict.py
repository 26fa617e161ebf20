"""MF102 use-module-dict, MF104 use-parameter-dict: submodules or parameters kept in a plain dict.

The bug
    Modules kept in a plain dict on ``self`` are not registered: ``parameters()``, ``state_dict()``
    and ``.to()`` do not see them, so they are never trained, never saved, and left on the CPU.
    The same holds for ``nn.Parameter`` values.

Example
    class MultiHead(nn.Module):
        def __init__(self, width):
            super().__init__()
            self.heads = {"cls": nn.Linear(width, 4), "box": nn.Linear(width, 2)}   # MF102

The fix
    ``self.heads = nn.ModuleDict({"cls": ..., "box": ...})``; ``{}`` / ``dict()`` filled by
    ``self.heads[key] = module`` becomes ``nn.ModuleDict()``; ``dict(a=m)`` becomes
    ``nn.ModuleDict(dict(a=m))``; ``OrderedDict([...])`` is wrapped as it is. The fix adds
    state_dict keys (``heads.cls.*``), named in the message.

Fix safety
    nn.ModuleDict keys must be non-empty ``str`` without ``.`` and must not be an attribute of
    nn.ModuleDict (``train``, ``training``, ``forward``, ``keys``, ``type``, ``to``, ...: KeyError).
    Keys that certainly break (ints, such names, ``.``) make the finding display-only; keys from a
    loop over values modfix cannot see make the fix unsafe; keys from string literals, literal
    tuples of strings, ``str(i)`` or f-strings over ``range`` are safe. nn.ParameterDict rejects
    ``.`` too, and silently accepts ``training``, shadowing the module's flag: display-only.
    nn.ModuleDict lacks ``get``, ``setdefault``, ``copy``, ``fromkeys``, ``popitem`` and ``|``:
    using them is display-only. The other vetoes are those of use-module-list: type checks,
    serialization, plain reassignments, mixed values, unknown consumers, containers already
    registered another way (no finding).
"""
from __future__ import annotations

from ._containers import CODES, MODULE_DICT, PARAMETER_DICT, container_findings
from ._rule import Rule, findings_with_code


USE_MODULE_DICT = Rule(
    code=CODES[MODULE_DICT], name="use-module-dict",
    summary="submodules in a plain dict attribute -> nn.ModuleDict",
    check=findings_with_code(container_findings, CODES[MODULE_DICT]), doc=__doc__,
    safety="safe when every value is a new module, keys are valid and every use works on nn.ModuleDict; otherwise unsafe or display-only, with the reason",
)
USE_PARAMETER_DICT = Rule(
    code=CODES[PARAMETER_DICT], name="use-parameter-dict",
    summary="nn.Parameters in a plain dict attribute -> nn.ParameterDict",
    check=findings_with_code(container_findings, CODES[PARAMETER_DICT]), doc=__doc__,
    safety="safe when every value is a new nn.Parameter, keys are valid and every use works on nn.ParameterDict; otherwise unsafe or display-only, with the reason",
)
