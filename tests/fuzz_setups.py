"""Random but valid Keras training scripts, for the fuzz harness (tests/test_fuzz.py with a
small count, bench/fuzz.py with a larger one).

A setup is drawn from a seed: the model's style (Sequential, functional, subclassed), its
head and the matching loss and label format, the container the data comes in (arrays, a
dict of arrays, tf.data, a generator, a PyDataset), callbacks, the optimizer, and how it
trains (fit, a train_on_batch loop, a GradientTape loop). Every combination is one Keras
trains without an error, so nncheck must check it without crashing, hanging, leaving
anything behind, or claiming that its first step raises.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

# head -> (output layers code, loss, label code, metrics); ``h`` is the last hidden tensor
HEADS = {
    "binary": (
        "layers.Dense(1, activation='sigmoid')(h)",
        "'binary_crossentropy'",
        "(x[:, 0] > 0).astype('float32')",
        "['accuracy']",
    ),
    "binary_logits": (
        "layers.Dense(1)(h)",
        "keras.losses.BinaryCrossentropy(from_logits=True)",
        "(x[:, 0] > 0).astype('float32')",
        "['accuracy']",
    ),
    "multiclass_sparse": (
        "layers.Dense(4, activation='softmax')(h)",
        "'sparse_categorical_crossentropy'",
        "np.argmax(x[:, :4], axis=1)",
        "['accuracy']",
    ),
    "multiclass_one_hot": (
        "layers.Dense(4, activation='softmax')(h)",
        "'categorical_crossentropy'",
        "keras.utils.to_categorical(np.argmax(x[:, :4], axis=1), 4)",
        "['accuracy']",
    ),
    "multiclass_logits": (
        "layers.Dense(4)(h)",
        "keras.losses.SparseCategoricalCrossentropy(from_logits=True)",
        "np.argmax(x[:, :4], axis=1)",
        "['accuracy']",
    ),
    "multilabel": (
        "layers.Dense(3, activation='sigmoid')(h)",
        "'binary_crossentropy'",
        "(x[:, :3] > 0.3).astype('float32')",
        "['binary_accuracy']",
    ),
    "regression": (
        "layers.Dense(1)(h)",
        "'mse'",
        "(x[:, :1] * 0.5 + 0.1).astype('float32')",
        "['mae']",
    ),
}
MULTI_OUTPUT = {"dict_outputs", "list_outputs"}
# what a GradientTape loop calls: Loss objects (they align the ranks of y and the output)
LOSS_OBJECTS = {
    "'binary_crossentropy'": "keras.losses.BinaryCrossentropy()",
    "'sparse_categorical_crossentropy'": "keras.losses.SparseCategoricalCrossentropy()",
    "'categorical_crossentropy'": "keras.losses.CategoricalCrossentropy()",
    "'mse'": "keras.losses.MeanSquaredError()",
}
STYLES = ("sequential", "functional", "subclassed")
CONTAINERS = ("arrays", "dict_inputs", "tf_data", "generator", "py_dataset")
TRAINING = ("fit", "fit", "fit", "train_on_batch", "gradient_tape")
OPTIMIZERS = (
    "'adam'",
    "keras.optimizers.Adam(1e-3)",
    "keras.optimizers.SGD(0.01, momentum=0.9)",
    "keras.optimizers.RMSprop(1e-3)",
)
CALLBACKS = (
    "[]",
    "[keras.callbacks.EarlyStopping(monitor='val_loss', patience=5, restore_best_weights=True)]",
    "[keras.callbacks.ModelCheckpoint('checkpoints/m.keras')]",
    "[keras.callbacks.ReduceLROnPlateau(monitor='loss', patience=3)]",
)
HIDDEN = ("relu", "gelu", "tanh")


@dataclass(frozen=True)
class Setup:
    """One generated setup: its choices (for a readable failure) and its script."""

    seed: int
    choices: dict[str, str]
    script: str


def generate(seed: int) -> Setup:
    rng = random.Random(seed)
    head = rng.choice([*HEADS, *sorted(MULTI_OUTPUT)])
    style = rng.choice(STYLES)
    training = rng.choice(TRAINING)
    container = rng.choice(CONTAINERS)
    if head in MULTI_OUTPUT:
        style = "functional"  # named outputs need the functional API
        training = "fit"
    if training != "fit":
        container = "arrays"  # the loops slice arrays themselves
    if style != "functional" and container == "dict_inputs":
        container = "arrays"  # named inputs need the functional API
    choices = {
        "head": head,
        "style": style,
        "training": training,
        "container": container,
        "optimizer": rng.choice(OPTIMIZERS),
        "callbacks": rng.choice(CALLBACKS) if training == "fit" else "[]",
        "hidden": rng.choice(HIDDEN),
        "width": str(rng.choice((16, 32, 64))),
        "depth": str(rng.choice((1, 2, 3))),
        "samples": str(rng.choice((256, 512, 1024))),
        "seeded": str(rng.random() < 0.7),
    }
    return Setup(seed, choices, _script(choices))


def _script(c: dict[str, str]) -> str:
    lines = [
        f"# generated setup: {c}",
        "import numpy as np",
        "import keras",
        "from keras import layers",
    ]
    if c["container"] == "tf_data" or c["training"] == "gradient_tape":
        lines.append("import tensorflow as tf")
    if c["seeded"] == "True":
        lines.append("keras.utils.set_random_seed(0)")
    lines.append("rng = np.random.default_rng(0)")
    lines.append(f"x = rng.normal(size=({c['samples']}, 8)).astype('float32')")
    lines += _model(c)
    lines += _training(c)
    return "\n".join(lines) + "\n"


def _hidden(c: dict[str, str]) -> list[str]:
    return [
        f"h = layers.Dense({c['width']}, activation='{c['hidden']}')(h)"
        for _ in range(int(c["depth"]))
    ]


def _model(c: dict[str, str]) -> list[str]:
    head = c["head"]
    if head in MULTI_OUTPUT:
        lines = ["inputs = keras.Input((8,), name='features')", "h = inputs"]
        lines += _hidden(c)
        kind = "layers.Dense(3, activation='softmax', name='kind')(h)"
        size = "layers.Dense(1, name='size')(h)"
        if head == "dict_outputs":
            lines.append(f"model = keras.Model(inputs, {{'kind': {kind}, 'size': {size}}})")
            loss = "{'kind': 'sparse_categorical_crossentropy', 'size': 'mse'}"
            lines.append("y = {'kind': np.argmax(x[:, :3], axis=1), 'size': x[:, 3:4] * 0.5}")
        else:
            lines.append(f"model = keras.Model(inputs, [{kind}, {size}])")
            loss = "['sparse_categorical_crossentropy', 'mse']"
            lines.append("y = [np.argmax(x[:, :3], axis=1), x[:, 3:4] * 0.5]")
        lines.append(f"model.compile(optimizer={c['optimizer']}, loss={loss})")
        return lines
    output, loss, labels, metrics = HEADS[head]
    lines = [f"y = {labels}"]
    if c["style"] == "sequential":
        hidden = [
            f"layers.Dense({c['width']}, activation='{c['hidden']}')"
            for _ in range(int(c["depth"]))
        ]
        out = output.replace("(h)", "")
        lines.append(f"model = keras.Sequential([keras.Input((8,)), {', '.join(hidden)}, {out}])")
    elif c["style"] == "functional":
        name = ", name='features'" if c["container"] == "dict_inputs" else ""
        lines += [f"inputs = keras.Input((8,){name})", "h = inputs"]
        lines += _hidden(c)
        lines.append(f"model = keras.Model(inputs, {output})")
    else:
        depth = int(c["depth"])
        calls = "".join(f"self.hidden_{i}(" for i in reversed(range(depth)))
        lines += [
            "class Net(keras.Model):",
            "    def __init__(self):",
            "        super().__init__()",
            *(
                f"        self.hidden_{i} = layers.Dense({c['width']}, activation='{c['hidden']}')"
                for i in range(depth)
            ),
            f"        self.head = {output.replace('(h)', '')}",
            "",
            "    def call(self, inputs):",
            f"        return self.head({calls}inputs{')' * depth})",
            "",
            "",
            "model = Net()",
        ]
    if c["training"] == "gradient_tape":
        lines.append(f"optimizer = {_optimizer_object(c['optimizer'])}")
        lines.append(f"loss_fn = {LOSS_OBJECTS.get(loss, loss)}")
    else:
        lines.append(f"model.compile(optimizer={c['optimizer']}, loss={loss}, metrics={metrics})")
    return lines


def _optimizer_object(spec: str) -> str:
    return "keras.optimizers.Adam()" if spec.startswith("'") else spec


def _training(c: dict[str, str]) -> list[str]:
    if c["training"] == "train_on_batch":
        return [
            "for epoch in range(2):",
            "    for start in range(0, len(x), 32):",
            "        model.train_on_batch(x[start:start + 32], y[start:start + 32])",
        ]
    if c["training"] == "gradient_tape":
        return [
            "for epoch in range(2):",
            "    for start in range(0, len(x), 32):",
            "        xb, yb = x[start:start + 32], y[start:start + 32]",
            "        with tf.GradientTape() as tape:",
            "            loss = loss_fn(yb, model(xb, training=True))",
            "        grads = tape.gradient(loss, model.trainable_variables)",
            "        optimizer.apply_gradients(zip(grads, model.trainable_variables))",
        ]
    fit = f"epochs=3, callbacks={c['callbacks']}"
    validation = ", validation_split=0.2" if "val_loss" in c["callbacks"] else ""
    container = c["container"]
    if container == "arrays":
        return [f"model.fit(x, y, batch_size=32, {fit}{validation})"]
    if container == "dict_inputs":
        inputs = "{'features': x}"
        return [f"model.fit({inputs}, y, batch_size=32, {fit}{validation})"]
    # tf.data, generators and PyDatasets have no validation_split: validate on a slice
    validation = ", validation_data=(x[:64], y[:64])" if validation else ""
    if c["head"] in MULTI_OUTPUT:
        validation = ""
        fit = fit.replace("monitor='val_loss'", "monitor='loss'")
    if container == "tf_data":
        targets = "tuple(y)" if c["head"] == "list_outputs" else "y"
        return [
            f"data = tf.data.Dataset.from_tensor_slices((x, {targets})).shuffle(256).batch(32)",
            f"model.fit(data, {fit}{validation})",
        ]
    if container == "generator":
        return [
            "def batches():",
            "    while True:",
            "        for start in range(0, len(x) - 31, 32):",
            f"            yield x[start:start + 32], {_sliced_targets(c, 'start:start + 32')}",
            f"model.fit(batches(), steps_per_epoch=len(x) // 32, {fit}{validation})",
        ]
    return [
        "class Batches(keras.utils.PyDataset):",
        "    def __len__(self):",
        "        return len(x) // 32",
        "    def __getitem__(self, i):",
        "        s = slice(i * 32, (i + 1) * 32)",
        f"        return x[s], {_sliced_targets(c, 's')}",
        f"model.fit(Batches(), {fit}{validation})",
    ]


def _sliced_targets(c: dict[str, str], index: str) -> str:
    """The targets of one batch, in the structure the model's outputs take."""
    if c["head"] == "dict_outputs":
        return f"{{k: v[{index}] for k, v in y.items()}}"
    if c["head"] == "list_outputs":
        return f"tuple(v[{index}] for v in y)"
    return f"y[{index}]"


