"""The PyTorch adapter: an unmodified training loop, captured at its first optimizer step.

Installed in the child when the script imports torch. It watches, through PyTorch's own
global hooks, every module call (the batch that reaches the model, the leaf modules'
outputs, loss modules' inputs and targets), the functional losses (``F.cross_entropy`` and
kin, wrapped), the DataLoaders iterated, and the first ``Optimizer.step()``: its pre-hook
runs before any parameter changes, records the facts and stops the script with
:class:`CaptureStop`. The facts are the framework-neutral ones of :mod:`nncheck.facts.live`:
``nn.Linear`` is a layer of kind ``Linear`` with its ``out_features`` as width, the output
head is read from the autograd graph of the model's output, and the loss maps to the same
canonical names the Keras adapter uses (``nn.CrossEntropyLoss`` is a sparse categorical
cross-entropy on logits).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional

from nncheck.adapters.capture_stop import CaptureStop
from nncheck.adapters.sites import SiteTracker
from nncheck.facts import datastats
from nncheck.facts.live import (
    CallbackFacts,
    CaptureResult,
    DataFacts,
    InputStats,
    LayerFacts,
    LossFacts,
    ModelFacts,
    OutputFacts,
    Site,
    StepGradients,
    TargetStats,
    TrainFacts,
    describe_internal_error,
)

# Loss modules and functional losses -> (canonical name, reads logits)
LOSS_MODULES: dict[str, tuple[str, bool]] = {
    "CrossEntropyLoss": ("categorical_crossentropy", True),
    "BCEWithLogitsLoss": ("binary_crossentropy", True),
    "BCELoss": ("binary_crossentropy", False),
    "NLLLoss": ("negative_log_likelihood", False),
    "MSELoss": ("mean_squared_error", False),
    "L1Loss": ("mean_absolute_error", False),
    "SmoothL1Loss": ("huber", False),
    "HuberLoss": ("huber", False),
}
FUNCTIONAL_LOSSES: dict[str, str] = {
    "cross_entropy": "CrossEntropyLoss",
    "binary_cross_entropy_with_logits": "BCEWithLogitsLoss",
    "binary_cross_entropy": "BCELoss",
    "nll_loss": "NLLLoss",
    "mse_loss": "MSELoss",
    "l1_loss": "L1Loss",
    "smooth_l1_loss": "SmoothL1Loss",
    "huber_loss": "HuberLoss",
}
# The last autograd node of an activation -> its name
ACTIVATION_NODES = {
    "SigmoidBackward0": "sigmoid",
    "SoftmaxBackward0": "softmax",
    "LogSoftmaxBackward0": "log_softmax",
    "TanhBackward0": "tanh",
    "ReluBackward0": "relu",
}
ACTIVATION_MODULES = {
    "ReLU": "relu",
    "Sigmoid": "sigmoid",
    "Softmax": "softmax",
    "LogSoftmax": "log_softmax",
    "Tanh": "tanh",
    "GELU": "gelu",
    "SiLU": "silu",
    "LeakyReLU": "leaky_relu",
    "ELU": "elu",
}
LIGHTNING_MODULES = ("lightning", "pytorch_lightning")
HALF_DTYPES = (torch.float16, torch.bfloat16)
WRAPPERS = ("module", "_orig_mod")  # DataParallel / DDP, torch.compile
# the wrappers that spread training over devices (T110: several GPUs, one used)
PARALLEL_WRAPPERS = {"DistributedDataParallel", "DataParallel", "FullyShardedDataParallel"}
MAX_SAMPLE_SECONDS = 10.0  # reading the dataset's items, at most
KEPT_CLEARS = 8  # the zero_grad() calls remembered before the first step, the latest ones


class LossCall:
    """One loss computation: the loss's class name, the loss object (None: functional),
    what it was given, and its keyword arguments (``weight``, ``pos_weight``)."""

    def __init__(self, kind: str, loss: Any, output: Any, target: Any, options: dict) -> None:
        self.kind, self.loss, self.output, self.target = kind, loss, output, target
        self.options = options


class Recorder(SiteTracker):
    """Watches module calls, losses and loaders while the script runs; captures at the
    first optimizer step."""

    def __init__(self, script: Path, max_samples: int) -> None:
        super().__init__(script)
        self.max_samples = max_samples
        self.result: CaptureResult | None = None
        self.started = time.perf_counter()
        self.depth = 0  # module calls in progress
        self.in_loss = 0  # loss module calls in progress (their functional call is theirs)
        # the last call of each top-level module: (module, first input, output, site)
        self.root_calls: dict[int, tuple[Any, Any, Any, Any]] = {}
        self.trace: list[tuple[Any, Any]] = []  # (leaf module, its output) of the last call
        self.traces: dict[int, list[tuple[Any, Any]]] = {}
        # the first leaf module with weights of the last call, and what it was given
        self.first_leaf: tuple[Any, Any] | None = None
        self.first_leaves: dict[int, tuple[Any, Any] | None] = {}
        self.loss_call: LossCall | None = None
        self.loaders: list[Any] = []  # DataLoaders in the order they were first iterated
        self.model: Any = None
        self.optimizer: Any = None
        self.batch: tuple[Any, Any] | None = None
        self.model_output: Any = None  # what the model returned on that batch
        self.model_call_id = 0  # the key of that call in root_calls and traces
        self.samples: tuple[np.ndarray, np.ndarray] | None = None  # the dataset's sample
        # the script's module while it ran: where pickle finds the classes it defines
        self.main_module: Any = None
        # backward() and zero_grad() calls before the first step, numbered in their order:
        # the last backward (number, site) and the latest clears (number, site, parameters)
        self.calls = 0
        self.last_backward: tuple[int, Site | None] | None = None
        self.clears: list[tuple[int, Site | None, frozenset[int]]] = []
        self.schedulers: list[Any] = []  # the LR schedulers built, in order
        self.scalers: list[Any] = []  # the GradScalers built (torch.amp, torch.cuda.amp)

    # -- hooks -------------------------------------------------------------------------------

    def before_module(self, module: Any, args: tuple) -> None:
        if isinstance(module, nn.modules.loss._Loss):
            self.in_loss += 1
        if self.depth == 0 and not self.in_loss:
            self.trace = []
            self.first_leaf = None
        if (
            self.first_leaf is None
            and not self.in_loss
            and not any(True for _ in module.children())
            and any(True for _ in module.parameters(recurse=False))
        ):
            self.first_leaf = (module, args[0] if args else None)
        self.depth += 1

    def after_module(self, module: Any, args: tuple, output: Any) -> None:
        self.depth = max(0, self.depth - 1)
        if isinstance(module, nn.modules.loss._Loss):
            self.in_loss = max(0, self.in_loss - 1)
            if len(args) >= 2:
                options = {name: getattr(module, name, None) for name in ("weight", "pos_weight")}
                self.loss_call = LossCall(type(module).__name__, module, args[0], args[1], options)
            return
        if not any(True for _ in module.children()):
            self.trace.append((module, output))
        if self.depth == 0 and args:
            site = self.user_site()
            self.root_calls[id(module)] = (module, args[0], output, site)
            self.traces[id(module)] = self.trace
            self.first_leaves[id(module)] = self.first_leaf

    def functional_loss(self, name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def loss(output: Any, target: Any, *args: Any, **kwargs: Any) -> Any:
            if not self.in_loss:
                kind = FUNCTIONAL_LOSSES[name]
                self.loss_call = LossCall(kind, None, output, target, dict(kwargs))
            return original(output, target, *args, **kwargs)

        loss.__wrapped__ = original  # type: ignore[attr-defined]
        return loss

    def backward_called(self) -> None:
        if self.result is None:
            self.calls += 1
            self.last_backward = (self.calls, self.user_site())

    def gradients_cleared(self, owner: Any) -> None:
        """A zero_grad() of an optimizer or a module: which parameters it clears."""
        if self.result is not None:
            return
        if isinstance(owner, nn.Module):
            cleared = frozenset(id(p) for p in owner.parameters())
        else:
            groups = getattr(owner, "param_groups", [])
            cleared = frozenset(id(p) for group in groups for p in group.get("params", []))
        self.calls += 1
        self.clears = [*self.clears[-(KEPT_CLEARS - 1) :], (self.calls, self.user_site(), cleared)]

    def before_step(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        if self.result is None:
            # the hook's args are the step's, the optimizer first
            closure = next((a for a in args[1:] if callable(a)), (kwargs or {}).get("closure"))
            if callable(closure):
                # LBFGS-style: the step's forward and backward run inside the closure, which
                # the step would call first; it changes no parameter
                with torch.enable_grad():
                    closure()
            self.capture(optimizer)
        raise CaptureStop

    # -- capture -------------------------------------------------------------------------------

    def capture(self, optimizer: Any) -> None:
        """Record the facts at the first step; nncheck's own failure is reported as such."""
        try:
            self._capture(optimizer)
        except Exception as error:
            self.result = CaptureResult(
                status="internal_error", error=describe_internal_error(error)
            )

    def _capture(self, optimizer: Any) -> None:
        result = CaptureResult(status="captured", framework="pytorch")
        self.main_module = sys.modules.get("__main__")
        result.timings["script_s"] = time.perf_counter() - self.started
        start = time.perf_counter()
        site = self.user_site()
        call = self._model_call(optimizer)
        self.optimizer = optimizer
        loader = self.loaders[-1] if self.loaders else None
        if call is None:
            result.notes.append(
                "the optimizer's parameters belong to no module called before the step: "
                "the model's facts are not known"
            )
        else:
            module, batch_x, output, _ = call
            self.model = _unwrapped(module)
            trace = self.traces.get(id(module), [])
            result.model = model_facts(self.model, optimizer, trace, output, self.loss_call, self)
            result.model.first_layer_input = first_layer_input(self.first_leaves.get(id(module)))
            result.model.loss_target = loss_target(self.loss_call)
            self.batch = (batch_x, self.loss_call.target if self.loss_call else None)
            self.model_output = output
            self.model_call_id = id(module)
        result.train = train_facts(site, loader, call, self.model, optimizer)
        result.train.step_gradients = self.step_gradients(optimizer, call)
        result.train.grad_scaler = any(_enabled(scaler) for scaler in self.scalers)
        trainer = lightning_trainer()
        if trainer is not None:
            lightning_facts(trainer, result.train)
        dataset = getattr(loader, "dataset", None)
        sampled = sample_dataset(dataset, self.max_samples) if dataset is not None else None
        result.data = data_facts(sampled)
        self.samples = sampled[:2] if sampled is not None else None
        result.timings["facts_s"] = time.perf_counter() - start
        self.result = result

    def step_gradients(self, optimizer: Any, call: Any) -> StepGradients:
        """What the step would apply: which of its parameters carry a gradient, and the
        backward() and zero_grad() calls that left them so."""
        params = [p for group in optimizer.param_groups for p in group["params"]]
        facts = StepGradients(
            parameters=len(params),
            with_gradient=sum(1 for p in params if _has_gradient(p)),
            without=sum(1 for p in params if p.grad is None),
            frozen=sum(1 for p in params if not p.requires_grad),
            owner_called=call is not None,
        )
        if self.last_backward is not None:
            facts.backward_seen = True
            facts.backward = self.last_backward[1]
        since = self.last_backward[0] if self.last_backward is not None else 0
        held = {id(p) for p in params}
        later = [(n, site) for n, site, ids in self.clears if n > since and ids & held]
        if later:
            facts.cleared_seen = True
            facts.cleared = later[-1][1]
        return facts

    def _model_call(self, optimizer: Any) -> tuple[Any, Any, Any, Any] | None:
        """The top-level module call whose parameters the optimizer updates most."""
        wanted = {id(p) for group in optimizer.param_groups for p in group["params"]}
        best, overlap = None, 0
        for call in self.root_calls.values():
            shared = len(wanted & {id(p) for p in call[0].parameters()})
            if shared > overlap:
                best, overlap = call, shared
        return best


