"""X1xx: what the active probes measured on a throw-away clone, and T110 from the GPUs.

These rules judge measurements (:class:`~nncheck.facts.live.ProbeFacts`), not folklore: a
loss curve, gradient norms, a learning-rate sweep, timings. A probe that did not run to
completion gives no finding; the report says why it stopped.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from nncheck.facts.live import (
    HardwareFacts,
    ModelFacts,
    ProbeFacts,
    ProbeResult,
    TrainFacts,
    batch_learned,
)
from nncheck.facts.source import SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule
from nncheck.rules._common import at_site, fmt_number, fmt_sci


def _vanishing(layers: list[list], min_ratio: float) -> tuple[str, float, str, float] | None:
    """(weakest early layer, its relative gradient, strongest late layer, its) when the
    layers nearest the input get less than ``min_ratio`` of the relative gradient of the
    layers nearest the loss (medians of the first and last thirds, in model order);
    relative = gradient norm / weight norm of the layer's weight matrices."""
    relative = [(name, g / (w + 1e-12)) for name, g, w in layers]
    if len(relative) < 3:
        return None
    third = max(1, len(relative) // 3)
    early, late = relative[:third], relative[-third:]
    early_median = sorted(r for _, r in early)[len(early) // 2]
    late_median = sorted(r for _, r in late)[len(late) // 2]
    if late_median > 0 and early_median / late_median < min_ratio:
        low = min(early, key=lambda item: item[1])
        high = max(late, key=lambda item: item[1])
        return low[0], low[1], high[0], high[1]
    return None


def _stalled(losses: list[float]) -> bool:
    """The last quarter of the curve improved the loss by less than 10%."""
    quarter = max(1, len(losses) // 4)
    before, after = min(losses[:-quarter] or losses[:1]), min(losses[-quarter:])
    return after > before * 0.9


def _overfit_learned(result: ProbeResult, factor: float) -> bool:
    """The configured optimizer learned the single batch."""
    values = result.values
    return batch_learned(values["losses"], values["accuracy"], values.get("classes", 2), factor)


def _reference_learned(result: ProbeResult | None, factor: float) -> bool:
    """The reference optimizer (Adam at 1e-3) learned the batch the configured one failed
    on: the model can learn, so the configured settings are what failed."""
    reference = result.values.get("reference") if result is not None else None
    if not reference:
        return False
    classes = result.values.get("classes", 2)  # type: ignore[union-attr]
    return batch_learned(reference["losses"], reference["accuracy"], classes, factor)


def _overfit_succeeded(probes: ProbeFacts) -> bool:
    """The configured learning rate learned one batch: it is not uselessly low."""
    result = probes.get("overfit")
    return result is not None and _overfit_learned(result, 10)


def _broken_numerics(probes: ProbeFacts) -> bool:
    """Non-finite gradients (X103): other gradient and activation measures mean nothing."""
    gradients = probes.get("gradients")
    return bool(gradients and gradients.values["non_finite"])


LAMBDA_FIX = (
    "replace the lambda with a named function registered with "
    "@keras.saving.register_keras_serializable() (or a small custom layer); load with "
    "safe_mode=False only checkpoints you trust"
)


def likely_causes(model: ModelFacts, probes: ProbeFacts) -> list[str]:
    """What the other probes found that stops a model from learning, most specific first."""
    causes = []
    gradients = probes.get("gradients")
    if gradients and gradients.values["non_finite"]:
        causes.append("non-finite gradients (X103)")
    if gradients and gradients.values["disconnected"]:
        causes.append(f"{len(gradients.values['disconnected'])} variables get no gradient (X104)")
    dead = probes.get("dead_units")
    if dead and any(share > 0.5 for _, share, _ in dead.values["layers"]):
        causes.append("most ReLU units are dead (X106)")
    sweep = probes.get("lr_range")
    rate = model.learning_rate
    if sweep and rate:
        diverged, suggested = sweep.values["diverged_at"], sweep.values["suggested"]
        if diverged and rate > diverged:
            causes.append(
                f"the learning rate {fmt_sci(rate)} is past divergence ({fmt_sci(diverged)})"
            )
        elif suggested and rate < suggested / 100:
            causes.append(f"the learning rate {fmt_sci(rate)} is far below {fmt_sci(suggested)}")
    if gradients and _vanishing(gradients.values["layers"], 1e-4):
        causes.append("the gradients vanish (X105)")
    if gradients and not gradients.values["variables"]:
        causes.append("the model has no trainable weights")
    return causes


@rule(
    "X101",
    "cannot-overfit-one-batch",
    Severity.ERROR,
    "The model cannot overfit a single batch",
    tip=1,
    options={"required-factor": 10.0},
)
def cannot_overfit_one_batch(
    probes: ProbeFacts, model: ModelFacts, train: TrainFacts, options: dict
) -> Iterator[Violation]:
    """
    ## What it does
    Trains a clone of the model on one batch of 32 training samples (with every class in
    it; same optimizer settings, capture-time weights) for up to 400 steps (fewer for large
    models: the count depends on the model's size, never on time), and, when that does not
    learn the batch, trains another clone on the same batch with a reference optimizer (Adam
    at 1e-3). Fires when neither learned it: the loss has not fallen by a factor of 10, the
    batch is not classified 100% correctly, and the loss has stalled (the last quarter of
    the steps improved it by less than 10%). A loss still falling at the step cap is slow,
    not broken; a batch the reference optimizer learns shows that the model can learn and
    the configured optimizer settings are the problem (X107's business): no finding. The
    message gives the loss curve's start and end and the most likely causes the other
    probes found.

    ## Why is this bad?
    Any working model and optimizer can memorise 32 samples. If it cannot, something is
    broken (frozen or disconnected layers, a learning rate off by orders of magnitude, a
    loss that does not match the output, dead units), and a full run would learn nothing.

    ## Example
    ```python
    model = keras.Sequential([backbone, head])
    model.trainable = False  # meant: backbone.trainable = False
    ```

    ## Use instead
    ```python
    backbone.trainable = False
    ```

    ## Options
    `required-factor` (10): how far the loss must fall (start / end) for the batch to count
    as learned.

    ## References
    Tip 1 of the training tips (overfit a single batch first); Karpathy, "A Recipe for
    Training Neural Networks" (2019).
    """
    result = probes.get("overfit")
    if result is None or _reference_learned(result, options["required-factor"]):
        return
    losses = result.values["losses"]
    if not losses or not all(math.isfinite(v) for v in losses) or _broken_numerics(probes):
        return  # X103's case
    start, end = losses[0], min(losses)
    if start <= 0 or _overfit_learned(result, options["required-factor"]) or not _stalled(losses):
        return
    causes = likely_causes(model, probes)
    because = f"; likely: {', '.join(causes)}" if causes else ""
    yield at_site(
        train.site,
        f"a clone trained on one batch of {result.values['batch']} samples for "
        f"{len(losses)} steps only took the loss from {fmt_number(round(start, 4))} to "
        f"{fmt_number(round(end, 4))} ({start / max(end, 1e-12):.1f}x; "
        f"{options['required-factor']:g}x needed){because}",
        "make the model able to learn one batch first: check which layers are trainable, "
        "the learning rate, and that the loss matches the output",
        losses=losses,
    )


@rule(
    "X102",
    "loss-at-init-off",
    Severity.WARNING,
    "The loss at initialisation is far from its expected value",
    tip=6,
    options={"max-ratio": 3.0},
)
def loss_at_init_off(probes: ProbeFacts, train: TrainFacts, options: dict) -> Iterator[Violation]:
    """
    ## What it does
    Evaluates the loss of a clone at its initial weights on up to 512 training samples and
    compares it with the value an untrained model should have: for softmax cross-entropy
    the cross-entropy between the class prior and softmax(output bias) (ln C for a zero
    bias), for sigmoid binary cross-entropy the same per unit. Fires when the measured loss
    is more than 3 times the expected one.

    ## Why is this bad?
    A much higher loss at step 0 means the initial outputs are confidently wrong: inputs far
    from unit scale, a too-large initialisation, or a label/loss mismatch. The first
    epochs are spent undoing it, or training diverges.

    ## Example
    ```python
    x = df[["income", "age"]].to_numpy()  # income ~ 50,000
    ```

    ## Use instead
    ```python
    norm = keras.layers.Normalization(); norm.adapt(x)  # first layer
    ```

    ## Options
    `max-ratio` (3): measured / expected above which it fires.
    """
    result = probes.get("loss_at_init")
    if result is None or result.values["expected"] is None:
        return
    loss, expected = result.values["loss"], result.values["expected"]
    if not math.isfinite(loss) or expected <= 0 or loss / expected <= options["max-ratio"]:
        return
    yield at_site(
        train.site,
        f"the loss at initialisation is {fmt_number(round(loss, 3))}, {loss / expected:.1f}x "
        f"the {fmt_number(round(expected, 3))} an untrained model should have (measured on "
        f"{result.values['samples']} samples): the initial outputs are confidently wrong",
        "scale the inputs (a Normalization layer; layers.Rescaling(1 / 255) for pixels) and "
        "keep the default initialisers",
        loss=loss,
        expected=expected,
    )


@rule("X103", "non-finite-loss-or-gradients", Severity.ERROR, "NaN or Inf in the first steps")
def non_finite_loss_or_gradients(probes: ProbeFacts, train: TrainFacts) -> Iterator[Violation]:
    """
    ## What it does
    Fires when the loss at initialisation, the loss during the first steps of the
    single-batch probe, or the gradients of the first batch contain NaN or Inf (the data
    itself is D105's).

    ## Why is this bad?
    One non-finite value in the loss or a gradient turns every weight it reaches into NaN:
    the run is lost from that step on.

    ## Example
    ```python
    outputs = keras.ops.log(dense(x))  # log of values <= 0
    ```

    ## Use instead
    Keep the argument of log / sqrt / division positive (`keras.ops.log(x + 1e-7)`), use
    `from_logits=True` losses instead of hand-written ones, lower an exploding learning rate.
    """
    problems = []
    init = probes.get("loss_at_init")
    if init and not math.isfinite(init.values["loss"]):
        problems.append(f"the loss at initialisation is {init.values['loss']}")
    overfit = probes.get("overfit")
    if overfit and not problems:
        bad = [i for i, v in enumerate(overfit.values["losses"]) if not math.isfinite(v)]
        if bad:
            problems.append(f"the loss is {overfit.values['losses'][bad[0]]} at step {bad[0] + 1}")
    gradients = probes.get("gradients")
    if gradients and gradients.values["non_finite"]:
        count = gradients.values["non_finite"]
        problems.append(f"{count} of {gradients.values['variables']} gradients are not finite")
    if problems:
        yield at_site(
            train.site,
            f"training produces non-finite values on a clone: {'; '.join(problems)}",
            "find the op that overflows (log/sqrt/division of values <= 0, an exploding learning "
            "rate); tf.debugging.enable_check_numerics() names it",
        )


@rule("X104", "no-gradient", Severity.WARNING, "Trainable weights that receive no gradient", tip=14)
def no_gradient(probes: ProbeFacts, train: TrainFacts) -> Iterator[Violation]:
    """
    ## What it does
    Computes the gradient of the loss for one batch with respect to every trainable weight
    of a clone and lists the weights whose gradient is missing or exactly zero.

    ## Why is this bad?
    A weight without a gradient never trains: a layer cut off by `stop_gradient`, an output
    that does not reach the loss, a branch that is built but never used. The parameters cost
    memory and time and the model is not the one you think you are training.

    ## Example
    ```python
    features = keras.ops.stop_gradient(encoder(inputs))  # the encoder never learns
    ```

    ## Use instead
    Remove the `stop_gradient` (or set `encoder.trainable = False` if freezing is meant),
    and connect every trainable layer to the loss.
    """
    result = probes.get("gradients")
    if result is None:
        return
    names = list(result.values["disconnected"])
    dead = probes.get("dead_units")
    all_dead = dead is not None and any(share == 1.0 for _, share, _ in dead.values["layers"])
    if probes.backend != "tensorflow" and not all_dead:  # they report zeros, not None
        names += result.values.get("zero", [])
    if not names:
        return
    shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
    yield at_site(
        train.site,
        f"{len(names)} of {result.values['variables']} trainable weights get no gradient "
        f"from the loss: {shown}",
        "connect them to the loss (remove stop_gradient / unused branches) or freeze them "
        "with layer.trainable = False",
        variables=names,
    )


@rule(
    "X105",
    "vanishing-or-exploding-gradients",
    Severity.WARNING,
    "Gradients vanish or explode across the layers",
    options={"min-ratio": 1e-4, "max-norm": 1e4},
)
def vanishing_or_exploding_gradients(
    probes: ProbeFacts, train: TrainFacts, options: dict
) -> Iterator[Violation]:
    """
    ## What it does
    For each layer of a clone, measures the gradient norm of its weight matrices relative to
    their norm on one batch (the size of a step relative to the weights). Fires when the
    layers nearest the input (the first third, median) get less than 1e-4 of the relative
    gradient of the layers nearest the loss (the last third): vanishing, the early layers
    barely learn; or when the total gradient norm exceeds 1e4: exploding.

    ## Why is this bad?
    With vanishing gradients the early layers stay at their random initialisation; with
    exploding ones a step throws the weights away. Either way the run wastes its budget.

    ## Example
    ```python
    for _ in range(12):
        model.add(layers.Dense(32, activation="sigmoid"))
    ```

    ## Use instead
    ReLU-family activations with He initialisation, residual connections, normalisation
    layers (BatchNormalization / LayerNormalization), and `clipnorm=1.0` on the optimizer
    against explosions.

    ## Options
    `min-ratio` (1e-4): early / late relative gradient below which it fires.
    `max-norm` (1e4): the total gradient norm above which it fires.
    """
    result = probes.get("gradients")
    if result is None or len(result.values["layers"]) < 2 or _broken_numerics(probes):
        return
    total = math.sqrt(sum(g * g for _, g, _ in result.values["layers"]))
    vanishing = _vanishing(result.values["layers"], options["min-ratio"])
    if vanishing:
        low_name, low, high_name, high = vanishing
        yield at_site(
            train.site,
            f"gradients vanish: layer '{low_name}' gets a relative gradient of {fmt_sci(low)}, "
            f"{fmt_sci(low / high)} of layer '{high_name}' ({fmt_sci(high)}): the layers far from "
            "the loss barely learn",
            "ReLU-family activations with he_normal initialisation, residual connections or "
            "normalisation layers",
            layers=result.values["layers"],
        )
    elif total > options["max-norm"]:
        yield at_site(
            train.site,
            f"gradients explode: the total gradient norm on one batch is {fmt_sci(total)} "
            f"(largest in layer '{max(result.values['layers'], key=lambda item: item[1])[0]}')",
            "scale the inputs, lower the learning rate, or clip: optimizer(..., clipnorm=1.0)",
            layers=result.values["layers"],
        )


@rule(
    "X106",
    "dead-relu-units",
    Severity.WARNING,
    "Most units of a ReLU layer never activate",
    options={"max-dead-share": 0.5},
)
def dead_relu_units(probes: ProbeFacts, train: TrainFacts, options: dict) -> Iterator[Violation]:
    """
    ## What it does
    Runs up to 256 training samples through a clone and counts, per ReLU layer, the units
    (channels) that output zero for every sample. Fires when more than half of a layer's
    units are dead.

    ## Why is this bad?
    A dead ReLU unit has zero gradient for every sample: it never recovers, and the layer
    is effectively narrower than configured. Usual causes: large negative biases, unscaled
    inputs, or a learning rate that knocked the units out.

    ## Example
    ```python
    layers.Dense(64, activation="relu", bias_initializer=keras.initializers.Constant(-5))
    ```

    ## Use instead
    Zero bias initialisation, scaled inputs, or LeakyReLU / GELU.

    ## Options
    `max-dead-share` (0.5): the share of dead units in a layer above which it fires.
    """
    result = probes.get("dead_units")
    if result is None or _broken_numerics(probes):
        return
    dead = [(n, s, u) for n, s, u in result.values["layers"] if s > options["max-dead-share"]]
    if not dead:
        return
    shown = ", ".join(f"'{n}' {s:.0%} of {u}" for n, s, u in dead[:4])
    yield at_site(
        train.site,
        f"dead ReLU units on {result.values['samples']} samples: {shown}; they output 0 for "
        "every sample and get no gradient",
        "zero bias initialisation and scaled inputs, or activation='leaky_relu' / 'gelu'",
        layers=result.values["layers"],
    )


@rule(
    "X107",
    "learning-rate-off-measured",
    Severity.WARNING,
    "The learning rate is past divergence or far below the useful range (measured)",
    tip=7,
    options={"too-low-factor": 100.0},
    supersedes=("T101",),
)
def learning_rate_off_measured(
    probes: ProbeFacts, model: ModelFacts, train: TrainFacts, options: dict
) -> Iterator[Violation]:
    """
    ## What it does
    Runs a learning-rate range test on a clone: an exponential sweep from 1e-7 to 10, one
    step per rate on successive batches (80 points, fewer for large models), stopping when
    the loss diverges. The suggested rate is a tenth of the rate at the lowest (smoothed)
    loss. Fires when the configured initial rate is past the divergence point, or more than
    100x below the suggested rate while the single-batch probe, run at the configured rate,
    could not learn its batch (a short sweep overestimates the useful rate, so a rate that
    demonstrably learns is left alone). When the reference optimizer (Adam at 1e-3) learned
    the batch that the configured one did not, the message shows both curves.

    This is the measured form of T101: when both fire on a target, only X107 is reported
    (with the measurement); with X107 not selected, T101 speaks.

    ## Why is this bad?
    Past divergence the loss explodes within steps; far below the useful range the budget
    is spent crawling. The sweep measures your model on your data, where T101 only knows
    the optimizer family.

    ## Example
    ```python
    keras.optimizers.Adam(learning_rate=2e-6)  # in Adam's range, useless for this model
    ```

    ## Use instead
    The suggested rate in the message (then tune around it).

    ## Options
    `too-low-factor` (100): how far below the suggested rate the configured one may be.

    ## References
    Tip 7 of the training tips (tune the learning rate); Smith, "Cyclical Learning Rates for
    Training Neural Networks" (2017).
    """
    result = probes.get("lr_range")
    rate = model.learning_rate
    if result is None or rate is None:
        return
    diverged, suggested = result.values["diverged_at"], result.values["suggested"]
    if diverged is not None and rate > diverged:
        direction = "high"
        message = (
            f"the learning rate {fmt_sci(rate)} is past the point where the loss diverges on "
            f"this model ({fmt_sci(diverged)}, measured by a range test on a clone"
            + (f"; suggested {fmt_sci(suggested)})" if suggested else ")")
        )
    elif (
        suggested is not None
        and rate < suggested / options["too-low-factor"]
        and not _overfit_succeeded(probes)
    ):
        direction = "low"
        message = (
            f"the learning rate {fmt_sci(rate)} is {suggested / rate:.0f}x below the "
            f"{fmt_sci(suggested)} a range test on a clone suggests: training would crawl"
        )
    else:
        return
    overfit = probes.get("overfit")
    curves: dict[str, object] = {}
    if overfit is not None and _reference_learned(overfit, 10):
        mine, reference = overfit.values["losses"], overfit.values["reference"]
        theirs = reference["losses"]
        message += (
            f"; on one batch it took the loss from {fmt_number(round(mine[0], 4))} to "
            f"{fmt_number(round(min(mine), 4))} in {len(mine)} steps, where "
            f"{reference['optimizer']} took it to {fmt_number(round(min(theirs), 4))} in "
            f"{len(theirs)}"
        )
        curves = {"overfit_losses": mine, "reference_losses": theirs}
    fix = f"learning_rate={fmt_sci(suggested)}" if suggested else "a lower learning rate"
    yield at_site(
        train.site,
        message,
        fix,
        direction=direction,
        rate=rate,
        diverged_at=diverged,
        suggested=suggested,
        rates=result.values["rates"],
        losses=result.values["losses"],
        **curves,
    )


@rule(
    "X108",
    "input-bound-pipeline",
    Severity.WARNING,
    "The input pipeline is slower than the training step",
    tip=8,
    options={"max-ratio": 1.0},
)
def input_bound_pipeline(
    probes: ProbeFacts, train: TrainFacts, source: SourceFacts, options: dict
) -> Iterator[Violation]:
    """
    ## What it does
    Times the real training step of a clone on an in-memory batch and the time to draw one
    batch from your input pipeline (tf.data, a generator or a PyDataset; arrays are in
    memory already), and fires when a batch takes longer to produce than a step takes to
    train on it. Measured on the CPU the step is slower than on a GPU, so a pipeline that
    is too slow here is too slow there.

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

    ## Options
    `max-ratio` (1.0): batch time / step time above which it fires.
    """
    result = probes.get("throughput")
    if result is None or not result.values.get("pipeline_s"):
        return
    pipeline = result.values["pipeline_s"]
    batch = result.values.get("pipeline_batch_size") or result.values["batch_size"]
    # the step was timed on batch_size samples: scale it to the pipeline's batch
    step = result.values["step_s"] * batch / result.values["batch_size"]
    ratio = pipeline / step if step else math.inf
    if ratio <= options["max-ratio"]:
        return
    habit = {
        "generator": "a Python generator produces each batch in the training loop's thread",
        "py_dataset": "the PyDataset's __getitem__ runs per batch (workers=1 by default)",
        "dataset": "the tf.data pipeline does not keep up (parallel map, cache, prefetch)",
    }.get(result.values["source"], "")
    yield at_site(
        train.site,
        f"input-bound: drawing one batch of {batch} takes {pipeline * 1e3:.1f} ms "
        f"but training on it takes {step * 1e3:.1f} ms ({ratio:.1f}x; "
        f"{batch / pipeline:,.0f} vs {batch / step:,.0f} samples/s)"
        + (f": {habit}" if habit else ""),
        "tf.data with .map(..., num_parallel_calls=tf.data.AUTOTUNE), .cache() and "
        ".prefetch(tf.data.AUTOTUNE), or a PyDataset with workers > 1",
        step_s=step,
        pipeline_s=pipeline,
    )


@rule(
    "X109",
    "not-reproducible",
    Severity.WARNING,
    "Two runs of the script build different initial weights despite seeding",
    tip=3,
)
def not_reproducible(
    probes: ProbeFacts, train: TrainFacts, source: SourceFacts
) -> Iterator[Violation]:
    """
    ## What it does
    Runs the script twice up to its first training step (the second run at the same time
    as the first, in its own process), with nncheck seeding every generator differently
    before each run starts, and compares a digest of the weights each built: only the
    script's own seeding can make them agree. Fires when the script seeds (T109 is silent)
    and the weights still differ: the seeding comes too late or misses a generator.

    ## Why is this bad?
    Without repeatable runs a change cannot be told apart from noise, and a good result
    cannot be reproduced.

    ## Example
    ```python
    model = build_model()
    keras.utils.set_random_seed(42)  # after the weights were drawn
    ```

    ## Use instead
    ```python
    keras.utils.set_random_seed(42)  # first, before any layer is built
    model = build_model()
    ```
    """
    if probes.twin_fingerprint is None or probes.fingerprint == probes.twin_fingerprint:
        return
    if not source.seeded:
        return  # no seeding at all: T109 says so
    yield at_site(
        train.site,
        "two runs of this script built different initial weights (weight digests "
        f"{probes.fingerprint} and {probes.twin_fingerprint}) although it seeds: the seed is "
        "set too late or a random generator is not covered",
        "call keras.utils.set_random_seed(SEED) at the top, before any layer is built",
    )


@rule(
    "X110",
    "checkpoint-round-trip-fails",
    Severity.ERROR,
    "The model cannot be saved and loaded back the way the script checkpoints it",
    tip=13,
)
def checkpoint_round_trip_fails(probes: ProbeFacts, train: TrainFacts) -> Iterator[Violation]:
    """
    ## What it does
    Saves a clone the way the script's ModelCheckpoint would (`.keras`, `.h5` or
    `.weights.h5`; `.keras` when there is none), loads it back in the same process, and
    compares the predictions on a few samples.

    ## Why is this bad?
    A custom layer without `get_config`, or one Keras cannot find when loading, fails after
    hours of training, when the best checkpoint is needed, not now.

    ## Example
    ```python
    class Scale(keras.layers.Layer):
        def __init__(self, factor):  # no get_config, not registered
    ```

    ## Use instead
    ```python
    @keras.saving.register_keras_serializable()
    class Scale(keras.layers.Layer):
        def __init__(self, factor, **kwargs): ...
        def get_config(self): return {**super().get_config(), "factor": self.factor}
    ```
    A `Lambda` layer holding a Python lambda is refused by `load_model`'s safe mode: give it
    a named function registered with `@keras.saving.register_keras_serializable()`, or
    write a small custom layer; load with `safe_mode=False` only files you trust.
    """
    result = probes.get("checkpoint")
    if result is None or result.values["ok"]:
        return
    yield at_site(
        train.site,
        f"a checkpoint of this model does not round-trip ({result.values['how']}): "
        f"{result.values['error']}",
        LAMBDA_FIX
        if result.values.get("lambda")
        else "register custom layers with @keras.saving.register_keras_serializable() and give "
        "them get_config() returning every constructor argument",
    )


@rule(
    "X111",
    "tensor-core-speedup-measured",
    Severity.INFO,
    "Measured speed-up of mixed precision and aligned widths on this GPU",
    tip=15,
    options={"min-speedup": 1.1},
)
def tensor_core_speedup_measured(
    probes: ProbeFacts, train: TrainFacts, options: dict
) -> Iterator[Violation]:
    """
    ## What it does
    On a GPU with Tensor Cores, times the training step of a clone as configured, with the
    `mixed_float16` policy, and with hidden widths padded to multiples of 8, and reports the
    changes that make the step at least 1.1x faster. Skipped on the CPU.

    ## Why is this bad?
    Tensor Cores run float16/bfloat16 matrix products several times faster than float32,
    and want dimensions that are multiples of 8; M301-M307 advise it, this measures it.

    ## Example
    ```python
    model = keras.Sequential([keras.Input((100,)), layers.Dense(1000, activation="relu"), ...])
    ```

    ## Use instead
    `keras.mixed_precision.set_global_policy("mixed_float16")` before building the model,
    and the widths the M3xx rules propose.

    ## Options
    `min-speedup` (1.1): the smallest speed-up reported.
    """
    result = probes.get("mixed_precision")
    if result is None or not result.values.get("as_is"):
        return
    base = result.values["as_is"]
    gains = [
        (name, base / result.values[name])
        for name in ("mixed_float16", "aligned")
        if result.values.get(name) and base / result.values[name] >= options["min-speedup"]
    ]
    if gains:
        shown = ", ".join(f"{name.replace('_', ' ')} {gain:.2f}x" for name, gain in gains)
        yield at_site(
            train.site,
            f"measured on {probes.device}: the training step is faster with {shown} "
            f"({base * 1e3:.1f} ms as configured)",
            "keras.mixed_precision.set_global_policy('mixed_float16') before building; widths "
            "in multiples of 8",
            speedups=dict(gains),
        )


@rule(
    "X112",
    "batch-exceeds-gpu-memory",
    Severity.ERROR,
    "One training step needs more memory than the GPU has free",
)
def batch_exceeds_gpu_memory(
    probes: ProbeFacts, hardware: HardwareFacts, train: TrainFacts
) -> Iterator[Violation]:
    """
    ## What it does
    Estimates the memory of one training step from the model: the weights, their gradients
    and optimizer slots, plus every layer's activations for the batch (kept for the backward
    pass), and compares it with the free memory NVML reports on the first GPU.

    ## Why is this bad?
    The run stops with an out-of-memory error at its first step, or, with memory growth,
    after the first larger batch, once the data and the budget are committed.

    ## Example
    ```python
    model.fit(images_512px, labels, batch_size=256)  # on a GPU with 16 GiB free
    ```

    ## Use instead
    A smaller batch (with a proportionally smaller learning rate), mixed precision (halves
    activations), or gradient checkpointing.
    """
    result = probes.get("memory")
    if result is None or not hardware.gpus:
        return
    gpu = hardware.gpus[0]
    need_mib = result.values["step_bytes"] / 2**20
    if need_mib <= gpu.memory_free_mib:
        return
    yield at_site(
        train.site,
        f"one training step with batch size {result.values['batch_size']} needs about "
        f"{need_mib:,.0f} MiB, and {gpu.name} has {gpu.memory_free_mib:,.0f} MiB free "
        f"of {gpu.memory_total_mib:,.0f}",
        "a smaller batch_size, mixed precision, or a GPU with more free memory",
        need_mib=need_mib,
    )


@rule(
    "T110",
    "gpus-without-strategy",
    Severity.WARNING,
    "Several GPUs visible and no distribution strategy",
    tip=18,
)
def gpus_without_strategy(hardware: HardwareFacts, train: TrainFacts) -> Iterator[Violation]:
    """
    ## What it does
    Fires when NVML reports more than one GPU and training runs without a tf.distribute
    strategy (or the backend's equivalent).

    ## Why is this bad?
    Keras trains on one GPU by default: the others idle while the run takes N times longer
    than it could.

    ## Example
    ```python
    model = build_model()  # on a machine with 8 GPUs
    model.fit(train_ds, epochs=90)
    ```

    ## Use instead
    ```python
    strategy = tf.distribute.MirroredStrategy()
    with strategy.scope():
        model = build_model()
    ```
    or restrict the run to one GPU with CUDA_VISIBLE_DEVICES.
    """
    if len(hardware.gpus) < 2 or train.strategy is not None:
        return
    busy = sum(1 for gpu in hardware.gpus if gpu.other_processes)
    note = f" ({busy} already used by other processes)" if busy else ""
    yield at_site(
        train.site,
        f"{len(hardware.gpus)} GPUs are visible{note} and training uses no distribution "
        "strategy: Keras trains on one of them",
        "create the model under tf.distribute.MirroredStrategy().scope(), or set "
        "CUDA_VISIBLE_DEVICES to one GPU",
        gpus=len(hardware.gpus),
    )
