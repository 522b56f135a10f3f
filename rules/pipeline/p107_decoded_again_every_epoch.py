"""
## What it does
Follows the `tf.data` pipeline that `fit()` trains on from its source to its last step and
fires when a step reads or decodes files (`image_dataset_from_directory`,
`audio_dataset_from_directory`, or a `map()` whose function calls `tf.io.read_file`,
`tf.io.decode_*`, `tf.image.decode_*`, `tf.audio.decode_wav` or parses `tf.train.Example`
records) and no `.cache()` follows it, the run has more than one epoch, and one pass over
the pipeline, as nncheck measured it (its elements x the size of the first), is at most
`max-cache-mib` (2,048 MiB): it fits in the memory of any training machine.

## Why is this bad?
Every epoch then opens, reads and decodes every file again: the same work, with the same
result, while the accelerator waits. After `.cache()` the first epoch decodes and the
others read memory. The pipeline must be known from the source (a step inside an `if`
makes nncheck stay quiet).

## Example
```python
train_ds = tf.data.Dataset.list_files("images/*.jpg").map(load_image, num_parallel_calls=AUTOTUNE)
train_ds = train_ds.shuffle(1000).batch(32).prefetch(AUTOTUNE)
model.fit(train_ds, epochs=50)
```

## Use instead
```python
train_ds = train_ds.map(load_image, num_parallel_calls=AUTOTUNE).cache()
train_ds = train_ds.shuffle(1000).batch(32).prefetch(AUTOTUNE)
```
Cache before random augmentation (or every epoch sees the same augmented images), and use
`cache(filename)` for data larger than memory.

## Options
`max-cache-mib` (2048): the largest pass nncheck calls small enough to cache in memory.

## References
https://www.tensorflow.org/guide/data_performance#caching
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.facts.evaluate import CallSite
from nncheck.facts.source import SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import at, checked_fit, map_function_call

if TYPE_CHECKING:
    from nncheck.facts.live import DataFacts, TrainFacts

FILE_READING_SOURCES = {
    "keras.utils.image_dataset_from_directory",
    "keras.utils.audio_dataset_from_directory",
}
DECODING_CALL = re.compile(
    r"^tensorflow\.(io\.(read_file|decode_\w+|parse_(single_)?(sequence_)?example)"
    r"|image\.decode_\w+|audio\.decode_wav)$"
)


def decoded_again_every_epoch(
    source: SourceFacts, data: DataFacts, train: TrainFacts, options: dict
) -> Iterator[Violation]:
    if train.entry != "fit" or data.source != "dataset" or data.pass_bytes is None:
        return
    epochs = train.epochs or 1
    mib = data.pass_bytes / 2**20
    if epochs < 2 or mib > options["max-cache-mib"]:
        return
    fit = checked_fit(source, train)
    chain = source.dataset_chain(fit.arg("x")) if fit is not None else None
    if not chain:
        return
    decoding = _last_decoding_step(source, chain)
    if decoding is None:
        return
    step, what = decoding
    if any(later.method == "cache" for later in chain[chain.index(step) + 1 :]):
        return
    yield at(
        step,
        f"the training pipeline {what} again in each of the {epochs} epochs, and one pass "
        f"is {mib:,.0f} MiB as nncheck measured it: it fits in memory, and all epochs "
        "after the first could read it from there",
        ".cache() right after this step (before random augmentation and shuffle)",
        mib=round(mib, 1),
        epochs=epochs,
    )


def _last_decoding_step(source: SourceFacts, chain: list[CallSite]) -> tuple[CallSite, str] | None:
    """The last step of the chain that reads or decodes files, and what it does, in words."""
    for step in reversed(chain):
        if step.qualname in FILE_READING_SOURCES:
            return step, f"reads and decodes every file ({step.text()})"
        if step.method == "map":
            call = map_function_call(source, step, _decodes)
            if call is not None:
                return step, f"decodes every element ({call.text()}() at line {call.line})"
    return None


def _decodes(call: CallSite) -> bool:
    return bool(DECODING_CALL.match(call.qualname or ""))


RULE = rule(
    code="P107",
    name="decoded-again-every-epoch",
    severity=Severity.WARNING,
    summary="The training pipeline reads and decodes its files again every epoch, "
    "though one pass fits in memory",
    tip=8,
    options={"max-cache-mib": 2048},
    doc=__doc__,
    implementations=(decoded_again_every_epoch,),
)
