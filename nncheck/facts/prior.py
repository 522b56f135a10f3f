"""The class prior's output bias: what a classifier's head should start from.

A sigmoid unit whose bias is log(p / (1 - p)), or a softmax whose biases are the log class
frequencies, starts at the loss of always predicting the prior instead of a confident guess
(Karpathy's "init well"). M201 compares the head with it; the report draws both.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from nncheck.facts.live import OutputFacts, TargetStats


class PriorBias(NamedTuple):
    """The output bias a classifier's head has and the one its class prior asks for, with
    the expected initial loss of each (a sigmoid unit's bias, or a softmax's per class)."""

    activation: str  # "sigmoid" or "softmax"
    prior: list[float]  # P(positive) for a sigmoid; the smoothed class frequencies for softmax
    bias: list[float]
    prior_bias: list[float]
    loss: float
    prior_loss: float


def prior_bias(output: OutputFacts, target: TargetStats) -> PriorBias | None:
    """The prior's bias for a sigmoid unit on binary labels or a softmax on class labels;
    None for other heads, for an output without a bias, or for labels of one class."""
    total = sum(target.classes.values())
    if output.bias is None or not total:
        return None
    if output.activation == "sigmoid" and output.units == 1 and target.kind == "binary":
        p = target.classes.get("1", 0) / total
        if not 0 < p < 1:
            return None
        best = math.log(p / (1 - p))
        bias = output.bias[0]
        return PriorBias(
            "sigmoid", [p], [bias], [best], _sigmoid_loss(bias, p), _sigmoid_loss(best, p)
        )
    if output.activation == "softmax" and output.units and output.units > 1:
        if target.kind not in {"sparse", "one_hot", "binary"} or len(output.bias) != output.units:
            return None
        k = output.units
        counts = [target.classes.get(str(i), 0) for i in range(k)]
        prior = [(c + 1) / (total + k) for c in counts]  # smoothed: a class missing from the sample
        logs = [math.log(p) for p in prior]
        centre = sum(logs) / k
        best_bias = [round(v - centre, 3) for v in logs]
        return PriorBias(
            "softmax",
            prior,
            list(output.bias),
            best_bias,
            _softmax_loss(output.bias, prior),
            _softmax_loss(best_bias, prior),
        )
    return None


def _sigmoid_loss(bias: float, p: float) -> float:
    log_sig = -math.log1p(math.exp(-bias)) if bias > -30 else bias
    log_one_minus = -math.log1p(math.exp(bias)) if bias < 30 else -bias
    return -(p * log_sig + (1 - p) * log_one_minus)


def _softmax_loss(bias: list[float], prior: list[float]) -> float:
    top = max(bias)
    log_norm = top + math.log(sum(math.exp(b - top) for b in bias))
    return -sum(p * (b - log_norm) for p, b in zip(prior, bias, strict=True))
