"""The Keras 3 adapter: intercept training in the user's script and turn what it built into facts.

Runs inside the child process that executes the script (``nncheck.adapters.child``). It
patches Keras' public training entry points (``Model.fit``, ``Model.train_on_batch``,
``Optimizer.apply`` / ``apply_gradients`` for custom loops), records where each layer and
callback was constructed, and at the first training step converts the live model, data and
configuration into the plain facts of :mod:`nncheck.facts.live`, then stops the script with
:class:`CaptureStop` before any weight changes.

Keras internals are touched in few places (a KerasTensor's ``_keras_history``, a layer's
inbound nodes, ``Model._compile_config``), each guarded so that a Keras release that moves
them degrades to "unknown" rather than a crash; tests pin the behaviour on the installed Keras.
"""

from __future__ import annotations

import inspect
import itertools
import time
from pathlib import Path
from typing import Any

import keras
import numpy as np

from nncheck.adapters.capture_stop import CaptureStop
from nncheck.adapters.sites import SiteTracker
from nncheck.facts import datastats
from nncheck.facts import keras_api as api
from nncheck.facts.live import (
    CallbackFacts,
    CaptureResult,
    DataFacts,
    LayerFacts,
    LossFacts,
    ModelFacts,
    OutputFacts,
    Site,
    TrainFacts,
    describe_internal_error,
)

MAX_BATCHES = 50
WIDTH_ATTRIBUTES = (("units", "units"), ("filters", "filters"), ("output_dim", "output_dim"))
PASS_THROUGH = {
    "InputLayer",
    "Reshape",
    "Flatten",
    "RandomFlip",
    "RandomRotation",
    "RandomZoom",
    "RandomTranslation",
    "RandomCrop",
    "RandomContrast",
    "RandomBrightness",
    "Dropout",
    "SpatialDropout2D",
}
LOSS_ALIASES = {
    "mse": "mean_squared_error",
    "mae": "mean_absolute_error",
    "mape": "mean_absolute_percentage_error",
    "msle": "mean_squared_logarithmic_error",
    "logcosh": "log_cosh",
    "bce": "binary_crossentropy",
    "cce": "categorical_crossentropy",
    "scce": "sparse_categorical_crossentropy",
}


ORIGINAL_FIT = keras.Model.fit  # before install() patches it; the API binds arguments to it


