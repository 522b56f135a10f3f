"""The Python API: nncheck.check() on a live model, in the caller's process."""

from __future__ import annotations

import json
import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
keras = pytest.importorskip("keras")
np = pytest.importorskip("numpy")

import nncheck  # noqa: E402


def _model(units: int = 48) -> object:
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(units, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile("adam", "binary_crossentropy")
    return model


def test_check_reports_live_findings_without_touching_the_weights() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1000, 8)).astype("float32")
    y = (rng.random(1000) < 0.05).astype("float32")
    keras.utils.set_random_seed(0)  # the verdict judges these weights, not earlier tests'
    model = _model(units=50)
    before = [w.numpy().copy() for w in model.weights]
    # 288 steps: nearly twice the ~150 a clone of this model needs to halve its loss (X114)
    report = nncheck.check(model, x, y, epochs=9)
    assert {f.code for f in report.findings} == {"D101", "M201", "M301"}
    assert report.failed("warning") and not report.failed("error")
    assert all(np.array_equal(a, w.numpy()) for a, w in zip(before, model.weights, strict=True))
    assert json.loads(report.to_json())["summary"]["warnings"] == 3
    assert "<table" in report._repr_html_() and "D101" in str(report)


def test_a_clean_setup_reports_nothing_and_bad_input_is_a_clear_error() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(500, 8)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    keras.utils.set_random_seed(0)
    assert nncheck.check(_model(), x, y, epochs=9).findings == []
    with pytest.raises(ValueError, match=r"Expected a keras\.Model"):
        nncheck.check("model.keras", x, y)
    raw = keras.Sequential([keras.Input((8,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="compiled"):
        nncheck.check(raw, x, y)


def test_probes_run_on_clones_and_leave_the_random_generators_as_they_were() -> None:
    import random

    rng = np.random.default_rng(1)
    x = rng.normal(size=(600, 8)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    model = _model()
    before = [w.numpy().copy() for w in model.weights]
    keras.utils.set_random_seed(7)
    expected = (random.random(), np.random.random())
    keras.utils.set_random_seed(7)
    report = nncheck.check(model, x, y, epochs=5, probe_budget=600)
    assert (random.random(), np.random.random()) == expected
    assert all(np.array_equal(a, w.numpy()) for a, w in zip(before, model.weights, strict=True))
    results = {r.name: r for r in report.result.probes["<model>"].results}
    assert results["overfit"].status == "ok" and results["loss_at_init"].status == "ok"
    assert "Probes on <model>" in str(report)


def test_a_model_too_large_to_copy_beside_itself_skips_the_training_probes(monkeypatch) -> None:
    from nncheck.adapters import probes

    monkeypatch.setattr(probes, "available_memory", lambda: 8 * 2**10)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(300, 8)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    report = nncheck.check(_model(), x, y, epochs=5, probe_budget=600)
    results = {r.name: r for r in report.result.probes["<model>"].results}
    # 481 weights of 4 bytes, four times: the copy, its gradients and Adam's two moments
    assert results["overfit"].status == "skipped"
    assert results["overfit"].reason == (
        "a copy of the model with its gradients and Adam's state needs about 7.5 KiB and "
        "8.0 KiB of CPU memory is free"
    )
    assert results["memory"].status == results["dead_units"].status == "ok"  # no copy trained


class _NoConfig(keras.Model):
    """A subclassed model whose constructor takes no keyword arguments: it cannot be copied."""

    def __init__(self):
        super().__init__()
        self.hidden = keras.layers.Dense(16, activation="relu")
        self.out = keras.layers.Dense(1, activation="sigmoid")

    def call(self, inputs):
        return self.out(self.hidden(inputs))


def test_a_model_that_cannot_be_copied_is_probed_in_place_and_restored() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(400, 8)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    model = _NoConfig()
    optimizer = keras.optimizers.Adam(1e-3)
    model.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=["accuracy"])
    model(x[:2])
    before = [w.numpy().copy() for w in model.weights]
    report = nncheck.check(model, x, y, epochs=5, probe_budget=600)
    probes = report.result.probes["<model>"]
    assert probes.cloning == "in place"
    statuses = {r.name: r.status for r in probes.results}
    assert statuses["overfit"] == statuses["lr_range"] == statuses["gradients"] == "ok"
    assert all(np.array_equal(a, w.numpy()) for a, w in zip(before, model.weights, strict=True))
    assert model.optimizer is optimizer  # the user's compilation is back
    history = model.fit(x, y, epochs=1, verbose=0)  # and it still trains as compiled
    assert set(history.history) == {"accuracy", "loss"}


def test_the_single_batch_probe_counts_a_batchnorm_model_right_by_the_batch_statistics() -> None:
    """Fast single-batch training leaves BatchNorm's moving statistics behind: in inference
    mode a model that classifies its batch perfectly can look like it learned nothing."""
    from types import SimpleNamespace

    from nncheck.adapters.probes import Probes
    from nncheck.facts.live import LossFacts, ModelFacts, OutputFacts

    rng = np.random.default_rng(3)
    x = (rng.normal(size=(32, 4)) + 100.0).astype("float32")  # far from the initial mean 0
    y = (x[:, 0] > x[:, 0].mean()).astype("float32")
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.layers[-1].set_weights([np.array([[10.0], [0.0], [0.0], [0.0]]), np.zeros(1)])
    facts = ModelFacts(
        "m",
        "Sequential",
        outputs=[OutputFacts("dense", 1, "sigmoid", [0.0])],
        losses=[LossFacts("binary_crossentropy")],
    )
    inference = float(np.mean((model.predict_on_batch(x).reshape(-1) > 0.5) == (y > 0.5)))
    assert inference == y.mean()  # the moving mean is still 0: every sample looks positive
    assert Probes._batch_accuracy(SimpleNamespace(facts=facts), model, x, y) == 1.0
