"""SourceFacts: what the literal code of a training script certainly says, without running it.

Built from the AST alone (no TensorFlow or Keras import, no execution of user code): the calls
the script makes, resolved to Keras' canonical names, and the training setup they describe: the
models and their layers, compile() and fit() calls, callbacks, seeding and tf.data pipelines.
Anything that cannot be known for certain is UNKNOWN, and rules stay quiet about it.
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple

from nncheck.facts import FactStore, RunFailure
from nncheck.facts import keras_api as api
from nncheck.facts.evaluate import MISSING, UNKNOWN, CallSite, Evaluator, Symbol
from nncheck.findings import Violation
from nncheck.notebook import NotebookError, NotebookSource, is_notebook, read_notebook

SEED_CALLS = {
    "keras.utils.set_random_seed": "all",
    "tensorflow.random.set_seed": "tensorflow",
    "tensorflow.compat.v1.set_random_seed": "tensorflow",
    "tensorflow.compat.v1.random.set_random_seed": "tensorflow",
    "tensorflow.set_random_seed": "tensorflow",
    "numpy.random.seed": "numpy",
    "random.seed": "python",
    "torch.manual_seed": "torch",
    "torch.random.manual_seed": "torch",
    "lightning.seed_everything": "all",
    "lightning.pytorch.seed_everything": "all",
    "lightning.fabric.seed_everything": "all",
    "pytorch_lightning.seed_everything": "all",
    "transformers.set_seed": "all",
    "accelerate.utils.set_seed": "all",
}
LIGHTNING_TRAINERS = {"lightning.Trainer", "lightning.pytorch.Trainer", "pytorch_lightning.Trainer"}
INPUT_CALLS = {"keras.Input", "keras.layers.Input", "keras.layers.InputLayer"}


@dataclass(eq=False)
class LayerSite:
    """A layer constructed in the script, e.g. ``layers.Dense(64, activation="relu")``."""

    call: CallSite
    kind: str
    width_param: str | None
    width: Any
    activation: Any
    is_output: bool = False

    @property
    def width_text(self) -> str:
        node = self.call.arg_node(self.width_param, 0) if self.width_param else None
        return ast.unparse(node) if node is not None else ""


@dataclass(eq=False)
class ModelSite:
    """A model built by ``keras.Sequential`` / ``keras.Model`` and what is done with it."""

    construction: CallSite
    layers: list[Any]
    outputs: list[Any] | None
    compiles: list[CallSite] = field(default_factory=list)

    @property
    def compile(self) -> CallSite | None:
        return self.compiles[-1] if self.compiles else None


class ModelOutput(NamedTuple):
    """What reaches the loss: the output activation, the output width, the layer's line."""

    activation: Any
    units: Any
    line: int


@dataclass(eq=False)
class FitSite:
    """A Keras ``fit()`` call with the model and compile() it belongs to, where known."""

    call: CallSite
    model: ModelSite | None
    compile: CallSite | None

    def arg(self, name: str) -> Any:
        """The fit argument's value; Keras' default when not passed; UNKNOWN when unseen."""
        value = self.call.arg(name, api.METHOD_SIGNATURES["fit"].index(name))
        if value is MISSING:
            return api.FIT_DEFAULTS.get(name)
        return value


