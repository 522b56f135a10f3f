"""Live rules judged on hand-built facts: thresholds and look-alikes, in milliseconds."""

from __future__ import annotations

import math

import pytest

from nncheck.facts.live import (
    CallbackFacts,
    DataFacts,
    FeatureStats,
    InputStats,
    LayerFacts,
    LossFacts,
    ModelFacts,
    OutputFacts,
    Site,
    StepGradients,
    TargetStats,
    TrainFacts,
)
from nncheck.facts.source import SourceFacts
from nncheck.findings import Violation
from nncheck.registry import get_rule

SITE = Site("train.py", 20)


def judge(code: str, options: dict | None = None, **facts: object) -> list[Violation]:
    """Run rule ``code``'s implementation for these facts, with its default options."""
    rule = get_rule(code)
    for needs, func in rule.implementations:
        if set(needs) == set(facts):
            kwargs = dict(facts)
            if "options" in func.__code__.co_varnames[: func.__code__.co_argcount]:
                kwargs["options"] = {**rule.options, **(options or {})}
            return list(func(**kwargs))
    raise AssertionError(f"{code} has no implementation over {sorted(facts)}")


NO_SOURCE = SourceFacts.from_text("import keras\n")


def binary_model(
    bias: float = 0.0,
    activation: str = "sigmoid",
    loss: str = "binary_crossentropy",
    units: int = 1,
) -> ModelFacts:
    return ModelFacts(
        name="m",
        class_name="Sequential",
        layers=[LayerFacts("out", "Dense", units, "units", activation, site=Site("train.py", 9))],
        outputs=[OutputFacts("out", units, activation, [bias] * units, site=Site("train.py", 9))],
        losses=[LossFacts(loss)],
        metric_names=["loss", "accuracy"],
        optimizer="Adam",
        learning_rate=1e-3,
    )


def labels(kind: str, classes: dict[str, int], low: float = 0, high: float = 1) -> DataFacts:
    total = sum(classes.values())
    target = TargetStats(
        "y", [], "float32", min=low, max=high, kind=kind, classes=classes, counted_on=total
    )
    return DataFacts("arrays", total, [InputStats("x", [4], "float32")], [target])


def fit(**kwargs) -> TrainFacts:
    return TrainFacts(entry="fit", site=SITE, **kwargs)


@pytest.mark.parametrize(
    ("positives", "fires"), [(0.05, True), (0.099, True), (0.10, False), (0.3, False)]
)
def test_d101_binary_fires_below_a_fifth_of_the_fair_share(positives: float, fires: bool) -> None:
    n = 10_000
    data = labels("binary", {"0": n - int(n * positives), "1": int(n * positives)})
    found = judge("D101", model=binary_model(), data=data, train=fit(), source=NO_SOURCE)
    assert bool(found) is fires


def test_d101_threshold_scales_with_the_number_of_classes() -> None:
    # Ten classes, the rarest at 3%: 0.3 of its fair share (10%) -> no finding,
    # although the largest-to-smallest ratio (4:1 here, 10:1 below) would trip a fixed ratio.
    counts = {str(i): 1_000 for i in range(9)} | {"9": 300}
    model = binary_model(activation="softmax", loss="sparse_categorical_crossentropy", units=10)
    assert not list(
        judge(
            "D101", model=model, data=labels("sparse", counts, 0, 9), train=fit(), source=NO_SOURCE
        )
    )
    counts["9"] = 100  # 1% of the samples: 0.1 of its fair share
    (finding,) = judge(
        "D101", model=model, data=labels("sparse", counts, 0, 9), train=fit(), source=NO_SOURCE
    )
    assert "class 9 has 100 of 9,100 samples" in finding.message
    assert finding.data["class_weight"][9] == round(9_100 / (10 * 100), 3)


