"""modfix: find and fix PyTorch nn.Module registration bugs.

``RULES`` is the registry, in the order `modfix rules` lists it. ``fix_source`` runs the rules on
one text; ``fix_paths`` on files and directories (the CLI is a thin layer over it).

The names are loaded on first use: the command line's warm path (``_replay``) must be able to run
without importing the analysis.
"""
from __future__ import annotations

__version__ = "0.1.0"

__all__ = [
    "RULES", "Applicability", "Edit", "Finding", "Fix", "Rule", "FileResult", "RunReport",
    "fix_source", "fix_paths", "rule_by_code",
]


def __getattr__(name: str):
    if name in __all__:
        from . import _api

        return getattr(_api, name)
    raise AttributeError(f"module 'codemods' has no attribute {name!r}")
