"""The libcst transformers that make modfix's changes (``codemods.transformers``).

On their own, as a user composes them (positions from libcst's PositionProvider); on every golden
fixture, where the text edits modfix reports (JSON, SARIF) must give exactly the text libcst writes;
the README's example, run as printed; and libcst loaded only when a fix is made.
"""
from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import libcst as cst
import libcst.matchers as m
import pytest
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import ImportItem
from libcst.metadata import MetadataWrapper, PositionProvider

from codemods import _rewrite
from codemods._engine import Options, run
from codemods._source import LineIndex
from codemods.transformers import (
    AddImportLines, CallSuperInit, ConvertInsideParameter, InsertStatement, MoveStatement, RegisterBuffer,
    RemoveStatement, ReplaceExpression, WrapInCall,
)

from _fixtures import Case, all_cases, read

REPO_ROOT = Path(__file__).resolve().parent.parent
CASES = all_cases()


def positions(source: str, matcher: m.BaseMatcherNode) -> list:
    """PositionProvider's ranges of the nodes that match, in source order."""
    wrapper = MetadataWrapper(cst.parse_module(source))
    ranges = wrapper.resolve(PositionProvider)
    found = [node for node in ranges if m.matches(node, matcher)]
    return sorted((ranges[node] for node in found), key=lambda r: (r.start.line, r.start.column))


def run_transformer(source: str, transformer_type, targets, **kwargs) -> str:
    transformer = transformer_type(targets, **kwargs)
    code = transformer.transform_module(cst.parse_module(source)).code
    assert not transformer.unmatched
    return code


# --- each transformer on its own ----------------------------------------------------------------------

def test_wrap_in_call_keeps_comments_and_puts_parentheses_outside() -> None:
    source = "x = [a,  # first\n     b]\ny = ( [c] )\nz = d, e\n"
    lists = positions(source, m.List())
    bare = positions(source, m.Tuple())
    code = run_transformer(source, WrapInCall, [(r, "nn.ModuleList") for r in lists + bare])
    assert code == ("x = nn.ModuleList([a,  # first\n     b])\ny = ( nn.ModuleList([c]) )\n"
                    "z = nn.ModuleList((d, e))\n")


def test_a_target_may_be_given_as_python_ast_spans_it() -> None:
    source = "x = ((a, b))\n"
    node = ast.parse(source).body[0].value  # ast: the tuple with its own parentheses, columns 5-11
    target = (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)
    assert run_transformer(source, WrapInCall, [(target, "nn.ModuleList")]) == "x = (nn.ModuleList((a, b)))\n"


def test_replace_expression() -> None:
    source = "class A(nn.Module):\n    def __init__(self):\n        super(A, self).__init__()\n        self.x: list = []\n"
    targets = [(r, "super()") for r in positions(source, m.Call(func=m.Name("super")))]
    targets += [(r, "nn.ModuleList") for r in positions(source, m.Name("list"))]
    targets += [(r, "nn.ModuleList()") for r in positions(source, m.List())]
    assert run_transformer(source, ReplaceExpression, targets) == (
        "class A(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.x: nn.ModuleList = nn.ModuleList()\n")


def test_register_buffer_replaces_the_assignment() -> None:
    source = "def f(me):\n    me.mask = (torch.ones(\n        3));  me.k: Tensor = t  # kept\n"
    statements = positions(source, m.Assign() | m.AnnAssign())
    code = run_transformer(source, RegisterBuffer, [(statements[0], ("me", "mask", False)),
                                                    (statements[1], ("me", "k", True))])
    assert code == ('def f(me):\n    me.register_buffer("mask", torch.ones(\n        3), persistent=False);'
                    '  me.register_buffer("k", t)  # kept\n')


def test_convert_inside_parameter() -> None:
    source = "w = nn.Parameter(torch.randn(3)).to(d)\nv = nn.Parameter(t * 2, requires_grad=True).double().to(d)\n"
    outer = positions(source, m.Call(func=m.Attribute(attr=m.Name("to"))))
    inner = positions(source, m.Call(func=m.Attribute(attr=m.Name("Parameter"))))
    code = run_transformer(source, ConvertInsideParameter, list(zip(outer, inner)))
    assert code == ("w = nn.Parameter(torch.randn(3).to(d))\n"
                    "v = nn.Parameter((t * 2).double().to(d), requires_grad=True)\n")


def test_call_super_init_keeps_the_arguments_text() -> None:
    source = "Base.__init__(self)\nBase.__init__(\n    self,\n    width,  # w\n    depth=2,\n)\n"
    calls = positions(source, m.Call(func=m.Attribute(attr=m.Name("__init__"))))
    code = run_transformer(source, CallSuperInit, [(r, True) for r in calls])
    assert code == "super().__init__()\nsuper().__init__(width,  # w\n    depth=2,\n)\n"