def test_d101_is_quiet_when_training_rebalances() -> None:
    data = labels("binary", {"0": 950, "1": 50})
    assert not list(
        judge(
            "D101",
            model=binary_model(),
            data=data,
            train=fit(class_weight={0: 1, 1: 19}),
            source=NO_SOURCE,
        )
    )
    assert not list(
        judge(
            "D101", model=binary_model(), data=data, train=fit(sample_weight=True), source=NO_SOURCE
        )
    )
    resampling = SourceFacts.from_text("import keras\nfrom imblearn.over_sampling import SMOTE\n")
    assert not (judge("D101", model=binary_model(), data=data, train=fit(), source=resampling))


def test_d101_is_not_about_regression() -> None:
    data = labels("binary", {"0": 950, "1": 50})
    assert not list(
        judge(
            "D101",
            model=binary_model(loss="mean_squared_error"),
            data=data,
            train=fit(),
            source=NO_SOURCE,
        )
    )


@pytest.mark.parametrize(
    ("positives", "fires"), [(0.30, False), (0.2, False), (0.15, True), (0.02, True)]
)
def test_m201_fires_when_the_prior_bias_lowers_the_initial_loss_by_30_percent(
    positives: float, fires: bool
) -> None:
    data = labels("binary", {"0": round(1000 * (1 - positives)), "1": round(1000 * positives)})
    found = judge("M201", model=binary_model(), data=data, train=fit())
    assert bool(found) is fires
    if fires:
        expected = math.log(positives / (1 - positives))
        assert f"Constant({expected:.3f})" in found[0].fix


def test_m201_is_quiet_once_the_bias_matches_the_prior() -> None:
    data = labels("binary", {"0": 950, "1": 50})
    model = binary_model(bias=math.log(0.05 / 0.95))
    assert not (judge("M201", model=model, data=data, train=fit()))


def test_m201_softmax_gives_one_bias_per_class() -> None:
    model = binary_model(activation="softmax", loss="sparse_categorical_crossentropy", units=3)
    data = labels("sparse", {"0": 900, "1": 90, "2": 10}, 0, 2)
    (finding,) = judge("M201", model=model, data=data, train=fit())
    values = eval(finding.fix.split("Constant(")[1].rstrip(")"))
    assert len(values) == 3 and values[0] > values[1] > values[2]


def test_d201_exempts_categorical_codes_and_embedding_ids() -> None:
    features = [
        FeatureStats(0, 50_000, 20_000, 10_000, 150_000, False, 1000),  # income: unscaled
        FeatureStats(1, 3, 2, 0, 7, True, 8),  # a categorical code: D203's business
    ]
    data = DataFacts("arrays", 100, [InputStats("x", [2], "float32", features=features)], [])
    model = binary_model()
    (finding,) = judge("D201", model=model, data=data, train=fit())
    assert finding.data["features"] == [0]
    model.preprocessing_at_input = ["Normalization"]
    assert not (judge("D201", model=model, data=data, train=fit()))


def test_d202_only_for_raw_pixels_without_preprocessing() -> None:
    raw = InputStats("x", [32, 32, 3], "uint8", 0, 255, integer_valued=True)
    scaled = InputStats("x", [32, 32, 3], "float32", 0, 1.0, integer_valued=False)
    model = binary_model()
    assert judge("D202", model=model, data=DataFacts("arrays", 8, [raw]), train=fit())
    assert not (judge("D202", model=model, data=DataFacts("arrays", 8, [scaled]), train=fit()))
    model.preprocessing_at_input = ["Rescaling"]
    assert not (judge("D202", model=model, data=DataFacts("arrays", 8, [raw]), train=fit()))


def test_m301_live_uses_the_multiple_of_the_layer_dtype() -> None:
    def dense(width: int, dtype: str) -> ModelFacts:
        model = binary_model()
        model.layers.insert(
            0,
            LayerFacts(
                "h", "Dense", width, "units", "relu", compute_dtype=dtype, site=Site("train.py", 5)
            ),
        )
        return model

    assert not (judge("M301", model=dense(100, "float32")))
    (finding,) = judge("M301", model=dense(100, "float16"))
    assert finding.data == {"width": 100, "multiple": 8, "dtype": "float16"}
    assert judge("M301", model=dense(50, "float32"))
    library_layer = dense(50, "float32")
    library_layer.layers[0].site = None  # built inside keras.applications: not the user's
    assert not (judge("M301", model=library_layer))