class Recorder(SiteTracker):
    """Remembers construction sites and models while the script runs; captures at training."""

    def __init__(self, script: Path, max_samples: int, fit_call: int = 1) -> None:
        super().__init__(script)
        self.max_samples = max_samples
        self.models: list[Any] = []
        self.result: CaptureResult | None = None
        self.fit_call = fit_call  # which fit() call to capture (1: the first)
        self.fit_calls = 0  # fit() calls so far
        self.training_through = 0  # > 0 while an earlier fit() trains for real
        # A custom loop's last batch, as the model and a keras.losses.Loss saw it: the
        # model's inputs and its ``training`` argument (by model), the loss and its y_true.
        self.model_calls: dict[int, tuple[Any, Any, Any, Site | None]] = {}
        self.loss_call: tuple[Any, Any] | None = None
        self.started = time.perf_counter()
        # What the probes need after the capture: the live model, fit()'s arguments, the sample.
        self.model: Any = None
        self.arguments: dict[str, Any] = {}
        self.samples: Samples | None = None

    # -- capture ---------------------------------------------------------------------------

    def capture(self, model: Any, entry: str, arguments: dict[str, Any]) -> None:
        """Record the facts at the first training step; nncheck's own failure is reported as
        such, never blamed on the user's script."""
        try:
            self._capture(model, entry, arguments)
        except Exception as error:
            detail = describe_internal_error(error)
            self.result = CaptureResult(status="internal_error", error=detail)

    def _capture(self, model: Any, entry: str, arguments: dict[str, Any]) -> None:
        site = self.user_site(model if entry != "custom_loop" else None)
        if entry != "custom_loop" and model is not None and not getattr(model, "compiled", True):
            self.result = CaptureResult(
                status="unusable",
                error=f"{entry}() is called on a model that is not compiled: Keras would stop "
                "here; call model.compile(optimizer=..., loss=...) first",
                error_site=site,
            )
            return
        result = CaptureResult(status="captured")
        result.timings["script_s"] = time.perf_counter() - self.started
        start = time.perf_counter()
        x, y = arguments.get("x"), arguments.get("y")
        if entry == "custom_loop":
            arguments.update(self._custom_loop_batch(model))
            x, y = None, None  # one batch is no sample of the data: data rules stay quiet
        samples = sample_data(x, y, self.max_samples)
        if model is not None and not model.built and samples.x is not None:
            _build(model, samples.x)
        result.model = model_facts(model, self) if model is not None else None
        if result.model is not None and not result.model.losses and "loss" in arguments:
            result.model.losses = loss_facts(arguments["loss"])  # a custom loop's Loss
        result.train = train_facts(entry, site, arguments, self)
        result.data = data_facts(samples, arguments, self.max_samples)
        if samples.source != "unknown" and result.data.samples == 0:
            self.result = CaptureResult(
                status="unusable",
                error=f"{entry}() receives no training samples: the training data is empty",
                error_site=site,
            )
            return
        if entry in {"fit", "train_on_batch"} and result.train is not None:
            result.train.first_step_error = _first_step_error(
                model, samples, result.train.batch_size
            )
        result.timings["facts_s"] = time.perf_counter() - start
        self.result = result
        self.model, self.arguments, self.samples = model, arguments, samples
        if entry == "custom_loop" and "batch_x" in arguments:  # the probes train on it
            self.samples = Samples(
                "custom_loop", arguments["batch_x"], arguments.get("batch_y"), True
            )

    def _custom_loop_batch(self, model: Any) -> dict[str, Any]:
        """The batch a custom loop's step computed its loss on, when it is concrete (eager):
        the inputs of the model's last call and the y_true of the last keras.losses.Loss
        call, if their lengths agree. Inside a tf.function they are symbolic: nothing."""
        found: dict[str, Any] = {}
        call = self.model_calls.get(id(model))
        if call is None or call[0] is not model:
            return found
        found["training_argument"], found["call_site"] = call[2], call[3]
        try:
            x = _to_numpy(call[1])
            found["batch_x"] = x
        except Exception:  # symbolic (traced) inputs
            return found
        if self.loss_call is not None:
            loss, y_true = self.loss_call
            try:
                y = _to_numpy(y_true)
                if _length(y) == _length(x):
                    found["batch_y"], found["loss"] = y, loss
            except Exception:
                pass
        return found


_ORIGINALS: list[tuple[Any, str, Any]] = []
_INHERITED = object()  # the class did not define the attribute itself


def uninstall() -> None:
    """Restore what :func:`install` patched (the probes train clones with the real fit)."""
    while _ORIGINALS:
        owner, name, original = _ORIGINALS.pop()
        if original is _INHERITED:
            delattr(owner, name)
        else:
            setattr(owner, name, original)


