"""Finds the golden fixtures: fixtures/<rule>/<case>.input.py with its expected outputs beside it.

- <case>.expected.py          the text after `modfix apply` (safe fixes); absent: must not change
- <case>.unsafe.expected.py   the text after `modfix apply --unsafe-fixes`, when it differs
- <case>.findings             what `check --unsafe-fixes` reports, one `LINE:COL CODE APPLICABILITY MESSAGE`
                              line per finding (regenerate with MODFIX_UPDATE_GOLDEN=1 and review the diff)
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@dataclass(frozen=True)
class Case:
    input: Path

    @property
    def name(self) -> str:
        return f"{self.input.parent.name}/{self.input.name[: -len('.input.py')]}"

    def sibling(self, suffix: str) -> Path:
        return self.input.with_name(self.input.name[: -len(".input.py")] + suffix)

    @property
    def expected(self) -> Path:
        return self.sibling(".expected.py")

    @property
    def unsafe_expected(self) -> Path:
        return self.sibling(".unsafe.expected.py")

    @property
    def findings(self) -> Path:
        return self.sibling(".findings")


def all_cases() -> list[Case]:
    return [Case(p) for p in sorted(FIXTURES.glob("*/*.input.py"))]


def read(path: Path) -> str:
    # newline="" keeps CRLF fixtures byte-exact
    with open(path, encoding="utf-8", newline="") as handle:
        return handle.read()