def test_t104_live_checks_monitors_against_logged_names() -> None:
    model = binary_model()
    callback = CallbackFacts(
        "EarlyStopping", monitor="val_acc", patience=10, site=Site("train.py", 7)
    )
    (finding,) = judge("T104", model=model, train=fit(validation="split", callbacks=[callback]))
    assert finding.fix == "monitor='val_accuracy'" and finding.line == 7
    assert finding.message.endswith("; the callback never acts")  # mode not captured
    callback.mode = "auto"  # Keras 3 cannot tell the direction of 'acc': it raises
    (finding,) = judge("T104", model=model, train=fit(validation="split", callbacks=[callback]))
    assert finding.message.endswith(
        "; with mode='auto' Keras raises ValueError at the end of the first epoch (it cannot "
        "tell whether to maximise or minimise it)"
    )
    callback.mode = "max"
    (finding,) = judge("T104", model=model, train=fit(validation="split", callbacks=[callback]))
    assert finding.message.endswith("; Keras only warns, and the callback never acts")
    callback.monitor = "val_accuracy"
    assert not list(judge("T104", model=model, train=fit(validation="split", callbacks=[callback])))
    assert judge("T104", model=model, train=fit(callbacks=[callback]))


def test_t102_live_trusts_custom_callbacks() -> None:
    custom = CallbackFacts("StopWhenGoodEnough")
    assert judge("T102", train=fit(epochs=50), source=NO_SOURCE)
    assert not (judge("T102", train=fit(epochs=50, callbacks=[custom]), source=NO_SOURCE))
    assert not (judge("T102", train=fit(epochs=5), source=NO_SOURCE))


def test_d106_and_d105_messages_carry_the_numbers() -> None:
    model = binary_model(activation="softmax", loss="sparse_categorical_crossentropy", units=5)
    (finding,) = judge(
        "D106", model=model, data=labels("sparse", {"1": 5, "5": 5}, 1, 5), train=fit()
    )
    assert "from 1 to 5" in finding.message and "labels 0 to 4" in finding.message
    data = DataFacts("arrays", 10, [InputStats("x", [4], "float32", nan=3)], [])
    (finding,) = judge("D105", data=data, train=fit())
    assert "3 NaN" in finding.message


def test_thresholds_are_options() -> None:
    data = labels("binary", {"0": 950, "1": 50})
    facts = {"model": binary_model(), "data": data, "train": fit(), "source": NO_SOURCE}
    assert judge("D101", **facts)
    assert not judge("D101", options={"minority-fair-share": 0.05}, **facts)


def test_t101_family_ranges_are_options() -> None:
    model = ModelFacts("m", "Sequential", optimizer="Adam", learning_rate=0.05)
    assert judge("T101", model=model, train=fit(), source=NO_SOURCE)
    assert not judge("T101", {"adaptive-max": 0.1}, model=model, train=fit(), source=NO_SOURCE)
    slow = ModelFacts("m", "Sequential", optimizer="SGD", learning_rate=1e-4)
    assert not judge("T101", model=slow, train=fit(), source=NO_SOURCE)
    assert judge("T101", {"sgd-min": 1e-3}, model=slow, train=fit(), source=NO_SOURCE)


# -- issue 12: the look-alikes of real programs ---------------------------------------------


def token_sequences() -> DataFacts:
    """Padded token ids: ids in the thousands, the last positions padding in every row."""
    features = [FeatureStats(i, 9_000, 5_000, 1, 19_999, True, 1000) for i in range(3)]
    features += [FeatureStats(i, 0, 0, 0, 0, True, 1) for i in range(3, 6)]
    stats = InputStats("x", [6], "int32", 0, 19_999, integer_valued=True, features=features)
    return DataFacts("arrays", 500, [stats], [])


