"""P1xx: the tf.data input pipeline."""

from __future__ import annotations

from collections.abc import Iterator

from nncheck.facts.evaluate import MISSING, CallSite
from nncheck.facts.source import SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule
from nncheck.rules._common import at


@rule(
    "P102",
    "missing-prefetch",
    Severity.INFO,
    "The training tf.data pipeline does not end with prefetch",
    tip=8,
)
def missing_prefetch(source: SourceFacts) -> Iterator[Violation]:
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


@rule(
    "P103",
    "sequential-dataset-map",
    Severity.WARNING,
    "Dataset.map() without num_parallel_calls runs on one core",
    tip=8,
)
def sequential_dataset_map(source: SourceFacts) -> Iterator[Violation]:
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
