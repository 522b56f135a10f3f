"""Settings: command-line options over ``[tool.nncheck]`` in the nearest pyproject.toml.

Keys are kebab-case, as in ruff:

    [tool.nncheck]
    select = ["T", "M3"]          # codes, prefixes or names; default: every rule
    ignore = ["T109"]
    fail-on = "warning"           # error (default) | warning | info | never
    timeout = 600                 # seconds before the first training step (default 300)
    max-samples = 20000           # training samples read (default 10000)
    probe-budget = 120            # seconds for all probes together (default 60)
    seed = 0                      # the probes' seed (default 0)
    fit-call = 2                  # check the second fit() call (default 1: the first)

    [tool.nncheck.options]        # rule thresholds, by rule code or name
    D101 = { minority-fair-share = 0.1 }
    missing-early-stopping = { min-epochs = 20 }

    [tool.nncheck.per-file-ignores]   # glob (relative to this file's folder) -> rules
    "experiments/*.py" = ["T109"]

    [tool.nncheck.severity]       # severity overrides, by rule code or name
    T109 = "error"

An unknown key or a value of the wrong type is an error (exit 2), never silently ignored.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nncheck.findings import Severity
from nncheck.options import DEFAULTS, RunOptions

_INTEGER = re.compile(r"^[+-]?\d+$")

FAIL_ON_CHOICES = ("error", "warning", "info", "never")
# Numbers with their lower bound and type: the full check's limits.
NUMERIC_KEYS: dict[str, tuple[type, float]] = {
    "timeout": (float, 1),
    "max-samples": (int, 1),
    "probe-budget": (float, 0),
    "seed": (int, 0),
    "fit-call": (int, 1),
}
KNOWN_KEYS = (
    "select",
    "ignore",
    "fail-on",
    *NUMERIC_KEYS,
    "options",
    "per-file-ignores",
    "severity",
)


class ConfigError(ValueError):
    """The configuration cannot be used; the message says which file and key."""


@dataclass
class Settings:
    """The effective settings of one run, and where each value came from."""

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    fail_on: str = "error"
    options: dict[str, dict[str, float | int]] = field(default_factory=dict)
    per_file_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict)
    severity: dict[str, str] = field(default_factory=dict)
    timeout: float = DEFAULTS.timeout
    max_samples: int = DEFAULTS.max_samples
    probe_budget: float = DEFAULTS.probe_budget
    seed: int = DEFAULTS.seed
    fit_call: int = DEFAULTS.fit_call
    config_path: Path | None = None
    origins: dict[str, str] = field(default_factory=dict)

    @property
    def fail_threshold(self) -> Severity | None:
        """The lowest severity that fails the run; None for ``never``."""
        return None if self.fail_on == "never" else Severity.parse(self.fail_on)

    def run_options(self, **run: Any) -> RunOptions:
        """The options a check runs with: these settings, and ``run`` (the script's arguments,
        probes on or off, progress) that only the command line decides."""
        return RunOptions(
            timeout=self.timeout,
            max_samples=self.max_samples,
            probe_budget=self.probe_budget,
            seed=self.seed,
            fit_call=self.fit_call,
            **run,
        )

    def override(self, key: str, value: Any, origin: str) -> None:
        setattr(self, key, value)
        self.origins[key] = origin


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml at or above ``start`` that has a [tool.nncheck] table."""
    directory = start if start.is_dir() else start.parent
    for candidate_dir in [directory, *directory.parents]:
        candidate = candidate_dir / "pyproject.toml"
        if candidate.is_file() and _mentions_nncheck(candidate):
            return candidate
    return None


def _mentions_nncheck(path: Path) -> bool:
    try:
        return "tool.nncheck" in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def load_settings(start: Path, explicit: Path | None = None) -> Settings:
    """Settings from ``explicit`` or the nearest pyproject.toml above ``start``."""
    path = explicit or find_pyproject(start.resolve())
    settings = Settings()
    if path is None:
        return settings
    table = _read_table(path, required=explicit is not None)
    settings.config_path = path
    origin = f"{path}"
    for key, value in table.items():
        if key == "select":
            settings.override("select", _string_list(path, key, value), origin)
        elif key == "ignore":
            settings.override("ignore", _string_list(path, key, value), origin)
        elif key == "fail-on":
            settings.override("fail_on", _choice(path, key, value, FAIL_ON_CHOICES), origin)
        elif key in NUMERIC_KEYS:
            settings.override(key.replace("-", "_"), _number(path, key, value), origin)
        elif key == "options":
            where = f"{path}: [tool.nncheck.options]"
            settings.override("options", _rule_options(where, value), origin)
        elif key == "per-file-ignores":
            settings.override("per_file_ignores", _per_file_ignores(path, value), origin)
        elif key == "severity":
            settings.override("severity", _severity_overrides(path, value), origin)
        else:
            known = ", ".join(KNOWN_KEYS)
            raise ConfigError(f"{path}: unknown key [tool.nncheck] {key!r} (known: {known})")
    return settings