def install(recorder: Recorder) -> None:
    """Patch Keras' training entry points and constructors to report to ``recorder``."""
    layer_init = keras.layers.Layer.__init__

    def recording_layer_init(layer: Any, *args: Any, **kwargs: Any) -> None:
        layer_init(layer, *args, **kwargs)
        recorder.remember(layer)
        if isinstance(layer, keras.Model):
            recorder.models.append(layer)

    callback_init = keras.callbacks.Callback.__init__

    def recording_callback_init(callback: Any, *args: Any, **kwargs: Any) -> None:
        callback_init(callback, *args, **kwargs)
        recorder.remember(callback)

    fit_signature = inspect.signature(ORIGINAL_FIT)
    original_apply = keras.optimizers.Optimizer.apply

    def fit(model: Any, *args: Any, **kwargs: Any) -> Any:
        recorder.fit_calls += 1
        if recorder.fit_calls < recorder.fit_call:  # an earlier fit() trains as written
            recorder.training_through += 1
            try:
                return ORIGINAL_FIT(model, *args, **kwargs)
            finally:
                recorder.training_through -= 1
        bound = fit_signature.bind(model, *args, **kwargs)
        bound.apply_defaults()
        arguments = dict(bound.arguments)
        arguments.update(arguments.pop("kwargs", {}) or {})
        recorder.capture(model, "fit", arguments)
        raise CaptureStop

    train_on_batch_signature = inspect.signature(keras.Model.train_on_batch)

    def train_on_batch(model: Any, *args: Any, **kwargs: Any) -> None:
        bound = train_on_batch_signature.bind(model, *args, **kwargs)
        bound.apply_defaults()
        recorder.capture(model, "train_on_batch", dict(bound.arguments))
        raise CaptureStop

    def apply(optimizer: Any, grads: Any, trainable_variables: Any = None) -> Any:
        if recorder.training_through:
            return original_apply(optimizer, grads, trainable_variables)
        variables = list(trainable_variables or getattr(optimizer, "_trainable_variables", []))
        model = _model_owning(recorder.models, variables)
        recorder.capture(model, "custom_loop", {"optimizer": optimizer})
        raise CaptureStop

    def apply_gradients(optimizer: Any, grads_and_vars: Any) -> Any:
        pairs = list(grads_and_vars)
        return apply(optimizer, [g for g, _ in pairs], [v for _, v in pairs])

    model_call = keras.Model.__call__

    def recording_model_call(model: Any, *args: Any, **kwargs: Any) -> Any:
        if recorder.result is None and args:
            site = recorder.user_site()
            recorder.model_calls[id(model)] = (model, args[0], kwargs.get("training"), site)
        return model_call(model, *args, **kwargs)

    loss_call = keras.losses.Loss.__call__

    def recording_loss_call(loss: Any, y_true: Any, y_pred: Any, *args: Any, **kwargs: Any) -> Any:
        if recorder.result is None:
            recorder.loss_call = (loss, y_true)
        return loss_call(loss, y_true, y_pred, *args, **kwargs)

    patches: list[tuple[Any, str, Any]] = [
        (keras.Model, "__call__", recording_model_call),
        (keras.losses.Loss, "__call__", recording_loss_call),
        (keras.layers.Layer, "__init__", recording_layer_init),
        (keras.callbacks.Callback, "__init__", recording_callback_init),
        (keras.optimizers.Optimizer, "apply", apply),
        (keras.optimizers.Optimizer, "apply_gradients", apply_gradients),
    ]
    # fit and train_on_batch on keras.Model and on every class that defines them (the
    # backend's trainer): a wrapper that took the backend's method still reaches the capture.
    for name, patch in (("fit", fit), ("train_on_batch", train_on_batch)):
        owners = [keras.Model] + [c for c in keras.Model.__mro__[1:] if name in c.__dict__]
        patches.extend((owner, name, patch) for owner in owners)
    for owner, name, patch in patches:
        _ORIGINALS.append((owner, name, owner.__dict__.get(name, _INHERITED)))
        setattr(owner, name, patch)


def _first_step_error(model: Any, samples: Samples, batch_size: int | None) -> str | None:
    """What Keras' own step raises on the first rows of the training data, if anything:
    the forward pass and the loss of ``test_on_batch`` (which changes no weight) on data
    that fit() would have fed. None when it runs, or when there are no labels to try."""
    if model is None or samples.x is None or samples.y is None:
        return None
    rows = np.arange(min(batch_size or 32, _length(samples.x)))
    try:
        model.test_on_batch(_take(samples.x, rows), _take(samples.y, rows))
    except Exception as error:
        text = " ".join(str(error).split())[:300]
        return f"{type(error).__name__}: {text}"
    return None


def _model_owning(models: list[Any], variables: list[Any]) -> Any:
    """The model whose trainable variables overlap most with the ones being updated."""
    wanted = {id(v) for v in variables}
    best, best_overlap = None, 0
    for model in models:
        try:
            overlap = len(wanted & {id(v) for v in model.trainable_variables})
        except Exception:  # a model that cannot list its variables yet
            continue
        if overlap > best_overlap:
            best, best_overlap = model, overlap
    return best


