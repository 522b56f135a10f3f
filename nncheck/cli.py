"""The command line: ``nncheck [check] PATHS``, ``nncheck rules``, ``nncheck explain RULE``.

Exit codes follow ruff: 0 nothing at or above --fail-on, 1 findings at or above it, 2 nncheck
could not do its job (bad arguments or configuration, unreadable input, E0xx findings).
``--exit-zero`` turns 1 into 0 but never hides a 2.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from nncheck.options import DEFAULTS
from nncheck.version import __version__

if TYPE_CHECKING:
    from nncheck.baseline import Baseline
    from nncheck.findings import Severity
    from nncheck.fixes import FixPlan
    from nncheck.results import RunResult

EXIT_CLEAN, EXIT_FINDINGS, EXIT_FAILURE = 0, 1, 2


class _DefaultToCheck(click.Group):
    """``nncheck train.py`` means ``nncheck check train.py``, as users of linters expect."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in {"--help", "-h", "--version"}:
            args = ["check", *args]
        if "--" in args:  # everything after `--` belongs to the user's script
            cut = args.index("--")
            ctx.meta["script_args"] = tuple(args[cut + 1 :])
            args = args[:cut]
        return super().parse_args(ctx, args)


def _fail(message: str) -> None:
    click.echo(f"nncheck: error: {message}", err=True)
    sys.exit(EXIT_FAILURE)


def _split(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


@click.group(cls=_DefaultToCheck, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nncheck")
def main() -> None:
    """Find what will waste a neural-network training run, before it runs.

    \b
    nncheck train.py            check a training script (and probe it on a clone)
    nncheck --static src/       read the source only (no TensorFlow import; pre-commit)
    nncheck model.keras --data train.csv --label y   check a saved model with its data
    nncheck train.csv --label y                      check a data file alone
    nncheck rules               list every rule
    nncheck explain T102        a rule's documentation
    """


@main.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--static", is_flag=True, help="Read the source only: no TensorFlow import.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "sarif", "junit", "github", "html"]),
    default="text",
    show_default=True,
    help="Report format.",
)
@click.option(
    "--output",
    "output_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the report to this file; the terminal gets the summary line.",
)
@click.option("--select", multiple=True, help="Rules to run: codes, prefixes (T1) or names.")
@click.option("--ignore", multiple=True, help="Rules to skip: codes, prefixes or names.")
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info", "never"]),
    default=None,
    help="Lowest severity that makes the exit code 1 [default: error].",
)
@click.option(
    "--exit-zero", is_flag=True, help="Exit 0 even with findings (2 still means failure)."
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A pyproject.toml to read [tool.nncheck] from (default: the nearest one).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    help="Seconds the script may run before its first training step "
    f"[default: {DEFAULTS.timeout:g}].",
)
@click.option(
    "--max-samples",
    type=click.IntRange(min=1),
    help=f"Most samples read from the training data [default: {DEFAULTS.max_samples}].",
)
@click.option(
    "--probes/--no-probes",
    default=True,
    help="Run the active probes on a clone after the capture [default: on].",
)
@click.option(
    "--probe-budget",
    type=click.FloatRange(min=0),
    help=f"Seconds all probes together may take [default: {DEFAULTS.probe_budget:g}].",
)
@click.option(
    "--seed", type=click.IntRange(min=0), help=f"The probes' seed [default: {DEFAULTS.seed}]."
)
@click.option(
    "--fit-call",
    type=click.IntRange(min=1),
    help="Check the script's N-th fit() call; the earlier ones train as written "
    f"(pretraining before fine-tuning) [default: {DEFAULTS.fit_call}].",
)
@click.option(
    "--option",
    "rule_options",
    multiple=True,
    metavar="CODE.NAME=VALUE",
    help="A rule threshold, over [tool.nncheck.options] (e.g. T102.min-epochs=20); repeatable.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress display on stderr.")
