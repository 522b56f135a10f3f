"""
## What it does
Reads the string names a Keras model's `compile()` gives for its loss, metrics and optimizer
(`loss="sparse_crossentropy"`, `metrics=["acuracy"]`, `optimizer="adamm"`, also inside lists
and per-output dicts) and flags each name Keras 3 does not resolve: not a loss, metric or
optimizer name or class name (losses and metrics are case-sensitive: `"MSE"` and `"mse"`
exist, `"Mse"` does not; optimizers are not), nor the shape-picked `"crossentropy"`/`"ce"`
(loss) and `"accuracy"`/`"acc"` (metric). The fix names the closest known name. Quiet when
the script registers custom objects (a registered name may be meant) or trains with Keras 2
(`tf_keras`, `TF_USE_LEGACY_KERAS`), whose names differ.

## Why is this bad?
Keras raises `ValueError: Could not interpret ... identifier` for it: at `compile()` for an
optimizer, at the first training step for a loss or metric, after the data has been loaded
and the model built. Names from Keras 2 that Keras 3 dropped (`"logcosh"`,
`"kullback_leibler_divergence"`, `"cce"`) fail the same way.

## Example
```python
model.compile(optimizer="adam", loss="sparse_crossentropy", metrics=["acuracy"])
```

## Use instead
```python
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
```

## References
The names are Keras 3.15's (`keras.losses.get`, `keras.metrics.get`, `keras.optimizers.get`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

from nncheck.facts import keras_api as api
from nncheck.facts.evaluate import CallSite
from nncheck.facts.source import SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import at

CUSTOM_OBJECTS = ("register_keras_serializable", "custom_object", "CustomObjectScope")
KERAS_2 = ("tf_keras", "TF_USE_LEGACY_KERAS")
MODULES = {"loss": "keras.losses", "metric": "keras.metrics", "optimizer": "keras.optimizers"}
# argument -> (what it is, the names Keras knows, names matched in any case, when it raises)
METRICS = ("metric", api.METRIC_NAMES, api.METRIC_AUTO_NAMES, "the first training step raises")
KINDS = {
    "loss": ("loss", api.LOSS_NAMES, api.LOSS_AUTO_NAMES, "the first training step raises"),
    "metrics": METRICS,
    "weighted_metrics": METRICS,
    "optimizer": ("optimizer", frozenset(), api.OPTIMIZER_NAMES, "compile() raises"),
}


def _names(value: Any) -> Iterator[str]:
    """The string names in a compile() argument: a name, a list of them, a dict per output."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _names(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _names(item)


def _known(name: str, exact: frozenset[str], any_case: frozenset[str]) -> bool:
    return name in exact or name.lower() in any_case


def _compile_calls(source: SourceFacts) -> list[CallSite]:
    """compile() calls on the script's Keras models (not re.compile and the like)."""
    found = {id(c): c for m in source.models for c in m.compiles}
    found.update({id(f.compile): f.compile for f in source.fits if f.compile is not None})
    return sorted(found.values(), key=lambda c: (c.line, c.col))


def _closest(name: str, choices: list[str]) -> str | None:
    """The known name the user most likely meant: among the close matches, one that starts
    with the same word (sparse_crossentropy -> sparse_categorical_crossentropy)."""
    close = difflib.get_close_matches(name, choices, n=5, cutoff=0.6)
    close = close or difflib.get_close_matches(name.lower(), choices, n=5, cutoff=0.6)
    first_word = name.lower().split("_")[0]
    same_start = [c for c in close if c.lower().split("_")[0] == first_word]
    found = same_start or close
    return found[0] if found else None


def unknown_compile_name(source: SourceFacts) -> Iterator[Violation]:
    if not source.uses_keras or any(marker in source.text for marker in KERAS_2 + CUSTOM_OBJECTS):
        return
    for call in _compile_calls(source):
        for argument, (kind, exact, any_case, raises) in KINDS.items():
            value = source.call_arg(call, argument)
            for name in _names(value):
                if _known(name, exact, any_case):
                    continue
                closest = _closest(name, sorted(exact | any_case))
                if closest is None:
                    fix = f"a name from {MODULES[kind]} (or the {kind} object itself)"
                elif isinstance(value, str):
                    fix = f"{argument}='{closest}'"
                else:
                    fix = f"'{closest}' instead of '{name}' in {argument}="
                yield at(
                    call,
                    f"compile() names the {kind} '{name}', which Keras does not know: {raises} "
                    "ValueError (could not interpret the identifier)",
                    fix,
                    argument=argument,
                    name=name,
                    suggestion=closest,
                )


RULE = rule(
    code="T112",
    name="unknown-compile-name",
    severity=Severity.ERROR,
    summary="compile() names a loss, metric or optimizer Keras does not know",
    supersedes=("T114",),  # the cause of what the first step raises, said precisely
    doc=__doc__,
    implementations=(unknown_compile_name,),
)
