"""The rule registry: rules declared once, collected into an object that resolves selectors.

A rule module in the pack (``rules/<family>/<code>_<name>.py``) ends with one declaration,
``RULE = rule(code=..., implementations=(...))``, naming every implementation of the rule in
order of preference. An implementation is a small function over facts; it declares the facts
it needs by its parameter names (``def check(source: SourceFacts)``), so the engine knows what
to build and can say why a rule was skipped when a fact is unavailable. The module's docstring
is the rule's user documentation.

Nothing registers itself on import: :class:`Registry` is built from the declarations it is
given, so its content never depends on the order in which modules were imported.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import threading
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from types import MappingProxyType
from typing import NamedTuple

from nncheck.facts import STATIC_KINDS
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

RULE_PACK = "nncheck.rules"
OPTIONS_PARAMETER = "options"
_CODE = re.compile(r"^[A-Z]\d{3}$")
_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


def _needs(func: RuleFunction) -> tuple[str, ...]:
    """The fact kinds a rule function needs: its parameters, except ``options``."""
    return tuple(p for p in inspect.signature(func).parameters if p != OPTIONS_PARAMETER)


@dataclass(frozen=True, kw_only=True)
class Rule:
    """A rule's metadata and its implementations, preferred first."""

    code: str
    name: str
    severity: Severity
    summary: str
    doc: str
    tip: int | None = None
    options: Mapping[str, float | int] = field(default_factory=dict)
    judgements: tuple[RuleFunction, ...] = ()
    gpu: bool = False  # judged only on an NVIDIA GPU (skipped, with that reason, elsewhere)
    reported_in: str = ""  # E0xx codes: the mode whose run the engine reports them about
    # Rules whose finding this one replaces on a target when both fire: the same problem,
    # said once, with the stronger (measured) evidence. Resolved by the engine among the
    # rules selected for the run, so a superseded rule speaks when this one is not run.
    supersedes: tuple[str, ...] = ()
    # "safe" (--fix applies it) or "unsafe" (only with --unsafe-fixes): the kind of the
    # edit its findings carry where the fix is certain; "" for a rule whose fix is advice
    fix: str = ""
    # The frameworks whose captured setups the rule judges (its messages and fixes speak
    # their language); on another framework's capture its live implementations are skipped.
    frameworks: tuple[str, ...] = ("keras",)

    def __post_init__(self) -> None:
        if not _CODE.match(self.code):
            raise ValueError(f"Expected a rule code like 'T102'. Received: code={self.code!r}")
        if not _NAME.match(self.name):
            raise ValueError(f"Expected a kebab-case rule name. Received: name={self.name!r}")
        if self.code[0] not in FAMILIES:
            raise ValueError(f"Rule {self.code}: no family starts with {self.code[0]!r}")
        if self.fix not in {"", "safe", "unsafe"}:
            raise ValueError(f"Rule {self.code}: fix={self.fix!r} is not 'safe' or 'unsafe'")
        object.__setattr__(self, "doc", inspect.cleandoc(self.doc or self.summary))
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))

    @property
    def family(self) -> str:
        return FAMILIES[self.code[0]]

    @cached_property
    def implementations(self) -> list[tuple[tuple[str, ...], RuleFunction]]:
        """(needs, function) pairs, preferred first: the live judgement supersedes the static
        one when its facts exist, so a user never sees the same problem twice. Read from the
        signatures once per rule (the engine asks for every rule on every target)."""
        return [(_needs(func), func) for func in self.judgements]

    @property
    def all_needs(self) -> str:
        return " | ".join(", ".join(needs) for needs, _ in self.implementations) or "-"

    @property
    def mode(self) -> str:
        """Where the rule runs, as the README's rule table says: ``static`` (the source
        alone), ``full`` (the captured run), ``probe`` (only with the active probes; a rule
        that probes refine but do not decide is ``full``), ``both`` for the
        codes nncheck reports about its own run; "(GPU)" when it needs an NVIDIA GPU."""
        if not self.runnable:
            return self.reported_in
        kinds = [set(needs) for needs, _ in self.implementations]
        if all("probes" in needs for needs in kinds):
            mode = "probe"
        else:
            modes = [
                name
                for name, present in (
                    ("static", any(needs <= STATIC_KINDS for needs in kinds)),
                    ("full", any(not needs <= STATIC_KINDS for needs in kinds)),
                )
                if present
            ]
            mode = ", ".join(modes)
        return f"{mode} (GPU)" if self.gpu else mode

    @property
    def runnable(self) -> bool:
        """False for the E0xx codes, which the engine reports about its own run."""
        return bool(self.judgements)