@click.option(
    "--baseline",
    "baseline_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Report and fail only on findings not recorded in this baseline file.",
)
@click.option(
    "--write-baseline",
    "write_baseline_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Record today's findings in this file (adopt nncheck on an existing project).",
)
@click.option(
    "--data",
    "data_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="With a saved model: the training data to check it with (CSV, Parquet, NPZ).",
)
@click.option("--label", help="The label column of a data file (the NPZ array; default y).")
@click.option("--fix", is_flag=True, help="Apply the safe fixes to the scripts (formatting kept).")
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff; write nothing.")
@click.option(
    "--unsafe-fixes",
    is_flag=True,
    help="With --fix / --diff: also the fixes that change the model.",
)
@click.option("--color/--no-color", default=None, help="Colour the report [default: on a tty].")
@click.option("-v", "--verbose", is_flag=True, help="Also list the rules skipped, and why.")
def check(
    paths: tuple[Path, ...],
    static: bool,
    output_format: str,
    output_path: Path | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    fail_on: str | None,
    exit_zero: bool,
    config_path: Path | None,
    timeout: float | None,
    max_samples: int | None,
    probes: bool,
    probe_budget: float | None,
    seed: int | None,
    fit_call: int | None,
    rule_options: tuple[str, ...],
    quiet: bool,
    baseline_path: Path | None,
    write_baseline_path: Path | None,
    data_path: Path | None,
    label: str | None,
    fix: bool,
    diff: bool,
    unsafe_fixes: bool,
    color: bool | None,
    verbose: bool,
) -> None:
    """Check training scripts (files, or directories searched for *.py).

    Arguments after `--` are passed to the script: nncheck train.py -- --epochs 3
    """
    from nncheck.config import ConfigError, command_line_options, load_settings
    from nncheck.engine import (
        TargetError,
        apply_overrides,
        collect_targets,
        select_rules,
        select_source_rules,
    )
    from nncheck.registry import UnknownRuleError

    if not paths:
        _fail("no path given; try `nncheck train.py` or `nncheck --static src/`")
    if baseline_path and write_baseline_path:
        _fail("--baseline and --write-baseline do not combine: write the baseline, then use it")
    if fix and diff:
        _fail("--fix writes the fixes and --diff only shows them: choose one")
    if unsafe_fixes and not (fix or diff):
        _fail("--unsafe-fixes goes with --fix or --diff")
    try:
        settings = load_settings(paths[0], config_path)
        if select:
            settings.override("select", _split(select), "--select")
        if ignore:
            settings.override("ignore", settings.ignore + _split(ignore), "--ignore")
        if fail_on:
            settings.override("fail_on", fail_on, "--fail-on")
        if timeout is not None:
            settings.override("timeout", timeout, "--timeout")
        if max_samples is not None:
            settings.override("max_samples", max_samples, "--max-samples")
        if probe_budget is not None:
            settings.override("probe_budget", probe_budget, "--probe-budget")
        if seed is not None:
            settings.override("seed", seed, "--seed")
        if fit_call is not None:
            settings.override("fit_call", fit_call, "--fit-call")
        if rule_options:
            merged = command_line_options(rule_options, settings.options)
            settings.override("options", merged, "--option")
        script_args = click.get_current_context().find_root().meta.get("script_args", ())
        options = settings.run_options(script_args=script_args, probes=probes, progress=not quiet)
        targets = collect_targets(list(paths), static, options, data_path, label)
        if all(target.static for target in targets):  # only the source rules' modules load
            rules, unloaded = select_source_rules(settings.select, settings.ignore)
        else:
            rules, unloaded = select_rules(settings.select, settings.ignore), []
        known = _load_baseline(baseline_path) if baseline_path else None
    except (ConfigError, UnknownRuleError, TargetError) as error:
        _fail(str(error))
    result = _check_interruptibly(targets, rules, settings.options, unloaded)
    root = settings.config_path.parent if settings.config_path else None
    apply_overrides(result, settings.per_file_ignores, settings.severity, root)
    if write_baseline_path is not None:
        _write_baseline(result, write_baseline_path)
    if known is not None:
        result.findings, result.baselined = known.new_findings(result.findings)
    if diff:
        sys.exit(_show_fixes(result, unsafe_fixes))
    if fix:
        _apply_fixes(result, unsafe_fixes)
    mode = "static" if static else "full"
    _report(result, output_format, output_path, mode, verbose, color, settings.fail_threshold)
    sys.exit(_exit_code(result, settings.fail_threshold, exit_zero))