@dataclass
class SourceFacts:
    """The static view of one script. Rules read the properties; none of them imports Keras."""

    path: str
    text: str
    tree: ast.Module
    evaluator: Evaluator
    notebook: NotebookSource | None = None  # a notebook's cells: lines map back to them

    @classmethod
    def from_text(
        cls, text: str, path: str = "<string>", notebook: NotebookSource | None = None
    ) -> SourceFacts:
        """Parse ``text``; raises SyntaxError for code that does not parse."""
        tree = ast.parse(text, filename=path)
        return cls(path, text, tree, Evaluator(tree, api.canonical), notebook)

    # -- what the script is ----------------------------------------------------------------

    @cached_property
    def lines(self) -> list[str]:
        return self.text.splitlines()

    @cached_property
    def identifiers(self) -> set[str]:
        """Every name the code uses or defines (variables, attributes, functions, classes,
        keywords, imports), never words in strings or comments."""
        found: set[str] = set()
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Name):
                found.add(node.id)
            elif isinstance(node, ast.Attribute):
                found.add(node.attr)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                found.add(node.name)
            elif isinstance(node, ast.keyword) and node.arg:
                found.add(node.arg)
            elif isinstance(node, ast.alias):
                found.update(node.name.split("."))
        return found

    @cached_property
    def string_literals(self) -> set[str]:
        """The string constants the code uses (arguments, values), not docstrings."""
        docstrings = {
            id(node.value)
            for node in ast.walk(self.tree)
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        }
        return {
            node.value
            for node in ast.walk(self.tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        }

    @cached_property
    def imported_modules(self) -> set[str]:
        found: set[str] = set()
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                found.update(api.canonical(a.name) for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(api.canonical(node.module))
        return found

    @cached_property
    def frameworks(self) -> set[str]:
        """Deep-learning frameworks the script imports: keras, tensorflow, pytorch, jax."""
        tops = {name.partition(".")[0] for name in self.imported_modules}
        return {api.FRAMEWORK_MODULES[t] for t in tops if t in api.FRAMEWORK_MODULES}

    @property
    def uses_keras(self) -> bool:
        return bool({"keras", "tensorflow"} & self.frameworks)

    @property
    def calls(self) -> list[CallSite]:
        return self.evaluator.calls

    def calls_to(self, *qualnames: str) -> list[CallSite]:
        wanted = set(qualnames)
        return [c for c in self.calls if c.qualname in wanted]

    def method_calls(self, name: str) -> list[CallSite]:
        return [c for c in self.calls if c.method == name]

    def call_arg(self, call: CallSite, name: str) -> Any:
        """An argument of a known Keras call, by name or position (from the signature table)."""
        signature = api.SIGNATURES.get(call.qualname or "") or api.METHOD_SIGNATURES.get(
            call.method or "", ()
        )
        position = signature.index(name) if name in signature else None
        return call.arg(name, position)

    # -- layers and models ------------------------------------------------------------------

    @cached_property
    def layers(self) -> list[LayerSite]:
        """Every Dense / convolution / recurrent / activation layer constructed in the script,
        with ``is_output`` set for the layers that produce a model's output."""
        outputs = {id(o) for m in self.models for o in m.outputs or ()}
        for site in self._layer_sites:
            site.is_output = id(site) in outputs
        return self._layer_sites

    @cached_property
    def _layer_sites(self) -> list[LayerSite]:
        widths = {**api.DENSE_LAYERS, **api.CONV_LAYERS, **api.RNN_LAYERS}
        sites: list[LayerSite] = []
        for call in self.calls:
            name = call.qualname or ""
            if name in widths:
                width_param = widths[name]
                width = self.call_arg(call, width_param)
            elif name in api.ACTIVATION_LAYERS:
                width_param, width = None, None
            else:
                continue
            activation = api.ACTIVATION_LAYERS.get(name) or activation_name(
                self.call_arg(call, "activation")
            )
            sites.append(LayerSite(call, name.rpartition(".")[2], width_param, width, activation))
        return sites

    def layer_for(self, value: Any) -> LayerSite | Any:
        """The LayerSite a value constructs or applies (``Dense(4)`` or ``Dense(4)(x)``)."""
        if isinstance(value, CallSite) and value.callee is not None:
            value = value.callee
        if isinstance(value, CallSite):
            for site in self._layer_sites:
                if site.call is value:
                    return site
        return UNKNOWN

    @cached_property
    def models(self) -> list[ModelSite]:
        """Models built with ``keras.Sequential`` or ``keras.Model`` in the script."""
        models: list[ModelSite] = []
        for call in self.calls_to(*api.MODEL_CONSTRUCTORS):
            if call.qualname == "keras.Sequential":
                items = self.call_arg(call, "layers")
                if items is MISSING or items is None:
                    items = []
                layers = list(items) if isinstance(items, list | tuple) else [UNKNOWN]
                for add in self.method_calls("add"):
                    if add.receiver is call:
                        layers.append(add.arg("layer", 0))
                layers = [v for v in layers if not _is_input(v)]
                outputs = [self.layer_for(layers[-1])] if layers else None
            else:
                out = call.arg("outputs", 1)
                if isinstance(out, list | tuple | dict):
                    outputs = [self.layer_for(v) for v in _values(out)]
                elif out is MISSING or out is UNKNOWN:
                    outputs = None
                else:
                    outputs = [self.layer_for(out)]
                layers = []
            models.append(ModelSite(call, layers, outputs))
        for compile_call in self.method_calls("compile"):
            for model in models:
                if compile_call.receiver is model.construction:
                    model.compiles.append(compile_call)
        return models

    def model_for(self, value: Any) -> ModelSite | None:
        for model in self.models:
            if model.construction is value:
                return model
        return None

    def output_activation(self, model: ModelSite) -> ModelOutput:
        """Activation, units and line of a single-output model's output (UNKNOWN where unsure).

        An Activation/Softmax layer at the end applies to the layer before it: the pair is the
        activation that reaches the loss and the width of the last layer that has one.
        """
        if model.outputs is None or len(model.outputs) != 1:
            return ModelOutput(UNKNOWN, UNKNOWN, 0)
        if model.construction.qualname == "keras.Sequential":
            chain = [self.layer_for(v) for v in reversed(model.layers)]
        else:
            chain = self._functional_chain(model.construction.arg("outputs", 1))
        activation: Any = UNKNOWN
        line = 0
        for layer in chain:
            if layer is UNKNOWN:
                return ModelOutput(activation, UNKNOWN, line)
            if activation is UNKNOWN or activation == "linear":
                activation, line = layer.activation, layer.call.line
            if layer.width_param:
                return ModelOutput(activation, layer.width, line)
        return ModelOutput(activation, UNKNOWN, line)

    def _functional_chain(self, value: Any) -> list[Any]:
        chain: list[Any] = []
        while isinstance(value, CallSite) and value.callee is not None and len(chain) < 8:
            layer = self.layer_for(value)
            chain.append(layer)
            if layer is UNKNOWN or layer.width_param:
                break
            value = value.arg("inputs", 0)
        return chain or [UNKNOWN]

    # -- training ---------------------------------------------------------------------------

    @cached_property
    def fits(self) -> list[FitSite]:
        """``fit()`` calls that are certainly Keras' (not scikit-learn's)."""
        compiled_receivers = {
            _receiver_text(c): c for c in self.method_calls("compile") if c.receiver is not None
        }
        fits: list[FitSite] = []
        keras_only = {"epochs", "callbacks", "validation_data", "validation_split"}
        for call in self.method_calls("fit"):
            model = self.model_for(call.receiver)
            text = _receiver_text(call)
            compile_call = model.compile if model else compiled_receivers.get(text)
            is_keras = (
                model is not None
                or compile_call is not None
                or _is_keras_value(call.receiver)
                or (self.uses_keras and bool(keras_only & call.keyword_names))
            )
            if is_keras:
                fits.append(FitSite(call, model, compile_call))
        return fits

    @cached_property
    def saves_model(self) -> bool:
        """The script saves a model itself (``model.save``, ``save_model``, ``export``), as
        far as its source shows: then a model that cannot be saved breaks this script."""
        return any(
            call.method in {"save", "export"} or call.qualname in api.SAVE_MODEL_FUNCTIONS
            for call in self.calls
        )

    @cached_property
    def training_calls(self) -> list[CallSite]:
        """Where the script trains: Keras fit(), train_on_batch() or an optimizer step; in a
        PyTorch script, a torch.optim optimizer's step() or a Lightning Trainer's fit()."""
        if self.uses_keras:
            steps = [c for c in self.calls if c.method in {"train_on_batch", "apply_gradients"}]
            found = [f.call for f in self.fits] + steps
        elif "pytorch" in self.frameworks:
            found = self.torch_optimizer_steps + [
                c
                for c in self.method_calls("fit")
                if isinstance(c.receiver, CallSite) and c.receiver.qualname in LIGHTNING_TRAINERS
            ]
        else:
            return []
        return sorted(found, key=lambda c: (c.line, c.col))

    @cached_property
    def torch_optimizer_steps(self) -> list[CallSite]:
        """``.step()`` calls on an optimizer the script builds from torch.optim."""
        found = []
        for call in self.method_calls("step"):
            receiver = call.receiver
            qualname = receiver.qualname or "" if isinstance(receiver, CallSite) else ""
            if qualname.startswith("torch.optim.") and ".lr_scheduler." not in qualname:
                found.append(call)
        return found

    @cached_property
    def seeded(self) -> set[str]:
        """Which RNGs the script seeds: 'all', 'tensorflow', 'torch', 'numpy', 'python',
        'unknown'."""
        seeded: set[str] = set()
        for call in self.calls:
            if call.qualname in SEED_CALLS:
                seeded.add(SEED_CALLS[call.qualname])
            elif "seed" in _called_name(call).lower():
                seeded.add("unknown")  # the project's own seeding helper
        return seeded

    def callbacks_of(self, fit: FitSite) -> list[Any] | None:
        """The callbacks passed to ``fit``, each a CallSite or UNKNOWN; None when unseen."""
        value = fit.arg("callbacks")
        if value is None:
            return []
        if not isinstance(value, list | tuple):
            return None
        return list(value)

    def dataset_steps(self, value: Any) -> Iterator[CallSite]:
        """The tf.data method calls that produced ``value``, last first, however the
        pipeline started (a source the code does not show, a function's parameter)."""
        for _ in range(64):
            if not isinstance(value, CallSite) or value.method not in api.DATASET_METHODS:
                return
            yield value
            value = value.receiver

    def dataset_chain(self, value: Any) -> list[CallSite] | None:
        """The tf.data calls that built ``value``, source first; None when not certain."""
        steps = list(self.dataset_steps(value))
        origin = steps[-1].receiver if steps else value
        if isinstance(origin, CallSite) and origin.qualname in api.DATASET_SOURCES:
            return [origin, *reversed(steps)]
        return None

    # -- suppression comments ---------------------------------------------------------------

    @cached_property
    def comments(self) -> dict[int, str]:
        """Comment text by line number, read with tokenize so strings never count."""
        found: dict[int, str] = {}
        if "#" not in self.text:
            return found
        try:
            for token in tokenize.generate_tokens(io.StringIO(self.text).readline):
                if token.type == tokenize.COMMENT:
                    found[token.start[0]] = token.string
        except (tokenize.TokenError, SyntaxError):
            pass
        return found


def activation_name(value: Any) -> Any:
    """'softmax' for ``"softmax"``, ``keras.activations.softmax`` or ``tf.nn.softmax``."""
    if value is MISSING or value is None:
        return "linear"
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, Symbol):
        return value.short.lower()
    return UNKNOWN


def _values(container: Any) -> list[Any]:
    return list(container.values()) if isinstance(container, dict) else list(container)


def _is_input(value: Any) -> bool:
    return isinstance(value, CallSite) and value.qualname in INPUT_CALLS


def _is_keras_value(value: Any) -> bool:
    return isinstance(value, CallSite) and (value.qualname or "").startswith("keras.")


def _receiver_text(call: CallSite) -> str:
    func = call.node.func
    return ast.unparse(func.value) if isinstance(func, ast.Attribute) else ""


def _called_name(call: CallSite) -> str:
    func = call.node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def read_source(path: Path) -> str:
    """The file's text, honouring a PEP 263 encoding declaration."""
    with tokenize.open(path) as handle:
        return handle.read()


def provide(store: FactStore) -> SourceFacts:
    """The ``source`` fact provider: parse the target; E001 when it cannot be read or parsed,
    E006 for a notebook that is not one."""
    target = store.target
    notebook = None
    try:
        if is_notebook(target.path):
            notebook = read_notebook(target.path)
            text = notebook.text
        else:
            text = read_source(target.path)
    except NotebookError as error:
        raise RunFailure("E006", Violation(str(error))) from error
    except (OSError, UnicodeDecodeError, SyntaxError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise RunFailure("E001", Violation(f"cannot read the file: {reason}")) from error
    if notebook is not None and not notebook.cells:
        raise RunFailure("E006", Violation("the notebook has no code cells: nothing to check"))
    try:
        return SourceFacts.from_text(text, target.display_path, notebook)
    except SyntaxError as error:
        violation = Violation(
            f"cannot parse the source: {error.msg}",
            line=error.lineno or 0,
            col=error.offset or 0,
        )
        raise RunFailure("E001", violation) from error
    except (ValueError, RecursionError) as error:
        raise RunFailure("E001", Violation(f"cannot parse the source: {error}")) from error
