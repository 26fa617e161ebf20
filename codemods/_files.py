"""Which files a run reads, and writing them back without losing anyone's work.

``discover`` turns the paths named on the command line into a list of files. A file named
explicitly is always taken, whatever its name: the user asked for it. A directory is walked for
``*.py`` files the way a developer would expect a tool to walk a checkout: version-control
metadata, caches, build output and virtual environments are skipped, and so is whatever the
repository's ``.gitignore`` files (and ``.git/info/exclude``) ignore, as git would: the patterns are
pathspec's ``GitIgnoreSpec`` (the library black relies on), the order of the files and their folders
are handled here.

``write_atomic`` replaces a file's content in one step (a temporary file in the same directory,
then ``os.replace``), so that an interrupted run never leaves a half-written source file, and
refuses to overwrite a file that changed on disk after it was read.
"""
from __future__ import annotations

import fnmatch
import os
import re
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import pathspec

from ._replay import signature

PYTHON_SUFFIX = ".py"

# Directories that never hold code the user wants rewritten: VCS metadata, caches, build
# output, installed environments. Only applied below a walked root, never to a named path.
SKIPPED_DIR_NAMES = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".bzr",
        "__pycache__",
        "build",
        "dist",
        ".tox",
        ".nox",
        ".eggs",
        "node_modules",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".modfix_cache",
        ".venv",
        "venv",
    }
)
SKIPPED_DIR_SUFFIXES = (".egg-info",)
# Every virtual environment created by venv/virtualenv has this file at its top, whatever
# the environment's directory is called.
VIRTUAL_ENV_MARKER = "pyvenv.cfg"

GITIGNORE_NAME = ".gitignore"


@dataclass(frozen=True)
class PathError:
    path: str  # the path as the user would recognise it
    message: str


@dataclass
class Discovery:
    files: list[Path]  # in argument order, then walk order; no two resolve to the same file
    errors: list[PathError]


def discover(paths: Sequence[str | os.PathLike], *, exclude: Sequence[str] = (),
             watch: list[tuple[str, tuple | None]] | None = None) -> Discovery:
    """The files to process for the given command-line paths, and the paths that could not be used.

    With ``watch``, appends each folder walked and each ignore file looked for, with its ``signature``
    taken before it was read: if none of them changes, a new walk finds the same files."""
    # A trailing slash is natural when naming a directory, but fnmatch would never match it.
    exclude_patterns = tuple(pattern.rstrip("/") or pattern for pattern in exclude)
    files: list[Path] = []
    errors: list[PathError] = []
    seen_real_paths: set[str] = set()

    def add(path: str, real_path: str | None = None) -> None:
        real_path = real_path or os.path.realpath(path)
        if real_path not in seen_real_paths:
            seen_real_paths.add(real_path)
            files.append(Path(path))

    for raw_path in paths:
        path = os.fsdecode(raw_path)
        try:
            status = os.stat(path)
        except FileNotFoundError:
            message = "no such file or directory"
            if os.path.islink(path):
                message += " (broken symbolic link)"
            errors.append(PathError(path, message))
            continue
        except OSError as exc:  # a symlink loop, or a parent directory we may not search
            errors.append(PathError(path, exc.strerror or str(exc)))
            continue
        if stat.S_ISDIR(status.st_mode):
            for found, real_path in _walk_python_files(path, exclude_patterns, errors, watch):
                add(found, real_path)
        elif stat.S_ISREG(status.st_mode):
            add(path)
        else:
            errors.append(PathError(path, "not a regular file or directory"))
    return Discovery(files=files, errors=errors)


# What marks the top of a project: a run on some of its files reads the rest of it (see ``project_of``).
PROJECT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", ".git")
PACKAGE_MARKER = "__init__.py"


