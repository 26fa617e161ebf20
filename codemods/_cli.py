"""The command line: parses options, calls the engine, prints. Nothing else.

Exit codes (as Ruff and pyupgrade): ``check`` 0 clean, 1 findings; ``apply`` 0 nothing changed,
1 files changed (or would change, with ``--diff``); 2 for usage errors, files that could not be
read, parsed or written, and internal errors. 2 wins over 1.
"""
from __future__ import annotations

import difflib
import os
import sys
import traceback
from typing import Sequence

import click

from . import RULES, __version__, rule_by_code
from ._engine import FileResult, Options, RunReport, run
from ._rule import Applicability, Finding

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _options(unsafe_fixes: bool, select: str | None) -> Options:
    if select is None:
        return Options(unsafe_fixes=unsafe_fixes)
    codes = set()
    for part in select.split(","):
        part = part.strip()
        if not part:
            continue
        if part.upper() == "ALL":
            codes |= {r.code for r in RULES}
            continue
        matched = {r.code for r in RULES if r.code.startswith(part.upper()) or r.name == part}
        if not matched:
            raise click.BadParameter(f"unknown rule code or name {part!r} (see `modfix rules`)", param_hint="--select")
        codes |= matched
    return Options(unsafe_fixes=unsafe_fixes, select=frozenset(codes))


def _read_stdin() -> bytes:
    return sys.stdin.buffer.read()


def _run(paths: Sequence[str], options: Options, write: bool, stdin_filename: str | None) -> RunReport:
    return run(list(paths), RULES, options, write=write, read_stdin=_read_stdin,
               stdin_path=stdin_filename or "-")


def _report_errors(report: RunReport) -> bool:
    errors = report.all_errors
    for error in errors:
        where = f"{error.path}:{error.line}" if error.line else error.path
        kind = "internal error" if error.internal else "error"
        message = error.message
        if error.internal and message.startswith("internal error: "):
            message = message[len("internal error: "):]
            message += " (please report this with the file that caused it)"
        click.echo(f"{where}: {kind}: {message}", err=True)
    return bool(errors)


def _finding_line(path: str, finding: Finding, options: Options) -> str:
    mark = " [*]" if options.applies(finding) else ""
    return f"{path}:{finding.line}:{finding.column}: {finding.code}{mark} {finding.message}"


def _plural(count: int, word: str) -> str:
    plural = word + ("es" if word.endswith(("x", "s")) else "s")
    return f"{count} {word if count == 1 else plural}"


shared_options = [
    click.option("--unsafe-fixes", is_flag=True, help="Also apply (or mark) fixes whose intent is uncertain."),
    click.option("--select", metavar="CODES", help="Comma-separated rule codes or prefixes to run (default: all)."),
    click.option("--stdin-filename", metavar="PATH", help="The name to report for `-` (standard input)."),
    click.argument("paths", nargs=-1, required=True, type=click.Path()),
]


def _with_shared(command):
    for option in reversed(shared_options):
        command = option(command)
    return command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="modfix")
def cli() -> None:
    """Find and fix PyTorch nn.Module registration bugs (static analysis; never runs your code)."""


@cli.command()
@_with_shared
def check(unsafe_fixes: bool, select: str | None, stdin_filename: str | None, paths: tuple[str, ...]) -> None:
    """Report findings as PATH:LINE:COL: CODE message; [*] marks what `apply` would fix."""
    options = _options(unsafe_fixes, select)
    report = _run(paths, options, write=False, stdin_filename=stdin_filename)
    count = fixable = hidden = 0
    for result in report.files:
        for finding in result.findings:
            click.echo(_finding_line(result.path, finding, options))
            count += 1
            fixable += options.applies(finding)
            hidden += finding.fixable and finding.applicability is Applicability.UNSAFE and not options.unsafe_fixes
    had_errors = _report_errors(report)
    if count:
        summary = f"Found {_plural(count, 'finding')}"
        if fixable:
            summary += f"; [*] {fixable} fixable with `modfix apply`"
        if hidden:
            summary += f"; {hidden} more with `modfix apply --unsafe-fixes`"
        click.echo(summary + ".", err=True)
    sys.exit(EXIT_ERROR if had_errors else EXIT_FINDINGS if count else EXIT_CLEAN)


@cli.command()
@click.option("--diff", is_flag=True, help="Print a unified diff of the changes instead of writing them.")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True,
              help="Colour the diff.")
