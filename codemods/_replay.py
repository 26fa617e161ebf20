"""Warm runs in the time Python takes to start: replay what an unchanged ``modfix check`` printed.

The result cache makes a run over an unchanged tree skip parsing, but it still imports the analysis,
loads every file's summary and rebuilds the class hierarchy (0.3 s on transformers, where Ruff's warm
run takes 0.02 s). So a ``check`` that used the cache also records, next to it, what it printed, its
exit code, and the signature (size, mtime, ctime, inode, mode: more than the size and mtime Ruff trusts) of
everything its output depends on: each file checked, each folder walked (a file added or removed
changes its folder's mtime), each ignore and configuration file looked for, present or not, and
modfix's own source files. The next run with the same arguments, working directory and environment
stats those and, when nothing changed, prints the record without importing anything else (errors
included: a file that could not be parsed or read still cannot). Anything unusual (standard input,
--add-noqa, --no-cache, options this module does not know) takes the normal path.

This module must stay cheap to import: it is imported before anything else on every run.
"""
from __future__ import annotations

import marshal
import os
import sys
import zlib

FORMAT = 1
CACHE_FOLDER = ".modfix_cache"
# environment variables that change what `check` does or prints
ENVIRONMENT = ("MODFIX_CACHE_DIR", "MODFIX_NO_CACHE", "NO_COLOR", "FORCE_COLOR", "CLICOLOR", "CLICOLOR_FORCE",
               "TERM", "CI", "PRE_COMMIT", "PYTHONIOENCODING", "LANG", "LC_ALL", "LC_CTYPE")
# `check` options that take a value (the others are flags); anything else disables the replay
_WITH_VALUE = frozenset({"--config", "--select", "--extend-select", "--ignore", "--exclude", "--extend-exclude",
                         "--cache-dir", "-j", "--jobs", "--output-format"})
_FLAGS = frozenset({"--unsafe-fixes", "--no-unsafe-fixes", "-q", "--quiet", "--exit-zero", "--statistics"})


def signature(path: str) -> tuple | None:
    """What says a path is unchanged (None: it does not exist)."""
    try:
        return signature_of(os.stat(path))
    except OSError:
        return None


def signature_of(status: os.stat_result) -> tuple:
    # ctime too: a chmod that makes an unreadable file readable changes nothing else
    return (status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino, status.st_mode)


class Invocation:
    """A `check` command line, understood just enough to find its record."""

    def __init__(self, argv: list[str]):
        self.usable = bool(argv) and argv[0] == "check" and not _truthy(os.environ.get("MODFIX_NO_CACHE"))
        self.paths: list[str] = []
        self.cache_dir = os.environ.get("MODFIX_CACHE_DIR") or None
        self.config: str | None = None
        arguments = iter(argv[1:])
        for argument in arguments:
            name, equals, value = argument.partition("=")
            if argument == "--":
                self.paths.extend(arguments)
            elif name in _WITH_VALUE and argument.startswith("--") and equals:
                self._option(name, value)
            elif argument in _WITH_VALUE:
                self._option(argument, next(arguments, ""))
            elif argument in _FLAGS:
                continue
            elif argument.startswith("-"):  # "-", --no-cache, --add-noqa, --help, combined flags...
                self.usable = False
            else:
                self.paths.append(argument)
        self.usable = self.usable and bool(self.paths)
        # the install too: another one of the same version (pre-commit's, beside a virtualenv) may run other code
        self.key = "\0".join([str(FORMAT), sys.version, sys.executable, os.path.dirname(os.path.abspath(__file__)),
                              os.getcwd(), *argv, "\0".join(
            f"{name}={os.environ.get(name, '')}" for name in ENVIRONMENT),
            str(sys.stdout.isatty() if sys.stdout else None), str(sys.stderr.isatty() if sys.stderr else None)])

    def _option(self, name: str, value: str) -> None:
        if name == "--cache-dir":
            self.cache_dir = value
        elif name == "--config":
            self.config = value

    def record_names(self) -> list[str]:
        """Where the record may be: the cache folder of the configuration's root, which is one of these."""
        name = f"replay-{zlib.crc32(self.key.encode('utf-8', 'surrogateescape')):08x}.marshal"
        if self.cache_dir:
            return [os.path.join(self.cache_dir, name)]
        folders = []
        for start in ([self.config] if self.config else []) + self.paths[:1]:
            folder = os.path.abspath(start)
            folders.extend(ancestors(folder if os.path.isdir(folder) else os.path.dirname(folder)))
        folders.append(os.getcwd())
        return [os.path.join(folder, CACHE_FOLDER, name) for folder in dict.fromkeys(folders)]


