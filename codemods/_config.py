"""Configuration: ``[tool.modfix]`` in pyproject.toml, and the suppression comments in source files.

The table is found by walking up from the first path of the run (or given with ``--config``).
Keys, as Ruff spells them::

    [tool.modfix]
    select = ["MF1", "MF3"]          # codes or prefixes; default: every rule enabled by default
    extend-select = ["MF308"]        # added to select
    ignore = ["MF307"]
    unsafe-fixes = false
    exclude = ["generated/*"]        # glob patterns skipped while walking directories
    extend-exclude = []
    per-file-ignores = { "tests/*" = ["MF201"] }
    module-factories = ["timm.create_model", "mypkg.models.build_backbone"]

An unknown key or rule code is an error that names it: a typo must not silently disable a rule.
"""
from __future__ import annotations

import fnmatch
import io
import os
import re
import sys
import tokenize
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on older Pythons only
    import tomli as tomllib

from ._rule import Rule

KEYS = ("select", "extend-select", "ignore", "unsafe-fixes", "exclude", "extend-exclude", "per-file-ignores",
        "module-factories")


class ConfigError(Exception):
    pass


@dataclass
class Config:
    select: list[str] | None = None
    extend_select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    unsafe_fixes: bool | None = None
    exclude: list[str] = field(default_factory=list)
    extend_exclude: list[str] = field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    module_factories: list[str] = field(default_factory=list)
    path: Path | None = None  # the pyproject.toml it came from

    @property
    def root(self) -> Path:
        return self.path.parent if self.path else Path.cwd()


def find_config(start: str | os.PathLike | None) -> Path | None:
    """The nearest pyproject.toml with a [tool.modfix] table, walking up from ``start``."""
    folder = Path(os.path.abspath(start or "."))
    if not folder.is_dir():
        folder = folder.parent
    for candidate in [folder, *folder.parents]:
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file():
            try:
                data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                continue  # not ours to judge; a broken file elsewhere must not stop the run
            if "modfix" in data.get("tool", {}):
                return pyproject
    return None


def load_config(path: str | os.PathLike, rules: Sequence[Rule]) -> Config:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    # a pyproject.toml, or any file holding a [tool.modfix] table, is read for that table; another file
    # given to --config (modfix.toml) is the table itself
    tool = data.get("tool")
    nested = path.name == "pyproject.toml" or (isinstance(tool, dict) and "modfix" in tool)
    table = (tool if isinstance(tool, dict) else {}).get("modfix", {}) if nested else data
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.modfix] must be a table")
    for key in table:
        if key not in KEYS:
            hint = f" (did you mean {key.replace('_', '-')!r}?)" if key.replace("_", "-") in KEYS else ""
            raise ConfigError(f"{path}: unknown key [tool.modfix] {key!r}{hint}; known keys: {', '.join(KEYS)}")
    where = f"{path}: [tool.modfix]"

    def strings(key: str) -> list[str]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where} {key} must be a list of strings")
        return value

    def codes(key: str) -> list[str]:
        values = strings(key)
        for value in values:
            check_code(value, rules, f"{where} {key}")
        return values

    config = Config(path=path)
    if "select" in table:
        config.select = codes("select")
    config.extend_select = codes("extend-select")
    config.ignore = codes("ignore")
    if "unsafe-fixes" in table:
        if not isinstance(table["unsafe-fixes"], bool):
            raise ConfigError(f"{where} unsafe-fixes must be true or false")
        config.unsafe_fixes = table["unsafe-fixes"]
    config.exclude = strings("exclude")
    config.extend_exclude = strings("extend-exclude")
    config.module_factories = strings("module-factories")
    ignores = table.get("per-file-ignores", {})
    if not isinstance(ignores, dict):
        raise ConfigError(f"{where} per-file-ignores must be a table of pattern = [codes]")
    for pattern, values in ignores.items():
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ConfigError(f"{where} per-file-ignores {pattern!r} must be a list of codes")
        for value in values:
            check_code(value, rules, f"{where} per-file-ignores {pattern!r}")
        config.per_file_ignores[pattern] = values
    return config


def check_code(value: str, rules: Sequence[Rule], where: str) -> None:
    if value.upper() == "ALL" or any(r.code.startswith(value.upper()) or r.name == value for r in rules):
        return
    raise ConfigError(f"{where}: unknown rule code {value!r} (see `modfix rules`)")


def expand(values: Iterable[str], rules: Sequence[Rule]) -> set[str]:
    """Codes, prefixes (``MF1``), names, or ALL -> the set of rule codes."""
    codes: set[str] = set()
    for value in values:
        if value.upper() == "ALL":
            codes |= {r.code for r in rules}
        else:
            codes |= {r.code for r in rules if r.code.startswith(value.upper()) or r.name == value}
    return codes


def matches(pattern: str, path: str, root: Path) -> bool:
    """A per-file-ignores pattern against a file: relative to the config's folder, or a file name."""
    absolute = os.path.abspath(path)
    try:
        relative = os.path.relpath(absolute, root).replace(os.sep, "/")
    except ValueError:
        relative = absolute
    return (fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(os.path.basename(path), pattern)
            or fnmatch.fnmatch(absolute, pattern))


# -- suppression comments

ALL_CODES = "*"
_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)
_IGNORE = re.compile(r"#\s*modfix:\s*ignore(?:\[(?P<codes>[^\]]*)\])?", re.IGNORECASE)
_SKIP_FILE = re.compile(r"#\s*modfix:\s*skip-file\b", re.IGNORECASE)


@dataclass
class Suppressions:
    skip_file: bool = False
    by_line: dict[int, set[str]] = field(default_factory=dict)  # line -> codes, or {"*"}

    def covers(self, code: str, first_line: int, last_line: int) -> bool:
        if self.skip_file:
            return True
        for line in range(first_line, last_line + 1):
            codes = self.by_line.get(line)
            if codes and (ALL_CODES in codes or code in codes):
                return True
        return False


def read_suppressions(text: str) -> Suppressions:
    """The suppression comments of a file, read from its comment tokens (not from strings)."""
    found = Suppressions()
    lowered = text.lower()
    if "noqa" not in lowered and "modfix:" not in lowered:
        return found
    try:
        comments = [(tok.start[0], tok.string) for tok in tokenize.generate_tokens(io.StringIO(text).readline)
                    if tok.type == tokenize.COMMENT]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        comments = [(number, line[line.index("#"):]) for number, line in enumerate(text.splitlines(), 1) if "#" in line]
    for line, comment in comments:
        if _SKIP_FILE.search(comment):
            found.skip_file = True
        for pattern in (_NOQA, _IGNORE):
            match = pattern.search(comment)
            if match:
                listed = match.group("codes")
                codes = {c.upper() for c in re.split(r"[\s,]+", listed.strip()) if c} if listed else {ALL_CODES}
                found.by_line.setdefault(line, set()).update(codes or {ALL_CODES})
    return found