def _build(model: Any, x: Any) -> None:
    """Build a model that Keras would only build at fit time, by calling it on two samples."""
    try:
        if isinstance(x, dict):
            model({k: v[:2] for k, v in x.items()})
        elif isinstance(x, list | tuple):
            model([v[:2] for v in x])
        else:
            model(x[:2])
    except Exception:  # facts about an unbuilt model are still useful; its layers are unknown
        pass


# -- data ------------------------------------------------------------------------------------


class Samples:
    """At most ``max_samples`` rows of x and y (and the source kind), as NumPy."""

    def __init__(
        self,
        source: str,
        x: Any,
        y: Any,
        truncated: bool,
        *,
        length: int | None = None,
        pass_bytes: int | None = None,
    ) -> None:
        self.source, self.x, self.y, self.truncated = source, x, y, truncated
        self.length = length  # every row of array data, sampled or not
        self.pass_bytes = pass_bytes  # one pass over a tf.data input, its elements as yielded


def _to_numpy(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, dict):
        return {k: _to_numpy(v) for k, v in value.items()}
    if isinstance(value, list | tuple) and value and all(hasattr(v, "shape") for v in value):
        return [_to_numpy(v) for v in value]
    if hasattr(value, "to_numpy"):  # pandas
        return value.to_numpy()
    if hasattr(value, "numpy"):
        return value.numpy()
    return keras.ops.convert_to_numpy(value) if not isinstance(value, np.ndarray) else value


def _take(value: Any, index: np.ndarray | None) -> Any:
    if value is None or index is None:
        return value
    if isinstance(value, dict):
        return {k: _take(v, index) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_take(v, index) for v in value]
    return value[index]


def _length(value: Any) -> int:
    if isinstance(value, dict):
        return len(next(iter(value.values())))
    if isinstance(value, list | tuple):
        return len(value[0])
    return len(value)


def _concat(parts: list[Any]) -> Any:
    first = parts[0]
    if isinstance(first, dict):
        return {k: _concat([p[k] for p in parts]) for k in first}
    if isinstance(first, list | tuple):
        return [_concat([p[i] for p in parts]) for i in range(len(first))]
    return np.concatenate([np.asarray(p) for p in parts], axis=0)


def _split_batch(batch: Any) -> tuple[Any, Any]:
    if isinstance(batch, tuple | list) and len(batch) in (2, 3):
        return batch[0], batch[1]
    return batch, None


def sample_data(x: Any, y: Any, max_samples: int) -> Samples:
    """A bounded sample of the training data, whatever form it comes in."""
    if x is None:
        return Samples("unknown", None, None, False)
    kind = type(x).__name__
    if _is_dataset(x):
        elements = _known_cardinality(x)
        return _sample_batches("dataset", iter(x.take(MAX_BATCHES)), max_samples, elements)
    if isinstance(x, keras.utils.PyDataset):
        count = min(MAX_BATCHES, x.num_batches or MAX_BATCHES)
        return _sample_batches("py_dataset", (x[i] for i in range(count)), max_samples)
    if inspect.isgenerator(x) or (hasattr(x, "__next__") and not hasattr(x, "__len__")):
        return _sample_batches("generator", itertools.islice(x, MAX_BATCHES), max_samples)
    x_np, y_np = _to_numpy(x), _to_numpy(y)
    length = _length(x_np)
    index = datastats.sample_indices(length, max_samples)
    if kind == "list" and not isinstance(x_np, list):
        x_np = np.asarray(x_np)
    return Samples(
        "arrays", _take(x_np, index), _take(y_np, index), index is not None, length=length
    )


def _is_array_like(value: Any) -> bool:
    if value is None or _is_dataset(value) or isinstance(value, keras.utils.PyDataset):
        return False
    return not inspect.isgenerator(value)


def _is_dataset(value: Any) -> bool:
    return type(value).__module__.startswith("tensorflow") and hasattr(value, "take")


def _known_cardinality(dataset: Any) -> int | None:
    """How many elements one pass over ``dataset`` yields, when tf.data knows it."""
    try:
        elements = int(dataset.cardinality())
    except Exception:  # not a tf.data.Dataset after all
        return None
    return elements if elements > 0 else None  # -1: infinite, -2: unknown