def _has_gradient(parameter: Any) -> bool:
    """True when ``parameter.grad`` holds a nonzero value (or one that cannot be read: the
    doubt goes to the script)."""
    grad = parameter.grad
    if grad is None:
        return False
    try:
        values = grad.coalesce().values() if grad.is_sparse else grad
        return bool(values.detach().any())
    except Exception:
        return True


def _enabled(scaler: Any) -> bool:
    """A GradScaler that scales (``enabled=False``, often ``enabled=use_amp``, does not)."""
    try:
        return bool(scaler.is_enabled())
    except Exception:
        return True


_HANDLES: list[Any] = []  # the hooks install() registered
_ORIGINALS: list[tuple[Any, str, Any]] = []  # what install() replaced


def install(recorder: Recorder, stop_at_step: bool = True) -> None:
    """Register the global hooks and wrap the functional losses and DataLoader iteration;
    ``stop_at_step=False`` watches without the optimizer-step hook (the caller captures)."""
    from torch.nn.modules import module as module_hooks
    from torch.optim import optimizer as optimizer_hooks

    _HANDLES.extend(
        [
            module_hooks.register_module_forward_pre_hook(recorder.before_module),
            module_hooks.register_module_forward_hook(recorder.after_module),
        ]
    )
    if stop_at_step:
        _HANDLES.append(optimizer_hooks.register_optimizer_step_pre_hook(recorder.before_step))
    for name in FUNCTIONAL_LOSSES:
        original = getattr(functional, name)
        _ORIGINALS.append((functional, name, original))
        setattr(functional, name, recorder.functional_loss(name, original))
    _after_init(nn.Module, recorder.remember)
    _after_init(torch.optim.lr_scheduler.LRScheduler, recorder.schedulers.append)
    _after_init(torch.amp.GradScaler, recorder.scalers.append)
    loader_iter = torch.utils.data.DataLoader.__iter__

    def iterate(loader: Any) -> Any:
        if not any(known is loader for known in recorder.loaders):
            recorder.loaders.append(loader)
        return loader_iter(loader)

    _ORIGINALS.append((torch.utils.data.DataLoader, "__iter__", loader_iter))
    torch.utils.data.DataLoader.__iter__ = iterate  # type: ignore[method-assign]
    _watch_gradient_calls(recorder)


