"""
## What it does
Times the real training step of a clone on an in-memory batch and the time to draw one
batch from your input pipeline (tf.data, a generator or a PyDataset; arrays are in
memory already), and fires when a batch takes longer to produce than a step takes to
train on it. Measured on the CPU the step is slower than on a GPU, so a pipeline that
is too slow here is too slow there.

## Why is this bad?
The accelerator waits for data: the run takes as long as the pipeline, whatever the
GPU, and the GPU hours are paid for idle time.

## Example
```python
def batches():
    while True:
        yield load_and_augment(next_files())  # Python, one batch at a time
```

## Use instead
```python
ds = (tf.data.Dataset.from_tensor_slices(files)
      .map(load_and_augment, num_parallel_calls=tf.data.AUTOTUNE)
      .batch(64).prefetch(tf.data.AUTOTUNE))
```

## Options
`max-ratio` (1.0): batch time / step time above which it fires.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from nncheck.facts.live import ProbeFacts, TrainFacts
from nncheck.facts.probe_results import Throughput
from nncheck.facts.source import SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import at_site


def input_bound_pipeline(
    probes: ProbeFacts, train: TrainFacts, source: SourceFacts, options: dict
) -> Iterator[Violation]:
    result = probes.measured(Throughput)
    if result is None or not result.pipeline_s:
        return
    pipeline = result.pipeline_s
    batch, step = result.pipeline_batch, result.step_s_per_pipeline_batch
    ratio = pipeline / step if step else math.inf
    if ratio <= options["max-ratio"]:
        return
    habit = {
        "generator": "a Python generator produces each batch in the training loop's thread",
        "py_dataset": "the PyDataset's __getitem__ runs per batch (workers=1 by default)",
        "dataset": "the tf.data pipeline does not keep up (parallel map, cache, prefetch)",
    }.get(result.source, "")
    yield at_site(
        train.site,
        f"input-bound: drawing one batch of {batch} takes {pipeline * 1e3:.1f} ms "
        f"but training on it takes {step * 1e3:.1f} ms ({ratio:.1f}x; "
        f"{batch / pipeline:,.0f} vs {batch / step:,.0f} samples/s)"
        + (f": {habit}" if habit else ""),
        "tf.data with .map(..., num_parallel_calls=tf.data.AUTOTUNE), .cache() and "
        ".prefetch(tf.data.AUTOTUNE), or a PyDataset with workers > 1",
        step_s=step,
        pipeline_s=pipeline,
    )


RULE = rule(
    code="X108",
    name="input-bound-pipeline",
    severity=Severity.WARNING,
    summary="The input pipeline is slower than the training step",
    tip=8,
    options={"max-ratio": 1.0},
    supersedes=("P101",),
    doc=__doc__,
    implementations=(input_bound_pipeline,),
)
