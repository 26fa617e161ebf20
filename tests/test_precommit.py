"""The pre-commit hooks (.pre-commit-hooks.yaml), run for real by the real pre-commit.

pre-commit clones a hook repository at a commit and pip-installs it into a virtualenv of its own.
To test this working tree, uncommitted and untracked files included, the session snapshots it
(the files git would see: tracked plus untracked, less the ignored) into a throwaway repository
with one commit, and each test's project points its .pre-commit-config.yaml at that commit.
(`pre-commit try-repo` snapshots too, but only tracked and staged files, so a new, unstaged
.pre-commit-hooks.yaml would be missing, and it uses a fresh store each call: a virtualenv build
per run.) PRE_COMMIT_HOME is one directory for the session, so the hooks' virtualenv (which
pip-installs modfix, libcst and click from the package index) is built once, by the first test.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from codemods import fix_source

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("pre_commit") is None or shutil.which("git") is None,
    reason="needs the pre-commit package and git",
)

REPO_ROOT = Path(__file__).resolve().parent.parent

BUGGY = """\
import torch.nn as nn


class Tower(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = [nn.Linear(4, 4) for _ in range(2)]
"""

CLEAN = """\
import torch.nn as nn


class Tower(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(4, 4) for _ in range(2)])
"""

BASE = """\
import torch.nn as nn


class Base(nn.Module):
    pass
"""

# an nn.Module only through Base, which is in another file
SUBCLASS = """\
import torch.nn as nn

from base import Base


class Sub{n}(Base):
    def __init__(self):
        super().__init__()
        self.blocks = [nn.Linear(4, 4) for _ in range(2)]
"""


def _git_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment without the caller's git state or configuration (hooks set GIT_DIR,
    GIT_INDEX_FILE...; a global core.hooksPath or commit.gpgsign would break the tests)."""
    env = {k: v for k, v in (base or os.environ).items()
           if not k.startswith(("GIT_", "PRE_COMMIT")) and k not in ("SKIP", "VIRTUAL_ENV")}
    env.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1",
               GIT_AUTHOR_NAME="modfix tests", GIT_AUTHOR_EMAIL="tests@modfix.invalid",
               GIT_COMMITTER_NAME="modfix tests", GIT_COMMITTER_EMAIL="tests@modfix.invalid")
    return env


def _git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, env=env or _git_env(), capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, f"git {' '.join(args)}: {proc.stderr}"
    return proc.stdout


def _init_repo(path: Path) -> None:
    _git(path, "init", "-q")
    _git(path, "config", "user.name", "modfix tests")
    _git(path, "config", "user.email", "tests@modfix.invalid")
    _git(path, "config", "commit.gpgsign", "false")


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A one-commit copy of this working tree: (path, sha)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO_ROOT, env=_git_env(), capture_output=True, timeout=120)
    assert listed.returncode == 0, f"{REPO_ROOT} must be a git checkout: {listed.stderr.decode()}"
    snapshot = tmp_path_factory.mktemp("modfix-hook-repo")
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = REPO_ROOT / name
        if not source.is_file():  # deleted in the working tree, or a submodule
            continue
        target = snapshot / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)
    assert (snapshot / ".pre-commit-hooks.yaml").is_file()
    _init_repo(snapshot)
    _git(snapshot, "add", "-A")
    _git(snapshot, "commit", "-q", "-m", "snapshot of the working tree")
    return snapshot, _git(snapshot, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="session")
def pre_commit_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = _git_env()
    env["PRE_COMMIT_HOME"] = str(tmp_path_factory.mktemp("pre-commit-home"))
    return env


