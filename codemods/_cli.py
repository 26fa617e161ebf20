"""The command line: parses options, calls the engine, prints. Nothing else.

Exit codes (as Ruff and pyupgrade): ``check`` 0 clean, 1 findings; ``apply`` 0 nothing changed,
1 files changed (or would change, with ``--diff``); 2 for usage errors, files that could not be
read, parsed or written, and internal errors. 2 wins over 1.
"""
from __future__ import annotations

import difflib
import gc
import os
import signal
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import click

from . import RULES, __version__, _replay, rule_by_code
from ._config import Config, ConfigError, check_code, expand, find_config, load_config
from ._engine import FileResult, Options, RunReport, add_noqa_comments, run
from ._files import PROJECT_MARKERS, project_of
from ._output import FORMATS, finding_line, render
from ._rule import Applicability

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


@dataclass
class Settings:
    options: Options
    exclude: list[str]


def _split(values: Sequence[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _settings(paths: Sequence[str], config_file: str | None, select: Sequence[str], extend_select: Sequence[str],
              ignore: Sequence[str], unsafe_fixes: bool | None, exclude: Sequence[str],
              extend_exclude: Sequence[str], jobs: int = 1, cache_dir: str | None = None,
              no_cache: bool = True) -> Settings:
    """The configuration file, overridden by the command line."""
    try:
        if config_file:
            config = load_config(config_file, RULES)
        else:
            first = next((p for p in paths if p != "-"), ".")
            found = find_config(first)
            config = load_config(found, RULES) if found else Config()
        for option, values in (("--select", select), ("--extend-select", extend_select), ("--ignore", ignore)):
            for value in _split(values):
                check_code(value, RULES, option)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    chosen = _split(select) if select else config.select
    codes = None
    if chosen is not None or config.extend_select or extend_select:
        base = expand(chosen, RULES) if chosen is not None else {r.code for r in RULES if r.default_enabled}
        codes = frozenset(base | expand(config.extend_select + _split(extend_select), RULES))
    options = Options(
        unsafe_fixes=unsafe_fixes if unsafe_fixes is not None else bool(config.unsafe_fixes),
        select=codes,
        # as in Ruff, --select on the command line replaces the configured selection, ignores included
        ignore=frozenset(expand(([] if select else config.ignore) + _split(ignore), RULES)),
        per_file_ignores=tuple((p, frozenset(expand(c, RULES))) for p, c in config.per_file_ignores.items()),
        config_root=config.root,
        module_factories=frozenset(config.module_factories),
        jobs=jobs,
        cache_dir=None if no_cache else (cache_dir or str(_cache_root(paths, config) / ".modfix_cache")),
    )
    return Settings(options, config.exclude + config.extend_exclude + list(exclude) + list(extend_exclude))


def _cache_root(paths: Sequence[str], config: Config) -> Path:
    """Where the cache lives: beside the configuration, else at the top of the first path's project (a
    folder with pyproject.toml, setup.cfg, setup.py or .git: every run on its files, from any folder,
    shares it), else in the working folder (never inside a package)."""
    if config.path is not None:
        return config.root
    first = next((p for p in paths if p != "-"), None)
    project = project_of(first) if first is not None and os.path.exists(first) else None
    if project and any(os.path.lexists(os.path.join(project, marker)) for marker in PROJECT_MARKERS):
        return Path(project)
    return Path.cwd()


def _read_stdin() -> bytes:
    return sys.stdin.buffer.read()


def _run(paths: Sequence[str], settings: Settings, write: bool, stdin_filename: str | None,
         quiet: bool = False, fixes_needed: bool = True) -> RunReport:
    progress = None if quiet else ProgressBar.for_stderr()
    try:
        return run(list(paths), RULES, settings.options, write=write, read_stdin=_read_stdin,
                   stdin_path=stdin_filename or "-", exclude=settings.exclude,
                   progress=progress.update if progress else None, fixes_needed=fixes_needed)
    finally:
        if progress:
            progress.close()


class ProgressBar:
    """Files done / total and the current file, on a terminal's stderr only, after a moment."""

    DELAY = 0.5

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.shown = False

    @classmethod
    def for_stderr(cls) -> "ProgressBar | None":
        if not sys.stderr.isatty() or os.environ.get("CI") or os.environ.get("PRE_COMMIT") or os.environ.get("TERM") == "dumb":
            return None
        return cls()

    def update(self, done: int, total: int, path: str) -> None:
        if time.monotonic() - self.started < self.DELAY or total < 2:
            return
        width = 24
        filled = width * done // total
        name = path if len(path) <= 40 else "..." + path[-37:]
        sys.stderr.write(f"\r\x1b[2K[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {name}")
        sys.stderr.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()


def _echo(text: str, err: bool = False) -> None:
    click.echo(text, err=err, nl=False)


def _report_notes(report: RunReport, quiet: bool, emit=_echo) -> None:
    if not quiet:
        for note in report.notes:
            emit(f"modfix: note: {note}\n", err=True)


def _report_errors(report: RunReport, emit=_echo) -> bool:
    errors = report.all_errors
    for error in errors:
        where = f"{error.path}:{error.line}" if error.line else error.path
        kind = "internal error" if error.internal else "error"
        message = error.message
        if error.internal and message.startswith("internal error: "):
            message = message[len("internal error: "):]
            message += " (please report this with the file that caused it)"
        emit(f"{where}: {kind}: {message}\n", err=True)
    return bool(errors)


def _plural(count: int, word: str) -> str:
    plural = word + ("es" if word.endswith(("x", "s")) else "s")
    return f"{count} {word if count == 1 else plural}"


shared_options = [
    click.option("--config", "config_file", metavar="FILE", type=click.Path(dir_okay=False),
                 help="A pyproject.toml (or TOML file) to read instead of the nearest [tool.modfix]."),
    click.option("--unsafe-fixes/--no-unsafe-fixes", default=None,
                 help="Also apply (or mark) fixes whose intent is uncertain."),
    click.option("--select", multiple=True, metavar="CODES", help="Rule codes, prefixes or names to run (replaces the configured set)."),
    click.option("--extend-select", multiple=True, metavar="CODES", help="Rules to run in addition."),
    click.option("--ignore", multiple=True, metavar="CODES", help="Rules not to run."),
    click.option("--exclude", multiple=True, metavar="GLOB", help="Skip matching files and folders while walking."),
    click.option("--extend-exclude", multiple=True, metavar="GLOB", help="Like --exclude, added to the configured list."),
    click.option("--stdin-filename", metavar="PATH", help="The name to report for `-` (standard input)."),
    click.option("-q", "--quiet", is_flag=True, help="Print findings (or the diff) only: no summary, no progress."),
    click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings or changes (errors still exit 2)."),
    click.option("--cache-dir", metavar="DIR", envvar="MODFIX_CACHE_DIR",
                 help="Where to keep results between runs (default: .modfix_cache in the project root)."),
    click.option("--no-cache", is_flag=True, envvar="MODFIX_NO_CACHE",
                 help="Read and analyse every file, and keep no results."),
    click.option("-j", "--jobs", type=click.IntRange(min=0), default=0, show_default="0: one per CPU",
                 help="Processes to analyse with; the output is the same for any number."),
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


def _exit_code(report_had_errors: bool, found: bool, exit_zero: bool) -> int:
    return EXIT_ERROR if report_had_errors else EXIT_FINDINGS if found and not exit_zero else EXIT_CLEAN


def _exit(report_had_errors: bool, found: bool, exit_zero: bool) -> None:
    sys.exit(_exit_code(report_had_errors, found, exit_zero))


@cli.command()
@click.option("--output-format", type=click.Choice(FORMATS), default="text", show_default=True,
              help="How to print findings: text, json, github (workflow annotations) or sarif.")
@click.option("--statistics", is_flag=True, help="Print the number of findings per rule instead of each finding.")
@click.option("--add-noqa", is_flag=True, help="Add `# noqa: CODE` comments that suppress the current findings.")
@click.option("--explain", is_flag=True, help="Show the facts behind each finding under it (text output).")
@_with_shared
def check(output_format: str, statistics: bool, add_noqa: bool, explain: bool, config_file: str | None,
          unsafe_fixes: bool | None,
          select: tuple[str, ...], extend_select: tuple[str, ...], ignore: tuple[str, ...], exclude: tuple[str, ...],
          extend_exclude: tuple[str, ...], stdin_filename: str | None, quiet: bool, exit_zero: bool,
          cache_dir: str | None, no_cache: bool, jobs: int, paths: tuple[str, ...]) -> None:
    """Report findings as PATH:LINE:COL: CODE message; [*] marks what `apply` would fix."""
    settings = _settings(paths, config_file, select, extend_select, ignore, unsafe_fixes, exclude, extend_exclude,
                         jobs, cache_dir, no_cache or add_noqa)
    options = settings.options
    report = _run(paths, settings, write=False, stdin_filename=stdin_filename, quiet=quiet, fixes_needed=False)
    findings = [(r, f) for r in report.files for f in r.findings]
    if add_noqa:
        added, failures = add_noqa_comments(report)
        report.errors.extend(failures)
        had_errors = _report_errors(report)
        if not quiet:
            click.echo(f"Added {_plural(added, 'noqa directive')}.", err=True)
        _exit(had_errors, False, exit_zero)
    outputs: list[tuple[bool, str]] = []  # (to stderr, text): printed, and kept for a replay

    def emit(text: str, err: bool = False) -> None:
        outputs.append((err, text))
        click.echo(text, err=err, nl=False)

    if statistics:
        counts: dict[str, int] = {}
        for _, finding in findings:
            counts[finding.code] = counts.get(finding.code, 0) + 1
        for code in sorted(counts):
            rule = rule_by_code(code)
            fixable = sum(1 for _, f in findings if f.code == code and options.applies(f))
            emit(f"{counts[code]:>6}  {code}  {rule.name if rule else ''}"
                 + (f"  ({fixable} fixable)" if fixable else "") + "\n")
    else:
        emit(render(output_format, report, options, tool_version=__version__, explain=explain))
    _report_notes(report, quiet, emit)
    had_errors = _report_errors(report, emit)
    if findings and not quiet and output_format == "text":
        fixable = sum(1 for _, f in findings if options.applies(f))
        hidden = sum(1 for _, f in findings
                     if f.fixable and f.applicability is Applicability.UNSAFE and not options.unsafe_fixes)
        summary = f"Found {_plural(len(findings), 'finding')}"
        if fixable:
            summary += f"; [*] {fixable} fixable with `modfix apply`"
        if hidden:
            summary += f"; {hidden} more with `modfix apply --unsafe-fixes`"
        emit(summary + ".\n", err=True)
    code = _exit_code(had_errors, bool(findings), exit_zero)
    if options.cache_dir and _ARGV is not None and "-" not in paths:
        _replay.save(_ARGV, options.cache_dir, report.watched, outputs, code)
    sys.exit(code)


@cli.command()
@click.option("--diff", is_flag=True, help="Print a unified diff of the changes instead of writing them.")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True,
              help="Colour the diff.")
@click.option("--output-format", type=click.Choice(FORMATS), default=None,
              help="With --diff: print the fixes as json/github/sarif instead of a diff.")
@_with_shared
def apply(diff: bool, color: str, output_format: str | None, config_file: str | None, unsafe_fixes: bool | None,
          select: tuple[str, ...], extend_select: tuple[str, ...], ignore: tuple[str, ...], exclude: tuple[str, ...],
          extend_exclude: tuple[str, ...], stdin_filename: str | None, quiet: bool, exit_zero: bool,
          cache_dir: str | None, no_cache: bool, jobs: int, paths: tuple[str, ...]) -> None:
    """Rewrite files in place (`-` reads standard input and writes the result to standard output)."""
    if output_format and not diff:
        raise click.UsageError("--output-format goes with --diff (apply writes files; check prints findings)")
    settings = _settings(paths, config_file, select, extend_select, ignore, unsafe_fixes, exclude, extend_exclude,
                         jobs, cache_dir, no_cache)
    options = settings.options
    report = _run(paths, settings, write=not diff, stdin_filename=stdin_filename, quiet=quiet)
    use_color = color == "always" or (color == "auto" and sys.stdout.isatty())
    changed = []
    for result in report.files:
        if result.from_stdin and not diff:
            # the bytes in the input's own encoding; input that could not be parsed comes back
            # untouched, as formatters do, so an editor never replaces a buffer with nothing
            sys.stdout.flush()
            sys.stdout.buffer.write(result.output_bytes() or b"")
            sys.stdout.buffer.flush()
        elif diff and result.changed and output_format in (None, "text"):
            _print_diff(result, use_color)
        if result.changed and (result.written or diff or result.from_stdin):
            changed.append(result)
    if diff and output_format not in (None, "text"):
        click.echo(render(output_format, report, options, tool_version=__version__), nl=False)
    _report_notes(report, quiet)
    had_errors = _report_errors(report)
    if not quiet:
        _print_apply_summary(report, changed, options, diff)
    _exit(had_errors, bool(changed), exit_zero)


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
        click.echo("  " + finding_line(result.path, finding, options), err=True)
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


_ARGV: list[str] | None = None  # the command line, which keys the record of a replayable check


_SIGNAL_RECEIVED = signal.SIGINT  # what ended an interrupted run: its exit code is 128 + this


def _terminated(signum, frame) -> None:
    global _SIGNAL_RECEIVED
    _SIGNAL_RECEIVED = signal.SIGTERM
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> None:
    global _ARGV
    _ARGV = list(argv) if argv is not None else sys.argv[1:]
    # a short-lived process holding many syntax trees: the cyclic collector would only walk them
    gc.disable()
    # SIGTERM (a CI timeout, a supervisor) ends a run as Ctrl-C does: no half-written file, no workers left
    signal.signal(signal.SIGTERM, _terminated)
    try:
        # not click's standalone mode: it would turn an interrupt into "Aborted!" with exit 1, the code
        # that means "files changed"
        cli.main(args=_ARGV, prog_name="modfix", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_ERROR if isinstance(exc, click.UsageError) else exc.exit_code)
    except (KeyboardInterrupt, click.exceptions.Abort):
        click.echo("modfix: interrupted (every file is either as it was or fully rewritten)", err=True)
        sys.exit(128 + _SIGNAL_RECEIVED)
    except SystemExit:
        raise
    except Exception as exc:  # never a bare traceback with exit 1
        detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        click.echo(f"modfix: internal error: {detail} (please report this)", err=True)
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_CLEAN)


if __name__ == "__main__":
    main()