def ancestors(folder: str) -> list[str]:
    found = [folder]
    while os.path.dirname(found[-1]) != found[-1]:
        found.append(os.path.dirname(found[-1]))
    return found


def own_sources() -> list[str]:
    """modfix's own files: an edited (editable) install must not replay the old code's output."""
    here = os.path.dirname(os.path.abspath(__file__))
    return sorted(os.path.join(here, n) for n in os.listdir(here) if n.endswith(".py"))


def replay(argv: list[str]) -> int | None:
    """Print the recorded output and return the exit code, or None when the run must really happen."""
    invocation = Invocation(argv)
    if not invocation.usable:
        return None
    for name in invocation.record_names():
        try:
            with open(name, "rb") as handle:
                record = marshal.load(handle)
        except (OSError, EOFError, ValueError, TypeError):
            continue
        if not (isinstance(record, tuple) and len(record) == 5 and record[0] == invocation.key):
            continue
        _, watched, outputs, exit_code, _ = record
        for path, expected in watched:
            if signature(path) != expected:
                return None
        try:
            for to_stderr, text in outputs:
                stream = sys.stderr if to_stderr else sys.stdout
                stream.write(text)
            sys.stdout.flush()
            sys.stderr.flush()
        except UnicodeEncodeError:  # recorded under another encoding; cannot happen with the key, but
            return None             # a partial replay followed by a real run beats a traceback
        return exit_code
    return None


def save(argv: list[str], cache_dir: str, watched: list[tuple[str, tuple | None]],
         outputs: list[tuple[bool, str]], exit_code: int) -> None:
    """Record a run (see the module's docstring); a record that cannot be written only costs time."""
    invocation = Invocation(argv)
    if not invocation.usable:
        return
    name = os.path.join(cache_dir, os.path.basename(invocation.record_names()[0]))
    named = invocation.paths + ([invocation.config] if invocation.config else [])
    watched.extend((path, signature(path)) for path in named)
    for folder in (ancestors(os.path.abspath(p)) for p in named):
        for ancestor in folder:
            for probe in ("pyproject.toml", "setup.cfg", "setup.py", "__init__.py", ".git"):
                path = os.path.join(ancestor, probe)
                watched.append((path, signature(path)))
    watched.extend((path, signature(path)) for path in own_sources())
    try:
        for to_stderr, text in outputs:  # what a replay could not print, it must not record
            text.encode((sys.stderr if to_stderr else sys.stdout).encoding or "utf-8")
        os.makedirs(cache_dir, exist_ok=True)
        temporary = f"{name}.{os.getpid()}.tmp"
        with open(temporary, "wb") as handle:
            marshal.dump((invocation.key, list(dict.fromkeys(watched)), outputs, exit_code, FORMAT), handle)
        os.replace(temporary, name)
        _prune(cache_dir, keep=name)
    except (OSError, ValueError, UnicodeEncodeError, LookupError):
        pass


KEPT_RECORDS = 32  # one per command line; a long-lived cache folder must not fill up with them


def _prune(cache_dir: str, keep: str) -> None:
    """Delete the oldest records (by when they were written) beyond KEPT_RECORDS."""
    records = []
    for entry in os.scandir(cache_dir):
        if entry.name.startswith("replay-") and entry.name.endswith(".marshal") and entry.path != keep:
            try:
                records.append((entry.stat().st_mtime_ns, entry.path))
            except OSError:
                continue
    for _, path in sorted(records)[:max(0, len(records) - (KEPT_RECORDS - 1))]:
        try:
            os.unlink(path)
        except OSError:
            pass


def _truthy(value: str | None) -> bool:
    return value is not None and value.strip().lower() in ("1", "true", "t", "yes", "y", "on")