def _after_init(owner: type, record: Callable[[Any], None]) -> None:
    """Wrap ``owner.__init__`` so that ``record`` gets each instance once it is built (the
    subclasses' ``super().__init__`` calls included): where a module was constructed, the
    LR schedulers and GradScalers the script builds."""
    original = owner.__init__  # type: ignore[misc]

    def init(instance: Any, *args: Any, **kwargs: Any) -> None:
        original(instance, *args, **kwargs)
        record(instance)

    _ORIGINALS.append((owner, "__init__", original))
    owner.__init__ = init  # type: ignore[misc]


def _watch_gradient_calls(recorder: Recorder) -> None:
    """Wrap torch.autograd.backward (what ``Tensor.backward`` calls) and the optimizers' and
    modules' zero_grad(): their order before the first step tells why it finds no gradient."""
    backward = torch.autograd.backward

    def traced_backward(*args: Any, **kwargs: Any) -> Any:
        recorder.backward_called()
        return backward(*args, **kwargs)

    _ORIGINALS.append((torch.autograd, "backward", backward))
    torch.autograd.backward = traced_backward
    for owner in (torch.optim.Optimizer, nn.Module):
        _ORIGINALS.append((owner, "zero_grad", owner.zero_grad))
        owner.zero_grad = _traced_zero_grad(owner.zero_grad, recorder)  # type: ignore[method-assign]


