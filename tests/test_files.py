from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from codemods import _files
from codemods._files import Discovery, FileChangedError, PathError, discover, write_atomic


def make(root: Path, *relative_paths: str, content: str = "") -> None:
    """Create files (and their directories); a path ending in "/" makes just a directory."""
    for relative in relative_paths:
        path = root / relative
        if relative.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)


def found(root: Path, *paths: str | Path, exclude: tuple[str, ...] = ()) -> list[str]:
    """The discovered files relative to ``root``, in discovery order; fails on any error."""
    discovery = discover([root / p for p in paths] if paths else [root], exclude=exclude)
    assert discovery.errors == []
    return [Path(os.path.relpath(file, root)).as_posix() for file in discovery.files]


def git_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / ".git" / "info").mkdir(parents=True)
    return repo


def write_ignore(directory: Path, *lines: str, name: str = ".gitignore") -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text("\n".join(lines) + "\n")


# --- explicit paths ----------------------------------------------------------------------------


def test_explicit_file_is_included_whatever_its_suffix(tmp_path):
    make(tmp_path, "script", "notes.txt", "tool.pyw")
    assert found(tmp_path, "script", "notes.txt", "tool.pyw") == ["script", "notes.txt", "tool.pyw"]


def test_explicit_files_keep_argument_order_and_spelling(tmp_path):
    make(tmp_path, "b.py", "a.py")
    discovery = discover([str(tmp_path / "b.py"), tmp_path / "a.py"])
    assert discovery == Discovery(files=[tmp_path / "b.py", tmp_path / "a.py"], errors=[])
    assert all(isinstance(file, Path) for file in discovery.files)


def test_explicit_symlink_to_file_is_included(tmp_path):
    make(tmp_path, "real.txt")
    os.symlink(tmp_path / "real.txt", tmp_path / "link")
    assert found(tmp_path, "link") == ["link"]


def test_explicit_file_inside_skipped_or_ignored_or_excluded_directory_is_included(tmp_path):
    repo = git_repo(tmp_path)
    make(repo, "build/gen.py", "ignored/mod.py", "node_modules/x.py", "secret.py")
    write_ignore(repo, "ignored/", "secret.py")
    discovery = discover(
        [repo / "build/gen.py", repo / "ignored/mod.py", repo / "node_modules/x.py", repo / "secret.py"],
        exclude=["secret.py", "ignored"],
    )
    assert discovery.errors == []
    assert [file.relative_to(repo).as_posix() for file in discovery.files] == [
        "build/gen.py",
        "ignored/mod.py",
        "node_modules/x.py",
        "secret.py",
    ]


def test_missing_path_is_an_error_and_the_rest_still_runs(tmp_path):
    make(tmp_path, "a.py")
    discovery = discover([tmp_path / "nope.py", tmp_path / "a.py"])
    assert discovery.files == [tmp_path / "a.py"]
    assert discovery.errors == [PathError(str(tmp_path / "nope.py"), "no such file or directory")]


def test_explicit_dangling_symlink_is_an_error(tmp_path):
    os.symlink(tmp_path / "gone.py", tmp_path / "link.py")
    discovery = discover([tmp_path / "link.py"])
    assert discovery.files == []
    [error] = discovery.errors
    assert error.path == str(tmp_path / "link.py")
    assert error.message.startswith("no such file or directory")


def test_explicit_symlink_loop_is_an_error_not_a_hang(tmp_path):
    os.symlink(tmp_path / "loop.py", tmp_path / "loop.py")
    discovery = discover([tmp_path / "loop.py"])
    assert discovery.files == []
    [error] = discovery.errors
    assert error.path == str(tmp_path / "loop.py")
    assert error.message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
def test_explicit_fifo_is_an_error(tmp_path):
    os.mkfifo(tmp_path / "pipe.py")
    discovery = discover([tmp_path / "pipe.py"])
    assert discovery.files == []
    assert discovery.errors == [PathError(str(tmp_path / "pipe.py"), "not a regular file or directory")]


# --- walking directories -----------------------------------------------------------------------


