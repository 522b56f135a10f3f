"""
## What it does
When the script creates a `tf.distribute` strategy (Mirrored, MultiWorkerMirrored,
TPU, CentralStorage), checks that the trained model's variables belong to it, i.e. that
the model was built and compiled inside `with strategy.scope():`; and, with several
replicas, that the batch size given to `fit()` is scaled by the number of replicas
(the script uses `strategy.num_replicas_in_sync`).

## Why is this bad?
Variables created outside the scope live on one device: the strategy is set up, the
GPUs are reserved, and training runs on a single one of them (or fails later with a
cross-device error), so the multi-GPU run costs the price of all GPUs for the speed of
one.

## Example
```python
strategy = tf.distribute.MirroredStrategy()
model = build_model()
model.compile(...)
```

## Use instead
```python
strategy = tf.distribute.MirroredStrategy()
with strategy.scope():
    model = build_model()
    model.compile(...)
model.fit(x, y, batch_size=64 * strategy.num_replicas_in_sync)
```
`fit()`'s batch size is the global batch, split across the replicas: an unscaled 64 on
4 GPUs gives each GPU 16 samples, which wastes them.

## References
Tip 18 of the training tips; https://www.tensorflow.org/guide/distributed_training
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.facts.source import SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import at, at_site

if TYPE_CHECKING:
    from nncheck.facts.live import ModelFacts, TrainFacts

STRATEGIES = {
    f"tensorflow.distribute.{name}"
    for name in (
        "MirroredStrategy",
        "MultiWorkerMirroredStrategy",
        "TPUStrategy",
        "CentralStorageStrategy",
        "experimental.CentralStorageStrategy",
        "experimental.MultiWorkerMirroredStrategy",
        "experimental.TPUStrategy",
    )
}


def model_outside_strategy_scope(
    model: ModelFacts, train: TrainFacts, source: SourceFacts
) -> Iterator[Violation]:
    created = source.calls_to(*STRATEGIES)
    if not created:
        return
    name = created[0].text().rpartition(".")[2]
    if model.distributed is False:
        yield at(
            created[0],
            f"{name} is created here, but the model's variables were created outside "
            "strategy.scope(): training will not be distributed",
            "build and compile the model inside `with strategy.scope():`",
        )
    elif model.replicas > 1 and train.batch_size and "num_replicas_in_sync" not in source.text:
        yield at_site(
            train.site,
            f"fit() gets batch_size={train.batch_size} under a {name} with {model.replicas} "
            f"replicas: that is the global batch, so each replica trains on "
            f"{train.batch_size // model.replicas}",
            f"batch_size={train.batch_size} * strategy.num_replicas_in_sync",
            replicas=model.replicas,
        )


RULE = rule(
    code="T111",
    name="model-outside-strategy-scope",
    severity=Severity.ERROR,
    summary="A distribution strategy is created but the model is built outside its scope",
    tip=18,
    doc=__doc__,
    implementations=(model_outside_strategy_scope,),
)
