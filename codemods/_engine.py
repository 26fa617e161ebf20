"""The engine: read every file, resolve the class hierarchy of the run, analyse, fix, write back.

No printing here: the engine returns a ``RunReport`` and the CLI decides what to show. Per file:
decode the bytes exactly as Python would, parse with ``ast``, and only for files defining nn.Module
classes compute the facts the rules share (once, whatever the number of rules). Fixes are changes
that libcst's transformers make (``_rewrite``), only when fixes are wanted (not for a check); the result
must parse, or the file is left alone and the failure reported.
"""
from __future__ import annotations

import ast
import collections
import contextlib
import dataclasses
import gc
import io
import multiprocessing
import os
import pickle
import re
import sys
import tokenize
import traceback
import unicodedata
from pathlib import Path
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

from . import _rewrite
from ._facts import (
    ClassFacts, Names, Values, all_statements, class_qualname, collect_class_facts, module_level_statements, self_name,
)
from ._inits import SUPER, init_calls
from ._cache import Cache, digest, tool_digest
from ._config import matches, read_suppressions
from ._files import FileChangedError, FileNotWritableError, discover, project_of, write_atomic
from ._hierarchy import FileSummary, Hierarchy, ModuleNames, module_name_for, summarize
from ._changes import Change
from ._rule import Applicability, Finding, Fix, Rule
from ._replay import signature_of
from ._workers import WorkerGroup
from ._source import LineIndex, Source, SourceError, decode, first_newline as _first_newline


@dataclass
class FileError:
    path: str
    message: str
    line: int | None = None
    internal: bool = False


@dataclass
class FileResult:
    path: str
    findings: list[Finding] = field(default_factory=list)
    applied: list[Finding] = field(default_factory=list)  # the findings whose fix was applied
    remaining: list[Finding] = field(default_factory=list)  # what the fixed text still has
    original: str | None = None
    fixed: str | None = None  # the rewritten text, when a fix applied
    error: FileError | None = None
    written: bool = False
    from_stdin: bool = False
    data: bytes | None = None  # the bytes as read
    source: Source | None = None  # how they decode, to encode the result the same way

    digest: str | None = None  # of the bytes analysed, when they were not kept (a result from the cache)

    def analysed_text(self) -> str | None:
        """The text the findings point into. A result from the cache was never read: read it now, and
        only if it still holds the bytes that were analysed (else None)."""
        if self.original is None and self.digest is not None and not self.from_stdin:
            try:
                with open(self.path, "rb") as handle:
                    data = handle.read()
                if digest(data) == self.digest:
                    self.source = decode(data)
                    self.original = self.source.text
            except (OSError, SourceError):
                pass
        return self.original

    def output_bytes(self) -> bytes | None:
        """The file's content after the run: the rewrite in the original encoding, else the input."""
        if self.changed and self.source is not None:
            return self.source.encode(self.fixed)
        return self.data

    @property
    def changed(self) -> bool:
        return self.fixed is not None and self.fixed != self.original


@dataclass
class RunReport:
    files: list[FileResult] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)  # paths that could not even be listed
    notes: list[str] = field(default_factory=list)  # what the user should know of how the run read the files
    # with a cache: every file and folder the run depends on, with its signature before it was read
    watched: list[tuple[str, tuple | None]] = field(default_factory=list)

    @property
    def all_errors(self) -> list[FileError]:
        return self.errors + [f.error for f in self.files if f.error]


@dataclass
class Options:
    unsafe_fixes: bool = False
    select: frozenset[str] | None = None  # rule codes; None = the rules enabled by default
    ignore: frozenset[str] = frozenset()
    per_file_ignores: tuple[tuple[str, frozenset[str]], ...] = ()  # (glob, codes), relative to config_root
    config_root: Path | None = None
    module_factories: frozenset[str] = frozenset()  # qualified names of callables that return modules
    jobs: int = 1  # processes; 0 = one per CPU
    cache_dir: str | None = None  # where to keep results between runs; None = no cache
    # analyse every file, not only those the first pass finds Module classes in: the slow reference
    # that tests compare the fast path with
    analyse_every_file: bool = False
    # make the fixes (apply, apply --diff, the API); a check only reports them, and never loads libcst
    rewrite: bool = True

    def fingerprint(self, rules: Sequence[Rule]) -> str:
        """What the cached results depend on besides the files: modfix's code, rules, settings."""
        from . import __version__

        parts = [__version__, tool_digest(), ",".join(r.code for r in self.enabled(rules)), str(self.unsafe_fixes),
                 ",".join(sorted(self.ignore)), repr(sorted((p, sorted(c)) for p, c in self.per_file_ignores)),
                 # where per-file-ignores patterns are relative to; without them, runs from any folder agree
                 str(self.config_root) if self.per_file_ignores else "", ",".join(sorted(self.module_factories))]
        return digest("\n".join(parts))[:16]

    def enabled(self, rules: Sequence[Rule], path: str | None = None) -> list[Rule]:
        chosen = [r for r in rules if (r.default_enabled if self.select is None else r.code in self.select)]
        ignored = set(self.ignore)
        if path is not None and path != "-":
            for pattern, codes in self.per_file_ignores:
                if matches(pattern, path, self.config_root or Path.cwd()):
                    ignored |= codes
        return [r for r in chosen if r.code not in ignored]

    def applies(self, finding: Finding) -> bool:
        if not finding.fixable:
            return False
        return finding.applicability is Applicability.SAFE or (
            self.unsafe_fixes and finding.applicability is Applicability.UNSAFE
        )


_LINE_BREAKS = re.compile(r"\r\n|\r|\n")


@dataclass
class ParsedFile:
    path: str
    source: Source
    tree: ast.Module
    module_name: str
    is_package: bool
    summary: FileSummary
    imports: Callable[[str], str] | None = None  # how its absolute imports are spelled in the run


class _Unnamed:
    """Module names when a run has no ModuleNames (a caller of the engine's parts): from the path alone."""
    key = ""

    @staticmethod
    def of(path: str) -> tuple[str, bool]:
        return module_name_for(path)

    @staticmethod
    def imports_for(path: str) -> None:
        return None


