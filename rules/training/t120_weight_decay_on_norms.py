"""
## What it does
In a PyTorch setup whose model has normalisation layers (BatchNorm, LayerNorm, GroupNorm),
reads the optimizer's param groups at the first step and reports (info) when a weight decay
of 0.01 or more (AdamW's default and the transformer recipes' range) applies to the
normalisation layers' weights, and with them to the biases. Models without normalisation
layers are left alone (decaying only biases matters little), and so is the small L2 decay
of the classic SGD recipes (5e-4 on a ResNet, BatchNorm included).

## Why is this bad?
Weight decay regularises by shrinking weights that multiply inputs. A normalisation
layer's scale and the biases multiply nothing: decay only pulls them toward zero, fighting
the scale the normalisation is there to learn. Excluding them is the common practice of
large-model training (BERT, ViT and most transformer recipes); the gain is usually modest,
so this is information, not a defect.

## Options
`min-weight-decay` (0.01): the smallest decay reported.

## Example
```python
optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.05)
```

## Use instead
```python
decay, no_decay = [], []
for module in model.modules():
    for name, p in module.named_parameters(recurse=False):
        spared = name.endswith("bias") or isinstance(module, (nn.LayerNorm, nn.BatchNorm1d))
        (no_decay if spared else decay).append(p)
optimizer = torch.optim.AdamW(
    [{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}],
    lr=3e-4,
)
```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import at_site, fmt_number, listed

if TYPE_CHECKING:
    from nncheck.facts.live import ModelFacts, TrainFacts


def weight_decay_on_norms(
    model: ModelFacts, train: TrainFacts, options: dict
) -> Iterator[Violation]:
    if not model.decayed_norms or model.weight_decay is None:
        return
    if model.weight_decay < options["min-weight-decay"]:
        return
    spared = len(model.decayed_norms) + len(model.decayed_biases)
    yield at_site(
        train.site,
        f"{model.optimizer} applies weight_decay={fmt_number(model.weight_decay)} to "
        f"{len(model.decayed_norms)} normalisation-layer weights ({listed(model.decayed_norms)})"
        f" and {len(model.decayed_biases)} biases: decay pulls them toward 0, and they "
        "multiply no input it could regularise",
        f"two param groups: weight_decay=0.0 for the {spared} norm weights and biases, the "
        "decay for the rest",
        norms=model.decayed_norms,
        biases=model.decayed_biases,
    )


RULE = rule(
    code="T120",
    name="weight-decay-on-norms",
    severity=Severity.INFO,
    summary="PyTorch weight decay applied to normalisation-layer weights and biases",
    frameworks=("pytorch",),
    options={"min-weight-decay": 0.01},
    doc=__doc__,
    implementations=(weight_decay_on_norms,),
)
