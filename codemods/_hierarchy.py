"""Which classes reach nn.Module, across every file of a run.

A class is an nn.Module when one of its bases is torch.nn.Module or a torch.nn module class, under
whatever name the file imported it, or another class of the run that is one. Hierarchies cross files
(transformers: most Module subclasses reach nn.Module only through another class), so this works
on cheap per-file summaries: the file's dotted module name, what each name at module level is bound
to, and each class's bases as qualified names. Nothing here guesses: a base that cannot be resolved
(a class from a package outside the run) makes the class unknown, not a Module.
"""
from __future__ import annotations

import ast
import hashlib
import os
from dataclasses import dataclass, field
from typing import Callable, Iterable, Protocol

from ._torch_tables import ALIASES as _TORCH_ALIASES, CLASS_BASES as _TORCH_BASES

# the root, as modfix names it (torch defines it in torch.nn.modules.module)
NN_MODULE = "torch.nn.Module"

# Module bases from popular packages that are rarely part of the run
KNOWN_EXTERNAL_MODULE_BASES = frozenset({
    "pytorch_lightning.LightningModule",
    "pytorch_lightning.core.LightningModule",
    "pytorch_lightning.core.module.LightningModule",
    "lightning.LightningModule",
    "lightning.pytorch.LightningModule",
    "lightning.pytorch.core.module.LightningModule",
    "transformers.PreTrainedModel",
    "transformers.modeling_utils.PreTrainedModel",
})


def torch_class(qualname: str | None) -> str | None:
    """The name a class of torch's Module tree is defined under, for any public name of it
    (``torch.nn.Linear`` -> ``torch.nn.modules.linear.Linear``); None for anything else."""
    if qualname is None:
        return None
    return qualname if qualname in _TORCH_BASES else _TORCH_ALIASES.get(qualname)


# torch.nn's containers, by the name torch defines them under
TORCH_CONTAINERS = frozenset(_TORCH_ALIASES[f"torch.nn.{n}"] for n in (
    "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"))

_torch_modules: dict[str, bool] = {NN_MODULE: True}


def torch_module_class(qualname: str | None) -> str | None:
    """Like ``torch_class``, but only for nn.Module subclasses (``torch.distributions``, optimizers and
    typing or abc bases are not): from the table generated off torch, not from a name prefix."""
    name = torch_class(qualname)
    if name is None:
        return None
    if name not in _torch_modules:
        _torch_modules[name] = False
        _torch_modules[name] = any(torch_module_class(base) for base in _TORCH_BASES.get(name, ()))
    return name if _torch_modules[name] else None


def module_name_for(path: str | os.PathLike, packages: dict[str, list[str]] | None = None) -> tuple[str, bool]:
    """The dotted module name of a file, from the packages (folders with __init__.py) around it.
    ``packages`` remembers each folder's answer across the files of one run."""
    path = os.path.abspath(path)
    folder, name = os.path.split(path)
    stem = name.rpartition(".")[0] if "." in name.lstrip(".") else name
    is_package = name == "__init__.py"
    parts = ([] if is_package else [stem]) + _package_parts(folder, {} if packages is None else packages)
    return ".".join(reversed(parts)) or stem, is_package