def _traced_zero_grad(original: Callable[..., Any], recorder: Recorder) -> Callable[..., Any]:
    def zero_grad(self: Any, *args: Any, **kwargs: Any) -> Any:
        recorder.gradients_cleared(self)
        return original(self, *args, **kwargs)

    zero_grad.__wrapped__ = original  # type: ignore[attr-defined]
    return zero_grad


def uninstall() -> None:
    """Remove what :func:`install` added."""
    while _HANDLES:
        _HANDLES.pop().remove()
    while _ORIGINALS:
        owner, name, original = _ORIGINALS.pop()
        setattr(owner, name, original)


# -- facts ------------------------------------------------------------------------------------


def _unwrapped(module: Any) -> Any:
    for _ in range(4):
        inner = next((getattr(module, name) for name in WRAPPERS if hasattr(module, name)), None)
        if not isinstance(inner, nn.Module):
            break
        module = inner
    return module


def layer_facts(name: str, module: Any, recorder: Recorder) -> LayerFacts:
    kind = type(module).__name__
    facts = LayerFacts(name=name, kind=kind, site=recorder.site_of(module))
    facts.trainable = any(p.requires_grad for p in module.parameters(recurse=False))
    facts.weighted = any(True for _ in module.parameters(recurse=False))
    if isinstance(module, nn.Linear):
        facts.width, facts.width_param = module.out_features, "out_features"
        facts.use_bias = module.bias is not None
    elif isinstance(module, nn.modules.conv._ConvNd):
        facts.width, facts.width_param = module.out_channels, "out_channels"
        facts.input_channels = module.in_channels
        facts.use_bias = module.bias is not None
    elif isinstance(module, nn.RNNBase):
        facts.width, facts.width_param = module.hidden_size, "hidden_size"
    elif isinstance(module, nn.Embedding):
        facts.width, facts.width_param = module.embedding_dim, "embedding_dim"
    elif isinstance(module, nn.modules.dropout._DropoutNd):
        facts.rate = float(module.p)
    if kind in ACTIVATION_MODULES:
        facts.activation = ACTIVATION_MODULES[kind]
    parameter = next(module.parameters(recurse=False), None)
    if parameter is not None and parameter.is_floating_point():
        facts.compute_dtype = str(parameter.dtype).removeprefix("torch.")
    return facts