class ProjectFiles:
    """The files of the named files' projects that nobody named, read only as far as the class hierarchy
    of the named files asks (``Hierarchy`` asks): a module when a base or an import resolves into it, a
    file whose text names a class of the hierarchy when that class's subclasses are wanted (a subclass
    names its base, or an alias defined by a file that names the base). Reading more than needed is
    harmless; a module name two files claim is read for both, as a run over every file would see it.
    What was read is kept for the cache, so the next run reads nothing of it."""

    def __init__(self, paths: Sequence[str], modules: ModuleNames, cache: Cache | None = None,
                 stats: dict[str, os.stat_result] | None = None):
        self.modules = modules
        # with a cache, the identifiers each file names are kept (``_name_filter``): a run after an edit
        # searches them instead of reading the project's text again
        self._cache, self._stats = cache, stats or {}
        self._unread: dict[str, str] = {}  # path -> module name
        self._by_module: dict[str, list[str]] = {}
        for path in paths:
            module = modules.of(path)[0]
            self._unread[path] = module
            self._by_module.setdefault(module, []).append(path)
        self.read: list[FirstPass] = []
        self._searched: set[str] = set()
        self._texts: dict[str, bytes | None] = {}
        self._name_sets: dict[str, frozenset[bytes] | None] = {}

    def claiming(self, module: str) -> list[FileSummary]:
        return self._read([p for p in self._by_module.get(module, ()) if p in self._unread])

    def mentioning(self, words: set[str]) -> list[FileSummary]:
        # the files naming a word searched before were read then: only new words are looked for
        new = words - self._searched
        self._searched |= words
        if not new:
            return []
        found = []
        if self._cache is not None:
            wanted = {w.encode("utf-8", "surrogatepass") for w in new}
            for path in list(self._unread):
                names = self._name_set(path)
                if names is not None and not names.isdisjoint(wanted):
                    found.append(path)
            return self._read(found)
        as_bytes, as_text = [word.encode("utf-8") for word in new], list(new)
        for path in list(self._unread):
            data = self._text(path)
            if data is None:
                continue
            if isinstance(data, bytes) and any(word in data for word in as_bytes) or isinstance(data, str) and any(
                    word in data for word in as_text):
                found.append(path)
        return self._read(found)

    def _name_set(self, path: str) -> frozenset[bytes] | None:
        if path not in self._name_sets:
            names = self._names(path)
            self._name_sets[path] = None if names is None else frozenset(names.split(b"\n"))
        return self._name_sets[path]

    def _names(self, path: str) -> bytes | None:
        stat = self._stats.get(path)
        names = self._cache.names(path, stat) if stat is not None and self._cache is not None else None
        if names is None:
            data = self._text(path)
            if data is None:
                return None
            names = _name_filter(data)
            self._texts.pop(path, None)  # kept as its filter
            if stat is not None and self._cache is not None:
                self._cache.remember_names(path, stat, names)
        return names

    def _text(self, path: str) -> bytes | str | None:
        """The file's bytes when they are ASCII; else its text as the parser sees identifiers (decoded,
        NFKC-normalised); None when it cannot be read or decoded."""
        if path not in self._texts:
            try:
                with open(path, "rb") as handle:
                    data: bytes | str | None = handle.read()
            except OSError:
                data = None  # a run over every file could not read it either
            # ASCII bytes are the text unless a coding cookie says otherwise (utf-7 spells names in ASCII)
            if isinstance(data, bytes) and (not data.isascii() or _CODING_COOKIE.search(b"\n".join(data.split(b"\n", 2)[:2]))):
                try:
                    data = unicodedata.normalize("NFKC", decode(data).text)
                except (SourceError, ValueError):
                    data = None  # not Python a run over every file could read either
            self._texts[path] = data
        return self._texts[path]

    def _read(self, paths: list[str]) -> list[FileSummary]:
        summaries = []
        for path in paths:
            for claimant in [p for p in self._by_module.get(self._unread.get(path, ""), ()) if p in self._unread]:
                del self._unread[claimant]
                self._texts.pop(claimant, None)
                first = _first_pass(claimant, modules=self.modules)
                self.read.append(first)
                if first.summary is not None:
                    summaries.append(first.summary)
        return summaries

    def unread(self) -> list[str]:
        return list(self._unread)

    def has_unread(self) -> bool:
        return bool(self._unread)

    def __getstate__(self) -> dict:  # to a worker: what is left to read, not the texts or the cache
        return {**self.__dict__, "_texts": {}, "_name_sets": {}, "read": [], "_cache": None}


# Which identifiers a file names, one per line between newlines: a search of the words of one question
# in a few kilobytes per file instead of the file's text, and no parse.
_IDENTIFIER_BYTES = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")
_CODING_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=]", re.M)
_IDENTIFIER_TEXT = re.compile(r"[^\W\d]\w*")


def _name_filter(data: bytes | str) -> bytes:
    words = set(_IDENTIFIER_BYTES.findall(data)) if isinstance(data, bytes) else {
        w.encode("utf-8", "surrogatepass") for w in _IDENTIFIER_TEXT.findall(data)}
    return b"\n" + b"\n".join(sorted(words)) + b"\n"


