"""modfix's rules as LibCST codemod commands, for ``python -m libcst.tool codemod``.

With ``modules: [codemods]`` in a ``.libcst.codemod.yaml``::

    python -m libcst.tool codemod commands.UseModuleListCommand src/
    python -m libcst.tool codemod commands.AllRulesCommand --unsafe-fixes src/

or without a ``modules`` entry, naming the class in full (``-x``; libcst's tool still pipes changed
files through its formatter, black unless ``.libcst.codemod.yaml`` names ``codemods.keep_formatting``)::

    python -m libcst.tool codemod -x codemods.commands.UseModuleListCommand src/

``codemods.commands`` is the public name of these classes. Each command runs modfix's analysis on one
file with its rule family selected, and makes the fixes on the tree libcst parsed with the same
transformers ``modfix apply`` uses (``codemods.transformers``), so it fixes exactly what
``fix_source(text, select=CODES)`` or ``modfix apply --select`` would on that file alone. LibCST hands a command one file at a time (in parallel processes), so unlike
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
from ._engine import MAX_FIX_ROUNDS, FileResult, Options, run
from ._rewrite import apply_to_module


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

    def findings(self, tree: libcst.Module) -> FileResult:
        """modfix's analysis of the module (``select=self.CODES``), its fixes not made.

        On the module's bytes, not ``tree.code``: the engine decodes them by the file's coding cookie, as
        libcst did, so positions agree (a latin-1 file would come back garbled through a UTF-8 str)."""
        data = tree.bytes
        return run(["-"], RULES, self.options(rewrite=False), write=False, read_stdin=lambda: data,
                   stdin_path="-").files[0]

    def options(self, rewrite: bool = True) -> Options:
        return Options(unsafe_fixes=self.unsafe_fixes, select=self.CODES, rewrite=rewrite)

    def transform_module_impl(self, tree: libcst.Module) -> libcst.Module:
        """The fixes, made on this tree by modfix's transformers, in rounds until none applies (one fix
        can enable another), as ``modfix apply`` does."""
        options = self.options()
        remaining = []
        for round_number in range(MAX_FIX_ROUNDS):
            result = self.findings(tree)
            if result.error is not None:
                if round_number:
                    break  # not expected: the last round's text parsed; keep it
                where = f"line {result.error.line}: " if result.error.line else ""
                if result.error.internal:
                    raise RuntimeError(f"modfix: {where}{result.error.message}")
                # LibCST parsed it but Python's own parser (which modfix uses) did not, e.g. a
                # grammar newer than the running interpreter: leave the file alone, and say why
                raise SkipFile(f"modfix cannot analyse this file: {where}{result.error.message}")
            chosen = [f for f in result.findings if options.applies(f)]
            tree, applied = apply_to_module(tree, [(f, f.fix) for f in chosen])
            done = {id(f) for f in applied}
            remaining = [f for f in result.findings if id(f) not in done]
            if not applied:
                break
        for finding in remaining:
            self.warn(f"{finding.line}:{finding.column}: {finding.code} {finding.message}")
        return tree


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
