"""What a rule is and what it reports: Rule, Finding, Fix, Edit, Applicability.

A rule never touches text or files. It looks at the analysed file (``FileContext``) and returns
findings; a finding may carry a ``Fix``: changes at source positions (``_changes``, made by libcst's
transformers) plus the imports they need.
The engine decides which fixes run (by applicability) and the rewriter applies them.
"""
from __future__ import annotations

import enum
import inspect
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    from ._engine import FileContext


class Applicability(str, enum.Enum):
    """How far a fix can be trusted, as in Ruff: decided per fix, not per rule."""

    SAFE = "safe"  # applied by `modfix apply`
    UNSAFE = "unsafe"  # applied only with --unsafe-fixes: the intent is uncertain
    DISPLAY_ONLY = "display-only"  # reported, never applied: the fix would break the code


@dataclass(frozen=True, order=True)
class Edit:
    """Replace ``source[start:end]`` with ``text`` (character offsets; start == end inserts)."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Fix:
    """What a fix changes: the decisions libcst's transformers carry out (``_changes``), the imports
    they rely on, and how far it can be trusted."""

    changes: tuple  # of _changes.Change
    applicability: Applicability
    # (module, name) pairs the changes rely on, e.g. ("torch", "nn") for `from torch import nn`
    imports: tuple[tuple[str, str], ...] = ()

    @property
    def edits(self) -> tuple[Edit, ...]:
        """The same changes as text edits at offsets of the text the finding was made on, sorted."""
        return tuple(sorted(edit for change in self.changes for edit in change.edits))


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    line: int  # 1-based
    column: int  # 1-based, in characters
    end_line: int
    end_column: int
    applicability: Applicability
    fix: Fix | None = None
    # state_dict keys the fix adds, so the user can map old checkpoints
    added_keys: tuple[str, ...] = ()
    # the evidence behind the finding, one "fact: what the code shows" each (--explain, JSON)
    facts: tuple[str, ...] = ()

    @property
    def fixable(self) -> bool:
        return self.fix is not None and self.applicability is not Applicability.DISPLAY_ONLY


@dataclass
class Rule:
    """A rule: a code, a name, and a check over one analysed file.

    ``doc`` is the rule family module's docstring (the bug, an example, the fix and its safety), so
    that `modfix rules` prints what the code does and the two cannot drift.
    """

    code: str
    name: str
    summary: str
    check: "callable[[FileContext], Iterable[Finding]]" = field(repr=False)
    doc: str = ""
    default_enabled: bool = True
    safety: str = ""  # one line for `modfix rules`; the docstring's "Fix safety" section says it all


    @property
    def fix_safety(self) -> str:
        """This rule's one-line safety summary, else its documentation's "Fix safety" section."""
        if self.safety:
            return self.safety
        lines = inspect.cleandoc(self.doc).splitlines()
        if "Fix safety" not in lines:
            return ""
        section = []
        for line in lines[lines.index("Fix safety") + 1:]:
            if line and not line.startswith(" "):
                break
            section.append(line.strip())
        return " ".join(part for part in section if part)


def findings_with_code(compute: "callable[[FileContext], list[Finding]]", code: str):
    """A rule's check, for a family whose analysis (``compute``, cached per file) yields several codes."""
    return lambda context: [f for f in compute(context) if f.code == code]