class Run:
    """The files of one run: the class hierarchy from every file's summary, and each file's parse and
    facts on demand (a class's bases and subclasses may live in files analysed by another process)."""

    def __init__(self, summaries: Sequence[FileSummary], module_factories: frozenset[str] = frozenset(),
                 parsed: Sequence[ParsedFile] = (), budget: int | None = None, project: "ProjectFiles | None" = None):
        self.module_factories = module_factories
        self.modules: ModuleNames | _Unnamed = project.modules if project is not None else _Unnamed()
        self.project = project
        self.hierarchy = Hierarchy(list(summaries), project)
        self._lines: dict[str, list[str] | None] = {}
        # Syntax trees take about 30 bytes per byte of source: with a budget (bytes of source), the
        # least recently used files are dropped (and parsed again if a family lookup needs them),
        # except the ``pinned`` ones, which are waiting to be analysed.
        self.budget = budget
        self.pinned: set[str] = set()
        self._parsed: collections.OrderedDict[str, ParsedFile] = collections.OrderedDict()
        self._contexts: dict[str, FileContext] = {}
        self._held = 0
        for item in parsed:
            self.hold(item)

    def hold(self, parsed: ParsedFile) -> None:
        if parsed.path in self._parsed:
            self._parsed.move_to_end(parsed.path)
            return
        self._parsed[parsed.path] = parsed
        self._held += len(parsed.source.text)
        if self.budget is None:
            return
        for path in list(self._parsed):
            if self._held <= self.budget:
                break
            if path not in self.pinned and path != parsed.path:
                self._drop(path)

    def _drop(self, path: str) -> None:
        dropped = self._parsed.pop(path, None)
        if dropped is not None:
            self._held -= len(dropped.source.text)
        self._contexts.pop(path, None)

    def forget(self, paths: Iterable[str]) -> None:
        """Drop the syntax trees of files no analysis will look at (no Module classes in them)."""
        for path in paths:
            self._drop(path)
            self.pinned.discard(path)

    def context(self, parsed: ParsedFile) -> "FileContext":
        self.hold(parsed)
        context = self._contexts.get(parsed.path)
        if context is None or context.parsed is not parsed:
            context = self._contexts[parsed.path] = FileContext(parsed, self)
        return context

    def module_context(self, module: str) -> "FileContext | None":
        """The file of the run that defines the module, parsed (None outside the run)."""
        return self._context_of_module(module)

    def _context_of_module(self, module: str) -> "FileContext | None":
        summary = self.hierarchy.summary(module)
        if summary is None:
            return None
        path = summary.path
        parsed = self._parsed.get(path)
        if parsed is None:
            try:
                with open(path, "rb") as handle:
                    parsed = parse_file(path, handle.read(), modules=self.modules)
            except (OSError, SourceError, SyntaxError, ValueError, RecursionError, MemoryError):
                return None
        return self.context(parsed)

    def mentions(self, qualname: str, word: str) -> bool:
        """Might the text of the class (a top-level class of the run) contain ``word``? False only when
        it certainly does not: then no statement of the class reads, assigns or registers ``self.<word>``,
        and a family lookup need not parse its file."""
        module, _, name = qualname.rpartition(".")
        summary = self.hierarchy.summary(module)
        span = summary.class_spans.get(name) if summary is not None else None
        if span is None:
            return True
        lines = self._file_lines(summary.path)
        if lines is None:
            return True
        chunk = "\n".join(lines[span[0] - 1: span[1]])
        if word in chunk:
            return True
        # the parser NFKC-normalises identifiers: `self.ﬁlter` is `self.filter`
        return not chunk.isascii() and word in unicodedata.normalize("NFKC", chunk)

    def _file_lines(self, path: str) -> list[str] | None:
        if path not in self._lines:
            parsed = self._parsed.get(path)
            try:
                if parsed is not None:
                    text = parsed.source.text
                else:
                    with open(path, "rb") as handle:
                        text = decode(handle.read()).text
            except (OSError, SourceError, ValueError):
                text = None
            # the line breaks Python's tokenizer counts, which ast's line numbers follow
            self._lines[path] = _LINE_BREAKS.split(text) if text is not None else None
        return self._lines[path]

    def class_facts(self, qualname: str) -> ClassFacts | None:
        found = self.class_context(qualname)
        return found[1] if found else None

    def class_context(self, qualname: str) -> tuple["FileContext", ClassFacts] | None:
        """The Module class of the run with that name, and the file it is defined in."""
        module, _, _ = qualname.rpartition(".")
        context = self._context_of_module(module)
        if context is None:
            return None
        for facts in context.module_classes:
            if facts.qualname == qualname:
                return context, facts
        return None


