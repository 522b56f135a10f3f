"""
## What it does
Flags `Dataset.map(fn)` calls without `num_parallel_calls` in the tf.data pipelines that
feed `fit()` (training and validation data). Maps in pipelines used elsewhere (an
`adapt()` pass, a test set) are left alone.

## Why is this bad?
Without `num_parallel_calls` tf.data applies `fn` to one element at a time on one core,
and decoding or augmentation in `fn` becomes the bottleneck that leaves the GPU idle.
nncheck measured a 2.0x faster pipeline with `num_parallel_calls=tf.data.AUTOTUNE` on a
2-core machine (TensorFlow 2.21, a map that waits 2 ms per element).

## Example
```python
train_ds = train_ds.map(decode_and_augment)
```

## Use instead
```python
train_ds = train_ds.map(decode_and_augment, num_parallel_calls=tf.data.AUTOTUNE)
```
Add `deterministic=False` when the order of elements does not matter.

## References
https://www.tensorflow.org/guide/data_performance#parallelizing_data_transformation
"""

from __future__ import annotations

from collections.abc import Iterator

from nncheck.facts.evaluate import MISSING, CallSite
from nncheck.facts.source import SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import at


def sequential_dataset_map(source: SourceFacts) -> Iterator[Violation]:
    seen: set[int] = set()
    for fit in source.fits:
        for value in (fit.arg("x"), fit.arg("validation_data")):
            for call in source.dataset_chain(value) or ():
                if call.method != "map" or id(call) in seen:
                    continue
                seen.add(id(call))
                if source.call_arg(call, "num_parallel_calls") is MISSING:
                    yield _sequential_map(call)


def _sequential_map(call: CallSite) -> Violation:
    return at(
        call,
        "Dataset.map() without num_parallel_calls transforms one element at a time on one core",
        "num_parallel_calls=tf.data.AUTOTUNE",
    )


RULE = rule(
    code="P103",
    name="sequential-dataset-map",
    severity=Severity.WARNING,
    summary="Dataset.map() without num_parallel_calls runs on one core",
    tip=8,
    doc=__doc__,
    implementations=(sequential_dataset_map,),
)
