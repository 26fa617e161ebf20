"""Finds the golden fixtures: fixtures/<rule>/<case>.input.py with its expected outputs beside it.

- <case>.expected.py          the text after `modfix apply` (safe fixes); absent: must not change
- <case>.unsafe.expected.py   the text after `modfix apply --unsafe-fixes`, when it differs
- <case>.findings             what `check --unsafe-fixes` reports, one `LINE:COL CODE APPLICABILITY MESSAGE`
                              line per finding (regenerate with MODFIX_UPDATE_GOLDEN=1 and review the diff)

A case for a rule that is off by default names it in its first lines: `# extend-select: MF307`. A case
whose point is an attribute the class keeps plain on purpose (the tensor a fixed one is judged against)
names it there too, `# stays-plain: weight`, so the runtime test does not count it as unregistered.
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

    @property
    def select(self) -> list[str] | None:
        """The rules to run: the default ones, plus those the case's `# extend-select:` line names."""
        for line in read(self.input).splitlines()[:3]:
            if line.startswith("# extend-select:"):
                from codemods import RULES

                extra = [code.strip() for code in line.split(":", 1)[1].split(",")]
                return [r.code for r in RULES if r.default_enabled] + extra
        return None


    @property
    def stays_plain(self) -> frozenset[str]:
        """Attributes of the built model that the case keeps plain on purpose."""
        for line in read(self.input).splitlines()[:3]:
            if line.startswith("# stays-plain:"):
                return frozenset(name.strip() for name in line.split(":", 1)[1].split(","))
        return frozenset()


def all_cases() -> list[Case]:
    return [Case(p) for p in sorted(FIXTURES.glob("*/*.input.py"))]


def read(path: Path) -> str:
    # newline="" keeps CRLF fixtures byte-exact
    with open(path, encoding="utf-8", newline="") as handle:
        return handle.read()