def test_directory_is_walked_recursively_for_py_files_in_name_order(tmp_path):
    make(tmp_path, "b.py", "a.py", "README.md", "setup.cfg", "pkg/z.py", "pkg/sub/m.py", "pkg/a.txt", "c/x.py")
    assert found(tmp_path) == ["a.py", "b.py", "c/x.py", "pkg/sub/m.py", "pkg/z.py"]


def test_entries_of_a_directory_are_sorted_by_name_files_and_directories_together(tmp_path):
    make(tmp_path, "m.py", "a/x.py", "z/y.py", "B.py")
    # Code-point order: "B" sorts before lowercase; directories take their place among files.
    assert found(tmp_path) == ["B.py", "a/x.py", "m.py", "z/y.py"]


def test_arguments_keep_their_order(tmp_path):
    make(tmp_path, "one/a.py", "two/b.py")
    assert found(tmp_path, "two", "one") == ["two/b.py", "one/a.py"]


def test_directory_named_like_a_python_file_is_walked(tmp_path):
    make(tmp_path, "x.py/inner.py", "x.py/data.txt")
    assert found(tmp_path) == ["x.py/inner.py"]
    assert found(tmp_path, "x.py") == ["x.py/inner.py"]


def test_symlink_to_python_file_inside_walk_is_included(tmp_path):
    make(tmp_path, "src/real.txt")
    os.symlink(tmp_path / "src/real.txt", tmp_path / "src/alias.py")
    assert found(tmp_path, "src") == ["src/alias.py"]


def test_dangling_symlink_inside_walk_is_skipped_silently(tmp_path):
    make(tmp_path, "a.py")
    os.symlink(tmp_path / "gone.py", tmp_path / "dangling.py")
    assert found(tmp_path) == ["a.py"]


def test_self_referencing_file_symlink_inside_walk_is_skipped(tmp_path):
    make(tmp_path, "a.py")
    os.symlink(tmp_path / "loop.py", tmp_path / "loop.py")
    assert found(tmp_path) == ["a.py"]


def test_symlink_loop_to_parent_directory_terminates(tmp_path):
    make(tmp_path, "pkg/a.py")
    os.symlink(tmp_path, tmp_path / "pkg" / "up")
    os.symlink(tmp_path / "pkg", tmp_path / "pkg" / "self")
    assert found(tmp_path) == ["pkg/a.py"]


def test_symlinked_directories_are_not_followed_while_walking(tmp_path):
    make(tmp_path, "elsewhere/lib.py", "proj/main.py")
    os.symlink(tmp_path / "elsewhere", tmp_path / "proj" / "vendored")
    assert found(tmp_path, "proj") == ["proj/main.py"]


def test_explicit_symlink_to_directory_is_walked(tmp_path):
    make(tmp_path, "real/a.py")
    os.symlink(tmp_path / "real", tmp_path / "link")
    assert found(tmp_path, "link") == ["link/a.py"]


@pytest.mark.parametrize(
    "skipped",
    sorted(_files.SKIPPED_DIR_NAMES) + ["modfix.egg-info", "src.egg-info"],
)
def test_skipped_directory_names_while_walking(tmp_path, skipped):
    make(tmp_path, "keep.py", f"{skipped}/inner.py", f"pkg/{skipped}/deep.py")
    assert found(tmp_path) == ["keep.py"]


def test_the_skip_list_is_the_documented_one():
    assert _files.SKIPPED_DIR_NAMES == {
        ".git", ".hg", ".svn", ".bzr", "__pycache__", "build", "dist", ".tox", ".nox", ".eggs",
        "node_modules", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".modfix_cache", ".venv", "venv",
    }  # fmt: skip


def test_skipped_name_is_walked_when_named_explicitly(tmp_path):
    make(tmp_path, "build/gen.py", "build/__pycache__/x.py")
    assert found(tmp_path, "build") == ["build/gen.py"]


def test_files_with_skipped_names_are_not_skipped(tmp_path):
    make(tmp_path, "build.py", "dist.py")
    assert found(tmp_path) == ["build.py", "dist.py"]


