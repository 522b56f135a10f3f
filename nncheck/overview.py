"""The overview of a captured target: what the report's pictures show beside the probes.

Built from the facts the rules already had (never building more), so a run without a
capture has no overview. The numbers are the rules' own: the prior's bias is the one M201
compares the head with.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nncheck.facts import FactStore
from nncheck.facts.prior import prior_bias
from nncheck.results import LabelCounts, OutputPrior, Overview

if TYPE_CHECKING:
    from nncheck.facts.live import DataFacts, ModelFacts

CLASS_LABELS = {"binary", "sparse", "one_hot", "multi_hot"}


def overview(store: FactStore) -> Overview | None:
    """The target's overview, or None when neither model nor data facts were built."""
    model: ModelFacts | None = store.get("model") if store.has("model") else None
    data: DataFacts | None = store.get("data") if store.has("data") else None
    if model is None and data is None:
        return None
    found = Overview()
    if model is not None:
        found.optimizer, found.learning_rate = model.optimizer, model.learning_rate
    if data is not None:
        found.labels = [
            LabelCounts(t.name, t.kind, dict(t.classes))
            for t in data.targets
            if t.kind in CLASS_LABELS and t.classes
        ]
    if model is not None and data is not None and len(model.outputs) == len(data.targets):
        for output, target in zip(model.outputs, data.targets, strict=True):
            prior = prior_bias(output, target)
            if prior is not None:
                found.output_priors.append(
                    OutputPrior(
                        output.layer, prior.activation, prior.prior, prior.bias, prior.prior_bias
                    )
                )
    return found