class ModuleNames:
    """The module name of each file of a run, and where its absolute imports lead.

    Two folders may each provide a top-level module or package of one name (experiment folders, each
    with its own ``model.py``; ``tests/utils.py`` beside ``scripts/utils.py``): as one module name they
    would hide each other. Such a name is given a tag of its folder (``model#1a2b3c``), and an import of
    it resolves to the one of the importing file's own import folder, where Python looks first. From
    any other folder it stays unresolved, and ``notes`` says so."""

    def __init__(self, paths: Iterable[str]):
        packages: dict[str, list[str]] = {}
        self._named: dict[str, tuple[str, bool, str]] = {}  # absolute path -> (name, is_package, folder)
        providers: dict[str, set[str]] = {}
        for path in paths:
            absolute = os.path.abspath(path)
            name, is_package = module_name_for(absolute, packages)
            folder = _import_folder(absolute, name, is_package)
            self._named[absolute] = (name, is_package, folder)
            providers.setdefault(name.partition(".")[0], set()).add(folder)
        self.ambiguous = {top: sorted(folders) for top, folders in providers.items() if len(folders) > 1}
        # what every summary's import targets depend on besides its own file
        self.key = hashlib.blake2b(repr(sorted(self.ambiguous.items())).encode(), digest_size=8).hexdigest() \
            if self.ambiguous else ""
        self._packages = packages

    def of(self, path: str) -> tuple[str, bool]:
        absolute = os.path.abspath(path)
        known = self._named.get(absolute)
        if known is None:
            name, is_package = module_name_for(absolute, self._packages)
            known = (name, is_package, _import_folder(absolute, name, is_package))
        name, is_package, folder = known
        top, dot, rest = name.partition(".")
        return (_tagged(top, folder) + dot + rest if top in self.ambiguous else name), is_package

    def imports_for(self, path: str) -> Callable[[str], str] | None:
        """How an absolute import in this file is spelled in the run (None: as written)."""
        if not self.ambiguous:
            return None
        absolute = os.path.abspath(path)
        known = self._named.get(absolute)
        folder = known[2] if known else os.path.dirname(absolute)
        mine = {top for top, folders in self.ambiguous.items() if folder in folders}

        def rewrite(target: str) -> str:
            top, dot, rest = target.partition(".")
            return _tagged(top, folder) + dot + rest if top in mine else target
        return rewrite

    def unresolved(self, summaries: Iterable["FileSummary"]) -> list[str]:
        """What the run must say: each file importing a name that several folders provide, none of them
        its own (Python would take whichever comes first on its path, which modfix cannot know)."""
        notes: list[str] = []
        if not self.ambiguous:
            return notes
        for summary in summaries:
            tops = sorted({t.partition(".")[0] for t in list(summary.bindings.values()) + summary.star_imports
                           if t and t.partition(".")[0] in self.ambiguous})
            for top in tops:
                folders = ", ".join(_shown(f) for f in self.ambiguous[top])
                notes.append(f"{_shown(summary.path)} imports `{top}`, which several folders provide ({folders}), "
                             "none of them its own: its classes from there are not resolved")
        return notes


def _shown(path: str) -> str:
    relative = os.path.relpath(path) if path else path
    return relative if path and not relative.startswith(os.pardir) else path


def _tagged(top: str, folder: str) -> str:
    return f"{top}#{hashlib.blake2b(folder.encode('utf-8', 'surrogateescape'), digest_size=3).hexdigest()}"


def _import_folder(path: str, name: str, is_package: bool) -> str:
    """The folder an import of the file's top-level name is looked up in (the one above its packages)."""
    folder = os.path.dirname(path)
    for _ in range(name.count(".") + (1 if is_package else 0)):
        folder = os.path.dirname(folder)
    return folder


def _package_parts(folder: str, packages: dict[str, list[str]]) -> list[str]:
    """The names of the packages a folder is in, itself first: [] when it holds no __init__.py."""
    parts = packages.get(folder)
    if parts is None:
        parent = os.path.dirname(folder)
        inside = parent != folder and os.path.exists(os.path.join(folder, "__init__.py"))
        parts = packages[folder] = [os.path.basename(folder)] + _package_parts(parent, packages) if inside else []
    return parts


def resolve_relative(module_name: str, is_package: bool, level: int, target: str | None) -> str | None:
    package = module_name.split(".") if is_package else module_name.split(".")[:-1]
    if level - 1 > len(package):
        return None
    base = package[: len(package) - (level - 1)]
    if target:
        base = base + target.split(".")
    return ".".join(base) or None


@dataclass
class FileSummary:
    """What the hierarchy needs to know of one file."""

    module_name: str
    bindings: dict[str, str | None]  # a name at module level -> the qualified name it stands for
    classes: dict[str, list[str | None]] = field(default_factory=dict)  # class name -> base qualnames
    star_imports: list[str] = field(default_factory=list)  # modules of `from m import *`
    path: str = ""
    is_package: bool = False
    # bases of classes defined inside functions or other classes (tests do that): Modules too, maybe
    nested_bases: list[str | None] = field(default_factory=list)
    # class name -> its first and last line: lets a family lookup skip classes whose text never
    # names the attribute in question, without parsing their files
    class_spans: dict[str, tuple[int, int]] = field(default_factory=dict)
    # the run's ModuleNames.key it was made under: its module name and imports depend on it
    names_key: str = ""


class LazyFiles(Protocol):
    """Files of the run read only when the hierarchy asks (see ``_engine.ProjectFiles``)."""

    def claiming(self, module: str) -> list["FileSummary"]:
        """Read the files of that module name, if not yet read."""

    def mentioning(self, words: set[str]) -> list["FileSummary"]:
        """Read the files not yet read whose text may name one of these words."""

    def has_unread(self) -> bool:
        """Is any file left to read?"""