def test_token_ids_into_a_nested_embedding_are_not_numeric_features() -> None:
    model = binary_model()
    assert {
        v.data["features"][0]
        for v in judge("D201", model=model, data=token_sequences(), train=fit())
    } == {0}
    assert judge("D206", model=model, data=token_sequences(), train=fit())
    model.embeds_tokens = True  # an Embedding inside a custom layer (TokenAndPositionEmbedding)
    assert not judge("D201", model=model, data=token_sequences(), train=fit())
    assert not judge("D206", model=model, data=token_sequences(), train=fit())
    # a data file alone has no model: its constant columns are still said
    assert judge("D206", data=token_sequences())


def test_m106_probability_targets_in_0_1_are_cross_entropy_targets() -> None:
    model = binary_model()
    soft = labels("continuous", {}, 0.0, 1.0)  # pixels, soft or smoothed labels
    assert not judge("M106", model=model, data=soft, train=fit())
    price = labels("continuous", {}, 12.5, 480.0)
    (finding,) = judge("M106", model=model, data=price, train=fit())
    assert finding.message == (
        "binary_crossentropy on continuous targets (from 12.5 to 480): cross-entropy needs "
        "class labels or probabilities in [0, 1]"
    )
    sparse = binary_model(activation="softmax", loss="sparse_categorical_crossentropy", units=3)
    (ids,) = judge("M106", model=sparse, data=labels("continuous", {}, 0.0, 1.0), train=fit())
    assert ids.message.endswith("cross-entropy needs class ids")


def test_m108_class_labels_with_a_regression_loss() -> None:
    binary = labels("binary", {"0": 60, "1": 40})
    (sigmoid,) = judge(
        "M108", model=binary_model(loss="mean_squared_error"), data=binary, train=fit()
    )
    assert sigmoid.message.startswith(
        "mean_squared_error on 0/1 labels with a sigmoid output: a classification task trained "
        "as regression; it trains, but with a sigmoid the squared error's gradient vanishes"
    )
    assert sigmoid.fix == "loss='binary_crossentropy'"
    linear = binary_model(activation="linear", loss="mean_absolute_error")
    (found,) = judge("M108", model=linear, data=binary, train=fit())
    assert found.fix == "layers.Dense(1, activation='sigmoid') with loss='binary_crossentropy'"
    one_hot = labels("one_hot", {"0": 10, "1": 10, "2": 10})
    (hot,) = judge(
        "M108",
        model=binary_model(activation="linear", loss="mean_squared_error", units=3),
        data=one_hot,
        train=fit(),
    )
    assert "one-hot labels of 3 classes" in hot.message


def test_m108_integer_targets_are_class_ids_only_when_accuracy_is_compiled() -> None:
    stars = labels("sparse", {"1": 10, "2": 20, "3": 40, "4": 20, "5": 10}, 1, 5)
    ratings = binary_model(activation="linear", loss="mean_squared_error")
    ratings.metric_names = ["loss", "mae"]
    assert not judge("M108", model=ratings, data=stars, train=fit())
    ratings.metric_names = ["loss", "accuracy"]
    (ids,) = judge("M108", model=ratings, data=stars, train=fit())
    assert (
        ids.fix
        == "layers.Dense(5, activation='softmax') with loss='sparse_categorical_crossentropy'"
    )
    assert not judge(
        "M108", model=binary_model(), data=labels("binary", {"0": 5, "1": 5}), train=fit()
    )


def softmax_head_model(graph_visible: bool) -> ModelFacts:
    hidden = LayerFacts("hidden", "Dense", 64, "units", "relu", site=Site("train.py", 5))
    head = LayerFacts("head", "Dense", 3, "units", "softmax", site=Site("train.py", 6))
    outputs = [OutputFacts("head", 3, "softmax", [0.0] * 3)] if graph_visible else []
    return ModelFacts(
        "m",
        "Classifier",
        [hidden, head],
        outputs,
        [LossFacts("sparse_categorical_crossentropy")],
        graph_visible=graph_visible,
    )