@_with_shared
def apply(diff: bool, color: str, unsafe_fixes: bool, select: str | None, stdin_filename: str | None,
          paths: tuple[str, ...]) -> None:
    """Rewrite files in place (`-` reads standard input and writes the result to standard output)."""
    options = _options(unsafe_fixes, select)
    report = _run(paths, options, write=not diff, stdin_filename=stdin_filename)
    use_color = color == "always" or (color == "auto" and sys.stdout.isatty())
    changed = []
    for result in report.files:
        if result.from_stdin and not diff:
            # the bytes in the input's own encoding; input that could not be parsed comes back
            # untouched, as formatters do, so an editor never replaces a buffer with nothing
            sys.stdout.flush()
            sys.stdout.buffer.write(result.output_bytes() or b"")
            sys.stdout.buffer.flush()
        elif diff and result.changed:
            _print_diff(result, use_color)
        if result.changed and (result.written or diff or result.from_stdin):
            changed.append(result)
    had_errors = _report_errors(report)
    _print_apply_summary(report, changed, options, diff)
    sys.exit(EXIT_ERROR if had_errors else EXIT_FINDINGS if changed else EXIT_CLEAN)


def _diff_name(side: str, path: str) -> str:
    return path if os.path.isabs(path) else f"{side}/{path}"


def _print_diff(result: FileResult, use_color: bool) -> None:
    lines = difflib.unified_diff(
        result.original.splitlines(keepends=True), result.fixed.splitlines(keepends=True),
        fromfile=_diff_name("a", result.path), tofile=_diff_name("b", result.path),
    )
    for line in lines:
        if not line.endswith(("\n", "\r")):
            line += "\n\\ No newline at end of file\n"
        if use_color:
            colour = {"+": "green", "-": "red", "@": "cyan"}.get(line[:1])
            if line.startswith(("+++", "---")):
                colour = None
            if colour or line.startswith(("+++", "---")):
                line = click.style(line, fg=colour, bold=colour is None)
        click.echo(line, nl=False, color=use_color)


def _print_apply_summary(report: RunReport, changed: list[FileResult], options: Options, diff: bool) -> None:
    applied = sum(len(r.applied) for r in changed)
    left = [(r, f) for r in report.files for f in (r.remaining if r in changed else r.findings)]
    verb = "would change" if diff else "changed"
    click.echo(
        f"modfix: scanned {_plural(len(report.files), 'file')}, {verb} {_plural(len(changed), 'file')}, "
        f"{'would apply' if diff else 'applied'} {_plural(applied, 'fix')}"
        + (f", {_plural(len(left), 'finding')} left unfixed" if left else "") + ".",
        err=True,
    )
    keys = sorted({key for r in changed for f in r.applied for key in f.added_keys})
    if keys:
        click.echo(
            "  new state_dict keys: " + ", ".join(keys)
            + "\n  (checkpoints saved before the fix need load_state_dict(..., strict=False) or a key map)",
            err=True,
        )
    unsafe = 0
    for result, finding in left:
        if finding.fixable and finding.applicability is Applicability.UNSAFE and not options.unsafe_fixes:
            unsafe += 1
        click.echo("  " + _finding_line(result.path, finding, options), err=True)
    if unsafe:
        click.echo(f"  {unsafe} of them can be fixed with --unsafe-fixes (review the diff: the intent is uncertain).",
                   err=True)


@cli.command()
@click.argument("code", required=False)
def rules(code: str | None) -> None:
    """List the rules, or print one rule's documentation."""
    if code:
        rule = rule_by_code(code)
        if rule is None:
            raise click.BadParameter(f"unknown rule {code!r}", param_hint="CODE")
        click.echo(f"{rule.code} {rule.name}: {rule.summary}\n")
        click.echo(rule.doc.strip())
        return
    width = max(len(rule.name) for rule in RULES)
    for rule in RULES:
        off = "" if rule.default_enabled else " (off by default)"
        click.echo(f"{rule.code}  {rule.name:<{width}}  {rule.summary}{off}")
        if rule.fix_safety:
            click.echo(f"       fix safety: {rule.fix_safety}")


def main(argv: Sequence[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="modfix", standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        click.echo("modfix: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # never a bare traceback with exit 1
        detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        click.echo(f"modfix: internal error: {detail} (please report this)", err=True)
        sys.exit(EXIT_ERROR)


if __name__ == "__main__":
    main()
