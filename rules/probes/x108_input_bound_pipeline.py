"""
## What it does
Times the real training step of a clone on an in-memory batch and the time to draw one
batch from your input pipeline (tf.data, a generator, a PyDataset or a PyTorch
`DataLoader`; arrays are in memory already), and fires when a batch takes longer to
produce than a step takes to train on it. Measured on the CPU the step is slower than on
a GPU, so a pipeline that is too slow here is too slow there. A `DataLoader` with
`num_workers=0` loads every batch in the training process, between steps.

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
In PyTorch, load in worker processes and decode once where you can:
```python
loader = DataLoader(dataset, batch_size=64, shuffle=True, num_workers=4,
                    persistent_workers=True, pin_memory=torch.cuda.is_available())
```

## Options
`max-ratio` (1.0): batch time / step time above which it fires. `min-batch-ms` (2.0): a
pipeline that draws a batch faster than this is never the bottleneck worth a finding
(an in-memory `TensorDataset` behind a tiny model: the whole run is cheap, and a ratio
near 1 at that scale is timer noise).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.facts.probe_results import Throughput
from nncheck.facts.source import SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import at_site

if TYPE_CHECKING:
    from nncheck.facts.live import ProbeFacts, TrainFacts


def input_bound_pipeline(
    probes: ProbeFacts, train: TrainFacts, source: SourceFacts, options: dict
) -> Iterator[Violation]:
    result = probes.measured(Throughput)
    if result is None or not result.pipeline_s:
        return
    pipeline = result.pipeline_s
    batch, step = result.pipeline_batch, result.step_s_per_pipeline_batch
    ratio = pipeline / step if step else math.inf
    if ratio <= options["max-ratio"] or pipeline * 1e3 < options["min-batch-ms"]:
        return
    habit = {
        "generator": "a Python generator produces each batch in the training loop's thread",
        "py_dataset": "the PyDataset's __getitem__ runs per batch (workers=1 by default)",
        "dataset": "the tf.data pipeline does not keep up (parallel map, cache, prefetch)",
    }.get(result.source, "")
    fix = (
        "tf.data with .map(..., num_parallel_calls=tf.data.AUTOTUNE), .cache() and "
        ".prefetch(tf.data.AUTOTUNE), or a PyDataset with workers > 1"
    )
    if result.source == "dataloader":
        habit, fix = _dataloader_text(result.workers or 0)
    yield at_site(
        train.site,
        f"input-bound: drawing one batch of {batch} takes {pipeline * 1e3:.1f} ms "
        f"but training on it takes {step * 1e3:.1f} ms ({ratio:.1f}x; "
        f"{batch / pipeline:,.0f} vs {batch / step:,.0f} samples/s)"
        + (f": {habit}" if habit else ""),
        fix,
        step_s=step,
        pipeline_s=pipeline,
    )


def _dataloader_text(workers: int) -> tuple[str, str]:
    """What a PyTorch DataLoader does about it, and the fix."""
    if workers == 0:
        return (
            "the DataLoader has num_workers=0, so __getitem__ and collation run in the "
            "training process, between steps",
            "DataLoader(..., num_workers=4, persistent_workers=True) (up to the CPU cores "
            "free), and decode or resize once ahead of training rather than in __getitem__",
        )
    return (
        f"the DataLoader's {workers} worker{'s' if workers != 1 else ''} do not keep up",
        "more num_workers (up to the CPU cores free), prefetch_factor, and less work per item "
        "in __getitem__ (decode or resize once ahead of training, cache)",
    )


RULE = rule(
    code="X108",
    name="input-bound-pipeline",
    severity=Severity.WARNING,
    summary="The input pipeline is slower than the training step",
    tip=8,
    options={"max-ratio": 1.0, "min-batch-ms": 2.0},
    supersedes=("P101",),
    frameworks=("keras", "pytorch"),
    doc=__doc__,
    implementations=(input_bound_pipeline,),
)
