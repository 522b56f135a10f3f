"""
## What it does
Checks literal batch sizes (`fit(batch_size=...)`, `Dataset.batch(...)`, the `batch_size`
of `keras.utils.*_dataset_from_directory`) for a multiple of 8. Sizes below 16 are exempt.

## Why is this bad?
The batch size is one dimension of every matrix multiply in training. NVIDIA Tensor
Cores run float16/bfloat16 multiplies most efficiently when the dimensions are multiples
of 8 (TF32: 4); on cuBLAS >= 11 other sizes still use Tensor Cores, less efficiently.

## Example
```python
model.fit(x, y, batch_size=100)
```

## Use instead
```python
model.fit(x, y, batch_size=96)  # or 104
```

## Options
`min-batch-size` (16): smaller batch sizes are exempt.

## References
NVIDIA Deep Learning Performance Guide, "Matrix Multiplication Background", Table 1.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from nncheck.facts.evaluate import CallSite
from nncheck.facts.source import SourceFacts
from nncheck.findings import Edit, Severity, Violation
from nncheck.registry import rule

from ..common import ALIGNMENT, aligned_choices, argument_edit, at, at_site

if TYPE_CHECKING:
    from nncheck.facts.live import TrainFacts


def batch_size_not_aligned(source: SourceFacts, options: dict) -> Iterator[Violation]:
    sites: list[tuple[CallSite, Any]] = [(f.call, f.arg("batch_size")) for f in source.fits]
    for call in source.method_calls("batch"):
        if source.dataset_chain(call) is not None:
            sites.append((call, source.call_arg(call, "batch_size")))
    for call in source.calls:
        if (call.qualname or "").endswith("_dataset_from_directory"):
            sites.append((call, call.arg("batch_size")))
    for call, size in sites:
        yield from _at_call(call, size, options)


def _at_call(call: CallSite, size: Any, options: dict) -> Iterator[Violation]:
    problem = _batch_size_problem(size, options["min-batch-size"])
    if problem:
        called = call.method or (call.qualname or "").rpartition(".")[2]
        edit = _edit(call, called, size)
        yield replace(at(call, problem[0], problem[1], batch_size=size), edit=edit)


def _edit(call: CallSite | None, called: str, size: int, line: int = 0) -> Edit:
    """Another batch size changes the steps per epoch and the gradient noise: unsafe."""
    upper = aligned_choices(size, ALIGNMENT)[1]
    return argument_edit(call, called, "batch_size", str(upper), line=line, old=size, safe=False)


def batch_size_not_aligned_live(
    train: TrainFacts, source: SourceFacts, options: dict
) -> Iterator[Violation]:
    problem = _batch_size_problem(train.batch_size, options["min-batch-size"])
    if problem:
        violation = at_site(train.site, problem[0], problem[1], batch_size=train.batch_size)
        if train.entry == "fit" and train.site is not None and train.batch_size is not None:
            edit = _edit(None, "fit", train.batch_size, line=train.site.line)
            violation = replace(violation, edit=edit)
        yield violation
    # Pipelines batch their data themselves: their literal sizes are judged from the source.
    for call in source.method_calls("batch"):
        if source.dataset_chain(call) is not None:
            yield from _at_call(call, source.call_arg(call, "batch_size"), options)


def _batch_size_problem(size: Any, min_size: int) -> tuple[str, str] | None:
    if not isinstance(size, int) or isinstance(size, bool) or size < min_size:
        return None
    if size % ALIGNMENT == 0:
        return None
    lower, upper = aligned_choices(size, ALIGNMENT)
    return (
        f"batch size {size} is not a multiple of {ALIGNMENT}: Tensor Cores run the training "
        "matrix multiplies less efficiently",
        f"batch_size={upper}  # or {lower}",
    )


RULE = rule(
    code="T108",
    name="batch-size-not-aligned",
    severity=Severity.WARNING,
    summary="Batch size not a multiple of 8 (Tensor Cores)",
    tip=15,
    options={"min-batch-size": 16},
    fix="unsafe",
    doc=__doc__,
    implementations=(
        batch_size_not_aligned_live,
        batch_size_not_aligned,
    ),
)
