"""SourceFacts: models, layers, fits and pipelines as the static rules see them."""

from __future__ import annotations

from nncheck.facts.evaluate import UNKNOWN
from nncheck.facts.source import SourceFacts

KERAS_HEADER = "import keras\nfrom keras import layers\n"


def test_sklearn_fit_is_not_a_keras_fit() -> None:
    facts = SourceFacts.from_text(
        KERAS_HEADER
        + "from sklearn.preprocessing import StandardScaler\n"
        + "scaler = StandardScaler()\nscaler.fit(x)\n"
        + "model = keras.Sequential([layers.Dense(1)])\nmodel.compile('adam', 'mse')\n"
        + "model.fit(x, y, epochs=3)\n"
    )
    assert [f.call.line for f in facts.fits] == [8]


def test_fit_on_an_unknown_receiver_counts_when_it_was_compiled_or_uses_fit_only_keywords() -> None:
    facts = SourceFacts.from_text(
        KERAS_HEADER + "m = load()\nm.compile('adam', 'mse')\nm.fit(x, y)\nother.fit(x, epochs=4)\n"
    )
    assert [f.call.line for f in facts.fits] == [5, 6]


def test_a_script_without_keras_has_no_keras_training() -> None:
    facts = SourceFacts.from_text("import torch\nmodel.fit(x, epochs=3)\n")
    assert facts.frameworks == {"pytorch"}
    assert facts.training_calls == []


def test_sequential_output_activation_follows_a_trailing_activation_layer() -> None:
    facts = SourceFacts.from_text(
        KERAS_HEADER
        + "model = keras.Sequential([keras.Input((4,)), layers.Dense(8), layers.Dense(3)])\n"
        + "model.add(layers.Activation('softmax'))\n"
    )
    (model,) = facts.models
    assert facts.output_activation(model) == ("softmax", 3, 4)  # line of the Activation


def test_functional_output_is_marked_and_unknown_layers_stay_unknown() -> None:
    facts = SourceFacts.from_text(
        KERAS_HEADER
        + "inputs = keras.Input((4,))\nh = layers.Dense(100)(inputs)\n"
        + "out = layers.Dense(100)(h)\nmodel = keras.Model(inputs, out)\n"
        + "other = keras.Model(inputs, custom_head(h))\n"
    )
    hidden, output = facts.layers
    assert (hidden.is_output, output.is_output) == (False, True)
    assert facts.output_activation(facts.models[1])[:2] == (UNKNOWN, UNKNOWN)


def test_dataset_chain_is_followed_back_to_its_source() -> None:
    facts = SourceFacts.from_text(
        "import tensorflow as tf\n"
        + "ds = tf.data.Dataset.from_tensor_slices((x, y))\n"
        + "ds = ds.map(f).batch(32)\n"
        + "probe(ds)\n"
    )
    chain = facts.dataset_chain(facts.calls[-1].arg("x", 0))
    assert [c.qualname or c.method for c in chain] == [
        "tensorflow.data.Dataset.from_tensor_slices",
        "map",
        "batch",
    ]


def test_comments_are_read_with_tokenize_so_strings_do_not_count() -> None:
    facts = SourceFacts.from_text("x = '# nncheck: ignore'\ny = 1  # nncheck: ignore[T102]\n")
    assert facts.comments == {2: "# nncheck: ignore[T102]"}


def test_string_literals_and_identifiers_leave_out_docstrings_and_comments() -> None:
    source = SourceFacts.from_text(
        '"""Trains in float32, no float16 here."""\n'
        "import keras  # not mixed_float16 either\n"
        "def f():\n    'a docstring on bfloat16'\n"
        "keras.mixed_precision.set_global_policy('mixed_bfloat16')\n"
    )
    assert source.string_literals == {"mixed_bfloat16"}
    assert {"keras", "mixed_precision", "set_global_policy", "f"} <= source.identifiers
    assert not any("float16" in name for name in source.identifiers)