def test_virtual_environment_detected_by_pyvenv_cfg_whatever_its_name(tmp_path):
    make(tmp_path, "app.py", "myenv/pyvenv.cfg", "myenv/lib/site.py", "nested/env2/pyvenv.cfg", "nested/env2/x.py")
    assert found(tmp_path) == ["app.py"]


def test_virtual_environment_is_walked_when_named_explicitly(tmp_path):
    make(tmp_path, "myenv/pyvenv.cfg", "myenv/tool.py")
    assert found(tmp_path, "myenv") == ["myenv/tool.py"]


def test_duplicates_are_removed_by_real_path(tmp_path):
    make(tmp_path, "pkg/a.py", "pkg/b.py")
    os.symlink(tmp_path / "pkg" / "a.py", tmp_path / "alias.py")
    discovery = discover([tmp_path / "pkg/b.py", tmp_path / "pkg", tmp_path / "pkg/a.py", tmp_path / "alias.py",
                          str(tmp_path / "pkg" / ".." / "pkg")])  # fmt: skip
    assert discovery.errors == []
    assert discovery.files == [tmp_path / "pkg/b.py", tmp_path / "pkg/a.py"]


# --- exclude globs -----------------------------------------------------------------------------


def test_exclude_glob_matches_names(tmp_path):
    make(tmp_path, "a.py", "test_a.py", "pkg/test_b.py", "pkg/c.py", "generated/d.py")
    assert found(tmp_path, exclude=("test_*", "generated")) == ["a.py", "pkg/c.py"]


def test_exclude_glob_matches_paths_relative_to_the_walked_root(tmp_path):
    make(tmp_path, "src/pkg/a.py", "src/pkg/sub/b.py", "src/other/a.py")
    assert found(tmp_path, exclude=("src/pkg/*",)) == ["src/other/a.py"]
    assert found(tmp_path, "src", exclude=("pkg/sub",)) == ["src/other/a.py", "src/pkg/a.py"]


def test_exclude_glob_with_trailing_slash_matches_directory(tmp_path):
    make(tmp_path, "a.py", "gen/b.py")
    assert found(tmp_path, exclude=("gen/",)) == ["a.py"]


# --- unreadable directories --------------------------------------------------------------------


def _listing_denied(path: Path) -> bool:
    try:
        os.listdir(path)
    except PermissionError:
        return True
    return False


def test_unreadable_directory_is_an_error_and_the_walk_continues(tmp_path):
    make(tmp_path, "a.py", "locked/b.py", "z/c.py")
    locked = tmp_path / "locked"
    locked.chmod(0)
    try:
        if not _listing_denied(locked):
            pytest.skip("running with privileges that ignore directory permissions")
        discovery = discover([tmp_path])
    finally:
        locked.chmod(0o755)
    assert discovery.files == [tmp_path / "a.py", tmp_path / "z/c.py"]
    [error] = discovery.errors
    assert error.path == str(locked)
    assert error.message.startswith("cannot read directory: ")


def test_directory_that_cannot_be_listed_is_reported_even_as_root(tmp_path, monkeypatch):
    make(tmp_path, "a.py", "locked/b.py", "z/c.py")
    real_scandir = os.scandir

    def scandir(path):
        if Path(path) == tmp_path / "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    discovery = discover([tmp_path])
    assert discovery.files == [tmp_path / "a.py", tmp_path / "z/c.py"]
    assert discovery.errors == [PathError(str(tmp_path / "locked"), "cannot read directory: Permission denied")]


# --- .gitignore --------------------------------------------------------------------------------


def test_gitignore_unanchored_pattern_matches_at_any_depth(tmp_path):
    repo = git_repo(tmp_path)
    make(repo, "gen.py", "pkg/gen.py", "pkg/deep/gen.py", "pkg/ok.py")
    write_ignore(repo, "gen.py")
    assert found(repo) == ["pkg/ok.py"]


def test_gitignore_leading_slash_anchors_to_its_directory(tmp_path):
    repo = git_repo(tmp_path)
    make(repo, "gen.py", "pkg/gen.py")
    write_ignore(repo, "/gen.py")
    assert found(repo) == ["pkg/gen.py"]