class Hierarchy:
    """Resolves classes of a run; answers is_module() and finds bases and subclasses."""

    def __init__(self, summaries: list[FileSummary], project: "LazyFiles | None" = None):
        self._files: dict[str, FileSummary | None] = {}
        self._subclasses: dict[str, list[str]] | None = None
        self._alias_index: dict[str, set[str]] | None = None
        self._searched_modules: set[str] = set()
        # files read only when a question needs them: a module when something resolves into it, a
        # file naming a class when that class's subclasses are asked for
        self._project = project
        self._asked: set[str] = set()
        for summary in summaries:
            self._add(summary)
        self._is_module: dict[str, bool] = {}
        self._descendants: dict[str, list[str]] = {}

    def _add(self, summary: FileSummary) -> None:
        # two files claiming one module name (same folder: model.py and model/): neither is trusted
        self._files[summary.module_name] = None if summary.module_name in self._files else summary
        self._subclasses = None
        self._alias_index = None

    def _aliases(self) -> dict[str, set[str]]:
        """Last name of an import or assignment target -> the names bound to it (``B`` for ``B = Base``)."""
        if self._alias_index is None:
            self._alias_index = {}
            for summary in self._files.values():
                if summary is not None:
                    for name, target in summary.bindings.items():
                        if target:
                            self._alias_index.setdefault(target.rpartition(".")[2], set()).add(name)
        return self._alias_index

    def summary(self, module: str) -> FileSummary | None:
        """The file of that module in the run (read now if it was not yet)."""
        if self._project is not None and module not in self._files and module not in self._asked:
            self._asked.add(module)
            for summary in self._project.claiming(module):
                self._add(summary)
        return self._files.get(module)

    def resolve(self, qualname: str | None, _depth: int = 0) -> str | None:
        """Follow re-exports (``from .modeling import Model`` in a package) to where a class is defined."""
        if not qualname or _depth > 20:
            return None
        if torch_class(qualname) == NN_MODULE:
            return NN_MODULE  # the root keeps its name, even when torch's own tree is in the run
        module, _, name = qualname.rpartition(".")
        summary = self.summary(module)
        if summary is None:
            return torch_class(qualname) or qualname
        if name in summary.classes:
            return qualname
        target = summary.bindings.get(name)
        if target and target != qualname:
            return self.resolve(target, _depth + 1)
        for star in summary.star_imports:  # torch.nn: `from torch.nn.modules import *`
            other = self.summary(star)
            if other is not None and (name in other.classes or name in other.bindings or other.star_imports):
                found = self.resolve(f"{star}.{name}", _depth + 1)
                if found is not None and self.in_run(found):
                    return found
        return qualname

    def bases(self, qualname: str) -> list[str | None]:
        module, _, name = qualname.rpartition(".")
        summary = self.summary(module)
        if summary is None or name not in summary.classes:
            return list(_TORCH_BASES.get(qualname, ()))
        return [self.resolve(base) for base in summary.classes[name]]

    def defines_modules(self, summary: FileSummary) -> bool:
        """Could the file hold a Module class: one of its classes reaches nn.Module, or a class nested
        in a function derives from something that does (resolved with the file's global names)."""
        return any(self.is_module(f"{summary.module_name}.{name}") for name in summary.classes) or any(
            self.is_module(base) for base in summary.nested_bases)

    def is_module(self, qualname: str | None) -> bool:
        qualname = self.resolve(qualname)
        if qualname is None:
            return False
        if torch_module_class(qualname) or qualname in KNOWN_EXTERNAL_MODULE_BASES:
            return True
        known = self._is_module.get(qualname)
        if known is not None:
            return known
        self._is_module[qualname] = False  # a cycle in broken code must not recurse forever
        result = any(self.is_module(base) for base in self.bases(qualname))
        self._is_module[qualname] = result
        return result

    def mro(self, qualname: str) -> list[str] | None:
        """C3 linearization over the classes of the run and torch's, ending at torch.nn.Module (mixins
        after it included); None when a base is unknown (outside the run and not a class of torch's
        Module tree) or the hierarchy is inconsistent."""
        return self._mro(qualname, ())

    def _mro(self, qualname: str, seen: tuple[str, ...]) -> list[str] | None:
        if qualname == NN_MODULE:
            return [NN_MODULE]
        if qualname in seen or not (self.in_run(qualname) or qualname in _TORCH_BASES):
            return None
        bases = self.bases(qualname)
        if any(b is None for b in bases):
            return None
        linearized = [self._mro(b, seen + (qualname,)) for b in bases]
        if any(m is None for m in linearized):
            return None
        sequences = [list(m) for m in linearized] + [list(bases)]
        result = [qualname]
        while any(sequences):
            for sequence in sequences:
                if not sequence:
                    continue
                head = sequence[0]
                if not any(head in other[1:] for other in sequences):
                    break
            else:
                return None
            result.append(head)
            for sequence in sequences:
                if sequence and sequence[0] == head:
                    del sequence[0]
        return result

    def in_run(self, qualname: str) -> bool:
        module, _, name = qualname.rpartition(".")
        summary = self.summary(module)
        return summary is not None and name in summary.classes

    def ancestors_in_run(self, qualname: str) -> list[str]:
        seen: list[str] = []
        stack = [b for b in self.bases(qualname) if b]
        while stack:
            base = stack.pop()
            if base in seen or not self.in_run(base):
                continue
            seen.append(base)
            stack.extend(b for b in self.bases(base) if b)
        return seen

    def descendants_in_run(self, qualname: str) -> list[str]:
        known = self._descendants.get(qualname)
        if known is not None:
            return known
        found = self._find_descendants(qualname)
        self._descendants[qualname] = found
        return found

    def _find_descendants(self, qualname: str) -> list[str]:
        found = self._walk_down(qualname)
        if self._project is None or not self._project.has_unread():
            return found
        # a subclass names its base, or an alias of it that a file naming the base defines: read the
        # files naming any class found so far, until no new file is read. The other classes of its file
        # go into the first search too: their subclasses are asked for next, found in the same pass.
        module, _, name = qualname.rpartition(".")
        summary = self._files.get(module)
        words = {name}
        if summary is not None and module not in self._searched_modules:
            self._searched_modules.add(module)
            words |= set(summary.classes)
        while True:
            words |= {child.rpartition(".")[2] for child in found}
            aliases = self._aliases()
            words |= {alias for word in list(words) for alias in aliases.get(word, ())}
            read = self._project.mentioning(words)
            if not read:
                return found
            for summary in read:
                self._add(summary)
            found = self._walk_down(qualname)

    def _walk_down(self, qualname: str) -> list[str]:
        while self._subclasses is None:
            index: dict[str, list[str]] = {}
            count = len(self._files)
            for module, summary in list(self._files.items()):
                if summary is None:
                    continue
                for name in summary.classes:
                    child = f"{module}.{name}"
                    for base in self.bases(child):  # may read the files of further bases
                        if base:
                            index.setdefault(base, []).append(child)
            if len(self._files) == count:  # else the files read meanwhile may hold subclasses too
                self._subclasses = index
        found: list[str] = []
        stack = list(self._subclasses.get(qualname, ()))
        while stack:
            child = stack.pop()
            if child not in found:
                found.append(child)
                stack.extend(self._subclasses.get(child, ()))
        return found