def test_m402_needs_the_graph_to_call_a_layer_hidden() -> None:
    assert not judge("M402", model=softmax_head_model(graph_visible=True))
    assert not judge("M402", model=softmax_head_model(graph_visible=False))  # subclassed
    functional = softmax_head_model(graph_visible=True)
    functional.outputs = [OutputFacts("hidden", 64, "relu", [0.0] * 64)]  # head is hidden here
    (finding,) = judge("M402", model=functional)
    assert finding.message.startswith("Dense 'head' is a hidden layer with a softmax activation")


def loop(training: str | None, **kwargs) -> TrainFacts:
    return TrainFacts(
        entry="custom_loop",
        site=SITE,
        loop_training=training,
        loop_call_site=Site("train.py", 31),
        **kwargs,
    )


def test_t113_a_custom_loop_without_training_true() -> None:
    model = binary_model()
    model.layers.insert(0, LayerFacts("drop", "Dropout"))
    (finding,) = judge("T113", model=model, train=loop("missing"))
    assert (finding.line, finding.message) == (
        31,
        "the custom training loop calls the model without training=True: Dropout 'drop' run "
        "in inference mode (Dropout never drops; BatchNormalization uses and never updates its "
        "moving statistics)",
    )
    for quiet in ("true", "false", "unknown", None):  # false is deliberate; unknown: a tensor
        assert not judge("T113", model=model, train=loop(quiet))
    assert not judge("T113", model=binary_model(), train=loop("missing"))  # nothing to switch
    assert not judge("T113", model=model, train=fit())


@pytest.mark.parametrize(
    ("error", "fix"),
    [
        (
            "ValueError: y_true and y_pred have different structures.",
            "give one target per model output (a list in output order, or a dict by output "
            "name), each shaped as the loss expects",
        ),
        (
            "ValueError: Input 0 of layer 'dense' is incompatible with the layer",
            "feed inputs shaped and typed as the model's keras.Input declares",
        ),
        (
            "InvalidArgumentError: cannot compute MatMul",
            "fix what the error names: it is what the first batch of the run would raise",
        ),
    ],
)
def test_t114_reports_what_the_first_step_raises(error: str, fix: str) -> None:
    (finding,) = judge("T114", train=fit(first_step_error=error))
    assert finding.message == (
        f"Keras' own training step raises on the first batch: {error}; fit() would stop there"
    )
    assert finding.fix == fix
    assert not judge("T114", train=fit())


def test_d201_integer_measurements_far_from_zero_are_unscaled_codes_are_not() -> None:
    height = FeatureStats(0, 67.0, 2.5, 58, 76, True, 19)  # few values, far from zero
    codes = FeatureStats(1, 2.4, 1.6, 0, 5, True, 6)  # 0..5 without gaps: D203's
    month = FeatureStats(2, 6.5, 3.4, 1, 12, True, 12)
    scaled = FeatureStats(3, 0.0, 1.0, -3.1, 3.2, False, 1000)
    stats = InputStats("x", [4], "float32", features=[height, codes, month, scaled])
    (finding,) = judge(
        "D201", model=binary_model(), data=DataFacts("arrays", 900, [stats]), train=fit()
    )
    assert finding.data["features"] == [0]
    small = FeatureStats(0, 5.0, 0.4, 4, 6, True, 3)  # within +-10: scaled enough
    wide = FeatureStats(1, 30.0, 4.0, 12, 48, False, 900)  # std above 1: unscaled, as before
    stats.features = [small]
    assert not judge(
        "D201", model=binary_model(), data=DataFacts("arrays", 900, [stats]), train=fit()
    )
    stats.features = [small, wide]
    (finding,) = judge(
        "D201", model=binary_model(), data=DataFacts("arrays", 900, [stats]), train=fit()
    )
    assert finding.data["features"] == [1]