def test_gitignore_middle_slash_anchors_to_its_directory(tmp_path):
    repo = git_repo(tmp_path)
    make(repo, "pkg/gen.py", "other/pkg/gen.py", "pkg/keep.py")
    write_ignore(repo, "pkg/gen.py")
    assert found(repo) == ["other/pkg/gen.py", "pkg/keep.py"]


def test_gitignore_trailing_slash_matches_directories_only(tmp_path):
    repo = git_repo(tmp_path)
    make(repo, "out/a.py", "sub/out/b.py", "keep.py")
    (repo / "pkg").mkdir()
    (repo / "pkg" / "out").write_text("")  # a file named "out" is not matched by "out/"
    (repo / "pkg" / "out.py").write_text("")
    write_ignore(repo, "out/", "out.py/")
    assert found(repo) == ["keep.py", "pkg/out.py"]


def test_gitignore_negation_last_match_wins(tmp_path):
    repo = git_repo(tmp_path)
    make(repo, "a.py", "b.py", "c.py")
    write_ignore(repo, "*.py", "!b.py", "!c.py", "c.py")
    assert found(repo) == ["b.py"]


def test_gitignore_cannot_reinclude_file_of_excluded_directory(tmp_path):
    repo = git_repo(tmp_path)
    make(repo, "gen/keep.py", "gen/drop.py", "lib/keep.py", "lib/drop.py")
    write_ignore(repo, "gen/", "!gen/keep.py", "lib/*", "!lib/keep.py")
    assert found(repo) == ["lib/keep.py"]


def test_gitignore_wildcards_do_not_cross_slashes(tmp_path):
    repo = git_repo(tmp_path)
    make(repo, "a/x.py", "a/b/x.py", "axb/x.py", "a1.py", "a2.py")
    write_ignore(repo, "a/*.py", "a?b/x.py", "a[0-1].py")
    assert found(repo) == ["a/b/x.py", "a2.py"]


def test_gitignore_bracket_expressions(tmp_path):
    repo = git_repo(tmp_path)
    make(repo, "a.py", "b.py", "c.py", "D.py", "e.py", "]x.py")
    write_ignore(repo, "[!a-c].py", "![[:upper:]].py", "[]]x.py")
    assert found(repo) == ["D.py", "a.py", "b.py", "c.py"]


def test_gitignore_leading_double_star_matches_in_all_directories(tmp_path):
    repo = git_repo(tmp_path)
    make(repo, "foo/a.py", "x/foo/a.py", "x/y/foo/b.py", "foo.py", "x/bar/a.py")
    write_ignore(repo, "**/foo")
    assert found(repo) == ["foo.py", "x/bar/a.py"]


def test_gitignore_trailing_double_star_matches_everything_inside(tmp_path):
    repo = git_repo(tmp_path)
    make(repo, "gen/a.py", "gen/sub/b.py", "gen/keep.py", "gen.py")
    write_ignore(repo, "gen/**", "!gen/keep.py")
    # "gen/**" does not match "gen" itself, so a file inside can be re-included.
    assert found(repo) == ["gen/keep.py", "gen.py"]


def test_gitignore_middle_double_star_matches_zero_or_more_directories(tmp_path):
    repo = git_repo(tmp_path)
    make(repo, "a/b.py", "a/x/b.py", "a/x/y/b.py", "a/c.py", "z/a/b.py")
    write_ignore(repo, "a/**/b.py")
    assert found(repo) == ["a/c.py", "z/a/b.py"]


def test_gitignore_comments_blank_lines_escapes_and_trailing_spaces(tmp_path):
    repo = git_repo(tmp_path)
    make(repo, "#hash.py", "!bang.py", "plain.py", "space .py", "keep.py", "comment.py")
    write_ignore(repo, "# comment.py", "", "\\#hash.py", "\\!bang.py", "plain.py   ", "space\\ .py")
    assert found(repo) == ["comment.py", "keep.py"]


def test_gitignore_crlf_line_endings(tmp_path):
    repo = git_repo(tmp_path)
    make(repo, "a.py", "b.py")
    (repo / ".gitignore").write_bytes(b"a.py\r\n")
    assert found(repo) == ["b.py"]