def rule(
    *,
    code: str,
    name: str,
    severity: Severity,
    summary: str,
    doc: str | None,
    implementations: tuple[RuleFunction, ...],
    tip: int | None = None,
    options: Mapping[str, float | int] | None = None,
    supersedes: tuple[str, ...] = (),
    gpu: bool = False,
    fix: str = "",
    frameworks: tuple[str, ...] = ("keras",),
) -> Rule:
    """Declare rule ``code`` / ``name``: the one place its metadata and implementations meet.

    ``implementations`` are tried in order; the first whose facts all exist judges the
    target. A function with an ``options`` parameter receives the rule's ``options`` (their
    defaults, with the user's [tool.nncheck.options] applied). ``supersedes``: codes whose
    findings this rule's finding replaces on the same target. ``gpu``: the rule can only
    judge on an NVIDIA GPU, so no CPU fixture can make it fire (tests judge it on built facts).
    ``fix``: "safe" or "unsafe" when its findings carry an edit that --fix can apply.
    ``frameworks``: whose captured setups its live implementations judge ("keras",
    "pytorch"); its static implementations read any source.
    """
    if not implementations:
        raise ValueError(f"Rule {code} declares no implementation")
    return Rule(
        code=code,
        name=name,
        severity=severity,
        summary=summary,
        doc=doc or "",
        tip=tip,
        options=options or {},
        judgements=tuple(implementations),
        supersedes=supersedes,
        gpu=gpu,
        fix=fix,
        frameworks=frameworks,
    )


def described(
    *,
    code: str,
    name: str,
    severity: Severity,
    summary: str,
    doc: str | None,
    reported_in: str,
) -> Rule:
    """Declare a code that the engine reports itself (E0xx): metadata and docs, no function.
    ``reported_in``: ``static``, ``full``, ``probe`` or ``both`` (static and full)."""
    if reported_in not in {"static", "full", "probe", "both"}:
        raise ValueError(f"Rule {code}: reported_in={reported_in!r} is not a mode")
    return Rule(
        code=code,
        name=name,
        severity=severity,
        summary=summary,
        doc=doc or "",
        reported_in=reported_in,
    )


def stand_in(func: RuleFunction, **fixed: Callable[[], object]) -> RuleFunction:
    """``func`` where some facts cannot exist, with stand-ins for them.

    A saved model has no training script, a data file neither a script nor a model: their
    rules get stand-ins (an empty source, a training configuration that sets nothing), so
    only the facts that exist decide. Each stand-in is given by the function that makes it,
    called when the rule judges: declaring a rule builds no facts.
    """
    parameters = [p for name, p in inspect.signature(func).parameters.items() if name not in fixed]

    def judge(**facts: object) -> Iterable[Violation]:
        return func(**facts, **{kind: make() for kind, make in fixed.items()})

    judge.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    judge.__name__ = judge.__qualname__ = f"{func.__name__}_without_{'_'.join(fixed)}"
    return judge


class UnknownRuleError(ValueError):
    """A selector names no rule (a typo in --select, --ignore or the config)."""