def _pre_commit(cwd: Path, env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="session")
def hooks_installed(hook_repo: tuple[Path, str], pre_commit_env: dict[str, str],
                    tmp_path_factory: pytest.TempPathFactory) -> None:
    """Builds the hooks' virtualenv once for the session (the slow part: a minute or so)."""
    project = tmp_path_factory.mktemp("warm-up")
    _make_project(project, hook_repo, {})
    started = time.monotonic()
    proc = _pre_commit(project, pre_commit_env, "install-hooks", timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    print(f"\npre-commit built the modfix hook environment in {time.monotonic() - started:.1f}s")


def _make_project(path: Path, hook_repo: tuple[Path, str], files: dict[str, str]) -> None:
    repo, sha = hook_repo
    (path / ".pre-commit-config.yaml").write_text(
        "repos:\n"
        f"  - repo: {repo.as_posix()}\n"
        f"    rev: {sha}\n"
        "    hooks:\n"
        "      - id: modfix\n"
        "      - id: modfix-check\n"
    )
    for name, text in files.items():
        (path / name).write_text(text)
    _init_repo(path)
    _git(path, "add", "-A")
    _git(path, "commit", "-q", "-m", "initial")


@pytest.fixture
def project(tmp_path: Path, hook_repo: tuple[Path, str], hooks_installed: None):
    def make(files: dict[str, str]) -> Path:
        _make_project(tmp_path, hook_repo, files)
        return tmp_path
    return make


def test_modfix_hook_fixes_then_passes(project, pre_commit_env: dict[str, str]) -> None:
    repo = project({"model.py": BUGGY})
    first = _pre_commit(repo, pre_commit_env, "run", "modfix", "--color", "never", "--files", "model.py")
    assert first.returncode == 1, first.stdout + first.stderr
    assert "modfix (apply fixes)" in first.stdout and "Failed" in first.stdout
    assert "files were modified by this hook" in first.stdout
    fixed = (repo / "model.py").read_text()
    assert fixed == fix_source(BUGGY).fixed
    assert "self.blocks = nn.ModuleList([nn.Linear(4, 4) for _ in range(2)])" in fixed

    second = _pre_commit(repo, pre_commit_env, "run", "modfix", "--color", "never", "--files", "model.py")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Passed" in second.stdout
    assert (repo / "model.py").read_text() == fixed


def test_clean_file_passes_untouched(project, pre_commit_env: dict[str, str]) -> None:
    repo = project({"model.py": CLEAN})
    model = repo / "model.py"
    os.utime(model, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
    before = model.stat().st_mtime_ns
    for hook in ("modfix", "modfix-check"):
        proc = _pre_commit(repo, pre_commit_env, "run", hook, "--color", "never", "--files", "model.py")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "Passed" in proc.stdout
    assert model.read_bytes() == CLEAN.encode()
    assert model.stat().st_mtime_ns == before


def test_check_hook_fails_without_changing_the_file(project, pre_commit_env: dict[str, str]) -> None:
    repo = project({"model.py": BUGGY})
    model = repo / "model.py"
    before = model.stat().st_mtime_ns
    proc = _pre_commit(repo, pre_commit_env, "run", "modfix-check", "--color", "never", "--files", "model.py")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "modfix (check)" in proc.stdout and "Failed" in proc.stdout
    assert "model.py:7:23: MF101 [*] `self.blocks` keeps submodules in a plain list" in proc.stdout
    assert "files were modified by this hook" not in proc.stdout
    assert model.read_text() == BUGGY
    assert model.stat().st_mtime_ns == before


def test_commit_is_stopped_until_the_fix_is_staged(project, pre_commit_env: dict[str, str]) -> None:
    repo = project({"README": "a project\n"})
    installed = _pre_commit(repo, pre_commit_env, "install")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    (repo / "model.py").write_text(BUGGY)
    _git(repo, "add", "model.py")

    commit = subprocess.run(["git", "commit", "-m", "add a model"], cwd=repo, env=pre_commit_env,
                            capture_output=True, text=True, timeout=300)
    assert commit.returncode != 0, commit.stdout + commit.stderr
    assert "files were modified by this hook" in commit.stdout + commit.stderr
    assert _git(repo, "rev-list", "--count", "HEAD").strip() == "1"  # nothing committed
    assert (repo / "model.py").read_text() == fix_source(BUGGY).fixed  # fixed in the work tree
    assert _git(repo, "show", ":model.py") == BUGGY  # but not staged

    _git(repo, "add", "model.py")
    commit = subprocess.run(["git", "commit", "-m", "add a model"], cwd=repo, env=pre_commit_env,
                            capture_output=True, text=True, timeout=300)
    assert commit.returncode == 0, commit.stdout + commit.stderr
    assert _git(repo, "show", "HEAD:model.py") == fix_source(BUGGY).fixed


def test_hierarchy_across_files_is_resolved_in_one_run(project, pre_commit_env: dict[str, str]) -> None:
    # Without require_serial pre-commit would split these 9 files across processes (at least 4
    # files each), and the subclasses run apart from base.py would not be known as Modules.
    files = {"base.py": BASE, **{f"sub{n}.py": SUBCLASS.format(n=n) for n in range(1, 9)}}
    repo = project(files)
    proc = _pre_commit(repo, pre_commit_env, "run", "modfix", "--color", "never", "--all-files")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    for n in range(1, 9):
        text = (repo / f"sub{n}.py").read_text()
        assert "self.blocks = nn.ModuleList([nn.Linear(4, 4) for _ in range(2)])" in text, f"sub{n}.py"
    assert (repo / "base.py").read_text() == BASE


# A base class and subclasses that depend on it staying as it is: each subclass raises at construction if
# Base.layers became an nn.ModuleList, or if Plain's explicit base init became super().__init__() (then
# Both's MRO would run Scaled.__init__ without its argument). pre-commit passes only the staged files.
PROJECT = {
    "base.py": """\
import torch.nn as nn


class Base(nn.Module):
    def __init__(self, width=4):
        super().__init__()
        self.layers = [nn.Linear(width, width) for _ in range(2)]

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


class Plain(nn.Module):
    def __init__(self):
        nn.Module.__init__(self)
        self.proj = nn.Linear(4, 4)
""",
    "sub_reverse.py": "from base import Base\n\n\nclass Reversed(Base):\n    def __init__(self):\n"
                      "        super().__init__()\n        self.layers.reverse()\n",
    "sub_reassign.py": "from base import Base\n\n\nclass Copied(Base):\n    def __init__(self):\n"
                       "        super().__init__()\n        self.layers = list(self.layers)\n",
    "sub_append.py": "from base import Base\n\n\nclass Tagged(Base):\n    def __init__(self):\n"
                     "        super().__init__()\n        self.layers.append('identity')\n",
    "sub_diamond.py": """\
import torch.nn as nn

from base import Plain


class Scaled(nn.Module):
    def __init__(self, scale):
        nn.Module.__init__(self)
        self.scale = scale


class Both(Plain, Scaled):
    def __init__(self):
        Plain.__init__(self)
        Scaled.__init__(self, 2.0)
""",
    # a subclass with a bug of its own, an nn.Module only through base.py
    "sub_own_bug.py": """\
import torch.nn as nn

from base import Base


class Extra(Base):
    def __init__(self):
        super().__init__()
        self.heads = [nn.Linear(4, 2) for _ in range(3)]
""",
}


def _modfix(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "codemods", *args, "--no-cache"], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize("staged", [("base.py",), ("sub_own_bug.py",), ("sub_diamond.py",),
                                    ("base.py", "sub_reverse.py")])
def test_staged_files_are_judged_against_the_whole_project(project, pre_commit_env: dict[str, str],
                                                          tmp_path_factory: pytest.TempPathFactory,
                                                          staged: tuple[str, ...]) -> None:
    repo = project(PROJECT)
    whole = tmp_path_factory.mktemp("whole-tree")
    shutil.copytree(repo, whole, dirs_exist_ok=True)
    checked = _modfix(whole, "check", ".")
    expected_lines = sorted(line for line in checked.stdout.splitlines() if line.startswith(staged))
    applied = _modfix(whole, "apply", ".")
    assert applied.returncode in (0, 1), applied.stderr

    check = _pre_commit(repo, pre_commit_env, "run", "modfix-check", "--color", "never", "--files", *staged)
    assert sorted(line for line in check.stdout.splitlines() if line.startswith(staged)) == expected_lines, \
        check.stdout
    hook = _pre_commit(repo, pre_commit_env, "run", "modfix", "--color", "never", "--files", *staged)
    assert hook.returncode in (0, 1), hook.stdout + hook.stderr
    for name, text in PROJECT.items():
        after = (repo / name).read_text()
        if name in staged:
            assert after == (whole / name).read_text(), f"{name}: the hook differs from a whole-tree run"
        else:
            assert after == text, f"{name} was not staged, but changed"
    if "sub_own_bug.py" in staged:  # found only through base.py, which is not staged
        assert "self.heads = nn.ModuleList(" in (repo / "sub_own_bug.py").read_text()
    assert (repo / "base.py").read_text() == PROJECT["base.py"]  # its fixes would break the subclasses
