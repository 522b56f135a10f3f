"""
## What it does
Fires when `fit()` draws its batches from a Python generator whose batches tf.data can
describe: every input and target nncheck sampled from it is a numeric array of one shape
(beyond the batch). The fix it prints is the `tf.data.Dataset.from_generator` call with
the `output_signature` of the arrays it saw. When the throughput probe measured the
generator slower than the training step, X108 reports that instead; when it measured
making a batch at under `min-share` (10%) of the step, prefetching would hide next to
nothing, and P101 stays quiet.

## Why is this bad?
Keras calls a Python generator in the training loop, one batch at a time: while the
generator loads and assembles a batch, the accelerator waits, and while the accelerator
trains, nothing prepares the next batch. Wrapped in tf.data with `prefetch`, the next
batches are produced while the current one trains, and `map` can parallelise the work.

## Example
```python
def batches(x, y, size):
    while True:
        idx = np.random.randint(0, len(x), size)
        yield x[idx], y[idx]

model.fit(batches(x, y, 64), steps_per_epoch=100, epochs=10)
```

## Use instead
```python
ds = tf.data.Dataset.from_generator(
    lambda: batches(x, y, 64),
    output_signature=(tf.TensorSpec((None, 20), tf.float32), tf.TensorSpec((None,), tf.int64)),
).prefetch(tf.data.AUTOTUNE)
model.fit(ds, steps_per_epoch=100, epochs=10)
```
A `keras.utils.PyDataset` with `workers=4` parallelises the loading too.

## Options
`min-share` (0.1): with the probes, the least time to make a batch, as a share of the
training step's, that P101 reports.

## References
https://www.tensorflow.org/guide/data#consuming_python_generators
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from nncheck.facts.probe_results import Throughput
from nncheck.facts.source import SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import at_site, checked_fit

if TYPE_CHECKING:
    from nncheck.facts.live import DataFacts, ProbeFacts, TrainFacts, ValueStats

NUMERIC_KINDS = ("float", "int", "uint", "bool")


def python_generator_input_measured(
    probes: ProbeFacts, data: DataFacts, train: TrainFacts, source: SourceFacts, options: dict
) -> Iterator[Violation]:
    """With the throughput probe's times: quiet when making a batch is a small share of the
    step (prefetching would hide next to nothing)."""
    measured = probes.measured(Throughput)
    if measured is None or not measured.pipeline_s:
        yield from _generator_input(data, train, source, "")
        return
    batch, step = measured.pipeline_batch, measured.step_s_per_pipeline_batch
    share = measured.pipeline_s / step if step else 0.0
    if share >= options["min-share"]:
        yield from _generator_input(
            data,
            train,
            source,
            f" (measured: a batch of {batch} takes {measured.pipeline_s * 1e3:.1f} ms to make, "
            f"{share:.0%} of the {step * 1e3:.1f} ms step)",
        )


def python_generator_input(
    data: DataFacts, train: TrainFacts, source: SourceFacts
) -> Iterator[Violation]:
    yield from _generator_input(data, train, source, "")


def _generator_input(
    data: DataFacts, train: TrainFacts, source: SourceFacts, measured: str
) -> Iterator[Violation]:
    if train.entry != "fit" or data.source != "generator" or not data.inputs:
        return
    arrays = [*data.inputs, *data.targets]
    if not all(stats.dtype.startswith(NUMERIC_KINDS) for stats in arrays):
        return
    fit = checked_fit(source, train)
    node = fit.call.arg_node("x", 0) if fit is not None else None
    producer = ast.unparse(node) if isinstance(node, ast.Call) else "your_generator()"
    yield at_site(
        train.site,
        "fit() draws each batch from a Python generator in the training loop, so the "
        f"accelerator waits while the next batch is made and nothing is prepared ahead{measured}",
        f"tf.data.Dataset.from_generator(lambda: {producer}, output_signature="
        f"{_signature(data)}).prefetch(tf.data.AUTOTUNE)",
    )


def _signature(data: DataFacts) -> str:
    """The output_signature of the batches sampled: (inputs, targets) as tf.TensorSpecs."""

    def spec(stats: ValueStats) -> str:
        shape = ", ".join(str(d) for d in (None, *stats.shape))
        return f"tf.TensorSpec(({shape}{',' if not stats.shape else ''}), tf.{stats.dtype})"

    def group(stats: Sequence[ValueStats]) -> str:
        if len(stats) == 1:
            return spec(stats[0])
        if all(s.name.startswith(("x[", "y[")) for s in stats):
            return "(" + ", ".join(spec(s) for s in stats) + ")"
        return "{" + ", ".join(f"{s.name!r}: {spec(s)}" for s in stats) + "}"

    if not data.targets:
        return group(data.inputs)
    return f"({group(data.inputs)}, {group(data.targets)})"


RULE = rule(
    code="P101",
    name="python-generator-input",
    severity=Severity.INFO,
    summary="fit() draws its batches from a Python generator that tf.data could wrap and prefetch",
    tip=8,
    options={"min-share": 0.1},
    doc=__doc__,
    implementations=(python_generator_input_measured, python_generator_input),
)