def project_of(path: str | os.PathLike, watch: list[tuple[str, tuple | None]] | None = None) -> str | None:
    """The folder of the project a file (or folder) belongs to, whose other files can subclass its classes or hold
    their bases: the nearest folder above it with a pyproject.toml, setup.cfg, setup.py or .git; failing
    that, the top of the package chain holding it (a tree unpacked from a wheel); None for a loose script.

    With ``watch``, appends each marker looked for, with its ``signature``: if none of them changes,
    the same file belongs to the same project."""
    def exists(candidate: str) -> bool:
        if watch is not None:
            watch.append((candidate, signature(candidate)))
        return os.path.lexists(candidate)

    path = os.path.abspath(os.fsdecode(path))
    folder = path if os.path.isdir(path) else os.path.dirname(path)
    package_top, in_chain = None, True
    while True:
        if any(exists(os.path.join(folder, marker)) for marker in PROJECT_MARKERS):
            return folder
        if in_chain:
            in_chain = exists(os.path.join(folder, PACKAGE_MARKER))
            package_top = folder if in_chain else package_top
        parent = os.path.dirname(folder)
        if parent == folder:
            return package_top
        folder = parent


def _walk_python_files(root: str, exclude: tuple[str, ...], errors: list[PathError],
                       watch: list | None = None) -> Iterator[tuple[str, str]]:
    """Depth-first, entries of each directory in name order; yields paths spelled from ``root``, each
    with the path it resolves to (known without a realpath call unless the file is a symbolic link:
    the walk follows none)."""
    real_root = os.path.realpath(root)
    root_parts, inherited_ignores = _ignore_files_above(real_root, errors, watch)

    # An explicit stack rather than recursion: directory depth must not be able to hit the
    # interpreter's recursion limit.
    stack: list[Iterator[tuple[os.DirEntry, tuple[str, ...], tuple[_IgnoreFile, ...]]]] = []
    opened = _open_directory(root, (), root_parts, inherited_ignores, errors, watch)
    if opened is not None:
        stack.append(opened)
    while stack:
        try:
            entry, parent_parts, ignores = next(stack[-1])
        except StopIteration:
            stack.pop()
            continue
        name = entry.name
        walk_parts = parent_parts + (name,)
        try:
            # Symlinked directories are deliberately not followed: it is the simplest way to
            # never loop, and a link out of the tree usually points at code that is not ours.
            is_dir = entry.is_dir(follow_symlinks=False)
            is_file = not is_dir and entry.is_file()
        except OSError:  # a symlink loop: stat fails with ELOOP
            continue
        if not (is_dir or is_file):  # dangling symlinks, symlinked directories, fifos, sockets
            continue
        if is_file and not name.endswith(PYTHON_SUFFIX):
            continue
        if _excluded_by_globs(name, "/".join(walk_parts), exclude):
            continue
        if is_dir and _is_skipped_directory(name, entry.path):
            continue
        if _is_ignored(root_parts + walk_parts, is_dir, ignores):
            continue
        if is_dir:
            opened = _open_directory(entry.path, walk_parts, root_parts, ignores, errors, watch)
            if opened is not None:
                stack.append(opened)
        else:
            yield entry.path, (os.path.realpath(entry.path) if entry.is_symlink()
                               else os.path.join(real_root, *walk_parts))


def _open_directory(
    path: str,
    walk_parts: tuple[str, ...],
    root_parts: tuple[str, ...],
    ignores: tuple[_IgnoreFile, ...],
    errors: list[PathError],
    watch: list | None = None,
) -> Iterator[tuple[os.DirEntry, tuple[str, ...], tuple[_IgnoreFile, ...]]] | None:
    if watch is not None:
        watch.append((path, signature(path)))
    try:
        with os.scandir(path) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except OSError as exc:
        errors.append(PathError(path, f"cannot read directory: {exc.strerror or exc}"))
        return None
    if any(entry.name == GITIGNORE_NAME for entry in entries):
        own_ignore = _read_ignore_file(os.path.join(path, GITIGNORE_NAME), root_parts + walk_parts, errors, watch)
        if own_ignore is not None:
            ignores = ignores + (own_ignore,)
    return ((entry, walk_parts, ignores) for entry in entries)


def _excluded_by_globs(name: str, relative_path: str, patterns: tuple[str, ...]) -> bool:
    return any(
        fnmatch.fnmatch(name, pattern) or fnmatch.fnmatch(relative_path, pattern) for pattern in patterns
    )


def _is_skipped_directory(name: str, path: str) -> bool:
    return (
        name in SKIPPED_DIR_NAMES
        or name.endswith(SKIPPED_DIR_SUFFIXES)
        or os.path.isfile(os.path.join(path, VIRTUAL_ENV_MARKER))
    )