class FileContext:
    """One file as the rules see it: its text, tree, names, Module classes and their facts."""

    def __init__(self, parsed: ParsedFile, run: Run):
        self.parsed = parsed
        self.run = run
        self.path = parsed.path
        self.text = parsed.source.text
        self.source = parsed.source
        self.tree = parsed.tree
        self.hierarchy = run.hierarchy
        self.lines = LineIndex(self.text)
        self._names: Names | None = None
        self._module_classes: list[ClassFacts] | None = None
        self._values: Values | None = None
        self._cache: dict[str, object] = {}
        self._owners: dict[int, ClassFacts] | None = None
        self._mine: set[int] = set()
        self._by_qualname: dict[str, ClassFacts] | None = None

    @property
    def names(self) -> Names:
        if self._names is None:
            self._names = Names.from_tree(self.tree, self.parsed.module_name, self.parsed.is_package, deep=True,
                                          imports=self.parsed.imports)
        return self._names

    @property
    def module_classes(self) -> list[ClassFacts]:
        if self._module_classes is None:
            self._module_classes = self._find_module_classes()
            for facts in self._module_classes:
                self._add_inherited_init_methods(facts)
        return self._module_classes

    def _add_inherited_init_methods(self, facts: ClassFacts) -> None:
        """Methods of the class that an inherited __init__ calls on self run while it is built: a base's
        ``__init__`` calls ``self.register_schedule()``, which this class overrides. Only when it is certain
        that the call runs, after nn.Module.__init__ and before anything of the class's own: the class's
        ``__init__`` (if any) calls ``super().__init__(...)`` unconditionally and sets nothing on self before
        it, and the base calls the hook unconditionally in its ``__init__``, after its own base init."""
        hooks = {a.method.name for records in facts.assignments.values() for a in records
                 if not facts.is_init_time(a.method)} - {"__init__"}
        if not hooks or not self._initialises_cooperatively(facts):
            return
        called: set[str] = set()
        for ancestor in self.hierarchy.ancestors_in_run(facts.qualname):
            found = self.class_context(ancestor)
            if found is not None:
                called |= self._hooks_after_base_init(*found) & hooks
        pending = [name for name in called if name in facts.methods]
        while pending:
            name = pending.pop()
            if name not in facts.init_methods:
                facts.init_methods.add(name)
                pending.extend(n for n in facts.self_calls.get(name, ()) if n in facts.methods)

    def _initialises_cooperatively(self, facts: ClassFacts) -> bool:
        """Does the class's ``__init__`` (if any) call ``super().__init__(...)`` unconditionally, setting
        nothing on self before it?"""
        init = facts.methods.get("__init__")
        if init is None:
            return True  # the base's __init__ runs as it is
        first = self._first_base_init(self, facts)
        if first is None or first.kind != SUPER:
            return False
        me = self_name(init)
        return not any(isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store) and isinstance(n.value, ast.Name)
                       and n.value.id == me for statement in init.body[:init.body.index(first.statement)]
                       for n in ast.walk(statement))

    @staticmethod
    def _first_base_init(context: "FileContext", facts: ClassFacts):
        """The first base init call of the class's ``__init__`` when it is a statement of its body (runs
        unconditionally); None otherwise."""
        init = facts.methods.get("__init__")
        calls = init_calls(context, facts) if isinstance(init, ast.FunctionDef) else []
        return calls[0] if calls and calls[0].statement in init.body else None

    def _hooks_after_base_init(self, context: "FileContext", facts: ClassFacts) -> set[str]:
        """``self.name(...)`` statements of the class's ``__init__`` body after its first, unconditional,
        base init call."""
        first = self._first_base_init(context, facts)
        if first is None:
            return set()
        init = facts.methods["__init__"]
        me = self_name(init)
        return {statement.value.func.attr for statement in init.body[init.body.index(first.statement) + 1:]
                if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)
                and isinstance(statement.value.func, ast.Attribute) and isinstance(statement.value.func.value, ast.Name)
                and statement.value.func.value.id == me}

    def owner_of(self, method: ast.AST) -> ClassFacts | None:
        """The Module class of this file whose method (the last definition of its name) this is."""
        if self._owners is None:
            self._owners = {id(m): f for f in self.module_classes for m in f.methods.values()}
            self._mine = {id(f) for f in self.module_classes}
        return self._owners.get(id(method))

    def is_module_class(self, facts: ClassFacts) -> bool:
        """Is it one of this file's Module classes (as this text has them)?"""
        if self._owners is None:
            self.owner_of(facts.node)
        return id(facts) in self._mine

    def module_class(self, qualname: str) -> ClassFacts | None:
        if self._by_qualname is None:
            self._by_qualname = {}
            for facts in self.module_classes:
                self._by_qualname.setdefault(facts.qualname, facts)
        return self._by_qualname.get(qualname)

    def _find_module_classes(self) -> list[ClassFacts]:
        top_level = {id(n) for n in module_level_statements(self.tree) if isinstance(n, ast.ClassDef)}
        found = []
        for node in all_statements(self.tree):
            if not isinstance(node, ast.ClassDef):
                continue
            qualname = class_qualname(node, self.parsed.module_name, id(node) in top_level)
            if id(node) in top_level:
                is_module = self.hierarchy.is_module(qualname)
            else:
                is_module = any(self.hierarchy.is_module(self.names.qualname(b)) for b in node.bases)
            if is_module:
                found.append(node)
        return [
            collect_class_facts(node, class_qualname(node, self.parsed.module_name, id(node) in top_level))
            for node in found
        ]

    @property
    def values(self) -> Values:
        if self._values is None:
            functions = {
                n.name: n for n in module_level_statements(self.tree)
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
            }
            classes = {facts.node: facts for facts in self.module_classes}
            self._values = Values(self.names, self.hierarchy, self.parsed.module_name, functions, classes,
                                  self.run.module_factories)
        return self._values

    def family(self, facts: ClassFacts, attr: str) -> list[ClassFacts]:
        """The class with those of its bases and subclasses in the run that may touch ``self.<attr>``
        (a class of another file whose text never names it is left out without parsing that file)."""
        related = [facts]
        for qualname in self.hierarchy.ancestors_in_run(facts.qualname) + self.hierarchy.descendants_in_run(facts.qualname):
            if qualname.rpartition(".")[0] != self.parsed.module_name and not self.run.mentions(qualname, attr):
                continue
            found = self.class_context(qualname)
            if found is not None and found[1] is not facts:
                related.append(found[1])
        return related

    def class_context(self, qualname: str) -> tuple["FileContext", ClassFacts] | None:
        """A Module class of the run: this file's own classes as this text has them (a fix round sees
        its previous round's edits), other files' from the run."""
        if qualname.rpartition(".")[0] == self.parsed.module_name:
            facts = self.module_class(qualname)
            return None if facts is None else (self, facts)
        return self.run.class_context(qualname)

    def cached(self, key: str, compute: Callable[[], object]) -> object:
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    # -- helpers for building findings and fixes

    def span(self, node: ast.AST) -> tuple[int, int]:
        return self.lines.span(node)

    def finding(self, code: str, node: ast.AST, message: str, applicability: Applicability,
                changes: Iterable[Change] = (), imports: Iterable[tuple[str, str]] = (),
                added_keys: Iterable[str] = (), facts: Iterable[str] = ()) -> Finding:
        changes = tuple(changes)
        fix = Fix(changes, applicability, tuple(imports)) if changes else None
        return Finding(
            code=code, message=message,
            line=node.lineno, column=self.lines.char_column(node.lineno, node.col_offset) + 1,
            end_line=node.end_lineno,
            end_column=self.lines.char_column(node.end_lineno, node.end_col_offset) + 1,
            applicability=applicability, fix=fix, added_keys=tuple(added_keys), facts=tuple(facts),
        )

    def torch_nn_name(self, member: str) -> tuple[str, tuple[tuple[str, str], ...]] | None:
        """How to write ``torch.nn.<member>`` here, and the import that needs adding, if any."""
        direct = self.names.name_for(f"torch.nn.{member}")
        if direct:
            return direct, ()
        prefix = self.names.torch_nn_prefix()
        if prefix:
            return f"{prefix}.{member}", ()
        if "nn" not in self.names.bindings:
            return f"nn.{member}", (("torch", "nn"),)
        if "torch" not in self.names.bindings:
            return f"torch.nn.{member}", (("", "torch"),)
        return None


def parse_file(path: str, data: bytes | str, from_stdin: bool = False,
               modules: "ModuleNames | _Unnamed" = _Unnamed()) -> ParsedFile:
    """Parse a file's bytes (decoded as Python would) or an already decoded text."""
    source = decode(data) if isinstance(data, bytes) else Source(data, "utf-8", _first_newline(data))
    tree = ast.parse(source.text, filename=path)
    # named by --stdin-filename, the text stands for that file of its package
    if from_stdin and path == "-":
        (module_name, is_package), imports = ("__stdin__", False), None
    else:
        (module_name, is_package), imports = modules.of(path), modules.imports_for(path)
    summary = summarize(tree, module_name, is_package, path, imports, modules.key)
    return ParsedFile(path, source, tree, module_name, is_package, summary, imports)


def analyse(context: FileContext, rules: Sequence[Rule], options: Options) -> list[Finding]:
    """The file's findings from the enabled rules, less those its comments suppress."""
    enabled = options.enabled(rules, context.path)
    if not enabled or not context.module_classes:
        return []
    findings: list[Finding] = []
    for rule in enabled:
        findings.extend(rule.check(context))
    if findings:
        suppressed = read_suppressions(context.text)
        findings = [f for f in findings if not suppressed.covers(f.code, f.line, f.end_line)]
    findings.sort(key=lambda f: (f.line, f.column, f.code))
    return findings