def _sample_batches(
    source: str, batches: Any, max_samples: int, elements: int | None = None
) -> Samples:
    """The first batches, up to ``max_samples`` rows; with the number of ``elements`` (batches)
    of one pass, also the bytes that pass yields (what a ``.cache()`` at its end holds)."""
    xs: list[Any] = []
    ys: list[Any] = []
    seen = 0
    first_bytes = 0
    truncated = False
    for batch in batches:
        if not xs:
            first_bytes = sum(np.asarray(part).nbytes for part in keras.tree.flatten(batch))
        bx, by = _split_batch(batch)
        xs.append(_to_numpy(bx))
        ys.append(_to_numpy(by))
        seen += _length(xs[-1])
        if seen >= max_samples:
            truncated = True
            break
    if not xs:
        return Samples(source, None, None, False)
    x = _concat(xs)
    y = _concat(ys) if all(v is not None for v in ys) else None
    pass_bytes = elements * first_bytes if elements else None
    return Samples(source, x, y, truncated, pass_bytes=pass_bytes)


def _named(value: Any, prefix: str) -> list[tuple[str, np.ndarray]]:
    if value is None:
        return []
    if isinstance(value, dict):
        return [(str(k), np.asarray(v)) for k, v in value.items()]
    if isinstance(value, list | tuple):
        return [(f"{prefix}[{i}]", np.asarray(v)) for i, v in enumerate(value)]
    return [(prefix, np.asarray(value))]


def data_facts(samples: Samples, arguments: dict[str, Any], max_samples: int) -> DataFacts:
    inputs = _named(samples.x, "x")
    targets = _named(samples.y, "y")
    facts = DataFacts(
        source=samples.source,
        samples=len(inputs[0][1]) if inputs else 0,
        truncated=samples.truncated,
        length=samples.length,
        pass_bytes=samples.pass_bytes,
    )
    facts.inputs = [datastats.input_stats(name, values) for name, values in inputs]
    facts.targets = [datastats.target_stats(name, values) for name, values in targets]
    if len(inputs) == 1 and inputs[0][1].dtype.kind in "biuf":
        facts.input_hashes = datastats.row_hashes(inputs[0][1])
        if len(targets) == 1:
            facts.target_hashes = datastats.row_hashes(targets[0][1])
    validation = arguments.get("validation_data")
    if validation is not None and len(inputs) == 1:
        try:
            val_x = validation[0] if isinstance(validation, tuple | list) else validation
            val = sample_data(val_x, None, max_samples)
            named = _named(val.x, "x")
            if len(named) == 1:
                facts.validation_input_hashes = datastats.row_hashes(named[0][1])
        except Exception:  # validation data nncheck cannot read: no overlap check
            pass
    return facts


# -- model -----------------------------------------------------------------------------------


def _activation_name(value: Any) -> str | None:
    if value is None:
        return None
    name = getattr(value, "__name__", None) or type(value).__name__
    return {"linear": "linear"}.get(name, name.lower())


def _flat_layers(model: Any) -> list[Any]:
    found: list[Any] = []
    for layer in getattr(model, "layers", []):
        if isinstance(layer, keras.Model):
            found.extend(_flat_layers(layer))
        else:
            found.append(layer)
    return found


def layer_facts(layer: Any, recorder: Recorder) -> LayerFacts:
    facts = LayerFacts(name=layer.name, kind=type(layer).__name__)
    for attribute, param in WIDTH_ATTRIBUTES:
        width = getattr(layer, attribute, None)
        if isinstance(width, int):
            facts.width, facts.width_param = width, param
            break
    facts.activation = api.ACTIVATION_KINDS.get(facts.kind) or _activation_name(
        getattr(layer, "activation", None)
    )
    facts.use_bias = getattr(layer, "use_bias", None)
    facts.compute_dtype = str(getattr(layer, "compute_dtype", "float32"))
    facts.data_format = getattr(layer, "data_format", None)
    kernel = getattr(layer, "kernel", None) if facts.width_param == "filters" else None
    if kernel is not None and len(kernel.shape) >= 3:
        facts.input_channels = int(kernel.shape[-2]) * int(getattr(layer, "groups", 1) or 1)
    facts.site = recorder.site_of(layer)
    facts.inputs = _inbound_names(layer)
    for attribute in ("kernel_initializer", "bias_initializer"):
        initializer = getattr(layer, attribute, None)
        if initializer is not None:
            setattr(facts, attribute, type(initializer).__name__)
    rate = getattr(layer, "rate", None)
    facts.rate = float(rate) if isinstance(rate, int | float) else None
    facts.activity_regularized = getattr(layer, "activity_regularizer", None) is not None
    try:
        facts.output_rank = len(layer.output.shape)
    except (AttributeError, ValueError, TypeError):
        facts.output_rank = None
    facts.trainable = bool(layer.trainable)
    facts.weighted = bool(
        getattr(layer, "trainable_weights", None) or getattr(layer, "weights", None)
    )
    return facts


