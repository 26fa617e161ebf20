"""The public Python API, re-exported by the package: the rule registry, ``fix_source`` and ``fix_paths``."""
from __future__ import annotations

from typing import Iterable, Sequence

from ._engine import FileResult, Options, RunReport, run
from ._rule import Applicability, Edit, Finding, Fix, Rule
from .use_module_dict import USE_MODULE_DICT, USE_PARAMETER_DICT
from .use_module_list import USE_MODULE_LIST, USE_PARAMETER_LIST
from .register_tensors import RULES as TENSOR_RULES
from .use_super_init import RULES as SUPER_INIT_RULES

RULES: tuple[Rule, ...] = (
    USE_MODULE_LIST, USE_MODULE_DICT, USE_PARAMETER_LIST, USE_PARAMETER_DICT, *TENSOR_RULES, *SUPER_INIT_RULES,
)


def rule_by_code(code: str) -> Rule | None:
    return next((r for r in RULES if r.code == code.upper() or r.name == code), None)


def fix_source(source: str, *, unsafe_fixes: bool = False, select: Iterable[str] | None = None,
               path: str = "-") -> FileResult:
    """Analyse and fix one source text; ``result.fixed or result.original`` is the new text.

    ``result.error`` is set (and nothing fixed) when the text cannot be parsed."""
    options = Options(unsafe_fixes=unsafe_fixes, select=frozenset(select) if select is not None else None)
    report = run(["-"], RULES, options, write=False, read_stdin=lambda: source, stdin_path=path)
    return report.files[0]


def fix_paths(paths: Sequence[str], *, unsafe_fixes: bool = False, write: bool = True,
              select: Iterable[str] | None = None, jobs: int = 1) -> RunReport:
    """Analyse (and with ``write``, fix) files and directories; ``jobs`` processes (0: one per CPU)."""
    options = Options(unsafe_fixes=unsafe_fixes, select=frozenset(select) if select is not None else None,
                      jobs=jobs)
    return run(list(paths), RULES, options, write=write)