def test_nested_gitignore_applies_to_its_subtree_relative_to_itself(tmp_path):
    repo = git_repo(tmp_path)
    make(repo, "gen.py", "pkg/gen.py", "pkg/sub/gen.py", "pkg/local.py", "pkg/sub/local.py", "other/local.py")
    write_ignore(repo / "pkg", "/gen.py", "local.py")
    assert found(repo) == ["gen.py", "other/local.py", "pkg/sub/gen.py"]


def test_nested_gitignore_overrides_its_parent(tmp_path):
    repo = git_repo(tmp_path)
    make(repo, "a.py", "pkg/a.py", "pkg/b.py")
    write_ignore(repo, "*.py")
    write_ignore(repo / "pkg", "!a.py")
    # The root .gitignore ignores the .py files, not the directory, so pkg/ is still entered.
    assert found(repo) == ["pkg/a.py"]


def test_ancestor_gitignore_up_to_git_root_applies_to_walked_subdirectory(tmp_path):
    repo = git_repo(tmp_path)
    make(repo, "src/pkg/gen.py", "src/pkg/ok.py", "src/pkg/drop.py", "src/pkg/deep/x.py")
    write_ignore(repo, "gen.py", "/src/pkg/deep/")
    write_ignore(repo / "src", "pkg/drop.py")
    assert found(repo / "src" / "pkg") == ["ok.py"]


def test_gitignore_above_the_git_root_does_not_apply(tmp_path):
    make(tmp_path, "outer/repo/.git/", "outer/repo/a.py")
    write_ignore(tmp_path / "outer", "a.py")
    assert found(tmp_path / "outer" / "repo") == ["a.py"]


def test_without_git_repository_only_walked_gitignores_apply(tmp_path):
    make(tmp_path, "proj/sub/a.py", "proj/sub/b.py", "proj/c.py")
    write_ignore(tmp_path / "proj", "a.py")  # above the walked root, and no .git: not used
    write_ignore(tmp_path / "proj" / "sub", "b.py")
    assert found(tmp_path / "proj" / "sub") == ["a.py"]
    assert found(tmp_path / "proj") == ["c.py"]  # now proj/.gitignore is a walked one


def test_git_info_exclude_is_honoured_with_lower_precedence(tmp_path):
    repo = git_repo(tmp_path)
    make(repo, "a.py", "b.py", "c.py", "pkg/a.py")
    write_ignore(repo / ".git" / "info", "a.py", "b.py", name="exclude")
    write_ignore(repo, "!b.py")
    assert found(repo) == ["b.py", "c.py"]
    assert found(repo / "pkg") == []


def test_git_file_of_a_worktree_points_at_info_exclude(tmp_path):
    git_dir = tmp_path / "main.git" / "worktrees" / "wt"
    git_dir.mkdir(parents=True)
    (git_dir / "commondir").write_text("../..\n")
    write_ignore(tmp_path / "main.git" / "info", "drop.py", name="exclude")
    make(tmp_path, "wt/keep.py", "wt/drop.py")
    (tmp_path / "wt" / ".git").write_text(f"gitdir: {git_dir}\n")
    assert found(tmp_path / "wt") == ["keep.py"]


def test_explicitly_named_ignored_directory_is_walked(tmp_path):
    repo = git_repo(tmp_path)
    make(repo, "gen/a.py", "gen/b.py")
    write_ignore(repo, "gen/", "b.py")
    assert found(repo) == []
    assert found(repo / "gen") == ["a.py"]