def _fix_plan(result: RunResult, unsafe: bool) -> FixPlan:
    from nncheck.fixes import plan

    return plan(result.findings, result.source_digests, unsafe=unsafe)


def _show_fixes(result: RunResult, unsafe: bool) -> int:
    """--diff: the fixes as a unified diff on stdout; 1 when there is one, as ruff does."""
    fixes = _fix_plan(result, unsafe)
    for file in fixes.files:
        if file.changed:
            sys.stdout.write(file.diff())
    count = len(fixes.fixed)
    more = f" ({fixes.unsafe_held} more with --unsafe-fixes)" if fixes.unsafe_held else ""
    for path, why in fixes.untouched:
        click.echo(f"nncheck: {path} not fixed: {why}", err=True)
    click.echo(f"Would fix {count} finding{'' if count == 1 else 's'}{more}.", err=True)
    return 1 if count else 0


def _apply_fixes(result: RunResult, unsafe: bool) -> None:
    """--fix: write the fixes, drop the fixed findings from the report and say what was done."""
    fixes = _fix_plan(result, unsafe)
    for file in fixes.files:
        if file.changed:
            try:
                file.write()
            except OSError as error:
                _fail(f"{file.path}: cannot write the fixes: {error.strerror or error}")
    fixed = {id(f) for f in fixes.fixed}
    result.findings = [f for f in result.findings if id(f) not in fixed]
    files = sum(1 for file in fixes.files if file.changed)
    codes = ", ".join(sorted({f.code for f in fixes.fixed}))
    if fixed:
        result.notes.append(
            f"--fix fixed {len(fixed)} finding{'' if len(fixed) == 1 else 's'} ({codes}) "
            f"in {files} file{'' if files == 1 else 's'}"
        )
    if fixes.unsafe_held:
        result.notes.append(f"{fixes.unsafe_held} more fixes with --unsafe-fixes")
    for file in fixes.files:
        for finding, why in file.not_applied:
            result.notes.append(f"{finding.where} {finding.code}: fix not applied: {why}")
    for path, why in fixes.untouched:
        result.notes.append(f"{path} not fixed: {why}")