STATEMENTS = """\
class A(nn.Module):
    def __init__(self):
        # the blocks
        self.blocks = nn.Linear(2, 2)
        # the base
        B.__init__(self)  # second
        super().__init__()
"""


def test_remove_statement_leaves_the_comments_above_it() -> None:
    target = positions(STATEMENTS, m.Expr(m.Call(func=m.Attribute(attr=m.Name("__init__")))))[0]
    code = run_transformer(STATEMENTS, RemoveStatement, [target])
    assert code == STATEMENTS.replace("        B.__init__(self)  # second\n", "")


def test_insert_statement_goes_below_the_comments_above_it() -> None:
    target = positions(STATEMENTS, m.Assign())[0]
    code = run_transformer(STATEMENTS, InsertStatement, [(target, "super().__init__()")])
    assert code == STATEMENTS.replace("        self.blocks", "        super().__init__()\n        self.blocks")


def test_move_statement() -> None:
    moved = positions(STATEMENTS, m.Expr(m.Call(func=m.Attribute(value=m.Call(func=m.Name("super"))))))[0]
    before = positions(STATEMENTS, m.Assign())[0]
    code = run_transformer(STATEMENTS, MoveStatement, [(moved, before)])
    assert code == STATEMENTS.replace("        super().__init__()\n", "").replace(
        "        self.blocks", "        super().__init__()\n        self.blocks")


def test_a_target_no_node_has_is_reported_unmatched() -> None:
    transformer = WrapInCall([((9, 0, 9, 3), "nn.ModuleList")])
    assert transformer.transform_module(cst.parse_module("x = [1]\n")).code == "x = [1]\n"
    assert transformer.unmatched == [(9, 0, 9, 3)]


def test_add_import_lines_adds_a_line_and_leaves_the_existing_ones() -> None:
    source = '"""Doc."""\nfrom torch import randn\nimport math\n\nx = 1\n'
    code = AddImportLines(CodemodContext(), [ImportItem("torch", "nn")]).transform_module(cst.parse_module(source)).code
    assert code == '"""Doc."""\nfrom torch import randn\nimport math\nfrom torch import nn\n\nx = 1\n'


# --- the README's example, as printed ------------------------------------------------------------------

def test_the_readme_transformer_example_runs_as_printed(capsys) -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    example = re.search(r"<!-- transformer example -->\s*```python\n(.*?)```", readme, re.S).group(1)
    exec(compile(example, "README.md", "exec"), {"__name__": "readme_example"})
    printed = capsys.readouterr().out
    assert "self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])  # three blocks" in printed


# --- the reported edits are what libcst writes ---------------------------------------------------------

def splice(text: str, tree: ast.Module, newline: str, fixes) -> str:
    """The text with the fixes' reported edits applied, their import lines where the output says."""
    edits = [(e.start, e.end, order, e.text) for order, fix in enumerate(fixes) for e in fix.edits]
    imports = [i for fix in fixes for i in fix.imports]
    if imports:
        offset, newline_first = _rewrite.import_offset(text, tree, LineIndex(text))
        unique = list(dict.fromkeys(imports))
        lines = "".join(_rewrite.import_statement(module, name) + newline for module, name in unique)
        edits.append((offset, offset, -1, (newline if newline_first else "") + lines))
    out, position = [], 0
    for start, end, _, replacement in sorted(edits):
        out.append(text[position:start])
        out.append(replacement)
        position = max(position, end)
    return "".join(out) + text[position:]


# odd places for a change: star imports, joined docstrings, decorators, parentheses, semicolons, form feeds
ODD_SOURCES = sorted((REPO_ROOT / "tests" / "data" / "rewrite").glob("*.py"))


@pytest.mark.parametrize("path", ODD_SOURCES, ids=[p.stem for p in ODD_SOURCES])
def test_reported_edits_give_the_text_libcst_writes_in_odd_places(path: Path) -> None:
    with open(path, encoding="utf-8", newline="") as handle:
        source = handle.read()
    from codemods import RULES

    check_reported_edits(source, [r.code for r in RULES if r.default_enabled] + ["MF308"])


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_reported_edits_give_the_text_libcst_writes(case: Case) -> None:
    check_reported_edits(read(case.input), case.select)


def check_reported_edits(source: str, select) -> None:
    options = Options(unsafe_fixes=True, select=frozenset(select) if select else None, rewrite=False)
    result = run(["-"], _rules(), options, write=False, read_stdin=lambda: source).files[0]
    fixes = [(f, f.fix) for f in result.findings if options.applies(f)]
    if not fixes:
        return
    tree = ast.parse(source)
    newline = result.source.newline
    made, applied = _rewrite.apply(source, tree, newline, fixes)
    chosen = [fix for finding, fix in fixes if any(finding is a for a in applied)]
    assert len(applied) == len(_rewrite._chosen(fixes)), "every fix chosen is made"
    assert made == splice(source, tree, newline, chosen)


