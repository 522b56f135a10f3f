"""The engine: find the targets, run the selected rules over their facts, collect findings.

For each target a :class:`FactStore` builds facts on demand. A rule whose facts cannot be had is
skipped with the reason; a fact provider that fails reports its E0xx finding once; a rule that
raises becomes an E005 finding and the other rules still run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fnmatch
import inspect
import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from nncheck.facts import STATIC_KINDS, FactStore, FactUnavailable, RunFailure, Target
from nncheck.findings import Finding, Severity, Violation, display_path
from nncheck.notebook import (
    NOTEBOOK_SUFFIX,
    NotebookError,
    NotebookSource,
    is_notebook,
    read_notebook,
)
from nncheck.options import DEFAULTS, RunOptions
from nncheck.overview import overview
from nncheck.registry import (
    OPTIONS_PARAMETER,
    IndexEntry,
    Rule,
    RuleFunction,
    all_rules,
    get_rule,
    load_rule,
    resolve_selectors,
    rule_index,
)
from nncheck.results import RunResult, Skip, text_digest
from nncheck.suppression import is_suppressed

if TYPE_CHECKING:
    from nncheck.facts.live import ProbeFacts

# Directories never searched when a folder is given (as ruff and pre-commit users expect).
EXCLUDED_DIRS = {
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    "__pycache__",
    "__pypackages__",
    "node_modules",
    "site-packages",
    "build",
    "dist",
}


class TargetError(ValueError):
    """A path given on the command line cannot be checked (missing, not Python, empty)."""


def select_rules(select: Iterable[str] | None, ignore: Iterable[str]) -> list[Rule]:
    """The runnable rules after --select / --ignore (codes, names or prefixes)."""
    chosen = _chosen(select, ignore)
    return [r for r in all_rules() if r.code in chosen and r.runnable]


def select_source_rules(
    select: Iterable[str] | None, ignore: Iterable[str]
) -> tuple[list[Rule], list[IndexEntry]]:
    """:func:`select_rules` for a run that reads every target as source (--static): the
    rules that can judge the source alone, and the index entries of the others, whose
    modules are not imported (they could only be skipped; importing them all was a fifth
    of --static's start-up)."""
    index = rule_index()
    chosen = [index[code] for code in sorted(_chosen(select, ignore)) if index[code].needs]
    return [load_rule(e) for e in chosen if e.static], [e for e in chosen if not e.static]


def _chosen(select: Iterable[str] | None, ignore: Iterable[str]) -> set[str]:
    chosen = resolve_selectors(select) if select is not None else set(rule_index())
    return chosen - resolve_selectors(ignore)


DATA_SUFFIXES = {".csv", ".tsv", ".parquet", ".pq", ".npz"}
MODEL_SUFFIXES = {".keras", ".h5", ".hdf5"}


def collect_targets(
    paths: Sequence[Path],
    static: bool,
    capture: RunOptions | None = None,
    data: Path | None = None,
    label: str | None = None,
) -> list[Target]:
    """Expand files and directories (recursing into *.py) into targets, in a stable order.

    In a full check only the files named on the command line are run; files found by
    searching a directory get the source rules only (running every script in a tree would
    be a surprise, and a slow one). Saved models (.keras, .h5, a SavedModel directory) and
    data files (CSV, Parquet, NPZ) are checked in the full mode only.
    """
    options = capture or DEFAULTS
    targets: list[Target] = []
    for path in paths:
        if not path.exists():
            raise TargetError(f"{path}: no such file or directory")
        kind = _file_kind(path)
        if kind != "script" and static:
            raise TargetError(
                f"{path}: --static reads Python source; check a {kind} file without it"
            )
        if kind == "data":
            targets.append(
                Target(
                    path=path,
                    display_path=display_path(path),
                    kind="data",
                    static=False,
                    options=options,
                    label=label,
                )
            )
        elif kind == "model":
            if data is not None and not data.exists():
                raise TargetError(f"{data}: no such data file (--data)")
            if data is not None and data.suffix.lower() not in DATA_SUFFIXES:
                raise TargetError(f"{data}: --data reads CSV, TSV, Parquet or NPZ files")
            targets.append(
                Target(
                    path=path,
                    display_path=display_path(path),
                    kind="model",
                    static=False,
                    run=True,
                    options=options,
                    data_path=data,
                    label=label,
                )
            )
        elif path.is_dir():
            files = sorted(_python_files(path))
            if not files:
                raise TargetError(f"{path}: no Python files found in this directory")
            targets.extend(
                Target(path=f, display_path=display_path(f), static=static, options=options)
                for f in files
            )
        elif path.suffix in {".py", ".pyw", NOTEBOOK_SUFFIX} or _has_python_shebang(path):
            targets.append(
                Target(
                    path=path,
                    display_path=display_path(path),
                    static=static,
                    run=not static,
                    options=options,
                )
            )
        else:
            raise TargetError(
                f"{path}: not a file nncheck checks (a training script *.py or notebook "
                "*.ipynb, a saved model "
                ".keras/.h5/SavedModel, or data .csv/.tsv/.parquet/.npz)"
            )
    if data is not None and not any(t.kind == "model" for t in targets):
        raise TargetError("--data goes with a saved model: nncheck model.keras --data FILE")
    if label is not None and not any(t.kind in {"model", "data"} for t in targets):
        raise TargetError("--label names a data file's label column: nncheck data.csv --label y")
    return targets


def _file_kind(path: Path) -> str:
    if path.is_dir():
        return "model" if (path / "saved_model.pb").exists() else "script"
    suffix = path.suffix.lower()
    if suffix in DATA_SUFFIXES:
        return "data"
    return "model" if suffix in MODEL_SUFFIXES else "script"


def _python_files(root: Path) -> Iterable[Path]:
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = [d for d in subdirs if d not in EXCLUDED_DIRS and not d.startswith(".")]
        for name in files:
            if name.endswith((".py", NOTEBOOK_SUFFIX)):
                yield Path(directory, name)


def _has_python_shebang(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            first = handle.readline(200)
    except OSError:
        return False
    return first.startswith(b"#!") and b"python" in first


def check_targets(
    targets: Sequence[Target],
    rules: Sequence[Rule],
    options: dict[str, dict[str, float | int]] | None = None,
    unloaded: Sequence[IndexEntry] = (),
) -> RunResult:
    """Run ``rules`` on every target; ``options`` override rule thresholds by rule code.
    ``unloaded``: selected rules that cannot run on these targets, skipped with the reason
    (:func:`select_source_rules`)."""
    result = RunResult(files=len(targets))
    for target in targets:
        _check_target(target, rules, result, options or {}, unloaded=unloaded)
    result.findings.sort(key=lambda f: f.sort_key)
    return result


def check_facts(
    target: Target,
    facts: dict[str, object],
    rules: Sequence[Rule],
    options: dict[str, dict[str, float | int]] | None = None,
) -> RunResult:
    """Run ``rules`` on facts built elsewhere (the Python API); other kinds are unavailable."""
    result = RunResult(files=1)
    store = FactStore(target, providers={}, _cache=dict(facts))
    _check_target(target, rules, result, options or {}, store)
    result.findings.sort(key=lambda f: f.sort_key)
    return result


def _check_target(
    target: Target,
    rules: Sequence[Rule],
    result: RunResult,
    options: dict[str, dict[str, float | int]],
    store: FactStore | None = None,
    unloaded: Sequence[IndexEntry] = (),
) -> None:
    store = store or FactStore(target)
    first_skip = len(result.skips)
    failures: dict[str, RunFailure] = {}
    findings: list[Finding] = []
    if target.primary_kind is not None:  # a full check always runs: E002-E004, E006 surface
        try:
            store.get(target.primary_kind)
        except RunFailure as failure:
            failures[failure.code] = failure
        except FactUnavailable:
            pass
        else:
            _say_which_fit(store, target, result)
    for rule in rules:
        chosen = _facts_for(rule, store, failures, target, result)
        if chosen is None:
            continue
        func, facts = chosen
        if OPTIONS_PARAMETER in inspect.signature(func).parameters:
            facts[OPTIONS_PARAMETER] = {**rule.options, **options.get(rule.code, {})}
        try:
            findings.extend(_stamp(rule, v, target) for v in func(**facts))
        except Exception as error:  # a rule's bug must not hide the other rules' findings
            crash = _crashed(f"rule {rule.code} ({rule.name})", f"{type(error).__name__}: {error}")
            findings.append(_stamp(get_rule("E005"), crash, target))
    for entry in unloaded:
        result.skips.append(Skip(entry.code, target.display_path, _unavailable(entry, store)))
    result.skips[first_skip:] = sorted(result.skips[first_skip:], key=lambda skip: skip.code)
    findings.extend(_stamp(get_rule(code), f.violation, target) for code, f in failures.items())
    findings.extend(_collect_probes(store, target, result))
    found = overview(store)
    if found is not None:
        result.overviews[target.display_path] = found
    if store.has("source"):
        result.source_digests[target.display_path] = text_digest(store.get("source").text)
    findings = _without_superseded(findings, rules)
    comments = _comments(store)
    notebook = _notebook(store)
    for finding in findings:
        if not finding.code.startswith("E") and is_suppressed(finding, comments):
            result.suppressed += 1
        elif notebook is not None and finding.path == target.display_path:
            result.findings.append(_in_cell(finding, notebook))
        else:
            result.findings.append(finding)


def _in_cell(finding: Finding, notebook: NotebookSource) -> Finding:
    """A notebook's finding located by cell: its lines, counted in the notebook's script
    (where suppression comments were matched), become lines of the cell."""
    start = notebook.locate(finding.line)
    if start is None:
        return finding
    cell, line = start
    end = notebook.locate(finding.end_line) if finding.end_line else None
    end_line = end[1] if end is not None and end[0] == cell else None
    return dataclasses.replace(
        finding,
        cell=cell,
        line=line,
        end_line=end_line,
        message=notebook.relabel_lines(finding.message),
        fix=notebook.relabel_lines(finding.fix) if finding.fix else None,
    )


def _notebook(store: FactStore) -> NotebookSource | None:
    """A notebook target's cells (read again when its source did not parse: E001's line)."""
    if not is_notebook(store.target.path):
        return None
    try:
        return store.get("source").notebook
    except (FactUnavailable, RunFailure):
        try:
            return read_notebook(store.target.path)
        except NotebookError:
            return None


def _say_which_fit(store: FactStore, target: Target, result: RunResult) -> None:
    """A script with several fit() calls (pretrain, then fine-tune) is checked at one of
    them: say which, and how to pick another."""
    if target.capture is None or target.kind != "script":
        return
    try:
        capture, source = store.get("capture"), store.get("source")
    except (FactUnavailable, RunFailure):
        return
    if capture.extra.get("framework_note"):
        result.notes.append(f"{target.display_path}: {capture.extra['framework_note']}")
    lines = sorted({fit.call.line for fit in source.fits})
    train = capture.train
    if len(lines) < 2 or train is None or train.entry != "fit":
        return
    chosen = target.capture.fit_call
    at = f" at line {train.site.line}" if train.site is not None else ""
    listed = "lines " + ", ".join(str(line) for line in lines)
    if source.notebook is not None:
        at = source.notebook.relabel_lines(at)
        listed = ", ".join(source.notebook.line_label(line) for line in lines)
    checked, earlier = (
        (f"fit() call {chosen}{at} (the earlier ones trained as written)", "")
        if chosen > 1
        else (f"the first call{at}", " (the earlier ones then train as written)")
    )
    result.notes.append(
        f"{target.display_path} calls fit() at {listed}: nncheck checked {checked}; "
        f"--fit-call N checks another{earlier}"
    )


def _without_superseded(findings: list[Finding], rules: Sequence[Rule]) -> list[Finding]:
    """Drop the findings of a rule that a selected rule supersedes and that fired here too:
    the same problem is said once, with the stronger evidence."""
    fired = {f.code for f in findings}
    replaced = {code for r in rules if r.code in fired for code in r.supersedes}
    return [f for f in findings if f.code not in replaced]


def _collect_probes(store: FactStore, target: Target, result: RunResult) -> list[Finding]:
    """Keep the probes' measurements for the report, say once where they ran, and report
    the probes that could not finish: stopped by the budget (E007) or crashed (E005)."""
    wanted = target.capture is not None and target.capture.probes
    if not wanted and not store.has("probes"):  # the Python API hands its probes in
        return []
    try:
        probes = store.get("probes")
    except (FactUnavailable, RunFailure) as missing:
        if wanted and isinstance(missing, FactUnavailable) and _framework(store) == "pytorch":
            result.notes.append(f"{target.display_path}: {missing.reason}")
        return []
    findings = [
        _stamp(get_rule(code), violation, target) for code, violation in _probe_failures(probes)
    ]
    if target.capture is None:  # the Python API keeps the probes itself
        return findings
    result.probes[target.display_path] = probes
    if probes.device == "CPU" and not any("ran on the CPU" in n for n in result.notes):
        from nncheck.facts.hardware import NoGpu

        reason = "no GPU visible to the framework"
        try:
            store.get("hardware")  # the GPU rules' facts: NVML is asked once per target
        except NoGpu as no_gpu:
            reason = no_gpu.why
        except (FactUnavailable, RunFailure):
            pass
        result.notes.append(f"the probes ran on the CPU ({reason}); GPU-only rules were skipped")
    return findings


def _crashed(what: str, error: str) -> Violation:
    """E005's message for a rule or a probe that raised."""
    return Violation(
        f"{what} crashed: {error}; please report this with the script that triggers it"
    )


def _probe_failures(probes: ProbeFacts) -> list[tuple[str, Violation]]:
    """E007 for a probe the budget stopped (how far it got, and a budget that would do),
    E005 for a probe that raised: a probe's failure is never a silent skip."""
    from nncheck.facts.probe_results import PROBE_LABELS, Stopped  # full checks only

    failures: list[tuple[str, Violation]] = [
        ("E005", _crashed(f"probe '{PROBE_LABELS.get(r.name, r.name)}'", r.reason))
        for r in probes.results
        if r.status == "crashed"
    ]
    stopped = next((r for r in probes.results if r.status == "over_budget"), None)
    if stopped is not None:
        not_run = [
            PROBE_LABELS.get(r.name, r.name) for r in probes.results if r.status == "not_run"
        ]
        # about what the budget needs: the probes that finished, the stopped one at its
        # pace, and half that again for each probe that did not run; with a margin
        finished = sum(
            r.seconds for r in probes.results if r.status not in {"not_run", "over_budget"}
        )
        done = stopped.values.done if isinstance(stopped.values, Stopped) else 0.0
        stopped_whole = stopped.seconds / max(done, 0.05)
        needed = finished + stopped_whole + len(not_run) * max(stopped_whole, 1.0) / 2
        suggestion = int(math.ceil(needed * 1.5 / 10) * 10)
        rest = f"; not run: {', '.join(not_run)}" if not_run else ""
        failures.append(
            (
                "E007",
                Violation(
                    f"the probes reached --probe-budget {probes.budget:g} s in "
                    f"'{PROBE_LABELS.get(stopped.name, stopped.name)}' ({stopped.reason}){rest}: "
                    "their findings are incomplete",
                    fix=f"--probe-budget {max(suggestion, int(probes.budget) + 10)}",
                    data={"probe": stopped.name, "progress": stopped.reason, "not_run": not_run},
                ),
            )
        )
    return failures


def _facts_for(
    rule: Rule,
    store: FactStore,
    failures: dict[str, RunFailure],
    target: Target,
    result: RunResult,
) -> tuple[RuleFunction, dict[str, object]] | None:
    """The first implementation of ``rule`` whose facts can be had, with those facts.

    A fact provider's failure (E0xx) is recorded once per target; the rule then falls back
    to its next implementation, or is skipped with the reason.
    """
    reason = ""
    for needs, func in rule.implementations:
        try:
            if not set(needs) <= STATIC_KINDS | {"hardware"}:
                _judges_framework(rule, store)
            return func, {kind: store.get(kind) for kind in needs}
        except FactUnavailable as unavailable:
            reason = reason or unavailable.reason
        except RunFailure as failure:
            failures.setdefault(failure.code, failure)
            reason = reason or str(failure)
    result.skips.append(Skip(rule.code, target.display_path, reason))
    return None


def _unavailable(entry: IndexEntry, store: FactStore) -> str:
    """Why none of an unloaded rule's implementations has its facts: the reason
    :func:`_facts_for` would give."""
    for needs in entry.needs:
        for kind in needs:
            try:
                store.get(kind)
            except FactUnavailable as unavailable:
                return unavailable.reason
            except RunFailure as failure:
                return str(failure)
    return "its facts are not read in this mode"


FRAMEWORK_NAMES = {"keras": "Keras", "pytorch": "PyTorch"}


def _framework(store: FactStore) -> str | None:
    """The framework whose adapter captured the target; None where nothing was captured
    (--static, a data file, a failed run: the facts' own providers then say why)."""
    try:
        capture = store.get("capture")
    except (FactUnavailable, RunFailure):
        return None
    return str(getattr(capture, "framework", "keras"))


def _judges_framework(rule: Rule, store: FactStore) -> None:
    """FactUnavailable when the target's capture comes from a framework the rule does not
    judge (its message and fix would speak another framework's language)."""
    framework = _framework(store)
    if framework is not None and framework not in rule.frameworks:
        judged = " and ".join(FRAMEWORK_NAMES.get(name, name) for name in rule.frameworks)
        raise FactUnavailable(
            f"judges {judged} setups; this one is {FRAMEWORK_NAMES.get(framework, framework)}"
        )


def apply_overrides(
    result: RunResult,
    per_file_ignores: dict[str, tuple[str, ...]],
    severity: dict[str, str],
    root: Path | None,
) -> None:
    """Apply [tool.nncheck] per-file-ignores (globs relative to ``root``) and severities."""
    kept: list[Finding] = []
    for finding in result.findings:
        if not finding.code.startswith("E") and _ignored_for_file(finding, per_file_ignores, root):
            result.suppressed += 1
            continue
        if finding.code in severity:
            finding = dataclasses.replace(finding, severity=Severity.parse(severity[finding.code]))
        kept.append(finding)
    result.findings = kept


def _ignored_for_file(
    finding: Finding, per_file_ignores: dict[str, tuple[str, ...]], root: Path | None
) -> bool:
    path = Path(finding.path)
    if root is not None:
        with contextlib.suppress(ValueError):
            path = path.resolve().relative_to(root.resolve())
    for pattern, selectors in per_file_ignores.items():
        if fnmatch.fnmatch(path.as_posix(), pattern) and finding.code in resolve_selectors(
            selectors
        ):
            return True
    return False


def _comments(store: FactStore) -> dict[int, str]:
    try:
        return store.get("source").comments
    except (FactUnavailable, RunFailure):
        return {}


def _stamp(rule: Rule, violation: Violation, target: Target) -> Finding:
    return Finding(
        code=rule.code,
        name=rule.name,
        severity=rule.severity,
        message=violation.message,
        path=display_path(Path(violation.path)) if violation.path else target.display_path,
        line=violation.line,
        col=violation.col,
        end_line=violation.end_line,
        fix=violation.fix,
        layer=violation.layer,
        tip=rule.tip,
        data=violation.data,
        edit=violation.edit,
    )