def _check_interruptibly(targets: list, rules: list, options: dict, unloaded: list) -> RunResult:
    """Run the check; Ctrl-C or SIGTERM stops it with every child process killed and every
    temporary directory removed, and exits 130 / 143 as shells and CI runners expect."""
    from nncheck.engine import check_targets
    from nncheck.interrupts import EXIT_INTERRUPTED, EXIT_TERMINATED, Terminated, signals_unwind

    try:
        with signals_unwind():
            return check_targets(targets, rules, options, unloaded)
    except KeyboardInterrupt:
        click.echo("nncheck: interrupted; stopped the script and removed its files", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except Terminated:
        click.echo("nncheck: terminated; stopped the script and removed its files", err=True)
        sys.exit(EXIT_TERMINATED)


def _load_baseline(path: Path) -> Baseline:
    """The baseline file (imported only when one is used: the static path stays lean)."""
    from nncheck import baseline

    try:
        return baseline.load(path)
    except baseline.BaselineError as error:
        _fail(str(error))
        raise  # unreachable: _fail exits


def _write_baseline(result: RunResult, path: Path) -> None:
    """Record the findings and exit: 0, or 2 when nncheck could not check everything."""
    from nncheck import baseline

    try:
        recorded = baseline.write(result.findings, path)
    except OSError as error:
        _fail(f"{path}: cannot write the baseline: {error.strerror or error}")
    click.echo(f"nncheck: recorded {recorded} finding{'s' if recorded != 1 else ''} in {path}")
    for finding in result.findings:
        if finding.code.startswith("E"):  # never recorded: the run did not check everything
            click.echo(f"{finding.path}: {finding.code} {finding.message}", err=True)
    sys.exit(EXIT_FAILURE if result.failed else EXIT_CLEAN)


def _report(
    result: RunResult,
    output_format: str,
    output_path: Path | None,
    mode: str,
    verbose: bool,
    color: bool | None,
    threshold: Severity | None,
) -> None:
    from nncheck.reports import ReportContext, render, text

    if color is None:
        color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    context = ReportContext(mode, verbose, bool(color), threshold)
    if output_path is not None:
        try:
            output_path.write_text(render(output_format, result, context), encoding="utf-8")
        except OSError as error:
            _fail(f"{output_path}: cannot write the report: {error.strerror or error}")
        text.write_summary(result, context, sys.stdout)
    elif output_format == "text":
        text.write(result, context, sys.stdout)
    else:
        sys.stdout.write(render(output_format, result, context))


def _exit_code(result: RunResult, threshold: Severity | None, exit_zero: bool) -> int:
    if result.failed:
        return EXIT_FAILURE
    if exit_zero or threshold is None:
        return EXIT_CLEAN
    return EXIT_FINDINGS if any(f.severity >= threshold for f in result.findings) else EXIT_CLEAN


@main.command("config")
@click.argument("path", required=False, type=click.Path(path_type=Path), default=".")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False))
def show_config(path: Path, config_path: Path | None) -> None:
    """Print the effective configuration for PATH and where each value came from."""
    from nncheck.config import ConfigError, load_settings

    try:
        settings = load_settings(path, config_path)
    except ConfigError as error:
        _fail(str(error))
    click.echo(f"config file: {settings.config_path or '(none found; defaults)'}")
    keys = (
        "select",
        "ignore",
        "fail_on",
        "timeout",
        "max_samples",
        "probe_budget",
        "seed",
        "fit_call",
    )
    for key in (*keys, "options", "per_file_ignores", "severity"):
        value = getattr(settings, key)
        shown = "every rule" if key == "select" and value is None else value
        origin = settings.origins.get(key, "default")
        click.echo(f"{key.replace('_', '-')} = {shown!r}  ({origin})")


@main.command("rules")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text")
def list_rules(output_format: str) -> None:
    """List every rule: code, name, severity, family, tip and the facts it needs."""
    from nncheck.registry import all_rules

    rules = all_rules()
    if output_format == "json":
        import json

        rows = [
            {
                "code": r.code,
                "name": r.name,
                "severity": r.severity.label,
                "family": r.family,
                "tip": r.tip,
                "needs": [list(needs) for needs, _ in r.implementations],
                "summary": r.summary,
            }
            for r in rules
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    header = f"{'code':<5} {'name':<38} {'severity':<8} {'family':<24} {'tip':>3}  needs"
    click.echo(header)
    for r in rules:
        needs = r.all_needs
        tip = str(r.tip) if r.tip else "-"
        click.echo(
            f"{r.code:<5} {r.name:<38} {r.severity.label:<8} {r.family:<24} {tip:>3}  {needs}"
        )


@main.command("explain")
@click.argument("rule_name")
def explain(rule_name: str) -> None:
    """Print a rule's documentation (by code or name)."""
    from nncheck.registry import UnknownRuleError, get_rule

    try:
        rule = get_rule(rule_name)
    except UnknownRuleError as error:
        _fail(str(error))
    tip = f" (tip {rule.tip})" if rule.tip else ""
    click.echo(f"{rule.code} {rule.name} [{rule.severity.label}]{tip}: {rule.summary}\n")
    needs = rule.all_needs if rule.runnable else "nothing (nncheck reports it about its own run)"
    fixes = {
        "safe": " Fix: applied by --fix.",
        "unsafe": " Fix: applied by --fix --unsafe-fixes (it changes the model's behaviour).",
    }
    click.echo(f"Family: {rule.family}. Needs: {needs}.{fixes.get(rule.fix, '')}\n")
    click.echo(rule.doc)
    if rule.options:
        click.echo("\n## Defaults ([tool.nncheck.options] " + rule.code + " = { ... })")
        for name, default in rule.options.items():
            click.echo(f"- {name} = {default}")