def summarize(tree: ast.Module, module_name: str, is_package: bool, path: str = "",
              imports: Callable[[str], str] | None = None, names_key: str = "") -> FileSummary:
    from ._facts import Names, all_statements, module_level_statements

    names = Names.from_tree(tree, module_name, is_package, imports=imports)
    classes = {}
    spans = {}
    stars = []
    top_level = set()
    for node in module_level_statements(tree):
        if isinstance(node, ast.ClassDef):
            classes[node.name] = [names.qualname(base) for base in node.bases]
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            spans[node.name] = (first, node.end_lineno or node.lineno)
            top_level.add(id(node))
        elif isinstance(node, ast.ImportFrom) and any(alias.name == "*" for alias in node.names):
            source = resolve_relative(module_name, is_package, node.level, node.module) if node.level else (
                imports(node.module) if imports and node.module else node.module)
            if source:
                stars.append(source)
    nested_classes = [node for node in all_statements(tree) if isinstance(node, ast.ClassDef) and id(node) not in top_level]
    if nested_classes:  # their bases may be imported inside the function: the file's names, everywhere
        deep = Names.from_tree(tree, module_name, is_package, deep=True, imports=imports)
        nested = [deep.qualname(base) for node in nested_classes for base in node.bases]
    else:
        nested = []
    return FileSummary(module_name=module_name, bindings=names.bindings, classes=classes, star_imports=stars,
                       path=path, is_package=is_package, nested_bases=nested, class_spans=spans,
                       names_key=names_key)
