"""modfix's rules as LibCST codemod commands, for ``python -m libcst.tool codemod``.

With ``modules: [codemods]`` in a ``.libcst.codemod.yaml``::

    python -m libcst.tool codemod commands.UseModuleListCommand src/
    python -m libcst.tool codemod commands.AllRulesCommand --unsafe-fixes src/

or with no configuration at all, naming the class in full (``-x``)::

    python -m libcst.tool codemod -x codemods.commands.UseModuleListCommand src/

``codemods.commands`` is the public name of these classes. Each command runs modfix's engine on one
file with its rule family selected, as ``fix_source(text, select=CODES)`` does, so it fixes exactly
what ``modfix apply --select`` would on that file alone. LibCST hands a command one file at a time (in parallel processes), so unlike
``modfix apply``, which resolves the class hierarchy across all the files of a run, a class whose
nn.Module base is defined in another file is not known to be a Module here and is left alone. Use
``modfix apply`` for cross-file hierarchies. Findings the command does not fix (unsafe without
``--unsafe-fixes``, or display-only) are reported as codemod warnings.
"""
from __future__ import annotations

import argparse
from abc import ABC
from typing import ClassVar, FrozenSet, Optional

import libcst
from libcst.codemod import CodemodCommand, CodemodContext, SkipFile

from . import RULES
from ._engine import FileResult, Options, run


def _codes(first: int, last: int) -> FrozenSet[str]:
    return frozenset(f"MF{n}" for n in range(first, last + 1))


class ModfixCommand(CodemodCommand, ABC):
    """Runs modfix's rules in ``CODES`` (``None``: the rules enabled by default) on a module.

    Abstract (``ABC`` among its bases) so that ``libcst.tool list`` shows only the commands."""

    DESCRIPTION: ClassVar[str] = "Fixes PyTorch nn.Module registration bugs found by modfix."
    CODES: ClassVar[Optional[FrozenSet[str]]] = None

    def __init__(self, context: CodemodContext, unsafe_fixes: bool = False) -> None:
        super().__init__(context)
        self.unsafe_fixes = unsafe_fixes

    @staticmethod
    def add_args(arg_parser: argparse.ArgumentParser) -> None:
        arg_parser.add_argument(
            "--unsafe-fixes", dest="unsafe_fixes", action="store_true", default=False,
            help="Also apply fixes whose intent is uncertain (as `modfix apply --unsafe-fixes`).",
        )

    def fix(self, tree: libcst.Module) -> FileResult:
        """``fix_source(tree.code, select=self.CODES)``, on the module's bytes.

        The bytes, not ``tree.code``: fix_source encodes its text as UTF-8 and the engine decodes
        it by the file's coding cookie, so a latin-1 file (say) would come back garbled."""
        options = Options(unsafe_fixes=self.unsafe_fixes, select=self.CODES)
        data = tree.bytes
        return run(["-"], RULES, options, write=False, read_stdin=lambda: data, stdin_path="-").files[0]

    def transform_module_impl(self, tree: libcst.Module) -> libcst.Module:
        result = self.fix(tree)
        if result.error is not None:
            where = f"line {result.error.line}: " if result.error.line else ""
            if result.error.internal:
                raise RuntimeError(f"modfix: {where}{result.error.message}")
            # LibCST parsed it but Python's own parser (which modfix uses) did not, e.g. a
            # grammar newer than the running interpreter: leave the file alone, and say why
            raise SkipFile(f"modfix cannot analyse this file: {where}{result.error.message}")
        for finding in result.remaining:
            self.warn(f"{finding.line}:{finding.column}: {finding.code} {finding.message}")
        if result.fixed is None or result.fixed == tree.code:
            return tree
        # keep the file's encoding, indentation and newline conventions
        return libcst.parse_module(result.fixed, config=tree.config_for_parsing)


class UseModuleListCommand(ModfixCommand):
    DESCRIPTION = ("Wraps submodules or nn.Parameters kept in a plain list or tuple attribute in "
                   "nn.ModuleList / nn.ParameterList (modfix MF101, MF103).")
    CODES = frozenset({"MF101", "MF103"})


class UseModuleDictCommand(ModfixCommand):
    DESCRIPTION = ("Wraps submodules or nn.Parameters kept in a plain dict attribute in "
                   "nn.ModuleDict / nn.ParameterDict (modfix MF102, MF104).")
    CODES = frozenset({"MF102", "MF104"})


class RegisterTensorsCommand(ModfixCommand):
    DESCRIPTION = ("Registers tensor attributes as nn.Parameter or buffer, chosen from evidence, and "
                   "fixes nn.Parameter(t).to(...) that returns a plain tensor (modfix MF201, MF202).")
    CODES = _codes(201, 202)


class UseSuperInitCommand(ModfixCommand):
    DESCRIPTION = ("Fixes broken base-class __init__ calls in nn.Module subclasses: explicit, skipped, "
                   "unbound, missing or late super().__init__() (modfix MF301-MF306).")
    CODES = _codes(301, 306)


class AllRulesCommand(ModfixCommand):
    DESCRIPTION = ("Fixes every PyTorch nn.Module registration bug modfix fixes by default: plain "
                   "lists/dicts of submodules, unregistered tensors, broken base inits (as `modfix apply`).")
    CODES = None


COMMANDS = (UseModuleListCommand, UseModuleDictCommand, RegisterTensorsCommand, UseSuperInitCommand,
            AllRulesCommand)

__all__ = [
    "COMMANDS", "ModfixCommand", "UseModuleListCommand", "UseModuleDictCommand", "RegisterTensorsCommand",
    "UseSuperInitCommand", "AllRulesCommand",
]