SHAPE_NODES = {
    "ViewBackward0",
    "ReshapeAliasBackward0",
    "UnsafeViewBackward0",
    "SqueezeBackward0",
    "SqueezeBackward1",
    "SqueezeDimBackward0",
    "UnsqueezeBackward0",
    "CloneBackward0",
}


def _past_reshapes(node: Any) -> Any:
    """The autograd node before any reshapes (a squeeze of the output is still the output)."""
    while node is not None and type(node).__name__ in SHAPE_NODES and node.next_functions:
        node = node.next_functions[0][0]
    return node


def output_facts(
    model: Any,
    trace: list[tuple[Any, Any]],
    output: Any,
    recorder: Recorder,
    reached_loss: Any = None,
) -> list[OutputFacts]:
    """The head that reaches the loss, read from the autograd graph of what the loss was
    given (``reached_loss``; the model's output when the loss is not known): its last node
    is an activation (a module or a functional call alike, in the model or between the model
    and the loss) or a Linear's own output, reshapes aside. Anything else (a tuple, an
    attention block) is not certain: []."""
    tensor = reached_loss if isinstance(reached_loss, torch.Tensor) else output
    if not isinstance(tensor, torch.Tensor) or tensor.grad_fn is None:
        return []
    node = _past_reshapes(tensor.grad_fn)
    activation = ACTIVATION_NODES.get(type(node).__name__, "linear")
    if activation != "linear" and node.next_functions:
        before = _past_reshapes(node.next_functions[0][0])
    else:
        before = node
    names = {id(module): name for name, module in model.named_modules()}
    for module, produced in reversed(trace):
        if (
            isinstance(module, nn.Linear)
            and isinstance(produced, torch.Tensor)
            and produced.grad_fn is before
            and id(module) in names
        ):
            bias = (
                module.bias.detach().cpu().double().numpy().tolist()
                if module.bias is not None
                else None
            )
            return [
                OutputFacts(
                    layer=names[id(module)],
                    units=module.out_features,
                    activation=activation,
                    bias=bias,
                    site=recorder.site_of(module),
                    rank=tensor.dim(),
                )
            ]
    return []