def sigmoid_stack(optimizer: str, depth: int) -> ModelFacts:
    layers = [
        LayerFacts(
            f"d{i}", "Dense", 32, "units", "sigmoid", site=SITE, inputs=[f"d{i - 1}"] if i else []
        )
        for i in range(depth)
    ]
    out = LayerFacts("out", "Dense", 1, "units", "sigmoid", site=SITE, inputs=[f"d{depth - 1}"])
    return ModelFacts(
        "m",
        "Sequential",
        [*layers, out],
        [OutputFacts("out", 1, "sigmoid", [0.0])],
        [LossFacts("binary_crossentropy")],
        optimizer=optimizer,
    )


def test_m402_a_shorter_sigmoid_stack_fires_with_plain_sgd() -> None:
    (finding,) = judge("M402", model=sigmoid_stack("SGD", 3))
    assert finding.message.endswith(
        "(vanishing gradients), and plain SGD scales every step by them"
    )
    assert not judge("M402", model=sigmoid_stack("Adam", 3))
    assert judge("M402", model=sigmoid_stack("Adam", 4))
    assert not judge("M402", model=sigmoid_stack("SGD", 2))


def test_t115_batch_larger_than_the_training_rows_or_one_on_many() -> None:
    data = DataFacts("arrays", 1000, [InputStats("x", [4], "float32")], length=1000)
    (bigger,) = judge(
        "T115",
        model=binary_model(),
        data=data,
        train=fit(batch_size=1024, epochs=1, validation="split", validation_split=0.2),
        options=None,
    )
    assert bigger.message == (
        "batch_size=1,024 is larger than the 800 training rows: every epoch is one optimizer "
        "step on all of them, so epochs=1 means 1 update"
    )
    assert not judge("T115", model=binary_model(), data=data, train=fit(batch_size=800))
    assert not judge("T115", model=binary_model(), data=data, train=fit(batch_size=1))
    large = DataFacts("arrays", 10_000, [InputStats("x", [4], "float32")], length=60_000)
    (one,) = judge("T115", model=binary_model(), data=large, train=fit(batch_size=1))
    assert one.message.startswith("batch_size=1 on 60,000 training rows: an epoch is 60,000")
    normed = binary_model()
    normed.layers.insert(0, LayerFacts("bn", "BatchNormalization"))
    (norm,) = judge("T115", model=normed, data=data, train=fit(batch_size=1))
    assert "BatchNormalization cannot normalize a single sample" in norm.message
    unknown = DataFacts("dataset", 1000, [InputStats("x", [4], "float32")])  # length unknown
    assert not judge("T115", model=binary_model(), data=unknown, train=fit(batch_size=4096))


def test_t104_a_val_name_without_validation_raises_when_auto_cannot_tell_its_direction() -> None:
    model = binary_model()  # logs loss and accuracy
    unknown = CallbackFacts("EarlyStopping", monitor="val_acc", mode="auto", site=SITE)
    (finding,) = judge("T104", model=model, train=fit(callbacks=[unknown]))
    assert finding.message.endswith(
        "gets no validation data, so the metric is never logged and with mode='auto' Keras "
        "raises ValueError at the end of the first epoch (it cannot tell whether to maximise "
        "or minimise it)"
    )
    known = CallbackFacts("EarlyStopping", monitor="val_accuracy", mode="auto", site=SITE)
    (finding,) = judge("T104", model=model, train=fit(callbacks=[known]))
    assert finding.message.endswith("so the metric is never logged and the callback never acts")


A103_BASE = """\
import keras
from keras import layers
base = keras.applications.{cls}(include_top=False, input_shape=(96, 96, 3){weights})
inputs = keras.Input((96, 96, 3))
x = keras.applications.{module}.preprocess_input(inputs)
model = keras.Model(inputs, layers.Dense(3, activation="softmax")(base(x)))
{freeze}
model.compile(optimizer={optimizer}, loss="sparse_categorical_crossentropy")
"""


def a103(cls="ResNet50", module="resnet", weights="", freeze="", optimizer="'adam'") -> list:
    text = A103_BASE.format(
        cls=cls, module=module, weights=weights, freeze=freeze, optimizer=optimizer
    )
    return [v.message for v in judge("A103", source=SourceFacts.from_text(text))]