def fix_text(context: FileContext, findings: list[Finding],
             options: Options) -> tuple[str | None, list[Finding], ast.Module | None]:
    """Apply the fixes the options allow; returns the new text (None if nothing applied), the applied
    findings, and the new text's tree (parsed to check it, and reused by the next fix round)."""
    chosen = [f for f in findings if options.applies(f)]
    if not chosen:
        return None, [], None
    new_text, applied = _rewrite.apply(context.text, context.tree, context.source.newline,
                                       [(f, f.fix) for f in chosen])
    if not applied:
        return None, [], None
    tree = _parse_or_none(new_text)
    if tree is not None:
        return new_text, applied, tree
    # one fix made the text unparsable (wrapping the deepest nesting Python accepts adds a level):
    # keep the fixes that leave it valid; the others stay findings. Never write a file that no longer parses.
    kept: list[Finding] = []
    for finding in chosen:
        trial, trial_applied = _rewrite.apply(context.text, context.tree, context.source.newline,
                                              [(f, f.fix) for f in kept + [finding]])
        if len(trial_applied) == len(kept) + 1 and _parse_or_none(trial) is not None:
            kept.append(finding)
    if not kept:
        return None, [], None
    new_text, applied = _rewrite.apply(context.text, context.tree, context.source.newline, [(f, f.fix) for f in kept])
    return new_text, applied, _parse_or_none(new_text)


def _parse_or_none(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


MAX_FIX_ROUNDS = 5


def fix_until_stable(the_run: Run, item: ParsedFile, rules: Sequence[Rule],
                     options: Options) -> tuple[list[Finding], str | None, list[Finding], list[Finding]]:
    """Analyse and fix, then analyse the result again, until nothing more applies (as Ruff does).

    One fix can enable another (super().__init__() moved up lets a tensor above it be registered),
    and `apply` must leave a file a second `apply` does not change. Returns the findings of the first
    analysis, the final text (None if unchanged), every finding whose fix was applied, and the
    findings the final text still has."""
    context = the_run.context(item)
    first = analyse(context, rules, options)
    if not options.rewrite:
        return first, None, [], first
    current, applied, tree = fix_text(context, first, options)
    remaining = _without(first, applied)
    for _ in range(MAX_FIX_ROUNDS - 1):
        if current is None:
            break
        again = ParsedFile(item.path, Source(current, item.source.encoding, item.source.newline),
                           tree, item.module_name, item.is_package, item.summary, item.imports)
        context = FileContext(again, the_run)
        findings = analyse(context, rules, options)
        more, more_applied, more_tree = fix_text(context, findings, options)
        remaining = _without(findings, more_applied)
        if more is None:
            break
        current, applied, tree = more, applied + more_applied, more_tree
    return first, current, applied, remaining


def _without(findings: list[Finding], applied: list[Finding]) -> list[Finding]:
    """The findings that were not applied (the same objects: comparing findings field by field was
    quadratic in a file of thousands of classes)."""
    done = {id(f) for f in applied}
    return [f for f in findings if id(f) not in done]


def _syntax_error(path: str, exc: SyntaxError) -> FileError:
    return FileError(path, f"cannot parse: {exc.msg}", exc.lineno)


def run(paths: Sequence[str], rules: Sequence[Rule], options: Options, *, write: bool,
        read_stdin: Callable[[], bytes | str] | None = None, stdin_path: str = "-",
        exclude: Sequence[str] = (), progress: Callable[[int, int, str], None] | None = None,
        fixes_needed: bool = True) -> RunReport:
    """Analyse (and with ``write``, fix) the files; ``-`` among the paths reads ``read_stdin()``.

    Without ``fixes_needed`` (a check), cached findings are reused even when they carry fixes."""
    # Thousands of live syntax trees make every cyclic collection walk millions of objects:
    # parsing a large tree took 3 times longer with the collector on. It runs once, at the end.
    collecting = gc.isenabled()
    gc.disable()
    # long operator chains and attribute chains that Python compiles need deeper recursion than 1000
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20000))
    try:
        return _run(paths, rules, options, write=write, read_stdin=read_stdin, stdin_path=stdin_path,
                    exclude=exclude, progress=progress, fixes_needed=fixes_needed or write)
    finally:
        sys.setrecursionlimit(limit)
        if collecting:
            gc.enable()


