"""T112's name tables are the installed Keras's, and the names it flags really fail there."""

from __future__ import annotations

import pytest

from nncheck.facts import keras_api as api

keras = pytest.importorskip("keras")


def test_the_name_tables_are_the_installed_keras_names() -> None:
    from keras.src.losses import ALL_OBJECTS_DICT as losses
    from keras.src.metrics import ALL_OBJECTS_DICT as metrics
    from keras.src.optimizers import ALL_OBJECTS_DICT as optimizers

    assert set(losses) == api.LOSS_NAMES
    assert set(metrics) == api.METRIC_NAMES
    assert {name.lower() for name in optimizers} == api.OPTIMIZER_NAMES


def _train_one_step(optimizer: str, loss: str, metric: str) -> None:
    import numpy as np

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer=optimizer, loss=loss, metrics=[metric])
    model.fit(np.zeros((4, 4)), np.zeros(4), epochs=1, verbose=0)


@pytest.mark.parametrize(
    ("optimizer", "loss", "metric"),
    [
        ("adamm", "sparse_categorical_crossentropy", "accuracy"),
        ("adam", "sparse_crossentropy", "accuracy"),
        ("adam", "Sparse_Categorical_Crossentropy", "accuracy"),
        ("adam", "sparse_categorical_crossentropy", "acuracy"),
        ("adam", "cce", "accuracy"),  # Keras 2 names that Keras 3 dropped
        ("adam", "logcosh", "accuracy"),
        ("adam", "kullback_leibler_divergence", "accuracy"),
    ],
)
def test_a_name_t112_flags_makes_keras_raise(optimizer: str, loss: str, metric: str) -> None:
    assert not all(
        (
            optimizer.lower() in api.OPTIMIZER_NAMES,
            loss in api.LOSS_NAMES,
            metric in api.METRIC_NAMES or metric.lower() in api.METRIC_AUTO_NAMES,
        )
    )
    with pytest.raises(ValueError, match=r"[Cc]ould not interpret"):
        _train_one_step(optimizer, loss, metric)


def test_the_names_t112_accepts_train() -> None:
    _train_one_step("ADAM", "CE", "ACC")  # any case for these three
    _train_one_step("rmsprop", "SparseCategoricalCrossentropy", "SparseCategoricalAccuracy")
