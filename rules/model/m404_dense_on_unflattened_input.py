"""
## What it does
Compares the rank of the model's output with the rank of the targets: a `Dense` layer
applied to a 3-D or 4-D tensor (after a convolution or an RNN that returns sequences,
without Flatten or pooling) keeps the extra axes.

## Why is this bad?
Keras applies Dense to the last axis only. With MSE and targets of shape (N,), the
targets broadcast against an (N, H, W, 1) output and training runs without any error,
optimizing nonsense (verified on TensorFlow 2.21).

## Example
```python
layers.Conv2D(32, 3), layers.Dense(1)  # output (N, 26, 26, 1)
```

## Use instead
```python
layers.Conv2D(32, 3), layers.GlobalAveragePooling2D(), layers.Dense(1)
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.findings import Severity, Violation
from nncheck.registry import rule, stand_in

from ..common import at_site, data_file_training, single_output_and_target

if TYPE_CHECKING:
    from nncheck.facts.live import DataFacts, ModelFacts, TrainFacts


def dense_on_unflattened_input(
    model: ModelFacts, data: DataFacts, train: TrainFacts
) -> Iterator[Violation]:
    single = single_output_and_target(model, data)
    if single is None:
        return
    output, _, target = single
    target_rank = len(target.shape) + 1
    if output.rank is None or output.rank <= max(2, target_rank):
        return
    yield at_site(
        output.site or train.site,
        f"the output of '{output.layer}' has rank {output.rank} but the targets have rank "
        f"{target_rank}: a Dense layer was applied to an unflattened tensor and the targets "
        "broadcast silently",
        "add layers.Flatten() or a global pooling layer before the output",
        output_rank=output.rank,
        target_rank=target_rank,
    )


RULE = rule(
    code="M404",
    name="dense-on-unflattened-input",
    severity=Severity.ERROR,
    summary="The output has more axes than the targets (Dense applied to an unflattened tensor)",
    doc=__doc__,
    implementations=(
        dense_on_unflattened_input,
        stand_in(dense_on_unflattened_input, train=data_file_training),
    ),
)