def _inbound_names(layer: Any) -> list[str]:
    """The names of the layers whose outputs this layer consumes (its first call)."""
    nodes = getattr(layer, "_inbound_nodes", None) or []
    names = []
    for tensor in getattr(nodes[0], "input_tensors", None) or [] if nodes else []:
        source = _history_layer(tensor)
        if source is not None:
            names.append(source.name)
    return names


def _history_layer(tensor: Any) -> Any:
    history = getattr(tensor, "_keras_history", None)
    return getattr(history, "operation", None) if history is not None else None


def _input_tensor(layer: Any) -> Any:
    nodes = getattr(layer, "_inbound_nodes", None)
    if not nodes:
        return None
    tensors = getattr(nodes[0], "input_tensors", None)
    return tensors[0] if tensors else None


def _output_chain(model: Any, tensor: Any) -> list[Any]:
    """Layers from the model's output back to the first one with a width."""
    if isinstance(model, keras.Sequential):
        return list(reversed(_flat_layers(model)))[:8]
    chain: list[Any] = []
    layer = _history_layer(tensor)
    while layer is not None and len(chain) < 8:
        chain.append(layer)
        if isinstance(getattr(layer, "units", None) or getattr(layer, "filters", None), int):
            break
        if isinstance(layer, keras.Model):
            inner = getattr(layer, "outputs", None)
            return chain[:-1] + _output_chain(layer, inner[0]) if inner else chain
        previous = _input_tensor(layer)
        layer = _history_layer(previous) if previous is not None else None
    return chain


def output_facts(model: Any, recorder: Recorder) -> list[OutputFacts]:
    outputs = getattr(model, "outputs", None) if not isinstance(model, keras.Sequential) else [None]
    facts: list[OutputFacts] = []
    for tensor in outputs or []:
        activation: str | None = None
        output_dtype: str | None = None  # the dtype of the layer that emits the output
        for layer in _output_chain(model, tensor):
            kind = type(layer).__name__
            if not isinstance(layer, keras.layers.Layer):
                return facts  # an op (e.g. keras.ops.softmax) nncheck does not judge
            current = layer_facts(layer, recorder)
            output_dtype = output_dtype or current.compute_dtype
            if activation in (None, "linear") and kind not in PASS_THROUGH:
                activation = current.activation or activation
            if current.width is not None:
                bias = getattr(layer, "bias", None)
                values = None if bias is None else np.asarray(bias).astype(float).tolist()
                facts.append(
                    OutputFacts(
                        layer=layer.name,
                        units=current.width,
                        activation=activation or "linear",
                        bias=values,
                        compute_dtype=output_dtype or current.compute_dtype,
                        site=current.site,
                        rank=_rank(tensor) if tensor is not None else current.output_rank,
                    )
                )
                break
    return facts


def _rank(tensor: Any) -> int | None:
    try:
        return len(tensor.shape)
    except (AttributeError, TypeError):
        return None


def _snake(name: str) -> str:
    out = []
    for i, char in enumerate(name):
        if char.isupper() and i and not name[i - 1].isupper():
            out.append("_")
        out.append(char.lower())
    return "".join(out)