def _rules():
    from codemods import RULES

    return RULES


# --- libcst is loaded only to make a fix ----------------------------------------------------------------

BUGGY = """\
import torch.nn as nn


class Tower(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = [nn.Linear(4, 4) for _ in range(2)]
"""


def _imports_libcst(tmp_path: Path, *arguments: str, text: str = BUGGY) -> bool:
    (tmp_path / "model.py").write_text(text)
    completed = subprocess.run([sys.executable, "-X", "importtime", "-m", "codemods", *arguments, "--no-cache",
                                "model.py"], cwd=tmp_path, capture_output=True, text=True)
    assert completed.returncode in (0, 1), completed.stderr
    return bool(re.search(r"\|\s+libcst$", completed.stderr, re.M))


def test_check_does_not_load_libcst(tmp_path: Path) -> None:
    assert not _imports_libcst(tmp_path, "check")


def test_apply_with_nothing_to_fix_does_not_load_libcst(tmp_path: Path) -> None:
    assert not _imports_libcst(tmp_path, "apply", text=BUGGY.replace("[nn.Linear", "nn.ModuleList([nn.Linear")
                               .replace("range(2)]", "range(2)])"))


def test_apply_with_a_fix_loads_libcst(tmp_path: Path) -> None:
    assert _imports_libcst(tmp_path, "apply", "--diff")


# --- regions: what libcst parses is whole top-level statements; every other byte is kept ---------------

NET = """\
class Net(Module):
    def __init__(self):
        super().__init__()
        self.blocks = [Linear(2, 2)]
"""


@pytest.mark.parametrize("before, after", [
    # the import goes at the top when the first statement is on line 1 (a head of no lines)
    ("X = 1\nfrom torch.nn import Linear, Module\n" + NET,
     "from torch import nn\nX = 1\nfrom torch.nn import Linear, Module\n" + NET.replace(
         "[Linear(2, 2)]", "nn.ModuleList([Linear(2, 2)])")),
    # a decorator whose expression starts below its `@`
    ("from torch.nn import Linear, Module\nimport torch.nn as nn\n@(\n    lambda c: c\n)\n" + NET,
     "from torch.nn import Linear, Module\nimport torch.nn as nn\n@(\n    lambda c: c\n)\n" + NET.replace(
         "[Linear(2, 2)]", "nn.ModuleList([Linear(2, 2)])")),
    # a form feed before the statement, on its line (libcst drops it when it starts a module)
    ("import torch.nn as nn\nfrom torch.nn import Linear, Module\n\x0c" + NET,
     "import torch.nn as nn\nfrom torch.nn import Linear, Module\n\x0c" + NET.replace(
         "[Linear(2, 2)]", "nn.ModuleList([Linear(2, 2)])")),
], ids=["import-when-line-1-is-code", "decorator-expression-below-its-at", "form-feed-before-the-class"])
def test_regions_keep_every_other_byte(before: str, after: str) -> None:
    from codemods import fix_source

    assert fix_source(before).fixed == after


def test_a_statement_libcst_cannot_parse_keeps_its_finding_unfixed() -> None:
    # Python accepts a form feed in an indentation; libcst's parser does not: no fix, the finding stays
    # (one that starts the first line libcst parses is set aside: a method's `def` line, for one)
    from codemods import fix_source

    source = "import torch.nn as nn\nfrom torch.nn import Linear, Module\n" + NET.replace(
        "        super()", "\x0c        super()")
    result = fix_source(source)
    assert result.fixed is None
    assert [f.code for f in result.findings] == ["MF101"]


def test_replace_expression_keeps_the_parentheses_of_the_code() -> None:
    source = "y = x * 2\n"
    target = positions(source, m.Name("x"))[0]
    assert run_transformer(source, ReplaceExpression, [(target, "(a + b)")]) == "y = (a + b) * 2\n"


def test_together_reaches_a_target_in_a_decorator() -> None:
    from codemods.transformers import Together

    source = "@register([a])\ndef f():\n    pass\n"
    target = positions(source, m.List())[0]
    wrap = WrapInCall([(target, "tuple")])
    assert Together([wrap]).transform_module(cst.parse_module(source)).code == source.replace("[a]", "tuple([a])")
    assert not wrap.unmatched


def test_a_transformer_runs_again_on_another_module() -> None:
    transformer = WrapInCall([((1, 4, 1, 7), "nn.ModuleList")])
    assert transformer.transform_module(cst.parse_module("x = [1]\n")).code == "x = nn.ModuleList([1])\n"
    assert transformer.transform_module(cst.parse_module("y = [2]\n")).code == "y = nn.ModuleList([2])\n"
    assert transformer.transform_module(cst.parse_module("z = 3\n")).code == "z = 3\n"
    assert transformer.unmatched == [(1, 4, 1, 7)]
