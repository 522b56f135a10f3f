"""
## What it does
Follows the `tf.data` pipeline that `fit()` trains on, from its source to its last step,
and fires when it calls `shuffle` after `batch` (it then shuffles whole batches, not
samples), or when a literal shuffle buffer is smaller than the pipeline's literal batch
size (each batch then draws from fewer samples than it holds, nearly in file order).

## Why is this bad?
Samples that sit next to each other in the source (files of one class, rows sorted by
date or by label) then stay together in the same batches every epoch: the gradient of
each step is biased, training is noisier and converges worse than with samples shuffled
individually.

## Example
```python
train_ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(64).shuffle(100)
```

## Use instead
```python
train_ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x)).batch(64)
```

## References
https://www.tensorflow.org/guide/data#randomly_shuffling_input_data
"""

from __future__ import annotations

from collections.abc import Iterator

from nncheck.facts.source import SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import at, is_number

BATCHING = {"batch", "padded_batch", "ragged_batch"}


def shuffle_misuse(source: SourceFacts) -> Iterator[Violation]:
    for fit in source.fits:
        chain = source.dataset_chain(fit.arg("x"))
        if not chain:
            continue
        methods = [step.method for step in chain]
        if "shuffle" not in methods:
            continue
        shuffle = chain[methods.index("shuffle")]
        batches = [step for step in chain if step.method in BATCHING]
        first_batch = methods.index(batches[0].method) if batches else None
        if first_batch is not None and first_batch < methods.index("shuffle"):
            yield at(
                shuffle,
                f"the training pipeline shuffles after batching (line {batches[0].line}): "
                "it shuffles the order of whole batches, and the same samples stay together "
                "in one batch every epoch",
                "call .shuffle(buffer_size) before .batch(batch_size)",
            )
            continue
        buffer = shuffle.arg("buffer_size", 0)
        size = batches[0].arg("batch_size", 0) if batches else None
        if is_number(buffer) and is_number(size) and buffer < size:
            yield at(
                shuffle,
                f"the shuffle buffer ({buffer:g} samples) is smaller than one batch "
                f"({size:g}): each batch is drawn from fewer samples than it holds, nearly in "
                "the order of the source",
                "shuffle(buffer_size) with a buffer of the data size when it fits in memory, "
                "or at least many batches",
                buffer=buffer,
                batch=size,
            )


RULE = rule(
    code="P104",
    name="shuffle-misuse",
    severity=Severity.WARNING,
    summary="The training tf.data pipeline shuffles after batching, or with a tiny buffer",
    tip=8,
    doc=__doc__,
    implementations=(shuffle_misuse,),
)