def _run(paths: Sequence[str], rules: Sequence[Rule], options: Options, *, write: bool,
         read_stdin: Callable[[], bytes | str] | None, stdin_path: str, exclude: Sequence[str],
         progress: Callable[[int, int, str], None] | None = None, fixes_needed: bool = True) -> RunReport:
    report = RunReport()
    if not fixes_needed:
        options = dataclasses.replace(options, rewrite=False)
    cache = Cache(options.cache_dir, options.fingerprint(rules)) if options.cache_dir else None
    discovered = discover([p for p in paths if p != "-"], exclude=exclude,
                          watch=report.watched if cache is not None else None)
    report.errors.extend(FileError(e.path, e.message) for e in discovered.errors)
    named = [str(path) for path in discovered.files]
    # the rest of their projects: read for the class hierarchy, neither reported nor fixed
    context = _project_context(named + ([stdin_path] if "-" in paths and stdin_path != "-" else []), exclude,
                               report.watched if cache is not None else None)
    displays = named + context
    stdin_named = [stdin_path] if "-" in paths and stdin_path != "-" else []
    modules = ModuleNames(displays + stdin_named)
    jobs = options.jobs if options.jobs > 0 else (os.cpu_count() or 1)
    parallel = jobs > 1 and len(displays) >= PARALLEL_THRESHOLD and _can_fork()

    # 1. every file: read, decode, parse, summarize (the class hierarchy crosses files); a file whose
    #    size and mtime match the cache is not even read
    known: dict[str, FirstPass] = {}
    stats: dict[str, os.stat_result] = {}
    if cache is not None:
        for display in displays:
            try:
                stats[display] = os.stat(display)
            except OSError:
                report.watched.append((display, None))
                continue
            report.watched.append((display, signature_of(stats[display])))
            entry = cache.unchanged(display, stats[display])
            # a file's module name (and where its imports lead) comes from the __init__.py files above it
            # and the other files of the run, not from its bytes
            if entry is not None and entry.summary.names_key == modules.key and modules.of(display) == (
                    entry.summary.module_name, entry.summary.is_package):
                known[display] = FirstPass(display, summary=entry.summary, digest=entry.digest)
    # the project's files that nobody named are read only as far as the named files' hierarchy asks
    outside = set(context)
    project = ProjectFiles([d for d in context if d not in known], modules, cache, stats)
    pending = [d for d in named if d not in known]
    with contextlib.ExitStack() as workers:
        group = None
        if parallel and len(pending) >= PARALLEL_THRESHOLD:
            # each worker keeps the trees it parsed for step 2, so that no file is parsed twice
            group = workers.enter_context(WorkerGroup(jobs, _EngineWorker(
                rules, options, write, context=frozenset(context), modules=modules)))
            fresh, lost = group.step1(_largest_first(pending, stats))
            fresh += [_first_pass(path, modules=modules) for path in lost]
        else:
            fresh, _ = _first_passes(pending, options, context=frozenset(context), modules=modules)
        for first in fresh:
            known[first.path] = first
            if cache is not None:
                if first.summary is not None and first.path in stats:
                    cache.remember(first.path, stats[first.path], first.digest, first.summary)
                else:
                    cache.forget(first.path)
        firsts = [known[d] for d in displays if d in known]
        if "-" in paths and read_stdin is not None:
            firsts.append(_first_pass(stdin_path, keep=True, data=read_stdin(), modules=modules))
        summaries = [f.summary for f in firsts if f.summary]
        report.notes.extend(modules.unresolved([f.summary for f in firsts if f.summary and f.path not in outside]))
        the_run = Run(summaries, options.module_factories, [f.parsed for f in firsts if f.parsed],
                      budget=TREE_BUDGET, project=project)

        # 2. the files that define Module classes: analyse, fix, write (unless the cache has the answer)
        named_here = set(named)
        targets = [f for f in firsts if f.summary and (f.path in named_here or f.from_stdin) and (
            f.from_stdin or options.analyse_every_file or the_run.hierarchy.defines_modules(f.summary))]
        chosen = {id(f) for f in targets}
        the_run.forget(f.path for f in firsts if f.parsed is not None and id(f) not in chosen)
        the_run.pinned = {f.path for f in targets if f.parsed is not None}
        results: dict[str, FileResult] = {}
        fingerprints: dict[str, str] = {}
        if cache is not None:
            fingerprints = _reuse_cached(cache, firsts, targets, the_run, options, fixes_needed, results, stats)
            targets = [f for f in targets if f.path not in results]
        on_disk = [f.path for f in targets if not f.from_stdin]
        if group is None and parallel and len(on_disk) >= PARALLEL_THRESHOLD // 4:
            # the files were read here: workers forked now inherit the run
            with WorkerGroup(jobs, _EngineWorker(rules, options, write, inherited=the_run)) as late:
                _analyse_in_group(late, on_disk, None, results, progress, the_run, rules, options, write)
        elif group is not None:
            payload = pickle.dumps((summaries, project), protocol=pickle.HIGHEST_PROTOCOL)
            _analyse_in_group(group, on_disk, payload, results, progress, the_run, rules, options, write)
        else:
            on_disk = []
        done = set(on_disk)
        remaining = [f for f in targets if f.path not in done]
        for count, first in enumerate(remaining, 1):
            if progress is not None:
                progress(count, len(remaining), first.path)
            if first.parsed is None:  # summarized from the cache, or its tree was not kept: read it now
                results[first.path] = _second_pass(first.path, (the_run, rules, options, write))
            else:
                results[first.path] = _analyse(the_run, first.parsed, first.data, rules, options, write,
                                               first.from_stdin)
                the_run.pinned.discard(first.path)
                first.parsed = None
    if cache is not None:
        for first in project.read:  # what the hierarchy asked for: not read again next time
            if first.summary is not None and first.path in stats:
                cache.remember(first.path, stats[first.path], first.digest, first.summary)
        for path, fingerprint in fingerprints.items():
            result = results.get(path)
            if result is not None and result.error is None and not result.written:
                cache.store_result(path, fingerprint, result.findings)  # the file on disk is as analysed
        cache.save()
    for first in firsts:
        if first.path in outside:
            continue
        result = results.get(first.path) or FileResult(first.path, error=first.error, from_stdin=first.from_stdin)
        if first.from_stdin:
            result.data = first.data
            if result.source is None and first.parsed is not None:
                result.original, result.source = first.parsed.source.text, first.parsed.source
        report.files.append(result)
    return report


class _Digests:
    """Each module's content digest, for the files read so far (the project's are read as asked)."""

    def __init__(self, firsts: list["FirstPass"], project: ProjectFiles | None):
        self._known = {f.summary.module_name: f.digest for f in firsts if f.summary}
        self._project = project
        self._taken = 0  # how many of the project's read files are in _known

    def get(self, module: str, default: str = "") -> str:
        if module not in self._known and self._project is not None and len(self._project.read) > self._taken:
            self._known.update((f.summary.module_name, f.digest) for f in self._project.read[self._taken:] if f.summary)
            self._taken = len(self._project.read)
        return self._known.get(module, default)


def _reuse_cached(cache: Cache, firsts: list["FirstPass"], targets: list["FirstPass"], the_run: Run, options: Options,
                  fixes_needed: bool, results: dict[str, FileResult],
                  stats: dict[str, os.stat_result]) -> dict[str, str]:
    """Put the cached results still valid for the targets into ``results``; returns every target's
    fingerprint (the key its result is stored under)."""
    digests = _Digests(firsts, the_run.project)
    # the files not read count by their signature: one added or edited may be a new subclass
    unread = the_run.project.unread() if the_run.project is not None else []
    run_digest = digest("\n".join([f"{f.path}\0{f.digest}" for f in firsts if f.summary] + [
        f"{path}\0{stats[path] and signature_of(stats[path])}" for path in unread if path in stats]))
    same_run = cache.last_run[0] == run_digest
    fingerprints: dict[str, str] = {}
    for first in [f for f in targets if not f.from_stdin]:
        fingerprint = cache.last_run[1].get(first.path) if same_run else None
        fingerprints[first.path] = fingerprint or _fingerprint(the_run.hierarchy, first, digests)
        findings = cache.result(first.path, fingerprints[first.path])
        if findings is not None and not (fixes_needed and any(options.applies(f) for f in findings)):
            results[first.path] = FileResult(first.path, findings=findings, remaining=list(findings),
                                             digest=first.digest)
    cache.last_run = (run_digest, dict(fingerprints))
    return fingerprints


def _project_context(named: Sequence[str], exclude: Sequence[str], watch: list | None) -> list[str]:
    """The Python files of the named files' projects (``project_of``) that were not named, walked as a
    named folder would be (excludes, .gitignore), spelled relative to the working folder when below it."""
    roots = dict.fromkeys(root for root in (project_of(path, watch) for path in named) if root is not None)
    if not roots:
        return []
    here = os.getcwd()
    spelled = [os.path.relpath(root, here) if os.path.commonpath([root, here]) == here else root for root in roots]
    taken = {os.path.realpath(path) for path in named}
    # a file found here under either name of a named one (a symbolic link, or what it points to)
    names = {os.path.basename(path) for path in taken} | {os.path.basename(path) for path in named}
    found = discover(spelled, exclude=exclude, watch=watch).files
    # a named file may be spelled otherwise here: compare where they lead (only for the names that can)
    return [str(path) for path in found if path.name not in names or os.path.realpath(path) not in taken]