# --- gitignore ---------------------------------------------------------------------------------
#
# Paths are handled as tuples of names relative to the "top": the git work tree root when the
# walked root is inside one, otherwise the walked root itself. Each ignore file knows the
# directory it lives in (``base``) and its patterns match paths relative to that directory.


@dataclass(frozen=True)
class _IgnoreFile:
    base: tuple[str, ...]
    spec: pathspec.GitIgnoreSpec  # git's patterns, as pathspec compiles them


def _is_ignored(parts: tuple[str, ...], is_dir: bool, ignores: tuple[_IgnoreFile, ...]) -> bool:
    # Ignore files are ordered from lowest to highest precedence (info/exclude, then the
    # .gitignore files from the top down), and within a file the last matching pattern wins:
    # so the first match scanning backwards decides. Children of an ignored directory never
    # get here because the walk does not enter it, which is git's "cannot re-include a file
    # if a parent directory is excluded".
    for ignore_file in reversed(ignores):
        relative_path = "/".join(parts[len(ignore_file.base):]) + ("/" if is_dir else "")
        for pattern in reversed(ignore_file.spec.patterns):
            if pattern.include is not None and _matches_entry(pattern.regex, relative_path, is_dir):
                return pattern.include
    return False


def _matches_entry(regex: re.Pattern, path: str, is_dir: bool) -> bool:
    """Does the pattern match this entry itself, as git's walk asks? pathspec matches a list of files,
    so its patterns also match what lies below a matching directory (its ``ps_d`` group is that
    directory's slash): here the walk decides for directories, and a named folder inside an ignored
    one is walked. And ``gen/**`` matches what is in gen, never gen itself."""
    found = regex.match(path)
    if found is None:
        return False
    slash = found.groupdict().get("ps_d")
    if is_dir:
        return slash is not None and found.end() == len(path)
    return slash is None


_POSIX_CLASSES = {"alnum": "a-zA-Z0-9", "alpha": "a-zA-Z", "blank": " \t", "digit": "0-9", "lower": "a-z",
                  "upper": "A-Z", "space": " \t\n\r\f\v", "xdigit": "0-9a-fA-F", "punct": "!-/:-@[-`{-~",
                  "cntrl": "\x00-\x1f\x7f", "print": " -~", "graph": "!-~"}
_POSIX_CLASS = re.compile(r"\[:([a-z]+):\]")


def _spelled_for_pathspec(line: str) -> str:
    """git's wildmatch knows POSIX classes in brackets (``[[:upper:]]``); pathspec does not: spell them
    as ASCII ranges, as git matches them."""
    if "[:" not in line:
        return line
    return _POSIX_CLASS.sub(lambda m: _POSIX_CLASSES.get(m.group(1), m.group(0)), line)


def _ignore_files_above(
    real_root: str, errors: list[PathError], watch: list | None = None
) -> tuple[tuple[str, ...], tuple[_IgnoreFile, ...]]:
    """The walked root's position below the top, and the ignore files that apply to it from above."""
    git_root = _find_git_work_tree(real_root)
    if git_root is None:
        return (), ()
    relative = os.path.relpath(real_root, git_root)
    root_parts = () if relative == os.curdir else tuple(relative.split(os.sep))
    ignores: list[_IgnoreFile] = []
    info_exclude = _git_info_exclude_path(git_root)
    if info_exclude is not None:
        exclude_file = _read_ignore_file(info_exclude, (), errors, watch)
        if exclude_file is not None:
            ignores.append(exclude_file)
    # The walked root's own .gitignore is read when the walk opens it.
    for depth in range(len(root_parts)):
        directory = os.path.join(git_root, *root_parts[:depth])
        ignore_file = _read_ignore_file(os.path.join(directory, GITIGNORE_NAME), root_parts[:depth], errors, watch)
        if ignore_file is not None:
            ignores.append(ignore_file)
    return root_parts, tuple(ignores)