def test_a103_preprocessing_of_another_scaling_and_a_base_never_frozen() -> None:
    frozen = "base.trainable = False"
    assert a103(module="mobilenet_v2", freeze=frozen) == [
        "mobilenet_v2.preprocess_input scales pixels for another family than the pretrained "
        "ResNet50 (line 3) expects: the backbone sees inputs on another scale than it was "
        "trained on"
    ]
    assert a103(module="vgg16", freeze=frozen) == []  # both caffe-style: the same scaling
    assert a103(cls="EfficientNetB0", module="xception", freeze=frozen)  # it wants 0-255
    assert a103(weights=", weights=None", module="mobilenet_v2") == []  # nothing pretrained
    (never_frozen,) = a103()
    assert never_frozen.startswith("the pretrained ResNet50 (line 3) is never frozen")
    partial = "for layer in base.layers[:-20]:\n    layer.trainable = False"
    assert a103(freeze=partial) == []
    assert a103(optimizer="keras.optimizers.Adam(1e-5)") == []  # fine-tuning at a low rate
    assert a103(optimizer="keras.optimizers.SGD()")  # SGD's default is 0.01


def step(**kwargs) -> TrainFacts:
    """A PyTorch loop whose first step finds the gradients ``kwargs`` describe (none, by
    default, after a backward() at line 18)."""
    gradients = {"parameters": 4, "with_gradient": 0, "without": 4, "frozen": 0}
    gradients.update(backward=Site("train.py", 18), backward_seen=True)
    gradients.update(kwargs)
    return TrainFacts("custom_loop", site=SITE, step_gradients=StepGradients(**gradients))


def t121(**kwargs) -> list[str]:
    return [f"{v.message} | {v.fix}" for v in judge("T121", train=step(**kwargs))]


def test_t121_names_the_certain_cause_of_a_step_without_gradients() -> None:
    cleared = t121(cleared=Site("train.py", 19), cleared_seen=True)
    assert cleared == [
        "the first optimizer.step() finds no gradient on any of the 4 parameter tensors it "
        "updates (zero_grad() at line 19 runs after backward() at line 18 and clears what it "
        "computed): this step and every one after it change nothing, and the model never "
        "learns | call optimizer.zero_grad() before the forward pass (or right after step()), "
        "never between backward() and step()"
    ]
    elsewhere = t121(cleared=Site("helpers.py", 7), cleared_seen=True, without=0)
    assert "zero_grad() at line 7 of helpers.py runs after backward() at line 18" in elsewhere[0]
    assert "(no backward() runs before it)" in t121(backward=None, backward_seen=False)[0]
    assert "every one of them has requires_grad=False" in t121(frozen=4)[0]
    assert "the optimizer was built on another model's parameters" in t121(owner_called=False)[0]
    assert "does not reach them, or something sets their .grad to None" in t121()[0]


def test_t121_is_quiet_while_any_gradient_reaches_the_step_or_the_cause_is_unsure() -> None:
    assert t121(with_gradient=1, without=0, cleared_seen=True) == []
    # zeros computed by backward() with no clear after it: a loss with no gradient (M102)
    assert t121(without=0) == []
    assert t121(without=2) == []
    assert t121(parameters=0, without=0) == []
    assert judge("T121", train=TrainFacts("custom_loop", site=SITE)) == []  # not measured


def test_t115_on_pytorch_judges_a_loader_that_samples_the_whole_dataset() -> None:
    torch_model = ModelFacts(name="Net", class_name="Net", framework="pytorch")
    rows = DataFacts("dataset", 200, [InputStats("x", [4], "float32")], [], length=200)

    def loader(**kwargs) -> TrainFacts:
        return TrainFacts(
            "custom_loop", site=SITE, **{"batch_size": 256, "shuffle": True, **kwargs}
        )

    (found,) = judge("T115", model=torch_model, data=rows, train=loader())
    assert found.message == (
        "batch_size=256 is larger than the 200 training rows: every epoch is one optimizer "
        "step on all of them"
    )
    assert found.fix == "DataLoader(..., batch_size=32) (or another size well under 200)"
    assert (
        "so epochs=3 means 3 updates"
        in judge("T115", model=torch_model, data=rows, train=loader(epochs=3))[0].message
    )
    # a subset or weighted sampler: how many rows an epoch draws is not the dataset's length
    assert not judge("T115", model=torch_model, data=rows, train=loader(shuffle=None))
    assert not judge("T115", model=torch_model, data=rows, train=loader(batch_size=200))