def _largest_first(paths: list[str], stats: dict[str, os.stat_result]) -> list[str]:
    """Handed out largest first, the files end at about the same time in every worker."""
    def size(path: str) -> int:
        try:
            return (stats.get(path) or os.stat(path)).st_size
        except OSError:
            return 0
    return sorted(paths, key=size, reverse=True)


def _analyse_in_group(group: WorkerGroup, paths: list[str], payload: bytes | None, results: dict[str, FileResult],
                      progress: Callable[[int, int, str], None] | None, the_run: Run, rules: Sequence[Rule],
                      options: Options, write: bool) -> None:
    for count, result in enumerate(group.step2(payload, paths), 1):
        results[result.path] = result
        if progress is not None:
            progress(count, len(paths), result.path)
    for path in paths:  # a worker died: do its files here
        if path not in results:
            results[path] = _second_pass(path, (the_run, rules, options, write))


PARALLEL_THRESHOLD = 64  # below this, starting processes costs more than it saves
# Bytes of source whose syntax trees a process keeps between the two steps and while analysing (the
# trees take about 30 times that): transformers keeps about half of its Module files' trees per
# process and parses the rest again, instead of holding 1.4 GB of trees.
TREE_BUDGET = 8_000_000


def _first_passes(paths: Sequence[str], options: Options, kept: int = 0, context: frozenset[str] = frozenset(),
                  modules: ModuleNames | _Unnamed = _Unnamed()) -> tuple[list[FirstPass], int]:
    """Step 1 over the files, keeping the trees that step 2 will probably analyse while they fit the
    budget (``kept`` bytes of it are used; never those of the ``context``, which step 2 does not
    analyse); returns the results and the bytes now used."""
    firsts = []
    for path in paths:
        first = _first_pass(path, keep=path not in context, keep_all=options.analyse_every_file, modules=modules)
        if first.parsed is not None:
            size = len(first.parsed.source.text)
            if kept + size <= TREE_BUDGET and (options.analyse_every_file or _imports_torch(first.summary)):
                kept += size
            else:
                first.parsed = first.data = None
        firsts.append(first)
    return firsts, kept


def _imports_torch(summary: FileSummary) -> bool:
    """A guess, only to choose which trees to keep: nearly every file with Module classes imports torch."""
    return any(target and (target == "torch" or target.startswith("torch.")) for target in summary.bindings.values())


@dataclass
class FirstPass:
    path: str
    summary: FileSummary | None = None
    error: FileError | None = None
    parsed: ParsedFile | None = None  # kept only in the sequential mode
    data: bytes | str | None = None
    from_stdin: bool = False
    digest: str = ""


def _fingerprint(hierarchy: Hierarchy, first: FirstPass, digests: "_Digests") -> str:
    """The file's content and that of every file holding its classes' bases and subclasses."""
    summary = first.summary
    related: set[str] = set()
    for name in summary.classes:
        qualname = f"{summary.module_name}.{name}"
        related.update(hierarchy.ancestors_in_run(qualname), hierarchy.descendants_in_run(qualname))
    for base in summary.nested_bases:
        resolved = hierarchy.resolve(base)
        if resolved:
            related.add(resolved)
            related.update(hierarchy.ancestors_in_run(resolved))
    # what the file imports: whether `Blk()` builds a Module, how it initialises, what a helper returns, is
    # decided by the file that defines it (and, for a class, by its bases' files)
    imported: set[str] = set()
    for target in summary.bindings.values():
        resolved = hierarchy.resolve(target) if target else None
        if resolved is None:
            continue
        if hierarchy.in_run(resolved):
            related.add(resolved)
            related.update(hierarchy.ancestors_in_run(resolved))
        else:  # a module (`import pkg.utils as u`) or a function of one
            imported.update(m for m in (resolved, resolved.rpartition(".")[0])
                            if m and m != summary.module_name and hierarchy.summary(m) is not None)
    parts = [first.digest] + sorted(f"{q}={digests.get(q.rpartition('.')[0], '')}" for q in related) + sorted(
        f"{m}:{digests.get(m, '')}" for m in imported)
    return digest("\n".join(parts))


def _first_pass(path: str, keep: bool = False, data: bytes | str | None = None, keep_all: bool = False,
                modules: ModuleNames | _Unnamed = _Unnamed()) -> FirstPass:
    from_stdin = data is not None
    # standard input is kept whatever happens: an editor replaces its buffer with what comes back
    first = FirstPass(path, from_stdin=from_stdin, data=data if from_stdin else None)
    if data is None:
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            first.error = FileError(path, f"cannot read: {exc.strerror or exc}")
            return first
    try:
        parsed = parse_file(path, data, from_stdin, modules)
    except SourceError as exc:
        first.error = FileError(path, exc.message, exc.line)
    except SyntaxError as exc:
        first.error = _syntax_error(path, exc)
    except (RecursionError, MemoryError):
        first.error = FileError(path, "cannot parse: too deeply nested for Python's parser")
    except ValueError as exc:
        first.error = FileError(path, f"cannot parse: {exc}")
    else:
        first.summary = parsed.summary
        first.digest = digest(data)
        derives = any(parsed.summary.classes.values()) or parsed.summary.nested_bases
        if keep and (derives or from_stdin or keep_all):  # a file with no class deriving from anything holds no Module
            first.parsed, first.data = parsed, data
    return first