def _read_table(path: Path, required: bool) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from error
    table = document.get("tool", {}).get("nncheck")
    if table is None:
        if required:
            raise ConfigError(f"{path}: has no [tool.nncheck] table")
        return {}
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.nncheck] must be a table")
    return table


def _string_list(path: Path, key: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{path}: [tool.nncheck] {key} must be a list of strings: {value!r}")
    return tuple(value)


def _number(path: Path, key: str, value: Any) -> float | int:
    kind, low = NUMERIC_KEYS[key]
    wrong = isinstance(value, bool) or not isinstance(value, int | float)
    if wrong or (kind is int and not isinstance(value, int)) or value < low:
        noun = "an integer" if kind is int else "a number"
        raise ConfigError(f"{path}: [tool.nncheck] {key} must be {noun} >= {low:g}: {value!r}")
    return kind(value)


def _choice(path: Path, key: str, value: Any, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value.lower() not in choices:
        raise ConfigError(
            f"{path}: [tool.nncheck] {key} must be one of {', '.join(choices)}: {value!r}"
        )
    return value.lower()


def _rule_options(where: str, table: Any) -> dict[str, dict[str, float | int]]:
    """Validate rule options (``where`` names their origin in errors): known rules, known
    options, numbers of the right kind."""
    from nncheck.registry import UnknownRuleError, get_rule

    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    options: dict[str, dict[str, float | int]] = {}
    for rule_name, values in table.items():
        try:
            rule = get_rule(rule_name)
        except UnknownRuleError as error:
            raise ConfigError(f"{where} {error}") from None
        if not isinstance(values, dict):
            raise ConfigError(f"{where} {rule_name} must be a table")
        for name, value in values.items():
            if name not in rule.options:
                known = ", ".join(sorted(rule.options)) or "none"
                raise ConfigError(f"{where} {rule.code} has no option {name!r} (options: {known})")
            default = rule.options[name]
            wrong_kind = isinstance(default, int) and not isinstance(default, float)
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or (wrong_kind and not isinstance(value, int))
            ):
                raise ConfigError(
                    f"{where} {rule.code}.{name} must be "
                    f"{'an integer' if wrong_kind else 'a number'}: {value!r}"
                )
            options.setdefault(rule.code, {})[name] = value
    return options


def command_line_options(
    values: Iterable[str], base: dict[str, dict[str, float | int]]
) -> dict[str, dict[str, float | int]]:
    """``--option CODE.NAME=VALUE`` (code or rule name) over the pyproject's options."""
    table: dict[str, dict[str, float | int]] = {}
    for text in values:
        key, equals, literal = text.partition("=")
        rule_name, dot, name = key.strip().partition(".")
        if not (equals and dot and rule_name and name):
            raise ConfigError(
                f"--option expects CODE.NAME=VALUE, e.g. T102.min-epochs=20: {text!r}"
            )
        value: float | int
        try:
            value = int(literal) if _INTEGER.match(literal.strip()) else float(literal)
        except ValueError:
            raise ConfigError(f"--option {key} must be a number: {literal!r}") from None
        table.setdefault(rule_name, {})[name.strip()] = value
    merged = {code: dict(options) for code, options in base.items()}
    for code, given in _rule_options("--option", table).items():
        merged.setdefault(code, {}).update(given)
    return merged


def _per_file_ignores(path: Path, table: Any) -> dict[str, tuple[str, ...]]:
    from nncheck.registry import UnknownRuleError, resolve_selectors

    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.nncheck.per-file-ignores] must be a table")
    ignores: dict[str, tuple[str, ...]] = {}
    for pattern, selectors in table.items():
        values = _string_list(path, f"per-file-ignores {pattern!r}", selectors)
        try:
            resolve_selectors(values)
        except UnknownRuleError as error:
            raise ConfigError(f"{path}: [tool.nncheck.per-file-ignores] {error}") from None
        ignores[pattern] = values
    return ignores


def _severity_overrides(path: Path, table: Any) -> dict[str, str]:
    from nncheck.registry import UnknownRuleError, get_rule

    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.nncheck.severity] must be a table")
    overrides: dict[str, str] = {}
    for name, value in table.items():
        try:
            code = get_rule(name).code
        except UnknownRuleError as error:
            raise ConfigError(f"{path}: [tool.nncheck.severity] {error}") from None
        overrides[code] = _choice(path, f"severity {name}", value, ("error", "warning", "info"))
    return overrides
