"""
## What it does
Under a mixed-precision policy, checks that the layer emitting each model output
computes in float32.

## Why is this bad?
A softmax or sigmoid in float16 underflows and rounds: probabilities near 0 and 1 are
lost, the loss becomes inaccurate or infinite, and training can stall or produce NaN.
The Keras mixed-precision guide asks for a float32 output layer.

## Example
```python
keras.mixed_precision.set_global_policy("mixed_float16")
outputs = layers.Dense(10, activation="softmax")(x)
```

## Use instead
```python
x = layers.Dense(10)(x)
outputs = layers.Activation("softmax", dtype="float32")(x)
```

## References
https://keras.io/api/mixed_precision/
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import at_site, output_location

if TYPE_CHECKING:
    from nncheck.facts.live import ModelFacts, TrainFacts


def float16_output_layer(model: ModelFacts, train: TrainFacts) -> Iterator[Violation]:
    for output in model.outputs:
        if output.compute_dtype in {"float16", "bfloat16"}:
            yield at_site(
                output.site or train.site,
                f"{output_location(output)} computes in {output.compute_dtype} under the "
                f"'{model.global_policy}' policy: its {output.activation} and the loss lose "
                "precision",
                "add layers.Activation('" + output.activation + "', dtype='float32') after it, "
                "or build it with dtype='float32'",
                dtype=output.compute_dtype,
            )


RULE = rule(
    code="M307",
    name="float16-output-layer",
    severity=Severity.WARNING,
    summary="Mixed precision with an output layer that computes in float16",
    tip=15,
    doc=__doc__,
    implementations=(float16_output_layer,),
)
