"""Saved models: the same rules on a loaded .keras / .h5 / SavedModel, safe_mode kept on."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
keras = pytest.importorskip("keras")
np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")

from nncheck.adapters import loader  # noqa: E402
from nncheck.cli import main  # noqa: E402


@keras.saving.register_keras_serializable(package="nncheck_tests")
class Doubling(keras.layers.Layer):
    def call(self, inputs):
        return inputs * 2.0


def _sequential(*layers: object, lr: float = 1e-3, loss: str = "binary_crossentropy") -> object:
    model = keras.Sequential([keras.Input((8,)), *layers])
    model.compile(keras.optimizers.Adam(lr), loss)
    return model


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("saved")
    layers = keras.layers
    bad = _sequential(layers.Dense(50, activation="relu"), layers.Dense(2, activation="softmax"))
    bad.optimizer.learning_rate.assign(0.05)
    bad.save(root / "bad.keras")
    bad.save(root / "bad.h5")
    good = _sequential(layers.Dense(64, activation="relu"), layers.Dense(1, activation="sigmoid"))
    good.save(root / "good.keras")
    _sequential(Doubling(), layers.Dense(1, activation="sigmoid")).save(root / "custom.keras")
    lam = _sequential(layers.Lambda(lambda t: t * 2), layers.Dense(1, activation="sigmoid"))
    lam.save(root / "lambda.keras")
    whole = (root / "good.keras").read_bytes()
    (root / "truncated.keras").write_bytes(whole[: len(whole) // 2])
    (root / "fake.h5").write_bytes(b"not an HDF5 file")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(2000, 8)), columns=[f"f{i}" for i in range(8)])
    frame.assign(y=(rng.random(2000) < 0.5).astype(int)).to_csv(root / "balanced.csv", index=False)
    frame.assign(y=(rng.random(2000) < 0.03).astype(int)).to_csv(root / "rare.csv", index=False)
    frame.iloc[:, :5].assign(y=0).to_csv(root / "narrow.csv", index=False)
    return root


def run(*args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(main, [*args, "--format", "json"])
    return result.exit_code, json.loads(result.stdout)


def codes(report: dict) -> list[str]:
    return [f["code"] for f in report["findings"]]


def test_a_defective_saved_model_with_its_data(files: Path) -> None:
    code, report = run(str(files / "bad.keras"), "--data", str(files / "rare.csv"), "--label", "y")
    assert code == 1
    assert codes(report) == ["D101", "M102", "M201", "M301", "T101"]
    skipped = {s["code"] for s in report["skipped"]}
    assert {"T102", "T105", "T109"} <= skipped  # nothing to say about a fit() that is not there


def test_a_sound_saved_model_with_balanced_data_is_clean(files: Path) -> None:
    code, report = run(
        str(files / "good.keras"), "--data", str(files / "balanced.csv"), "--label", "y"
    )
    assert (code, codes(report)) == (0, [])
    (probes,) = report["probes"].values()
    results = {r["name"]: r for r in probes["results"]}
    assert results["overfit"]["status"] == results["checkpoint"]["status"] == "ok"


def test_h5_loads_like_keras(files: Path) -> None:
    facts = loader.run(files / "bad.h5", 100, None, None).model
    assert [(o.units, o.activation) for o in facts.outputs] == [(2, "softmax")]
    assert (facts.optimizer, facts.learning_rate) == ("Adam", pytest.approx(0.05))


def test_a_truncated_model_is_e006_and_exit_2(files: Path) -> None:
    code, report = run(str(files / "truncated.keras"))
    assert code == 2
    assert codes(report) == ["E006"]
    assert report["findings"][0]["message"] == (
        "truncated.keras is not a valid .keras archive (truncated or corrupt)"
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("lambda.keras", "holds a Python lambda (a Lambda layer): loading it would run code"),
        ("fake.h5", "fake.h5 cannot be opened as a saved model (truncated or corrupt)"),
        ("truncated.keras", "is not a valid .keras archive"),
    ],
)
def test_unreadable_models_say_why_in_one_line(files: Path, name: str, message: str) -> None:
    with pytest.raises(loader.Unreadable) as raised:
        loader.load(files / name)
    assert message in str(raised.value) and "\n" not in str(raised.value)


def test_a_custom_layer_whose_code_is_absent_is_named(files: Path) -> None:
    custom = keras.saving.get_custom_objects().pop("nncheck_tests>Doubling")
    try:
        with pytest.raises(loader.Unreadable, match="needs the custom class 'Doubling'"):
            loader.load(files / "custom.keras")
    finally:
        keras.saving.get_custom_objects()["nncheck_tests>Doubling"] = custom
    assert loader.load(files / "custom.keras").layers[0].__class__ is Doubling


def test_data_that_does_not_fit_the_model_input(files: Path) -> None:
    with pytest.raises(loader.Unreadable, match=r"inputs of shape \(8,\), but narrow.csv has 5"):
        loader.run(files / "good.keras", 100, files / "narrow.csv", "y")


def test_a_savedmodel_directory_is_checked_through_its_signature(files: Path) -> None:
    model = keras.models.load_model(files / "bad.keras")
    model.export(files / "exported", verbose=False)
    facts = loader.run(files / "exported", 100, None, None).model
    assert facts.class_name == "Functional" and not facts.compiled
    assert [layer.kind for layer in facts.layers] == ["InputLayer", "TFSMLayer"]