def loss_facts(loss: Any) -> list[LossFacts]:
    if loss is None:
        return []
    if isinstance(loss, dict):
        return [f for value in loss.values() for f in loss_facts(value)]
    if isinstance(loss, list | tuple):
        return [f for value in loss for f in loss_facts(value)]
    if isinstance(loss, str):
        return [LossFacts(LOSS_ALIASES.get(loss.lower(), loss.lower()))]
    if inspect.isfunction(loss) or inspect.isbuiltin(loss):
        return [LossFacts(LOSS_ALIASES.get(loss.__name__, loss.__name__))]
    kwargs = getattr(loss, "_fn_kwargs", {}) or {}
    from_logits = bool(getattr(loss, "from_logits", kwargs.get("from_logits", False)))
    balancing = bool(getattr(loss, "apply_class_balancing", False))
    return [LossFacts(_snake(type(loss).__name__), from_logits, balancing)]


def _metric_names(model: Any, outputs: int) -> list[str] | None:
    """Names fit() logs, from the compile() call; None when nncheck cannot be sure."""
    try:
        config = model._compile_config.config
    except AttributeError:
        return None
    metrics = config.get("metrics") or []
    if outputs != 1 or config.get("weighted_metrics") or not isinstance(metrics, list | tuple):
        return None
    names = ["loss"]
    for metric in metrics:
        if isinstance(metric, str):
            names.append(metric)
        elif hasattr(metric, "name"):
            names.append(metric.name)
        elif hasattr(metric, "__name__"):
            names.append(metric.__name__)
        else:
            return None
    return names


# The steps a schedule's rate is read at, with the end of its warm-up where it says: its
# peak among them is the rate it trains at (a warm-up starts far below, often at 0; a decay
# peaks at step 0)
SCHEDULE_STEPS = (0, 10, 100, 1_000, 10_000)


def _whole(value: Any) -> int | None:
    """``value`` as a step number, None when it is not one."""
    return int(value) if isinstance(value, int | float) and value > 0 else None


def _learning_rate(optimizer: Any) -> tuple[float | None, str | None]:
    inner = getattr(optimizer, "inner_optimizer", optimizer)
    schedule = getattr(inner, "_learning_rate", None)
    if isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule):
        try:
            steps = [*SCHEDULE_STEPS, _whole(getattr(schedule, "warmup_steps", None))]
            rates = [float(keras.ops.convert_to_numpy(schedule(s))) for s in steps if s is not None]
            return max(rates, default=None), type(schedule).__name__
        except Exception:
            return None, type(schedule).__name__
    try:
        return float(keras.ops.convert_to_numpy(inner.learning_rate)), None
    except Exception:
        return None, None


def _input_preprocessing(model: Any) -> list[str]:
    """Kinds of the layers/ops between the input and the first weighted layer."""
    operations = getattr(model, "operations", None) or getattr(model, "layers", [])
    found: list[str] = []
    for op in operations:
        kind = type(op).__name__
        if isinstance(op, keras.Model):
            found.extend(_input_preprocessing(op))
            if op.weights:
                break  # a nested model with weights: its first weighted layer ends the walk
            continue  # an augmentation Sequential: the layers after it still preprocess
        if (
            isinstance(op, keras.layers.Layer)
            and op.weights
            and kind
            not in {
                "Normalization",
                "BatchNormalization",
            }
        ):
            break
        if kind not in PASS_THROUGH:
            found.append(kind)
    return found


def _all_sublayers(model: Any) -> list[Any]:
    """Every layer of the model, inside custom layers too (Keras tracks them)."""
    try:
        return list(model._flatten_layers(include_self=False, recursive=True))
    except Exception:  # a Keras without the tracker: the top-level layers only
        return _flat_layers(model)


def _graph_visible(model: Any) -> bool:
    """Sequential or functional, and so is every model nested in it."""
    if not isinstance(model, keras.Sequential) and not getattr(model, "_operations", None):
        return False  # a subclassed model: only its call() knows how layers connect
    return all(_graph_visible(m) for m in model.layers if isinstance(m, keras.Model))


