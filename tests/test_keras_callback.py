"""The Keras callback: checks at the start of fit, stops before the first step on findings."""

from __future__ import annotations

import io
import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
keras = pytest.importorskip("keras")
np = pytest.importorskip("numpy")

from nncheck.keras import ChecksFailed, NNCheckCallback  # noqa: E402


class StepCounter(keras.callbacks.Callback):
    def __init__(self) -> None:
        super().__init__()
        self.steps = 0

    def on_train_batch_begin(self, batch: int, logs: object = None) -> None:
        self.steps += 1


def _data(rows: int = 400, positives: float = 0.5) -> tuple[object, object]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, 8)).astype("float32")
    return x, (rng.random(rows) < positives).astype("float32")


def _model(activation: str = "sigmoid", units: int = 1) -> object:
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(units, activation=activation),
        ]
    )
    model.compile("adam", "binary_crossentropy")
    return model


def test_an_error_stops_fit_before_the_first_step_and_leaves_the_weights() -> None:
    x, y = _data()
    model = _model(activation="softmax", units=2)
    before = [w.numpy().copy() for w in model.weights]
    counter, out = StepCounter(), io.StringIO()
    with pytest.raises(ChecksFailed, match=r"1 finding at or above error \(M102\)") as raised:
        model.fit(x, y, epochs=2, verbose=0, callbacks=[NNCheckCallback(stream=out), counter])
    assert counter.steps == 0
    assert all(np.array_equal(a, w.numpy()) for a, w in zip(before, model.weights, strict=True))
    assert [f.code for f in raised.value.report.findings] == ["M102"]
    assert "M102 [error]" in out.getvalue()


def test_reads_fit_arguments_from_the_running_fit() -> None:
    x, y = _data(positives=0.04)
    model = _model()
    out = io.StringIO()
    early = keras.callbacks.EarlyStopping(patience=2)
    check = NNCheckCallback(fail_on="never", stream=out)
    history = model.fit(x, y, epochs=2, verbose=0, validation_split=0.25, callbacks=[check, early])
    assert len(history.history["loss"]) == 2  # fail_on="never": training ran
    codes = {f.code for f in check.report.findings}
    assert {"D101", "T103"} <= codes  # the imbalance and EarlyStopping(patience=2) were seen
    assert "T104" not in codes  # validation_split counts as validation
    assert "T103 [warning]" in out.getvalue()


def test_a_generator_is_not_consumed_by_the_check() -> None:
    x, y = _data()
    seen = []

    def batches():
        for start in range(0, len(x), 40):
            seen.append(start)
            yield x[start : start + 40], y[start : start + 40]

    model = _model()
    check = NNCheckCallback(stream=io.StringIO())
    model.fit(batches(), epochs=1, steps_per_epoch=10, verbose=0, callbacks=[check])
    assert seen == list(range(0, 400, 40))  # every batch went to training, none to nncheck
    assert check.report is not None
