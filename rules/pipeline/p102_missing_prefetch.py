"""
## What it does
Follows the `tf.data.Dataset` (or `keras.utils.*_dataset_from_directory`) passed to
`fit()` back to its source and reports a pipeline with no `prefetch` step.

## Why is this bad?
Prefetching lets the input pipeline prepare the next batch while the accelerator trains
on the current one. Since TF 2.x tf.data injects a prefetch by itself when the last stage
is synchronous (`Options.experimental_optimization.inject_prefetch`, default on: nncheck
measured no difference on TensorFlow 2.21 for a map-then-batch pipeline), so this is
advice, not a warning: an explicit `prefetch(tf.data.AUTOTUNE)` keeps the overlap when
options or the last stage change. The throughput probe (X108) measures whether the
pipeline actually starves training.

## Example
```python
train_ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(10_000).batch(64)
model.fit(train_ds, epochs=10)
```

## Use instead
```python
train_ds = train_ds.prefetch(tf.data.AUTOTUNE)
```

## References
https://www.tensorflow.org/guide/data_performance#prefetching
"""

from __future__ import annotations

from collections.abc import Iterator

from nncheck.facts.source import SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import at


def missing_prefetch(source: SourceFacts) -> Iterator[Violation]:
    for fit in source.fits:
        chain = source.dataset_chain(fit.arg("x"))
        if not chain or any(step.method == "prefetch" for step in chain):
            continue
        made = chain[0]
        yield at(
            fit.call,
            f"the training dataset built at line {made.line} ends without prefetch: input "
            "preparation and training only overlap through tf.data's injected prefetch",
            "add .prefetch(tf.data.AUTOTUNE) as the pipeline's last step",
            dataset_line=made.line,
        )


RULE = rule(
    code="P102",
    name="missing-prefetch",
    severity=Severity.INFO,
    summary="The training tf.data pipeline does not end with prefetch",
    tip=8,
    doc=__doc__,
    implementations=(missing_prefetch,),
)
