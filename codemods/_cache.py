"""The cache that lets a run over an unchanged tree skip reading, parsing and analysing it.

One pickle per modfix build (its version and a digest of its own source files: another checkout under
the same version number must not be answered from this one's results) and configuration under the cache
directory (``.modfix_cache/`` in the project root). For each file it keeps the size and mtime it had (a stat that matches means "not
changed", as Ruff decides; when they differ, the content digest decides), the file's summary for the
class hierarchy, and the findings of its last analysis with the fingerprint they were computed
under: the file's digest plus the digests of the files holding its classes' bases and subclasses,
since a change in a base class file must invalidate its subclasses' results. Only results with
fixes that the caller needs applied (apply, --diff) are analysed again.
"""
from __future__ import annotations

import functools
import hashlib
import os
import pickle
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ._hierarchy import FileSummary
from ._rule import Finding


@dataclass
class Entry:
    size: int
    mtime_ns: int
    inode: int  # a rewrite by os.replace (formatters, modfix itself) gets a new inode whatever the clock says
    digest: str
    summary: FileSummary
    fingerprint: str | None = None
    findings: list[Finding] = field(default_factory=list)


def digest(data: bytes | str) -> str:
    return hashlib.blake2b(data if isinstance(data, bytes) else data.encode("utf-8"), digest_size=16).hexdigest()


@functools.lru_cache(maxsize=None)
def tool_digest() -> str:
    """A digest of modfix's own code: results computed by other code (a newer checkout or install under
    the same version number, an edited rule) must never be served, so the cache key changes with it."""
    package = Path(__file__).resolve().parent
    hasher = hashlib.blake2b(digest_size=16)
    for source in sorted(package.rglob("*.py")):
        hasher.update(source.relative_to(package).as_posix().encode("utf-8") + b"\0")
        hasher.update(source.read_bytes())
    return hasher.hexdigest()


class Cache:
    def __init__(self, directory: str | os.PathLike, key: str):
        self.path = Path(directory) / f"results-v4-{key}.pickle"
        # loaded only by a run that has project files it did not parse: most runs never need it
        self._names_path = Path(directory) / f"names-v2-{key}.pickle"
        self._names: dict[str, tuple[int, int, int, bytes]] | None = None
        self._names_dirty = False
        self.entries: dict[str, Entry] = {}
        # the last run: a digest of its files and their contents, and each file's fingerprint, so that
        # a run over an unchanged tree need not recompute the fingerprints from the class hierarchy
        self.last_run: tuple[str, dict[str, str]] = ("", {})
        self.dirty = False
        try:
            # made first: creating it later would change the signature of the folder holding it, which
            # the run records before walking it (a replay would then never match)
            os.makedirs(directory, exist_ok=True)
        except OSError:
            pass
        try:
            with open(self.path, "rb") as handle:
                loaded = pickle.load(handle)
            if isinstance(loaded, tuple) and len(loaded) == 2 and isinstance(loaded[0], dict):
                self.entries, self.last_run = loaded
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError):
            self.entries, self.last_run = {}, ("", {})  # no cache, or an unreadable one: start afresh

    def unchanged(self, path: str, stat: os.stat_result) -> Entry | None:
        entry = self.entries.get(os.path.abspath(path))
        if (entry is not None and entry.size == stat.st_size and entry.mtime_ns == stat.st_mtime_ns
                and entry.inode == stat.st_ino):
            return entry
        return None

    def remember(self, path: str, stat: os.stat_result, content_digest: str, summary: FileSummary) -> None:
        key = os.path.abspath(path)
        old = self.entries.get(key)
        keep = old is not None and old.digest == content_digest
        self.entries[key] = Entry(stat.st_size, stat.st_mtime_ns, stat.st_ino, content_digest, summary,
                                  old.fingerprint if keep else None, old.findings if keep else [])
        self.dirty = True

    def result(self, path: str, fingerprint: str) -> list[Finding] | None:
        entry = self.entries.get(os.path.abspath(path))
        if entry is not None and entry.fingerprint == fingerprint:
            return entry.findings
        return None

    def store_result(self, path: str, fingerprint: str, findings: list[Finding]) -> None:
        entry = self.entries.get(os.path.abspath(path))
        if entry is not None:
            entry.fingerprint, entry.findings = fingerprint, findings
            self.dirty = True

    def forget(self, path: str) -> None:
        if self.entries.pop(os.path.abspath(path), None) is not None:
            self.dirty = True

    # -- which words a file names, for files of the project that were not parsed (see _engine.ProjectFiles)

    def names(self, path: str, stat: os.stat_result) -> bytes | None:
        """The name filter of a file as it was when it was made (``name_filter``), if it still is."""
        if self._names is None:
            self._names = self._load_names()
        entry = self._names.get(os.path.abspath(path))
        if entry is not None and entry[:3] == (stat.st_size, stat.st_mtime_ns, stat.st_ino):
            return entry[3]
        return None

    def remember_names(self, path: str, stat: os.stat_result, names: bytes) -> None:
        if self._names is None:
            self._names = self._load_names()
        self._names[os.path.abspath(path)] = (stat.st_size, stat.st_mtime_ns, stat.st_ino, names)
        self._names_dirty = True

    def _load_names(self) -> dict[str, tuple[int, int, int, bytes]]:
        try:
            with open(self._names_path, "rb") as handle:
                loaded = pickle.load(handle)
            return loaded if isinstance(loaded, dict) else {}
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError):
            return {}

    def save(self) -> None:
        if self._names_dirty:
            self._write(self._names_path, self._names)
        if not self.dirty:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            ignore = self.path.parent / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# made by modfix\n*\n")
        except OSError:
            return
        self._write(self.path, (self.entries, self.last_run))

    def _write(self, path: Path, value: object) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".results-", dir=path.parent)
            with os.fdopen(handle, "wb") as out:
                pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, path)
        except OSError:
            pass  # a cache that cannot be written only costs time next run