class Registry:
    """Rules by code and by name. Built from a collection of declarations, so its content
    does not depend on the order in which they were found."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self._rules: dict[str, Rule] = {}
        self._by_name: dict[str, str] = {}
        for declared in rules:
            if declared.code in self._rules or declared.name in self._by_name:
                raise ValueError(f"Rule {declared.code} / {declared.name} is declared twice")
            self._rules[declared.code] = declared
            self._by_name[declared.name] = declared.code
        for declared in self._rules.values():
            unknown = [code for code in declared.supersedes if code not in self._rules]
            if unknown:
                raise ValueError(f"Rule {declared.code} supersedes unknown rules {unknown}")

    @classmethod
    def from_package(cls, package: str = RULE_PACK) -> Registry:
        """Every ``RULE`` declared by the modules under ``package`` (a rule pack)."""
        root = importlib.import_module(package)
        declared = []
        for info in pkgutil.walk_packages(root.__path__, f"{package}."):
            module = importlib.import_module(info.name)
            found = getattr(module, "RULE", None)
            if isinstance(found, Rule):
                declared.append(found)
        return cls(declared)

    def all(self) -> list[Rule]:
        """Every rule, ordered by code."""
        return [self._rules[code] for code in sorted(self._rules)]

    def get(self, code_or_name: str) -> Rule:
        """The rule with this code (``T102``) or name (``missing-early-stopping``)."""
        return self._rules[_code_of(code_or_name, self._rules, self._by_name)]

    def resolve(self, selectors: Iterable[str]) -> set[str]:
        """Expand codes, names and code prefixes (``T``, ``T1``, ``T102``) to a set of codes."""
        return _resolve(selectors, self._rules, self._by_name)


def _code_of(code_or_name: str, codes: Collection[str], by_name: Mapping[str, str]) -> str:
    """The code a code (any case) or a name stands for; UnknownRuleError for neither."""
    key = code_or_name.strip()
    code = by_name.get(key.lower(), key.upper())
    if code not in codes:
        raise UnknownRuleError(f"Unknown rule {code_or_name!r}; `nncheck rules` lists them")
    return code


def _resolve(
    selectors: Iterable[str], codes: Collection[str], by_name: Mapping[str, str]
) -> set[str]:
    chosen: set[str] = set()
    for raw in selectors:
        selector = raw.strip()
        if not selector:
            continue
        if selector.upper() == "ALL":
            chosen.update(codes)
            continue
        if selector.lower() in by_name:
            chosen.add(by_name[selector.lower()])
            continue
        prefix = selector.upper()
        matched = {code for code in codes if code.startswith(prefix)}
        if not matched or not re.fullmatch(r"[A-Z]\d{0,3}", prefix):
            raise UnknownRuleError(
                f"Unknown rule selector {raw!r}: expected a code (T102), a prefix (T1) "
                "or a name (missing-early-stopping); `nncheck rules` lists them"
            )
        chosen.update(matched)
    return chosen


class IndexEntry(NamedTuple):
    """A built-in rule as the pack's index lists it: enough to select it, and to say why it
    cannot run on a target, without importing its module."""

    code: str
    name: str
    module: str  # under the rule pack, e.g. "training.t102_missing_early_stopping"
    needs: tuple[tuple[str, ...], ...]  # each implementation's fact kinds, preferred first

    @property
    def static(self) -> bool:
        """True when an implementation judges the source alone (--static runs it)."""
        return any(set(needs) <= STATIC_KINDS for needs in self.needs)


def index_entry(declared: Rule, module: str) -> IndexEntry:
    """What the index says of ``declared``, found in ``module`` (its name in the pack)."""
    return IndexEntry(
        declared.code, declared.name, module, tuple(needs for needs, _ in declared.implementations)
    )


@cache
def rule_index() -> Mapping[str, IndexEntry]:
    """The built-in rules by code, from the pack's generated index (tests keep it current);
    read once."""
    entries = importlib.import_module(f"{RULE_PACK}.index").RULES
    return MappingProxyType({entry[0]: IndexEntry(*entry) for entry in entries})


@cache
def _index_names() -> Mapping[str, str]:
    """The built-in rules' codes by name, from the index."""
    return MappingProxyType({entry.name: code for code, entry in rule_index().items()})


def load_rule(entry: IndexEntry) -> Rule:
    """The declaration of an indexed rule: its module is imported now."""
    declared = importlib.import_module(f"{RULE_PACK}.{entry.module}").RULE
    if not isinstance(declared, Rule) or declared.code != entry.code:
        raise ValueError(f"{entry.module} no longer declares {entry.code}: regenerate the index")
    return declared


_builtin: Registry | None = None
_loading = threading.Lock()


def builtin_registry() -> Registry:
    """The built-in rule pack, collected once (two checks at a time share it)."""
    global _builtin
    with _loading:
        if _builtin is None:
            _builtin = Registry.from_package()
        return _builtin


def all_rules() -> list[Rule]:
    """Every built-in rule, ordered by code."""
    return builtin_registry().all()


def get_rule(code_or_name: str) -> Rule:
    """The built-in rule with this code (``T102``) or name (``missing-early-stopping``); only
    its module is imported."""
    if _builtin is not None:
        return _builtin.get(code_or_name)
    index = rule_index()
    return load_rule(index[_code_of(code_or_name, index, _index_names())])


def resolve_selectors(selectors: Iterable[str]) -> set[str]:
    """Expand selectors against the built-in rules (see :meth:`Registry.resolve`), by their
    index: no rule module is imported."""
    return _resolve(selectors, rule_index(), _index_names())