def test_unreadable_gitignore_is_reported(tmp_path, monkeypatch):
    repo = git_repo(tmp_path)
    make(repo, "a.py")
    write_ignore(repo, "a.py")
    real_open = open

    def deny_gitignore(file, *args, **kwargs):
        if str(file).endswith(".gitignore"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", deny_gitignore)
    discovery = discover([repo])
    assert discovery.errors == [PathError(str(repo / ".gitignore"), "cannot read ignore file: Permission denied")]


# --- write_atomic ------------------------------------------------------------------------------


def leftovers(directory: Path) -> list[str]:
    return sorted(name for name in os.listdir(directory) if name.startswith(".modfix-"))


@pytest.mark.parametrize("mode", [0o640, 0o755, 0o600, 0o444])
def test_write_atomic_replaces_content_and_keeps_permission_bits(tmp_path, mode):
    target = tmp_path / "mod.py"
    target.write_bytes(b"old\n")
    target.chmod(mode)
    write_atomic(target, b"new\n", expected=b"old\n")
    assert target.read_bytes() == b"new\n"
    assert stat.S_IMODE(target.stat().st_mode) == mode
    assert leftovers(tmp_path) == []


def test_write_atomic_accepts_str_path(tmp_path):
    target = tmp_path / "mod.py"
    target.write_bytes(b"old")
    write_atomic(str(target), b"new", expected=b"old")
    assert target.read_bytes() == b"new"


def test_write_atomic_through_symlink_keeps_the_link(tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "mod.py"
    target.write_bytes(b"old")
    target.chmod(0o640)
    link = tmp_path / "link.py"
    os.symlink(target, link)
    write_atomic(link, b"new", expected=b"old")
    assert link.is_symlink()
    assert os.readlink(link) == str(target)
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert leftovers(tmp_path) == [] and leftovers(tmp_path / "real") == []


def test_write_atomic_refuses_when_file_was_modified(tmp_path):
    target = tmp_path / "mod.py"
    target.write_bytes(b"edited by someone else")
    with pytest.raises(FileChangedError) as caught:
        write_atomic(target, b"ours", expected=b"what we read")
    assert "modified" in str(caught.value) and str(target) in str(caught.value)
    assert isinstance(caught.value, OSError)
    assert target.read_bytes() == b"edited by someone else"
    assert leftovers(tmp_path) == []


def test_write_atomic_refuses_when_file_was_deleted(tmp_path):
    target = tmp_path / "mod.py"
    with pytest.raises(FileChangedError, match="deleted"):
        write_atomic(target, b"ours", expected=b"what we read")
    assert not target.exists()
    assert leftovers(tmp_path) == []


def test_write_atomic_failure_removes_temporary_file_and_keeps_original(tmp_path, monkeypatch):
    target = tmp_path / "mod.py"
    target.write_bytes(b"old")

    def failing_replace(source, destination):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(target, b"new", expected=b"old")
    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path) == []


def test_write_atomic_failure_while_writing_removes_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "mod.py"
    target.write_bytes(b"old")

    def failing_fsync(descriptor):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="Input/output error"):
        write_atomic(target, b"new", expected=b"old")
    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path) == []


def test_write_atomic_temporary_file_is_in_the_target_directory(tmp_path, monkeypatch):
    target = tmp_path / "mod.py"
    target.write_bytes(b"old")
    seen = []
    real_replace = os.replace

    def spying_replace(source, destination):
        seen.append((source, destination))
        real_replace(source, destination)

    monkeypatch.setattr(os, "replace", spying_replace)
    write_atomic(target, b"new", expected=b"old")
    [(source, destination)] = seen
    assert os.path.dirname(source) == str(tmp_path)
    assert os.path.basename(source).startswith(".modfix-mod.py")
    assert destination == str(target)


def test_write_atomic_in_unwritable_directory_raises_permission_error(tmp_path):
    directory = tmp_path / "ro"
    directory.mkdir()
    target = directory / "mod.py"
    target.write_bytes(b"old")
    directory.chmod(0o555)
    try:
        if os.access(directory, os.W_OK):
            pytest.skip("running with privileges that ignore directory permissions")
        with pytest.raises(PermissionError):
            write_atomic(target, b"new", expected=b"old")
        assert target.read_bytes() == b"old"
        assert leftovers(directory) == []
    finally:
        directory.chmod(0o755)


def test_write_atomic_permission_error_from_temp_creation_propagates(tmp_path, monkeypatch):
    target = tmp_path / "mod.py"
    target.write_bytes(b"old")

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path))

    monkeypatch.setattr(_files.tempfile, "mkstemp", denied)
    with pytest.raises(PermissionError):
        write_atomic(target, b"new", expected=b"old")
    assert target.read_bytes() == b"old"


