"""The rule registry: one decorator fills one dict, and selectors resolve against it.

A rule is a small function over facts. It declares the facts it needs by its parameter names
(``def check(source: SourceFacts)``), so the engine knows what to build and can say why a rule
was skipped when a fact is unavailable. Its docstring is its user documentation.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from nncheck.findings import Severity, Violation

RuleFunction = Callable[..., Iterable[Violation]]

FAMILIES = {
    "D": "data",
    "M": "model",
    "T": "training configuration",
    "P": "input pipeline",
    "X": "active probe",
    "A": "advice",
    "E": "nncheck's own run",
}

_CODE = re.compile(r"^[A-Z]\d{3}$")
_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Rule:
    """A registered rule and its metadata."""

    code: str
    name: str
    severity: Severity
    summary: str
    tip: int | None
    needs: tuple[str, ...]
    func: RuleFunction | None
    doc_text: str = ""
    live_needs: tuple[str, ...] = ()
    live_func: RuleFunction | None = None
    options: dict[str, float | int] = dataclasses.field(default_factory=dict)
    fallbacks: tuple[tuple[tuple[str, ...], RuleFunction], ...] = ()
    # Rules whose finding this one replaces on a target when both fire: the same problem,
    # said once, with the stronger (measured) evidence. Resolved by the engine among the
    # rules selected for the run, so a superseded rule speaks when this one is not run.
    supersedes: tuple[str, ...] = ()

    @property
    def family(self) -> str:
        return FAMILIES[self.code[0]]

    @property
    def doc(self) -> str:
        """The rule's documentation: its function's docstring, dedented."""
        documented = [f.__doc__ for f in (self.func, self.live_func) if f and f.__doc__]
        source = documented[0] if documented else self.doc_text
        return inspect.cleandoc(source or self.summary)

    @property
    def implementations(self) -> list[tuple[tuple[str, ...], RuleFunction]]:
        """(needs, function) pairs, preferred first: the live judgement supersedes the static
        one when its facts exist, so a user never sees the same problem twice."""
        found = []
        if self.live_func is not None:
            found.append((self.live_needs, self.live_func))
        if self.func is not None:
            found.append((self.needs, self.func))
        return found + list(self.fallbacks)

    @property
    def all_needs(self) -> str:
        return " | ".join(", ".join(needs) for needs, _ in self.implementations) or "-"

    @property
    def runnable(self) -> bool:
        """False for the E0xx codes, which the engine reports about its own run."""
        return self.func is not None


class UnknownRuleError(ValueError):
    """A selector names no rule (a typo in --select, --ignore or the config)."""


_RULES: dict[str, Rule] = {}
_BY_NAME: dict[str, str] = {}


def register(rule: Rule) -> Rule:
    if not _CODE.match(rule.code):
        raise ValueError(f"Expected a rule code like 'T102'. Received: code={rule.code!r}")
    if not _NAME.match(rule.name):
        raise ValueError(f"Expected a kebab-case rule name. Received: name={rule.name!r}")
    if rule.code in _RULES or rule.name in _BY_NAME:
        raise ValueError(f"Rule {rule.code} / {rule.name} is registered twice")
    _RULES[rule.code] = rule
    _BY_NAME[rule.name] = rule.code
    return rule


OPTIONS_PARAMETER = "options"


def _needs(func: RuleFunction) -> tuple[str, ...]:
    """The fact kinds a rule function needs: its parameters, except ``options``."""
    return tuple(p for p in inspect.signature(func).parameters if p != OPTIONS_PARAMETER)


def rule(
    code: str,
    name: str,
    severity: Severity,
    summary: str,
    tip: int | None = None,
    options: dict[str, float | int] | None = None,
    supersedes: tuple[str, ...] = (),
) -> Callable[[RuleFunction], RuleFunction]:
    """Register the decorated function as rule ``code`` / ``name``.

    The function's parameter names are the facts it needs; it yields violations. ``options``
    are the rule's thresholds and their defaults (kebab-case names); a rule function with an
    ``options`` parameter receives them, with the user's [tool.nncheck.options] applied.
    ``supersedes``: codes whose findings this rule's finding replaces on the same target.
    """

    def decorate(func: RuleFunction) -> RuleFunction:
        register(
            Rule(
                code,
                name,
                severity,
                summary,
                tip,
                _needs(func),
                func,
                options=options or {},
                supersedes=supersedes,
            )
        )
        return func

    return decorate


def live(code: str) -> Callable[[RuleFunction], RuleFunction]:
    """Give rule ``code`` a second implementation over live facts, preferred when available."""

    def decorate(func: RuleFunction) -> RuleFunction:
        current = _RULES[code]
        _RULES[code] = dataclasses.replace(current, live_needs=_needs(func), live_func=func)
        return func

    return decorate


def static(code: str) -> Callable[[RuleFunction], RuleFunction]:
    """Give live rule ``code`` a fallback over source facts, for --static and failed captures.

    The rule's registered function stays the preferred (live) judgement.
    """

    def decorate(func: RuleFunction) -> RuleFunction:
        current = _RULES[code]
        _RULES[code] = dataclasses.replace(
            current,
            live_needs=current.needs,
            live_func=current.func,
            needs=_needs(func),
            func=func,
        )
        return func

    return decorate


def fallback(code: str) -> Callable[[RuleFunction], RuleFunction]:
    """Give rule ``code`` a last-resort implementation over fewer facts (a data file checked
    without its model): tried only when none of the others can run."""

    def decorate(func: RuleFunction) -> RuleFunction:
        current = _RULES[code]
        extra = ((_needs(func), func),)
        _RULES[code] = dataclasses.replace(current, fallbacks=current.fallbacks + extra)
        return func

    return decorate


def fallback_with(code: str, fixed: dict[str, object]) -> None:
    """Reuse rule ``code``'s main judgement where some facts cannot exist, with stand-ins.

    A saved model has no training script, a data file neither a script nor a model: their
    rules get stand-ins (an empty source, a training configuration that sets nothing), so
    only the facts that exist decide. Tried before the fallbacks registered earlier, which
    therefore should need fewer facts.
    """
    current = _RULES[code]
    func = current.live_func or current.func  # the judgement over live facts
    assert func is not None, code
    parameters = [p for name, p in inspect.signature(func).parameters.items() if name not in fixed]

    def judge(**facts: object) -> Iterable[Violation]:
        return func(**facts, **fixed)

    judge.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    judge.__name__ = judge.__qualname__ = f"{func.__name__}_without_{'_'.join(fixed)}"
    judge.__doc__ = None
    extra = ((_needs(judge), judge),)
    _RULES[code] = dataclasses.replace(current, fallbacks=extra + current.fallbacks)


def describe(code: str, name: str, severity: Severity, summary: str, doc: str) -> Rule:
    """Register a code that the engine reports itself (E0xx): metadata and docs, no function."""
    return register(Rule(code, name, severity, summary, None, (), None, doc))


def all_rules() -> list[Rule]:
    """Every registered rule (the built-in pack is loaded on first use), ordered by code."""
    _load_builtin_rules()
    return [_RULES[code] for code in sorted(_RULES)]


def get_rule(code_or_name: str) -> Rule:
    """The rule with this code (``T102``) or name (``missing-early-stopping``)."""
    _load_builtin_rules()
    key = code_or_name.strip()
    code = _BY_NAME.get(key.lower(), key.upper())
    if code not in _RULES:
        raise UnknownRuleError(f"Unknown rule {code_or_name!r}; `nncheck rules` lists them")
    return _RULES[code]


def resolve_selectors(selectors: Iterable[str]) -> set[str]:
    """Expand codes, names and code prefixes (``T``, ``T1``, ``T102``) to a set of codes."""
    _load_builtin_rules()
    codes: set[str] = set()
    for raw in selectors:
        selector = raw.strip()
        if not selector:
            continue
        if selector.upper() == "ALL":
            codes.update(_RULES)
            continue
        if selector.lower() in _BY_NAME:
            codes.add(_BY_NAME[selector.lower()])
            continue
        prefix = selector.upper()
        matched = {code for code in _RULES if code.startswith(prefix)}
        if not matched or not re.fullmatch(r"[A-Z]\d{0,3}", prefix):
            raise UnknownRuleError(
                f"Unknown rule selector {raw!r}: expected a code (T102), a prefix (T1) "
                "or a name (missing-early-stopping); `nncheck rules` lists them"
            )
        codes.update(matched)
    return codes


_loaded = False
_loading = threading.RLock()


def _load_builtin_rules() -> None:
    """Import the rule pack once; a second thread waits until it is complete (checks run
    two targets at a time, and a half-filled registry would lose rules)."""
    global _loaded
    with _loading:
        if not _loaded:
            import nncheck.rules  # noqa: F401  (importing the pack registers its rules)

            _loaded = True