@dataclass(frozen=True)
class Outcome:
    """What nncheck did on one setup: the problems found (empty when all is well)."""

    seed: int
    choices: dict[str, str]
    problems: list[str]
    codes: list[str]


NNCHECK = str(Path(sys.executable).with_name("nncheck"))
LIMIT_S = 400  # far above a check's time: only a hang reaches it


def check_setup(seed: int) -> Outcome:
    """Run nncheck's full check with the probes on the setup of ``seed``, in a directory
    of its own that is also its TMPDIR, and list what went wrong."""
    setup = generate(seed)
    problems: list[str] = []
    codes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="fuzz-") as work:
        root = Path(work)
        script, scratch = root / "train.py", root / "tmp"
        script.write_text(setup.script, encoding="utf-8")
        scratch.mkdir()
        env = {**os.environ, "TMPDIR": str(scratch)}
        command = [NNCHECK, "--format", "json", "--quiet", "--probe-budget", "300", str(script)]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, env=env, timeout=LIMIT_S, check=False
            )
        except subprocess.TimeoutExpired:
            return Outcome(seed, setup.choices, [f"hang: no answer in {LIMIT_S} s"], codes)
        if done.returncode not in (0, 1):
            problems.append(f"crash: exit {done.returncode}: {done.stderr.strip()[-300:]}")
        else:
            report = json.loads(done.stdout)
            codes = [f["code"] for f in report["findings"]]
            problems += [
                f"nncheck failure: {f['code']} {f['message'][:300]}"
                for f in report["findings"]
                if f["code"].startswith("E")
            ]
            problems += [
                f"false claim: T114 {f['message'][:200]}"
                for f in report["findings"]
                if f["code"] == "T114"
            ]
            for probes in report["probes"].values():
                problems += [
                    f"probe failure: {r['name']} {r['status']}: {r['reason'][:200]}"
                    for r in probes["results"]
                    if r["status"] in {"crashed", "over_budget", "not_run"}
                ]
        left = sorted(p.name for p in scratch.iterdir())
        if left:
            problems.append(f"left behind: {left}")
    return Outcome(seed, setup.choices, problems, codes)