NORMALIZING = (
    nn.modules.batchnorm._NormBase,
    nn.LayerNorm,
    nn.GroupNorm,
    nn.modules.normalization.LocalResponseNorm,
)
SCALE_SENSITIVE = (nn.Linear, nn.modules.conv._ConvNd)


def first_layer_input(first_leaf: tuple[Any, Any] | None) -> InputStats | None:
    """Statistics of what the model's first weighted layer was given on the step's batch,
    whatever the dataset, the loop or forward() did before: what the scale rules judge.
    None when that layer normalises its input itself (a BatchNorm first), takes token ids
    (an Embedding), or was given something other than one tensor."""
    if first_leaf is None:
        return None
    module, value = first_leaf
    if not isinstance(module, SCALE_SENSITIVE) or isinstance(module, NORMALIZING):
        return None
    if not isinstance(value, torch.Tensor) or not value.is_floating_point() or value.dim() < 2:
        return None
    array = value.detach().float().cpu().numpy()
    return datastats.input_stats("x", array)


def loss_target(call: LossCall | None) -> TargetStats | None:
    """Statistics of the targets the loss saw on the first step's batch (what the loop
    passed, after any scaling it does)."""
    if call is None or not isinstance(call.target, torch.Tensor) or not call.target.numel():
        return None
    return datastats.target_stats("y", numpy_of(call.target))


def loss_facts(call: LossCall | None, output: Any) -> list[LossFacts]:
    if call is None or call.kind not in LOSS_MODULES:
        return []
    name, logits = LOSS_MODULES[call.kind]
    target = call.target
    sparse = isinstance(target, torch.Tensor) and not target.is_floating_point()
    if call.kind == "CrossEntropyLoss" and sparse:
        name = "sparse_categorical_crossentropy"
    balancing = any(
        isinstance(value, torch.Tensor) for key, value in call.options.items() if key != "reduction"
    )
    return [LossFacts(name=name, from_logits=logits, class_balancing=balancing)]


def model_facts(
    model: Any,
    optimizer: Any,
    trace: list[tuple[Any, Any]],
    output: Any,
    loss: LossCall | None,
    recorder: Recorder,
) -> ModelFacts:
    names = {id(module): name for name, module in model.named_modules()}
    seen: set[int] = set()
    layers = []
    for module, produced in trace:  # the order the forward pass ran them
        if id(module) in names and id(module) not in seen:
            seen.add(id(module))
            layer = layer_facts(names[id(module)], module, recorder)
            if isinstance(produced, torch.Tensor) and produced.dtype in HALF_DTYPES:
                layer.compute_dtype = str(produced.dtype).removeprefix("torch.")  # autocast
            layers.append(layer)
    kind = type(model).__name__
    facts = ModelFacts(name=kind, class_name=kind, layers=layers, framework="pytorch")
    reached_loss = loss.output if loss is not None else None
    facts.outputs = output_facts(model, trace, output, recorder, reached_loss)
    facts.graph_visible = bool(facts.outputs)
    facts.losses = loss_facts(loss, output)
    facts.optimizer = type(optimizer).__name__
    facts.learning_rate, facts.schedule = scheduled_rate(optimizer, recorder.schedulers)
    facts.params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    facts.embeds_tokens = any(isinstance(m, nn.Embedding) for m in model.modules())
    parameter = next(model.parameters(), None)
    if parameter is not None:
        facts.global_policy = str(parameter.dtype).removeprefix("torch.")
    facts.metric_names = None
    decayed_parameters(model, optimizer, facts)
    return facts


