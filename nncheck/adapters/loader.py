"""The child process for a saved model: load it safely and report its facts.

    python -m nncheck.adapters.loader MODEL OUT MAX_SAMPLES [DATA LABEL]

Loads a ``.keras`` / ``.h5`` file with ``keras.saving.load_model(..., safe_mode=True)`` (a
file can never make nncheck run code it carries: a serialised lambda is refused, a custom
class must be importable) or a SavedModel directory through ``keras.layers.TFSMLayer``, turns
it into ModelFacts, reads the optional data file into DataFacts, and pickles a CaptureResult
to OUT: status "captured", or "unreadable" with one line saying why.
"""

from __future__ import annotations

import os
import pickle
import re
import sys
import zipfile
from pathlib import Path
from typing import Any

from nncheck.facts.live import CaptureResult, Site, describe_internal_error


class Unreadable(Exception):
    """The model or data file cannot be used; the message is one line for the user."""


def _explain_load_error(path: Path, error: BaseException) -> str:
    text = " ".join(str(error).split())
    missing = re.search(r"[Cc]ould not (?:locate|deserialize) class '?([\w.]+)'?", text)
    if missing:
        return (
            f"the model needs the custom class {missing.group(1)!r}, whose code is not "
            "importable here: import its module in a script and use the Python API, or "
            "register it with @keras.saving.register_keras_serializable()"
        )
    if "safe_mode" in text or "lambda" in text.lower():
        return (
            "the model holds a Python lambda (a Lambda layer): loading it would run code "
            "stored in the file, which nncheck refuses (Keras safe_mode); replace the Lambda "
            "with a registered custom layer"
        )
    if isinstance(error, zipfile.BadZipFile) or "zip" in text.lower():
        return f"{path.name} is not a valid .keras archive (truncated or corrupt): {text[:160]}"
    if "truncated" in text or "signature" in text.lower() or isinstance(error, OSError):
        return f"{path.name} cannot be opened as a saved model (truncated or corrupt): {text[:160]}"
    return f"{path.name} cannot be loaded: {type(error).__name__}: {text[:200]}"


def load(path: Path) -> Any:
    """The Keras model saved at ``path``; Unreadable with one line when it cannot be."""
    import keras

    if path.is_dir():
        return _load_saved_model(path, keras)
    if path.suffix == ".keras" and not zipfile.is_zipfile(path):
        raise Unreadable(f"{path.name} is not a valid .keras archive (truncated or corrupt)")
    try:
        return keras.saving.load_model(path, compile=True, safe_mode=True)
    except Exception as error:
        raise Unreadable(_explain_load_error(path, error)) from None


def _load_saved_model(path: Path, keras: Any) -> Any:
    """A SavedModel keeps no Keras layers: wrap its serving signature, inputs to outputs."""
    import tensorflow as tf

    try:
        loaded = tf.saved_model.load(str(path))
        signature = loaded.signatures["serving_default"]
        layer = keras.layers.TFSMLayer(str(path), call_endpoint="serving_default")
    except Exception as error:
        raise Unreadable(_explain_load_error(path, error)) from None
    specs = signature.structured_input_signature[1]
    inputs = {
        name: keras.Input(shape=spec.shape[1:], dtype=spec.dtype.name, name=name)
        for name, spec in specs.items()
    }
    outputs = layer(inputs if len(inputs) > 1 else next(iter(inputs.values())))
    return keras.Model(inputs, outputs, name=path.name)


def _check_data_shape(model: Any, data: Any, data_path: Path) -> None:
    """The data file's feature count must match a single flat model input."""
    inputs = getattr(model, "inputs", None) or []
    if len(inputs) != 1 or not data.inputs:
        return
    shape = tuple(inputs[0].shape[1:])
    features = data.inputs[0].shape[0]
    flat = 1
    for size in shape:
        flat = flat * size if size is not None else flat
    if None not in shape and flat != features:
        raise Unreadable(
            f"the model takes inputs of shape {shape}, but {data_path.name} has {features} "
            "numeric feature columns"
        )


def run(model_path: Path, max_samples: int, data_path: Path | None, label: str | None) -> Any:
    from nncheck.adapters import keras3
    from nncheck.facts import datafile

    model = load(model_path)
    recorder = keras3.Recorder(model_path, max_samples)
    site = Site(str(model_path), 0)
    for layer in getattr(model, "layers", []):  # the saved model's own layers are the user's
        if not isinstance(layer, keras3.keras.Model):
            recorder.sites[id(layer)] = (layer, site)
    result = CaptureResult(status="captured")
    result.model = keras3.model_facts(model, recorder)
    result.model.compiled = bool(getattr(model, "compiled", False))
    if data_path is not None:
        try:
            result.data, x, y = datafile.read_with_sample(data_path, label, max_samples)
        except datafile.DataFileError as error:
            raise Unreadable(str(error).removeprefix(f"{data_path}: ")) from None
        _check_data_shape(model, result.data, data_path)
        if "NNCHECK_PROBES" in os.environ and result.model.compiled and y is not None:
            result.probes = _probe(model, x, y, result)
    return result


def _probe(model: Any, x: Any, y: Any, result: CaptureResult) -> Any:
    """The probes on a saved model with its data."""
    from nncheck.adapters import probes

    inputs = getattr(model, "inputs", None) or []
    if len(inputs) == 1 and None not in tuple(inputs[0].shape[1:]):
        x = x.reshape((len(x), *tuple(inputs[0].shape[1:])))
    y = y.astype("float32") if y.dtype.kind in "fiub" else y
    options = probes.ProbeOptions.from_env()
    assert result.model is not None  # _probe runs on a captured, compiled model
    arguments = {"__source__": "arrays"}
    return probes.Probes(model, x, y, arguments, result.model, None, options).run()


def main() -> None:
    model_path, out, max_samples, *rest = sys.argv[1:]
    data_path = Path(rest[0]) if rest and rest[0] else None
    label = rest[1] if len(rest) > 1 and rest[1] else None
    try:
        result = run(Path(model_path), int(max_samples), data_path, label)
    except Unreadable as error:
        result = CaptureResult(status="unreadable", error=str(error))
    except BaseException as error:  # nncheck's own bug
        result = CaptureResult(status="internal_error", error=describe_internal_error(error))
    with open(out, "wb") as handle:
        pickle.dump(result, handle)
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