def _find_git_work_tree(directory: str) -> str | None:
    current = directory
    while True:
        # .git is a directory in a normal clone, a file in worktrees and submodules.
        if os.path.lexists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def _git_info_exclude_path(git_root: str) -> str | None:
    dot_git = os.path.join(git_root, ".git")
    if os.path.isdir(dot_git):
        return os.path.join(dot_git, "info", "exclude")
    # A worktree or submodule: ".git" is a file saying "gitdir: <path>"; a worktree's git dir
    # names the shared repository directory (which holds info/exclude) in its "commondir" file.
    try:
        with open(dot_git, encoding="utf-8", errors="surrogateescape") as handle:
            first_line = handle.readline().strip()
    except OSError:
        return None
    if not first_line.startswith("gitdir:"):
        return None
    git_dir = os.path.join(git_root, first_line[len("gitdir:"):].strip())
    try:
        with open(os.path.join(git_dir, "commondir"), encoding="utf-8", errors="surrogateescape") as handle:
            git_dir = os.path.join(git_dir, handle.readline().strip())
    except OSError:
        pass
    return os.path.join(git_dir, "info", "exclude")


def _read_ignore_file(
    path: str, base: tuple[str, ...], errors: list[PathError], watch: list | None = None
) -> _IgnoreFile | None:
    if watch is not None:
        watch.append((path, signature(path)))
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
    except OSError as exc:
        # Walking on without the file's rules could rewrite files the user meant to exclude,
        # so say so rather than silently carrying on.
        errors.append(PathError(path, f"cannot read ignore file: {exc.strerror or exc}"))
        return None
    text = data.decode("utf-8", errors="surrogateescape")
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = [_spelled_for_pathspec(line.rstrip("\r")) for line in text.split("\n")]
    spec = pathspec.GitIgnoreSpec.from_lines(lines)
    return _IgnoreFile(base=base, spec=spec) if any(p.include is not None for p in spec.patterns) else None


# --- writing back ------------------------------------------------------------------------------


class FileNotWritableError(OSError):
    """A rewrite this user cannot make as the file is: it was left alone."""

    def __init__(self, path: str, why: str):
        super().__init__(why)
        self.path = path


class FileChangedError(OSError):
    """The file changed on disk (modified or deleted) since it was read: it was not overwritten."""

    def __init__(self, path: str, what_happened: str):
        super().__init__(f"{path} was {what_happened} since it was read; not overwriting it")
        # Not ``filename``: setting it would make str() print "[Errno None] None: ..." instead.
        self.path = path


def write_atomic(path: str | os.PathLike, data: bytes, *, expected: bytes) -> None:
    """Replace the content of ``path`` with ``data`` if it still holds ``expected``.

    Readers see the old content or the new, never a mix, and a crash leaves the old file.
    The check against ``expected`` narrows, but cannot close, the window in which another
    program's edit could be lost: there is no portable compare-and-swap on file content.
    """
    shown_path = os.fsdecode(path)
    # Through a symlink the link stays a link: its target is the file that gets rewritten.
    target = os.path.realpath(shown_path)
    try:
        with open(target, "rb") as handle:
            current = handle.read()
            status = os.fstat(handle.fileno())
    except FileNotFoundError:
        raise FileChangedError(shown_path, "deleted") from None
    if current != expected:
        raise FileChangedError(shown_path, "modified")
    # A rename would replace a file this user may not write (only its folder is writable), as other
    # fixers never do: the file's own permission decides.
    if not os.access(target, os.W_OK):
        raise FileNotWritableError(shown_path, "it is read-only for this user")

    # Same directory as the target, so os.replace is a rename within one file system.
    directory, name = os.path.split(target)
    # The name is shortened so the temporary name stays within NAME_MAX for long file names.
    descriptor, temp_path = tempfile.mkstemp(prefix=f".modfix-{name[:64]}.", suffix=".tmp", dir=directory)
    try:
        with open(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp creates the file 0600, owned by this user and its group; the rewritten file must
        # keep the original's owner, group and bits (chown first: it may clear set-id bits).
        if (status.st_uid, status.st_gid) != (os.stat(temp_path).st_uid, os.stat(temp_path).st_gid):
            try:
                os.chown(temp_path, status.st_uid, status.st_gid)
            except PermissionError:
                raise FileNotWritableError(shown_path, "its owner or group could not be kept") from None
        os.chmod(temp_path, stat.S_IMODE(status.st_mode))
        os.replace(temp_path, target)
    except BaseException:
        try:
            os.unlink(temp_path)
        except OSError:
            pass
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: str) -> None:
    # Makes the rename itself durable. Not possible everywhere (Windows cannot open a
    # directory), and the data is already safe in the file, so failure is not an error.
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