def scheduled_rate(optimizer: Any, schedulers: list[Any]) -> tuple[float | None, str | None]:
    """The rate the script trains at, and its scheduler's class: under a scheduler, the peak
    (OneCycleLR's max_lr) or the base rate it was built on (a warmup's first steps run far
    below it); otherwise the optimizer's rate."""
    groups = optimizer.param_groups
    if not groups or "lr" not in groups[0]:
        return None, None
    group = groups[0]
    rate = group.get("max_lr", group.get("initial_lr", group["lr"]))
    own = [type(s).__name__ for s in schedulers if getattr(s, "optimizer", None) is optimizer]
    return float(rate), own[-1] if own else None  # the last built: SequentialLR, not its parts


def decayed_parameters(model: Any, optimizer: Any, facts: ModelFacts) -> None:
    """Which normalisation-layer weights and biases the optimizer's param groups decay."""
    owners = {
        id(parameter): (f"{module_name}.{name}" if module_name else name, module)
        for module_name, module in model.named_modules()
        for name, parameter in module.named_parameters(recurse=False)
    }
    for group in optimizer.param_groups:
        decay = group.get("weight_decay") or 0.0
        if not isinstance(decay, int | float) or decay <= 0:
            continue
        for parameter in group["params"]:
            name, module = owners.get(id(parameter), (None, None))
            if name is None:
                continue
            if isinstance(module, NORMALIZING) and not name.endswith("bias"):
                facts.decayed_norms.append(name)
            elif name.endswith("bias"):
                facts.decayed_biases.append(name)
            else:
                continue
            facts.weight_decay = max(facts.weight_decay or 0.0, float(decay))


def train_facts(site: Any, loader: Any, call: Any, model: Any, optimizer: Any) -> TrainFacts:
    facts = TrainFacts(entry="custom_loop", site=site)
    facts.loop_call_site = call[3] if call else None
    if model is not None:
        facts.loop_training = "true" if model.training else "false"
    if call is not None and isinstance(call[1], torch.Tensor):
        facts.device = call[1].device.type
    if loader is not None:
        facts.pin_memory = bool(getattr(loader, "pin_memory", False))
        facts.workers = getattr(loader, "num_workers", None)
        if facts.device == "cuda":  # where pinning matters (P109); it reads one item
            facts.dataset_device = item_device(getattr(loader, "dataset", None))
        facts.batch_size = loader.batch_size
        sampler = getattr(loader, "sampler", None)
        sampler_kind = type(sampler).__name__
        facts.shuffle = {"RandomSampler": True, "SequentialSampler": False}.get(sampler_kind)
        facts.sample_weight = sampler_kind == "WeightedRandomSampler"
    elif call is not None and isinstance(call[1], torch.Tensor) and call[1].dim() > 0:
        facts.batch_size = int(call[1].shape[0])
    facts.gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    wrapper = type(call[0]).__name__ if call is not None else ""
    if wrapper in PARALLEL_WRAPPERS:
        facts.strategy = wrapper
    elif torch.distributed.is_available() and torch.distributed.is_initialized():
        facts.strategy = "torch.distributed"
    return facts


def item_device(dataset: Any) -> str | None:
    """Where a map-style dataset's first input lives ("cpu", "cuda"); None when unknown."""
    tensors = getattr(dataset, "tensors", None)
    try:
        first = tensors[0] if isinstance(tensors, tuple) and tensors else dataset[0][0]
    except Exception:  # an iterable dataset, an item that is not a pair: not known
        return None
    return first.device.type if isinstance(first, torch.Tensor) else "cpu"