def test_t122_float16_layers_need_an_enabled_grad_scaler() -> None:
    def net(dtype: str) -> ModelFacts:
        layers = [
            LayerFacts("fc1", "Linear", 64, weighted=True, compute_dtype=dtype),
            LayerFacts("act", "ReLU", compute_dtype=dtype),
            LayerFacts("fc2", "Linear", 2, weighted=True, compute_dtype=dtype),
        ]
        return ModelFacts(name="Net", class_name="Net", layers=layers, framework="pytorch")

    loop = TrainFacts("custom_loop", site=SITE, grad_scaler=False)
    (found,) = judge("T122", model=net("float16"), train=loop)
    assert found.message.startswith("2 layers ('fc1', 'fc2') compute in float16 and no enabled")
    assert found.fix is not None and found.fix.startswith("scaler = torch.amp.GradScaler()")
    lightning = TrainFacts("lightning", site=SITE, grad_scaler=False)
    (trainer,) = judge("T122", model=net("float16"), train=lightning)
    assert (
        trainer.fix
        == "Trainer(precision='16-mixed') scales the loss (or 'bf16-mixed' needs no scaling)"
    )
    assert not judge("T122", model=net("bfloat16"), train=loop)  # float32's range: no scaling
    assert not judge("T122", model=net("float32"), train=loop)
    assert not judge(
        "T122", model=net("float16"), train=TrainFacts("custom_loop", grad_scaler=True)
    )
    assert not judge("T122", model=net("float16"), train=TrainFacts("custom_loop"))  # not known


def test_m111_bce_loss_needs_a_sigmoid_before_it() -> None:
    def net(activation: str, from_logits: bool = False) -> ModelFacts:
        output = OutputFacts("2", 1, activation, [0.0], site=Site("train.py", 9))
        loss = LossFacts("binary_crossentropy", from_logits=from_logits)
        return ModelFacts("Net", "Net", outputs=[output], losses=[loss], framework="pytorch")

    loop = TrainFacts("custom_loop", site=SITE)
    (found,) = judge("M111", model=net("linear"), train=loop)
    assert found.message == (
        "nn.BCELoss needs probabilities in [0, 1], but the output layer '2' (line 9) gives it "
        "raw logits (no activation): it raises at the first step whose output leaves [0, 1]"
    )
    assert "relu: it raises" in judge("M111", model=net("relu"), train=loop)[0].message
    assert not judge("M111", model=net("sigmoid"), train=loop)
    assert not judge("M111", model=net("unknown"), train=loop)  # a head the graph hides
    assert not judge("M111", model=net("linear", from_logits=True), train=loop)  # WithLogits


def test_m111_in_the_source_only_for_a_sequential_that_ends_in_a_layer() -> None:
    def source(last: str, loss: str = "nn.BCELoss()") -> list[Violation]:
        text = (
            "import torch\nfrom torch import nn\n"
            f"model = nn.Sequential(nn.Linear(8, 4), nn.ReLU(), {last})\n"
            f"loss_fn = {loss}\n"
            "x, y = torch.randn(4, 8), torch.ones(4, 1)\n"
            "loss_fn(model(x), y).backward()\n"
        )
        return judge("M111", source=SourceFacts.from_text(text))

    (found,) = source("nn.Linear(4, 1)")
    assert found.line == 6 and "is given the raw output of nn.Linear (line 3)" in found.message
    assert not source("nn.Linear(4, 1), nn.Sigmoid()")
    assert not source("nn.Linear(4, 1)", loss="nn.BCEWithLogitsLoss()")
    assert not source("nn.Linear(4, 1)", loss="nn.MSELoss()")
