"""Class hierarchies cross files: which classes are Modules, and who uses an attribute."""
from __future__ import annotations

import os
import textwrap
from pathlib import Path

from codemods import fix_paths

BASE = """
    import torch.nn as nn


    class Base(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = [nn.Linear(2, 2) for _ in range(3)]
"""


def write_tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())


def findings(report):
    return {
        (Path(r.path).name, f.code, f.applicability.value)
        for r in report.files for f in r.findings
    }


def test_subclass_in_another_file_makes_the_base_fix_display_only(tmp_path):
    write_tree(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/base.py": BASE,
        "pkg/child.py": """
            from .base import Base


            class Child(Base):
                def prune(self):
                    self.blocks.sort(key=id)
        """,
    })
    report = fix_paths([str(tmp_path / "pkg")], write=False)
    assert findings(report) == {("base.py", "MF101", "display-only")}
    # a run on base.py alone still knows its package: the subclass it was not asked about is read
    alone = fix_paths([str(tmp_path / "pkg" / "base.py")], write=False)
    assert findings(alone) == {("base.py", "MF101", "display-only")}
    assert [Path(r.path).name for r in alone.files] == ["base.py"]  # and nothing else is reported


def test_module_class_from_another_file_of_the_run(tmp_path):
    write_tree(tmp_path, {
        "pkg/__init__.py": "from .layers import Block\n",
        "pkg/layers.py": """
            from torch import nn


            class Block(nn.Module):
                pass
        """,
        "pkg/model.py": """
            import torch
            from pkg import Block


            class Net(torch.nn.Module):
                def __init__(self):
                    super().__init__()
                    self.blocks = [Block() for _ in range(2)]
        """,
    })
    report = fix_paths([str(tmp_path / "pkg")], write=True)
    assert findings(report) == {("model.py", "MF101", "safe")}
    assert "torch.nn.ModuleList([Block() for _ in range(2)])" in (tmp_path / "pkg/model.py").read_text()
    # without the file that defines Block, Block is unknown: no guessing
    write_tree(tmp_path, {"other/model.py": (tmp_path / "pkg/model.py").read_text().replace("torch.nn.ModuleList(", "(")})
    assert findings(fix_paths([str(tmp_path / "other")], write=False)) == set()


def test_indirect_base_across_files_and_a_lookalike(tmp_path):
    write_tree(tmp_path, {
        "app/__init__.py": "",
        "app/core/__init__.py": "",
        "app/core/base.py": """
            import torch.nn as nn


            class Encoder(nn.Module):
                pass
        """,
        "app/fake.py": """
            class Module:
                '''not torch's'''
        """,
        "app/models.py": """
            from torch import nn
            from .core.base import Encoder
            from .fake import Module


            class Deep(Encoder):
                def __init__(self):
                    super().__init__()
                    self.heads = {"a": nn.Linear(2, 2)}


            class LookAlike(Module):
                def __init__(self):
                    self.heads = {"a": nn.Linear(2, 2)}
        """,
    })
    report = fix_paths([str(tmp_path / "app")], write=False)
    assert findings(report) == {("models.py", "MF102", "safe")}
    (result,) = [r for r in report.files if r.path.endswith("models.py")]
    assert result.findings[0].line == 9


def test_a_subclass_that_names_the_attribute_only_through_nfkc_still_counts(tmp_path):
    # family lookups skip other files' classes whose text never names the attribute; the parser
    # normalises identifiers, so the text search must too (U+FB01 is "fi")
    write_tree(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/base.py": BASE.replace("blocks", "fiber"),
        "pkg/child.py": """
            from .base import Base


            class Child(Base):
                def prune(self):
                    self.\ufb01ber.sort(key=id)
        """,
    })
    report = fix_paths([str(tmp_path / "pkg")], write=False)
    assert findings(report) == {("base.py", "MF101", "display-only")}


def test_a_subclass_file_with_old_mac_line_breaks_is_searched_by_python_lines(tmp_path):
    write_tree(tmp_path, {"pkg/__init__.py": "", "pkg/base.py": BASE})
    child = ("from .base import Base\r\r\rclass Other(Base):\r    pass\r\r\r"
             "class Child(Base):\r    def prune(self):\r        self.blocks.sort(key=id)\r")
    (tmp_path / "pkg" / "child.py").write_bytes(child.encode())
    report = fix_paths([str(tmp_path / "pkg")], write=False)
    assert findings(report) == {("base.py", "MF101", "display-only")}


def test_family_lookups_leave_out_classes_that_never_name_the_attribute(tmp_path):
    from codemods._engine import Run, parse_file

    write_tree(tmp_path, {"pkg/__init__.py": "", "pkg/base.py": BASE, "pkg/child.py": """
        from .base import Base


        class Quiet(Base):
            def forward(self, x):
                return x


        class Loud(Base):
            def forward(self, x):
                return self.blocks[0](x)
    """})
    summaries = [parse_file(str(p), p.read_bytes()).summary for p in sorted((tmp_path / "pkg").glob("*.py"))]
    the_run = Run(summaries)
    assert the_run.mentions("pkg.child.Loud", "blocks")
    assert not the_run.mentions("pkg.child.Quiet", "blocks")
    assert not the_run.mentions("pkg.child.Loud", "heads")