def lightning_trainer() -> Any:
    """The Lightning Trainer whose fit() is on the stack (the step runs inside it), if any."""
    frame = sys._getframe(1)
    while frame is not None:
        for value in (frame.f_locals.get("self"), frame.f_locals.get("trainer")):
            cls = type(value)
            if cls.__name__ == "Trainer" and cls.__module__.startswith(LIGHTNING_MODULES):
                return value
        frame = frame.f_back  # type: ignore[assignment]
    return None


def lightning_facts(trainer: Any, facts: TrainFacts) -> None:
    """What the Trainer itself was configured with: its epochs (Lightning's default of 1000
    when neither max_epochs nor max_steps is set), callbacks, validation and precision."""
    facts.entry = "lightning"
    epochs = getattr(getattr(trainer, "fit_loop", None), "max_epochs", None)
    facts.epochs = epochs if isinstance(epochs, int) and epochs >= 0 else None
    facts.callbacks = [
        CallbackFacts(
            kind=type(callback).__name__,
            monitor=getattr(callback, "monitor", None),
            mode=getattr(callback, "mode", None),
            patience=getattr(callback, "patience", None),
        )
        for callback in getattr(trainer, "callbacks", [])
    ]
    facts.validation = "data" if getattr(trainer, "val_dataloaders", None) is not None else None
    precision = getattr(trainer, "precision", None)
    facts.precision = str(precision) if precision is not None else None
    if (getattr(trainer, "num_devices", 1) or 1) > 1:
        facts.strategy = type(getattr(trainer, "strategy", None)).__name__


def numpy_of(tensor: Any) -> np.ndarray:
    """A tensor as a NumPy array on the CPU; bfloat16, which NumPy lacks, as float32."""
    tensor = tensor.detach().cpu()
    return (tensor.float() if tensor.dtype == torch.bfloat16 else tensor).numpy()


def _as_numpy(value: Any) -> np.ndarray | None:
    if isinstance(value, torch.Tensor):
        return numpy_of(value)
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, int | float):
        return np.asarray(value)
    return None


def sample_dataset(dataset: Any, max_samples: int) -> tuple[np.ndarray, np.ndarray, int] | None:
    """Up to ``max_samples`` (x, y) items of a map-style dataset, drawn at random with a fixed
    seed, and the dataset's length; None for an iterable dataset or items that are not an
    (input tensor, target) pair."""
    try:
        length = len(dataset)
    except TypeError:
        return None
    if length == 0:
        return None
    tensors = getattr(dataset, "tensors", None)
    index = datastats.sample_indices(length, max_samples)
    rows = np.arange(length) if index is None else index
    if isinstance(tensors, tuple) and len(tensors) == 2:  # TensorDataset: no item loop
        picked = torch.as_tensor(rows)
        inputs, targets = (numpy_of(t[picked.to(t.device)]) for t in tensors)
        return inputs, targets, length
    xs, ys = [], []
    deadline = time.perf_counter() + MAX_SAMPLE_SECONDS
    for row in rows:
        item = dataset[int(row)]
        if not isinstance(item, tuple | list) or len(item) != 2:
            return None
        x, y = _as_numpy(item[0]), _as_numpy(item[1])
        if x is None or y is None:
            return None
        xs.append(x)
        ys.append(y)
        if time.perf_counter() > deadline:
            break
    try:
        return np.stack(xs), np.stack(ys), length
    except ValueError:  # items of different shapes
        return None


def data_facts(sampled: tuple[np.ndarray, np.ndarray, int] | None) -> DataFacts | None:
    if sampled is None:
        return None
    x, y, length = sampled
    facts = DataFacts(source="dataset", samples=len(x), truncated=len(x) < length, length=length)
    facts.inputs = [datastats.input_stats("x", x)]
    facts.targets = [datastats.target_stats("y", y)]
    if x.dtype.kind in "biuf":
        facts.input_hashes = datastats.row_hashes(x)
        facts.target_hashes = datastats.row_hashes(y)
    return facts
