"""modfix's rules as LibCST codemod commands: the public names (defined in ``_codemod``).

With ``modules: [codemods]`` and ``formatter: [python, -m, codemods.keep_formatting]`` in
``.libcst.codemod.yaml`` (libcst's default formatter is black)::

    python -m libcst.tool codemod commands.UseModuleListCommand PATH...

or without the ``modules`` entry: ``python -m libcst.tool codemod -x codemods.commands.UseModuleListCommand PATH...``
(the formatter entry, or black, is still needed).
Every command takes ``--unsafe-fixes``.
"""
from ._codemod import (
    COMMANDS, AllRulesCommand, ModfixCommand, RegisterTensorsCommand, UseModuleDictCommand, UseModuleListCommand,
    UseSuperInitCommand,
)

__all__ = [
    "COMMANDS", "ModfixCommand", "UseModuleListCommand", "UseModuleDictCommand", "RegisterTensorsCommand",
    "UseSuperInitCommand", "AllRulesCommand",
]
