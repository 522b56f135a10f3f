"""Framework-free arithmetic of the probes: the expected initial loss, the LR range test's
loop and its reading. Shared by the Keras and the PyTorch probes (NumPy only)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from nncheck.adapters.probe_limits import Budget
from nncheck.facts import probe_results as measured
from nncheck.facts.live import ModelFacts

# Work sizes by the model's multiply-adds per sample (a count, so the same on any machine):
# (largest multiply-adds per sample, overfit steps, sweep points, timed steps).
SIZES = (
    (1e6, 400, 80, 20),
    (1e8, 300, 60, 10),
    (math.inf, 200, 40, 5),
)


def expected_initial_loss(facts: ModelFacts, y: np.ndarray) -> float | None:
    """The loss a model whose outputs equal its output bias would have on labels ``y``.

    With small initial weights the output is close to the bias: for softmax
    cross-entropy that is -sum(prior * log softmax(bias)) (ln C for a zero bias), for
    sigmoid binary cross-entropy the same per unit. None for other losses.
    """
    if len(facts.outputs) != 1 or len(facts.losses) != 1:
        return None
    output, loss = facts.outputs[0], facts.losses[0]
    units = output.units or 1
    bias = np.asarray(output.bias if output.bias is not None else [0.0] * units, dtype=float)
    logits = loss.from_logits and output.activation == "linear"
    if loss.name in {"categorical_crossentropy", "sparse_categorical_crossentropy"}:
        if output.activation != "softmax" and not logits:
            return None
        if loss.name == "sparse_categorical_crossentropy":
            labels = y.reshape(-1).astype(int)
            if labels.min() < 0 or labels.max() >= units:
                return None
            prior = np.bincount(labels, minlength=units) / labels.size
        else:
            prior = y.reshape(len(y), -1).mean(axis=0)
        shifted = bias - bias.max()
        log_q = shifted - np.log(np.exp(shifted).sum())
        return float(-(prior * log_q).sum())
    if loss.name == "binary_crossentropy":
        if output.activation != "sigmoid" and not logits:
            return None
        prior = np.clip(y.reshape(len(y), -1).mean(axis=0), 0, 1)
        q = 1 / (1 + np.exp(-bias))
        q = np.clip(q, 1e-7, 1 - 1e-7)
        return float(np.mean(-(prior * np.log(q) + (1 - prior) * np.log(1 - q))))
    return None


def diverged(loss: float, best: float, first: float) -> bool:
    """The sweep's loss has diverged: not finite, or 4x its minimum and back above half of
    the way from the minimum to where it started. The second condition keeps a loss near
    zero (a rare class's batch, nearly learned) from "diverging" by a few thousandths."""
    if not math.isfinite(loss):
        return True
    return loss > 4 * best and loss - best > (first - best) / 2


def sweep_learning_rates(
    low: float,
    high: float,
    points: int,
    loss_after_step: Callable[[int, float], float],
    budget: Budget,
) -> measured.LrRange:
    """The LR range test's loop: ``points`` rates from ``low`` to ``high``, geometrically;
    ``loss_after_step(step, rate)`` trains one step at the rate and returns the loss then.
    It stops where the loss diverges (see ``diverged``)."""
    factor = (high / low) ** (1 / (points - 1))
    rates: list[float] = []
    losses: list[float] = []
    best = math.inf
    for step in range(points):
        rate = low * factor**step
        loss = loss_after_step(step, rate)
        rates.append(rate)
        losses.append(loss)
        if diverged(loss, best, losses[0]):
            break
        best = min(best, loss)
        budget.check(
            f"the learning-rate sweep reached {rate:.1e} (point {step + 1} of {points})",
            (step + 1) / points,
        )
    reading = lr_range_summary(rates, losses)
    return measured.LrRange(
        rates=rates,
        losses=losses,
        suggested=reading.suggested,
        diverged_at=reading.diverged_at,
        still_falling=reading.still_falling,
    )


# The smoothed loss must fall at least this share below its start for the sweep to suggest
# a rate: on a flat curve the lowest point is noise (Adadelta below its usual lr of 1.0)
MIN_SWEEP_DROP = 0.1


class SweepReading(NamedTuple):
    """What an LR range sweep says: the suggested rate (a tenth of the rate at the lowest
    smoothed loss, when that is at least MIN_SWEEP_DROP below the start and before the
    sweep's end), the rate at which the loss diverges (see ``diverged``), None where not
    reached, and whether the loss was still falling at the sweep's last rate (why a sweep
    that lowered the loss suggests nothing)."""

    suggested: float | None
    diverged_at: float | None
    still_falling: bool = False


def lr_range_summary(rates: list[float], losses: list[float]) -> SweepReading:
    """The reading of a sweep's ``losses`` at ``rates`` (see SweepReading)."""
    finite = [(r, v) for r, v in zip(rates, losses, strict=True) if math.isfinite(v)]
    if len(finite) < 5:
        return SweepReading(None, None)
    smoothed, value = [], finite[0][1]
    for _, loss in finite:
        value = 0.7 * value + 0.3 * loss
        smoothed.append(value)
    best = int(np.argmin(smoothed))
    diverged_at = None
    for index in range(best, len(finite)):
        if diverged(smoothed[index], smoothed[best], smoothed[0]):
            diverged_at = finite[index][0]
            break
    if diverged_at is None and len(finite) < len(rates):
        diverged_at = rates[len(finite)]  # the first non-finite loss
    if diverged_at is None and losses and diverged(losses[-1], min(losses), losses[0]):
        diverged_at = rates[-1]
    start = smoothed[0]
    lowered = smoothed[best] < start and start - smoothed[best] >= MIN_SWEEP_DROP * abs(start)
    # a minimum at the sweep's last rate, with no divergence, is where the sweep stopped,
    # not where the loss stops falling (a batch any bias learns: a GAN critic's constant
    # targets): a tenth of it would suggest Adam at 1.0
    at_the_end = best == len(finite) - 1 and diverged_at is None
    suggested = finite[best][0] / 10 if lowered and not at_the_end else None
    return SweepReading(suggested, diverged_at, still_falling=lowered and at_the_end)