def test_stdin_named_as_a_file_of_a_project_is_judged_with_the_project(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from codemods._cli import cli

    child = """
        from .base import Base


        class Child(Base):
            def prune(self):
                self.blocks.sort(key=id)
    """
    write_tree(tmp_path, {"pkg/__init__.py": "", "pkg/base.py": "x = 1\n", "pkg/child.py": child})
    monkeypatch.chdir(tmp_path)
    text = textwrap.dedent(BASE).lstrip()
    runner = CliRunner()
    # the editor's buffer replaces the file on disk, whose text is not read as a second pkg.base
    kept = runner.invoke(cli, ["apply", "--no-cache", "--stdin-filename", "pkg/base.py", "-"], input=text)
    assert kept.stdout == text
    (tmp_path / "pkg" / "child.py").unlink()
    fixed = runner.invoke(cli, ["apply", "--no-cache", "--stdin-filename", "pkg/base.py", "-"], input=text)
    assert "nn.ModuleList(" in fixed.stdout


NET = """
    import torch.nn as nn


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = [nn.Linear(2, 2) for _ in range(2)]
"""
TRAIN = """
    import torch.nn as nn
    from model import Net


    class Bigger(Net):
        def __init__(self):
            super().__init__()
            self.heads = [nn.Linear(2, 2) for _ in range(2)]
"""


def test_files_with_one_module_name_are_all_analysed_and_imports_prefer_their_own_folder(tmp_path):
    # experiment folders without __init__.py: a/model.py and b/model.py are both the module `model`
    write_tree(tmp_path, {"a/model.py": NET, "a/train.py": TRAIN, "b/model.py": "x = 1\n", "c/train.py": TRAIN})
    report = fix_paths([str(tmp_path)], write=False)
    found = {(Path(r.path).parent.name, Path(r.path).name, f.code) for r in report.files for f in r.findings}
    # a/train.py's Net is a/model.py's, its own folder's; c/train.py's could be either: unresolved, and said
    assert found == {("a", "model.py", "MF101"), ("a", "train.py", "MF101")}
    assert len(report.notes) == 1 and "train.py imports `model`" in report.notes[0]
    assert "c" + os.sep + "train.py" in report.notes[0] or str(tmp_path / "c" / "train.py") in report.notes[0]


def test_a_second_folder_providing_a_module_changes_cached_answers_as_a_fresh_run(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from codemods._cli import cli

    monkeypatch.delenv("MODFIX_NO_CACHE", raising=False)
    write_tree(tmp_path, {"a/model.py": NET, "a/train.py": TRAIN, "c/train.py": TRAIN})
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    runner.invoke(cli, ["check", "."])
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "model.py").write_text("x = 1\n")
    for command in (["check"], ["apply", "--diff"]):
        fresh = runner.invoke(cli, [*command, "--no-cache", "."])
        cached = runner.invoke(cli, [*command, "."])
        assert (cached.exit_code, cached.output) == (fresh.exit_code, fresh.output)
    assert "c/train.py:" not in fresh.output


def test_a_run_on_one_file_reads_only_the_project_files_its_hierarchy_needs(tmp_path, monkeypatch):
    from codemods import _engine

    child = """
        from .base import Base


        class Child(Base):
            def prune(self):
                self.blocks.sort(key=id)
    """
    unrelated = {f"pkg/other{n}.py": f"import torch.nn as nn\n\n\nclass Other{n}(nn.Module):\n    pass\n"
                 for n in range(30)}
    write_tree(tmp_path, {"pyproject.toml": "", "pkg/__init__.py": "", "pkg/base.py": BASE, "pkg/child.py": child,
                          "pkg/layers.py": "import torch.nn as nn\n\nLinear = nn.Linear\n", **unrelated})
    parsed = []
    real = _engine.parse_file
    monkeypatch.setattr(_engine, "parse_file", lambda path, *a, **k: parsed.append(Path(path).name) or real(path, *a, **k))
    report = fix_paths([str(tmp_path / "pkg" / "base.py")], write=False)
    assert findings(report) == {("base.py", "MF101", "display-only")}  # the subclass was found and read
    assert "child.py" in parsed and not any(name.startswith("other") for name in parsed)


SORTING_SUBCLASS = "from base import Base\n\n\nclass Sub(Base):\n    def f(self):\n        self.layers.sort()\n"
LIST_BASE = ("import torch.nn as nn\n\n\nclass Base(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
             "        self.layers = [nn.Linear(2, 2)]\n")


def _alone_and_whole(root: Path) -> tuple[set, set]:
    alone = findings(fix_paths([str(root / "base.py")], write=False))
    whole = {f for f in findings(fix_paths([str(root)], write=False)) if f[0] == "base.py"}
    return alone, whole


def test_a_subclass_behind_a_symbolic_link_is_seen_alone_and_in_the_whole_tree(tmp_path):
    # the walk keeps the link and drops the file it points to (one file, two names): the project's
    # files must not count it twice, which made its module name ambiguous and its class unknown
    write_tree(tmp_path, {"pyproject.toml": "", "base.py": LIST_BASE, "other/real.py": SORTING_SUBCLASS})
    (tmp_path / "link.py").symlink_to(tmp_path / "other" / "real.py")
    assert _alone_and_whole(tmp_path) == ({("base.py", "MF101", "display-only")},) * 2


def test_a_subclass_in_a_file_whose_cookie_spells_names_in_ascii_is_found(tmp_path):
    # utf-7 writes "Base" as "+AEI-ase": the bytes never name the class, the text does
    write_tree(tmp_path, {"pyproject.toml": "", "base.py": LIST_BASE})
    (tmp_path / "sub.py").write_bytes(b"# -*- coding: utf-7 -*-\n" + SORTING_SUBCLASS.replace("Base", "+AEI-ase").encode())
    assert _alone_and_whole(tmp_path) == ({("base.py", "MF101", "display-only")},) * 2