def _second_pass(path: str, state: tuple) -> FileResult:
    the_run, rules, options, write = state
    try:
        with open(path, "rb") as handle:
            data = handle.read()
        parsed = parse_file(path, data, modules=the_run.modules)
    except OSError as exc:
        return FileResult(path, error=FileError(path, f"cannot read: {exc.strerror or exc}"))
    except (SourceError, SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return FileResult(path, error=FileError(path, f"changed while modfix ran: {exc}"))
    return _slim(_analyse(the_run, parsed, data, rules, options, write, False))


def _slim(result: FileResult) -> FileResult:
    if not result.findings and not result.changed:
        result.original = result.source = result.data = None  # nothing to send back
    return result


def _analyse(the_run: Run, parsed: ParsedFile, data: bytes | str, rules: Sequence[Rule], options: Options,
             write: bool, from_stdin: bool) -> FileResult:
    result = FileResult(parsed.path, from_stdin=from_stdin, data=data, source=parsed.source,
                        original=parsed.source.text)
    try:
        result.findings, result.fixed, result.applied, result.remaining = fix_until_stable(
            the_run, parsed, rules, options)
    except RecursionError:
        result.error = FileError(parsed.path, "internal error: recursion limit reached while analysing",
                                 internal=True)
        return result
    except Exception as exc:  # a bug in modfix must not lose the rest of the run
        detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        result.error = FileError(parsed.path, f"internal error: {detail}", internal=True)
        return result
    if write and result.changed and not from_stdin:
        try:
            write_atomic(parsed.path, parsed.source.encode(result.fixed), expected=data)
            result.written = True
        except (FileChangedError, FileNotWritableError) as exc:
            result.error = FileError(parsed.path, f"not written: {exc}")
        except OSError as exc:
            result.error = FileError(parsed.path, f"cannot write: {exc.strerror or exc}")
    return result


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


class _EngineWorker:
    """What a worker process does in each step (see ``_workers``): step 1 reads, parses and summarizes,
    keeping the trees of likely Module files within the budget; step 2 analyses (and fixes) a file,
    from its kept tree when it has one."""

    def __init__(self, rules: Sequence[Rule], options: Options, write: bool, inherited: Run | None = None,
                 context: frozenset[str] = frozenset(), modules: ModuleNames | _Unnamed = _Unnamed()):
        self.rules, self.options, self.write, self.context, self.modules = rules, options, write, context, modules
        self.run = inherited
        self.kept: dict[str, FirstPass] = {}
        self.kept_bytes = 0

    def step1(self, paths: list[str]) -> tuple[list[FirstPass], list[str]]:
        firsts, self.kept_bytes = _first_passes(paths, self.options, self.kept_bytes, self.context, self.modules)
        kept = [f for f in firsts if f.parsed is not None]
        self.kept.update((f.path, f) for f in kept)
        return [FirstPass(f.path, f.summary, f.error, digest=f.digest) for f in firsts], [f.path for f in kept]

    def plan(self, summaries: bytes | None, owned: list[str]) -> None:
        self.kept = {path: self.kept[path] for path in owned if path in self.kept}  # let the other trees go
        if summaries is not None:
            summaries, project = pickle.loads(summaries)
            self.run = Run(summaries, self.options.module_factories, [f.parsed for f in self.kept.values()],
                           budget=TREE_BUDGET, project=project)
        self.run.pinned = set(self.kept)

    def step2(self, path: str) -> FileResult:
        first = self.kept.pop(path, None)
        if first is None:
            return _second_pass(path, (self.run, self.rules, self.options, self.write))
        result = _analyse(self.run, first.parsed, first.data, self.rules, self.options, self.write, False)
        self.run.pinned.discard(path)
        return _slim(result)


_NOQA_CODES = re.compile(r"#\s*noqa:\s*([A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*)", re.IGNORECASE)
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def _physical_lines(text: str) -> tuple[list[str], dict[int, int], set[int]]:
    """The lines as Python counts them (only \\n, \\r\\n and \\r end one: not the form feeds and other
    breaks str.splitlines knows), the column of each line's comment, and the lines whose end is inside
    a token (a string over several lines) or continued by a backslash, where no comment may go."""
    lines = _LINE.findall(text)
    comments: dict[int, int] = {}
    inside: set[int] = set()
    for number, line in enumerate(lines, 1):
        if line.rstrip("\r\n").endswith("\\"):
            inside.add(number)  # a continuation; a string's own backslash is inside a token anyway
    try:
        for token in tokenize.generate_tokens(io.StringIO(text.replace("\r\n", "\n").replace("\r", "\n")).readline):
            if token.type == tokenize.COMMENT:
                comments[token.start[0]] = token.start[1]
                inside.discard(token.start[0])  # a backslash at the end of a comment continues nothing
            elif token.start[0] < token.end[0] and token.type not in (tokenize.NEWLINE, tokenize.NL):
                inside.update(range(token.start[0], token.end[0]))
    except (tokenize.TokenError, SyntaxError):
        inside.update(range(1, len(lines) + 1))  # cannot tell: write nowhere
    return lines, comments, inside


def add_noqa_comments(report: RunReport) -> tuple[int, list[FileError]]:
    """Append ``# noqa: CODE`` to each finding's first line (merging codes already there), so that a
    large codebase can adopt modfix and fix its findings over time. Returns (comments added, errors)."""
    added, errors = 0, []
    for result in report.files:
        if not result.findings or result.from_stdin:
            continue
        if result.source is None:  # a result from the cache: read the file now
            try:
                with open(result.path, "rb") as handle:
                    result.data = handle.read()
                result.source = decode(result.data)
                result.original = result.source.text
            except (OSError, SourceError) as exc:
                errors.append(FileError(result.path, f"cannot read: {exc}"))
                continue
        lines, comments, inside = _physical_lines(result.original)
        codes_by_line: dict[int, list[str]] = {}
        for finding in result.findings:
            # the first line of the finding whose end is code, not the inside of a string or a continuation
            number = next((n for n in range(finding.line, max(finding.line, finding.end_line) + 1)
                           if n <= len(lines) and n not in inside), None)
            if number is None:
                errors.append(FileError(result.path, f"cannot add a noqa comment for {finding.code}: every line "
                                                     "of the finding ends inside a string", finding.line))
                continue
            codes = codes_by_line.setdefault(number, [])
            if finding.code not in codes:
                codes.append(finding.code)
        for number, codes in codes_by_line.items():
            line = lines[number - 1]
            body = line.rstrip("\r\n")
            ending = line[len(body):]
            column = comments.get(number)
            existing = None if column is None else _NOQA_CODES.search(body, column)
            if existing:
                merged = [c.strip() for c in re.split(r"[\s,]+", existing.group(1)) if c.strip()]
                merged += [c for c in codes if c not in merged]
                body = body[: existing.start()] + "# noqa: " + ", ".join(merged) + body[existing.end():]
            else:
                body += "  # noqa: " + ", ".join(codes)
            lines[number - 1] = body + ending
            added += len(codes)
        text = "".join(lines)
        try:
            ast.parse(text)
            write_atomic(result.path, result.source.encode(text), expected=result.data)
        except SyntaxError:
            errors.append(FileError(result.path, "cannot add noqa comments here (a finding starts inside a string)"))
        except OSError as exc:
            errors.append(FileError(result.path, f"cannot write: {exc}"))
    return added, errors