BUGGY_MODEL = """\
import torch.nn as nn


class Tower(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = [nn.Linear(4, 4) for _ in range(2)]
"""
NOBODY = 65534
# root without the capability to override file permissions: for them, a normal user
AS_A_NORMAL_USER = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("setpriv"),
                    reason="needs root and setpriv to drop the permission override")
def test_a_read_only_file_is_refused_and_the_others_are_fixed(tmp_path):
    locked, open_ = tmp_path / "locked.py", tmp_path / "open.py"
    for path, mode in ((locked, 0o444), (open_, 0o644)):
        path.write_text(BUGGY_MODEL)
        path.chmod(mode)
    proc = subprocess.run([*AS_A_NORMAL_USER, sys.executable, "-m", "codemods", "apply", "--no-cache", "-j", "1",
                           str(tmp_path)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "locked.py" in proc.stderr and "read-only" in proc.stderr, proc.stderr
    assert locked.read_text() == BUGGY_MODEL and stat.S_IMODE(locked.stat().st_mode) == 0o444
    assert "nn.ModuleList(" in open_.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["locked.py", "open.py"]


@pytest.mark.skipif(not hasattr(os, "chown") or os.geteuid() != 0, reason="needs root to give a file away")
def test_write_atomic_keeps_owner_and_group(tmp_path):
    target = tmp_path / "mod.py"
    target.write_bytes(b"old")
    os.chown(target, NOBODY, NOBODY)
    target.chmod(0o640)
    write_atomic(target, b"new", expected=b"old")
    status = target.stat()
    assert (target.read_bytes(), status.st_uid, status.st_gid, stat.S_IMODE(status.st_mode)) == (
        b"new", NOBODY, NOBODY, 0o640)


# --- parity with git itself --------------------------------------------------------------------

PARITY_FILES = [
    "a.py", "b.py", "c.py", "D.py", "e.py", "]x.py", "#hash.py", "!bang.py", "space .py", "trail.py",
    "gen/a.py", "gen/sub/b.py", "gen/keep.py", "gen.py", "build2/x.py", "src/build2/y.py", "src/app.py",
    "src/deep/er/z.py", "src/deep/keep_me.py", "docs/conf.py", "docs/api/gen.py", "logs/debug.py",
    "logs/important/trace.py", "x/foo/a.py", "x/y/foo/b.py", "foo.py", "a/b.py", "a/x/b.py", "a/x/y/b.py",
    "a/c.py", "z/a/b.py", "nested/inner/one.py", "nested/inner/two.py", "nested/other.py",
    "UPPER/low.py", "mixed/Cap.py", "mixed/low.py", "digits/v1.py", "digits/vx.py", "q/a?.py", "q/ab.py",
]
PARITY_IGNORES = {
    ".gitignore": ["[!a-c].py", "![[:upper:]].py", "[]]x.py", "\\#hash.py", "\\!bang.py", "space\\ .py",
                   "trail.py   ", "gen/**", "!gen/keep.py", "/build2/", "**/foo", "a/**/b.py",
                   "logs/", "!logs/important/", "docs/*", "!docs/api/", "digits/v[[:digit:]].py",
                   "q/a\\?.py", "# a comment", "", "mixed/[[:upper:]]*.py"],
    "src/.gitignore": ["deep/**", "!deep/keep_me.py", "!/app.py", "*.py", "!app.py"],
    "nested/.gitignore": ["inner/", "!inner/two.py"],
    "UPPER/.gitignore": ["*", "!low.py"],
}


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_gitignore_matching_agrees_with_git(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True, env={**os.environ, "GIT_CONFIG_GLOBAL": os.devnull})
    make(repo, *PARITY_FILES)
    for name, lines in PARITY_IGNORES.items():
        write_ignore((repo / name).parent, *lines, name=Path(name).name)
    listed = subprocess.run(["git", "ls-files", "-z", "--others", "--exclude-standard"], cwd=repo, check=True,
                            capture_output=True, env={**os.environ, "GIT_CONFIG_GLOBAL": os.devnull}).stdout
    git_sees = sorted(p for p in listed.decode().split("\0") if p.endswith(".py"))
    assert sorted(found(repo)) == git_sees