def model_facts(model: Any, recorder: Recorder) -> ModelFacts:
    layers = _flat_layers(model)
    facts = ModelFacts(name=model.name, class_name=type(model).__name__)
    facts.graph_visible = _graph_visible(model)
    sublayers = _all_sublayers(model)
    facts.embeds_tokens = any(isinstance(layer, keras.layers.Embedding) for layer in sublayers)
    facts.augments = any(type(layer).__name__.startswith("Random") for layer in sublayers)
    facts.layers = [layer_facts(layer, recorder) for layer in layers]
    try:
        facts.outputs = output_facts(model, recorder)
    except Exception:  # an output graph nncheck cannot walk: output rules skip
        facts.outputs = []
    facts.compiled = bool(getattr(model, "compiled", False))
    facts.losses = loss_facts(getattr(model, "loss", None))
    count = len(getattr(model, "outputs", None) or [1])
    facts.metric_names = _metric_names(model, count)
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None:
        inner = getattr(optimizer, "inner_optimizer", optimizer)
        facts.optimizer = type(inner).__name__
        rate, facts.schedule = _learning_rate(optimizer)
        facts.learning_rate = float(f"{rate:.6g}") if rate is not None else None  # float32 noise
    facts.global_policy = keras.mixed_precision.global_policy().name
    try:
        facts.params = int(model.count_params())
    except Exception:
        facts.params = 0
    facts.preprocessing_at_input = _input_preprocessing(model)
    facts.distributed, facts.replicas = _distribution(model)
    facts.pretrained_parts = [
        layer.name
        for layer in getattr(model, "layers", [])
        if isinstance(layer, keras.Model) and recorder.site_of(layer) is None
    ]
    return facts


def _distribution(model: Any) -> tuple[bool | None, int]:
    """Whether the model's variables belong to a tf.distribute strategy, and its replicas."""
    if keras.backend.backend() != "tensorflow":
        return None, 1
    import tensorflow as tf

    variables = getattr(model, "trainable_variables", None) or []
    if not variables:
        return None, 1
    value = getattr(variables[0], "value", None)
    if not isinstance(value, tf.distribute.DistributedValues):
        return False, 1
    strategy = getattr(value, "_distribute_strategy", None)
    return True, int(getattr(strategy, "num_replicas_in_sync", 1) or 1)


# -- training configuration -------------------------------------------------------------------


def train_facts(
    entry: str, site: Site | None, arguments: dict[str, Any], recorder: Recorder
) -> TrainFacts:
    facts = TrainFacts(entry=entry, site=site)
    if entry == "fit":
        facts.epochs = arguments.get("epochs")
        facts.batch_size = arguments.get("batch_size")
        x = arguments.get("x")
        if facts.batch_size is None and _is_array_like(x):
            facts.batch_size = 32  # Keras' default for arrays
        facts.steps_per_epoch = arguments.get("steps_per_epoch")
        if arguments.get("validation_data") is not None:
            facts.validation = "data"
        elif (arguments.get("validation_split") or 0) > 0:
            facts.validation = "split"
            facts.validation_split = float(arguments["validation_split"])
        facts.shuffle = arguments.get("shuffle")
        for callback in arguments.get("callbacks") or []:
            facts.callbacks.append(
                CallbackFacts(
                    kind=type(callback).__name__,
                    monitor=getattr(callback, "monitor", None),
                    mode=getattr(callback, "mode", None),
                    patience=getattr(callback, "patience", None),
                    save_weights_only=getattr(callback, "save_weights_only", None),
                    site=recorder.site_of(callback),
                )
            )
    if entry in {"fit", "train_on_batch"}:
        weights = arguments.get("class_weight")
        if isinstance(weights, dict):
            facts.class_weight = {int(k): float(v) for k, v in weights.items()}
        facts.sample_weight = arguments.get("sample_weight") is not None
    if entry == "custom_loop" and "training_argument" in arguments:
        training = arguments["training_argument"]
        facts.loop_training = (
            "missing"
            if training is None
            else ("true" if training else "false")
            if isinstance(training, bool)
            else "unknown"
        )
        if "batch_x" in arguments:
            facts.batch_size = _length(arguments["batch_x"])
        facts.loop_call_site = arguments.get("call_site")
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        if tf.distribute.has_strategy():
            facts.strategy = type(tf.distribute.get_strategy()).__name__
        facts.gpus = len(tf.config.list_physical_devices("GPU"))
    return facts
