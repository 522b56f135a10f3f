"""The active probes on a PyTorch setup, run in the child after the capture.

Each probe trains a deep copy of the captured model with a fresh optimizer of the script's
class and param-group settings, on the batch that reached the model at the first step and
the targets its loss saw, through the captured loss (the module itself, or the functional
loss with its keyword arguments). What the script did between the model's output and the
loss is replayed when the autograd graph shows it for certain (a reshape, an activation);
otherwise the probes say they cannot replay the step. The user's model, optimizer and
files are never touched; each probe seeds torch's generator from the probe seed, so the
same setup gives the same measurements.

Measured on PyTorch: the loss at initialisation, gradients per layer, the step's memory
from the first step's tensors, dead units of the
nn.ReLU modules, single-batch
overfit (with the reference optimizer when it fails), the learning-rate range test, and a
training step's time against drawing a batch from the script's DataLoader, the whole
module through torch.save / torch.load (in memory: no file is written), and on a GPU the
step under torch.autocast and, for a conv net, in channels_last.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import io
import math
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional

from nncheck.adapters.probe_limits import (
    Budget,
    ProbeOptions,
    Skip,
    available_memory,
    check_room,
    run_plan,
    time_interleaved,
)
from nncheck.adapters.probe_math import SIZES, expected_initial_loss, sweep_learning_rates
from nncheck.adapters.pytorch import (
    ACTIVATION_NODES,
    FUNCTIONAL_LOSSES,
    HALF_DTYPES,
    SHAPE_NODES,
    Recorder,
    numpy_of,
)
from nncheck.facts import probe_results as measured
from nncheck.facts.live import CaptureResult, ProbeFacts

PROBED: tuple[type[measured.ProbeValues], ...] = (
    measured.LossAtInit,
    measured.Gradients,
    measured.DeadUnits,
    measured.Overfit,
    measured.LrRange,
    measured.StepMemory,
    measured.MixedPrecision,
    measured.Throughput,
    measured.Checkpoint,
)
OVERFIT_BATCH = 32
OVERFIT_TARGET = 0.01  # stop once the loss is 1% of its start: past any rule's factor
REFERENCE = ("Adam", 1e-3)  # the retry that tells "cannot learn" from "the settings"
LR_SWEEP = (1e-7, 10.0)
MIN_STEPS = 20  # fewer training steps than this tell nothing about learning
# Multiply-adds one training probe may spend, by device: about 10 s of a 2-core CPU
PROBE_WORK = {"cpu": 1e11, "cuda": 1e13}
INIT_SAMPLES = 512  # the loss at initialisation, averaged over at most this many samples
DEAD_SAMPLES = 256  # the dead-unit count, on this many samples (as the Keras probe)
ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "sigmoid": torch.sigmoid,
    "softmax": lambda t: torch.softmax(t, dim=-1),
    "log_softmax": lambda t: torch.log_softmax(t, dim=-1),
    "tanh": torch.tanh,
    "relu": torch.relu,
}
# optimizer state tensors per weight (SGD: 1 with momentum, else 0)
OPTIMIZER_SLOTS = {"Adam": 2, "AdamW": 2, "Adamax": 2, "NAdam": 2, "RAdam": 2, "SGD": 1}
CHANNELS_LAST = torch.channels_last
WEIGHTED = (nn.Linear, nn.modules.conv._ConvNd, nn.Embedding, nn.RNNBase)


def _replay(model_output: Any, loss_input: Any) -> Callable[[torch.Tensor], torch.Tensor]:
    """What the script did to the model's output before its loss, as a function; Skip
    when the graph between the two is not a reshape or an activation."""
    if loss_input is model_output:
        return lambda out: out
    if not isinstance(model_output, torch.Tensor) or not isinstance(loss_input, torch.Tensor):
        raise Skip("the model's output is not the tensor its loss receives (a tuple or a dict)")
    tail = tuple(loss_input.shape[1:])

    def reshaped(out: torch.Tensor) -> torch.Tensor:
        return out.reshape(out.shape[0], *tail)

    node, steps = loss_input.grad_fn, 0
    activation: str | None = None
    while node is not None and steps < 8:
        if node is model_output.grad_fn:
            if activation is None:
                return reshaped
            apply = ACTIVATIONS[activation]
            return lambda out: reshaped(apply(out))
        name = type(node).__name__
        if name in ACTIVATION_NODES and activation is None:
            activation = ACTIVATION_NODES[name]
        elif name not in SHAPE_NODES:
            break
        node = node.next_functions[0][0] if node.next_functions else None
        steps += 1
    raise Skip(
        "the step changes the model's output before the loss in a way the probes cannot "
        "replay (more than a reshape or an activation)"
    )


class TorchProbes:
    """The probes for what a :class:`Recorder` captured."""

    def __init__(self, recorder: Recorder, result: CaptureResult, options: ProbeOptions):
        self.model, self.optimizer = recorder.model, recorder.optimizer
        self.facts = result.model
        self.options = options
        self.out = ProbeFacts(
            backend="pytorch", budget=options.budget, seed=options.seed, device=device_name()
        )
        self.loss_call = recorder.loss_call
        self.x: Any = None
        self.y: Any = None
        if recorder.batch is not None:
            self.x, self.y = recorder.batch
        self.output = recorder.model_output
        self.sample = self._as_batches(recorder.samples)
        self.trace = recorder.traces.get(recorder.model_call_id, [])
        self.macs = multiply_adds_per_sample(self.trace)
        self.overfit_steps, self.sweep_points, self.timed_steps = next(
            (steps, points, timed) for limit, steps, points, timed in SIZES if self.macs <= limit
        )
        self.loader = recorder.loaders[-1] if recorder.loaders else None
        self.main_module = recorder.main_module
        # LBFGS evaluates the closure up to max_iter times in one step
        self.evaluations = int((self.optimizer.defaults or {}).get("max_iter", 1) or 1)
        self.device = "cpu" if not isinstance(self.x, torch.Tensor) else self.x.device.type

    # -- running -----------------------------------------------------------------------------

    def run(self) -> ProbeFacts:
        plan = [(kind.name, getattr(self, kind.name)) for kind in PROBED]

        def before(index: int, name: str) -> None:
            torch.manual_seed(self.options.seed * 1000 + index)  # each probe its own draws

        self.out.results.extend(run_plan(plan, Budget(self.options.budget), before))
        return self.out

    # -- the step, replayed on a copy ----------------------------------------------------------

    def _loss_function(self) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
        call = self.loss_call
        if call is None or not isinstance(self.x, torch.Tensor):
            raise Skip("the loss or the batch of the first step was not seen")
        replay = _replay(self.output, call.output)
        if call.loss is not None:
            module = call.loss
            return lambda out, y: module(replay(out), y)
        name = next(n for n, kind in FUNCTIONAL_LOSSES.items() if kind == call.kind)
        function, options = getattr(functional, name), dict(call.options)
        function = getattr(function, "__wrapped__", function)  # not the recording wrapper
        return lambda out, y: function(replay(out), y, **options)

    def _copy(self, learning_rate: float | None = None, reference: bool = False) -> tuple:
        """A deep copy of the model in the script's mode, and a fresh optimizer for it: the
        script's class and param groups (or the reference optimizer). Skip when the copy,
        its gradients and its optimizer's state would not fit in the device's free memory
        (a model too large to probe beside itself is not swapped or killed for it)."""
        self._check_room()
        model = copy.deepcopy(self.model)
        model.train(self.model.training)
        originals = dict(self.model.named_parameters())
        copies = dict(model.named_parameters())
        by_id = {id(p): copies[name] for name, p in originals.items()}
        if reference:
            name, rate = REFERENCE
            optimizer = getattr(torch.optim, name)(model.parameters(), lr=rate)
        else:
            groups = []
            for group in self.optimizer.param_groups:
                params = [by_id[id(p)] for p in group["params"] if id(p) in by_id]
                if params:
                    settings = {k: v for k, v in group.items() if k != "params"}
                    if learning_rate is not None:
                        settings["lr"] = learning_rate
                    groups.append({**settings, "params": params})
            if not groups:
                raise Skip("the optimizer holds none of the model's parameters")
            kind = type(self.optimizer)
            accepted = inspect.signature(kind.__init__).parameters
            defaults = {k: v for k, v in self.optimizer.defaults.items() if k in accepted}
            optimizer = kind(groups, **defaults)
        return model, optimizer

    def _check_room(self) -> None:
        tensors = [*self.model.parameters(), *self.model.buffers()]
        kind = type(self.optimizer).__name__
        check_room(
            sum(t.numel() * t.element_size() for t in tensors),
            kind,
            OPTIMIZER_SLOTS.get(kind, 2),
            available_bytes(self.device),
            "GPU" if self.device == "cuda" else "CPU",
        )

    def _as_batches(self, samples: Any) -> tuple[torch.Tensor, torch.Tensor] | None:
        """The dataset's sample as the step's tensors (the batch's dtypes, the loss target's
        shape), when its items line up with the batch the model saw; else None."""
        if samples is None or not isinstance(self.x, torch.Tensor):
            return None
        if not isinstance(self.y, torch.Tensor):
            return None
        x, y = torch.as_tensor(samples[0]), torch.as_tensor(samples[1])
        if tuple(x.shape[1:]) != tuple(self.x.shape[1:]) or len(x) != len(y) or not len(x):
            return None
        per_target = self.y.numel() // max(len(self.y), 1)
        if y.numel() // len(y) != per_target:
            return None
        y = y.reshape(len(y), *self.y.shape[1:]).to(self.y.dtype)
        return x.to(self.x.dtype).to(self.x.device), y.to(self.y.device)

    def _sample(self, size: int, start: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        """``size`` rows of the dataset's sample from ``start`` on (cycling), or of the
        captured batch when the sample does not line up with it."""
        x, y = self.sample if self.sample is not None else self._batch()
        rows = torch.arange(start, start + min(size, len(x))) % len(x)
        return x[rows], y[rows]

    def _batch(self, size: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        if not isinstance(self.y, torch.Tensor):
            raise Skip("the targets of the first step's loss were not seen")
        rows = len(self.x) if size is None else min(size, len(self.x))
        return self.x[:rows], self.y[:rows]

    def _affordable(self, steps: int, batch: int, what: str) -> int:
        """At most ``steps`` training steps of ``batch`` samples, fewer when they would cost
        more than the probe's share of work (a count of multiply-adds, the same on any
        machine, so the verdict does not depend on the machine's load); Skip below
        MIN_STEPS, where the probe could not tell anything."""
        per_step = 3 * self.macs * batch * self.evaluations  # forward and backward
        share = PROBE_WORK[self.device] if self.device in PROBE_WORK else PROBE_WORK["cuda"]
        affordable = int(share // per_step) if per_step else steps
        if affordable < MIN_STEPS:
            raise Skip(
                f"one training step of this model costs about {per_step:.1e} multiply-adds "
                f"on {batch} samples: {what} needs at least {MIN_STEPS} of them, more than "
                f"the probes can afford on the {self.device.upper()} (--probe-budget is a "
                "safety limit, not this one)"
            )
        return min(steps, affordable)

    # -- the probes ----------------------------------------------------------------------------

    def loss_at_init(self, budget: Budget) -> measured.LossAtInit:
        loss_fn = self._loss_function()
        x, y = self._sample(INIT_SAMPLES)
        model, _ = self._copy()
        with torch.no_grad():
            loss = float(loss_fn(model(x), y))
        expected = self._loss_at_bias(loss_fn, y)
        if expected is None and self.facts:
            expected = expected_initial_loss(self.facts, numpy_of(y))
        return measured.LossAtInit(loss=loss, expected=expected, samples=len(x))

    def _loss_at_bias(self, loss_fn: Callable, y: torch.Tensor) -> float | None:
        """The captured loss of outputs equal to the output layer's bias, through the head's
        activation (a log_softmax in forward()): what an untrained model with small weights
        scores, with the loss's own weighting (pos_weight, class weights, label smoothing)
        included. None when the head is not a plain Linear with a known activation."""
        outputs = self.facts.outputs if self.facts else []
        bias = outputs[0].bias if len(outputs) == 1 else None
        head = outputs[0].activation if outputs else None
        activation = (lambda t: t) if head == "linear" else ACTIVATIONS.get(head or "")
        shape = tuple(self.output.shape) if isinstance(self.output, torch.Tensor) else ()
        if bias is None or activation is None or len(shape) != 2 or shape[1] != len(bias):
            return None
        constant = torch.tensor(bias, dtype=self.output.dtype, device=self.output.device)
        with torch.no_grad():
            value = float(loss_fn(activation(constant.expand(len(y), -1)), y))
        return value if math.isfinite(value) else None

    def gradients(self, budget: Budget) -> measured.Gradients:
        loss_fn = self._loss_function()
        x, y = self._batch()
        model, _ = self._copy()
        loss_fn(model(x), y).backward()
        layers, disconnected, zero, non_finite, variables = [], [], [], 0, 0
        for module_name, module in model.named_modules():
            if not isinstance(module, WEIGHTED):
                continue
            grads, weights = [], []
            for name, parameter in module.named_parameters(recurse=False):
                if not parameter.requires_grad:
                    continue
                variables += 1
                path = f"{module_name}.{name}" if module_name else name
                if parameter.grad is None:
                    disconnected.append(path)
                    continue
                if not torch.isfinite(parameter.grad).all():
                    non_finite += 1
                elif not parameter.grad.any():
                    zero.append(path)
                if name == "weight" or name.startswith("weight_"):
                    grads.append(float(parameter.grad.norm()))
                    weights.append(float(parameter.detach().norm()))
            if grads:
                layers.append(
                    measured.LayerGradient(
                        module_name or type(module).__name__,
                        float(math.sqrt(sum(g * g for g in grads))),
                        float(math.sqrt(sum(w * w for w in weights))),
                    )
                )
        return measured.Gradients(
            layers=layers,
            disconnected=disconnected,
            zero=zero,
            non_finite=non_finite,
            variables=variables,
        )

    def dead_units(self, budget: Budget) -> measured.DeadUnits:
        """The share of each nn.ReLU module's units (features; channels of a conv map) that
        output 0 for every sample of the dataset's sample. A module called more than once
        in a forward pass, or on a 3-D tensor (which axis is the unit's is not certain),
        is left out; a functional relu is not visible."""
        x, _ = self._sample(DEAD_SAMPLES)
        model, _ = self._copy()
        outputs: dict[str, list[torch.Tensor]] = {}
        handles = []
        for name, module in model.named_modules():
            if isinstance(module, nn.ReLU | nn.ReLU6):

                def keep(module: Any, args: Any, out: Any, name: str = name) -> None:
                    outputs.setdefault(name, []).append(out.detach())

                handles.append(module.register_forward_hook(keep))
        if not handles:
            raise Skip("the model has no nn.ReLU modules (a functional relu is not visible)")
        try:
            with torch.no_grad():
                model(x)
        finally:
            for handle in handles:
                handle.remove()
        shares = []
        for name, seen in outputs.items():
            out = seen[0]
            if len(seen) != 1 or out.dim() == 3 or out.dim() < 2:
                continue
            units = out.transpose(0, 1).reshape(out.shape[1], -1)  # unit x (samples, positions)
            dead = (units <= 0).all(dim=1)
            label = name or type(model).__name__
            shares.append(
                measured.LayerDeadShare(label, float(dead.float().mean()), int(dead.numel()))
            )
        if not shares:
            raise Skip("every nn.ReLU module is reused or sees 3-D tensors: units not certain")
        return measured.DeadUnits(layers=shares, samples=len(x))

    def overfit(self, budget: Budget) -> measured.Overfit:
        loss_fn = self._loss_function()
        x, y = self._batch(OVERFIT_BATCH)
        steps = self._affordable(self.overfit_steps, len(x), "the single-batch overfit")
        classes = _distinct_rows(y)
        floor = _perfect_loss(self.facts, y)
        losses, accuracy = self._fit_batch(
            self._copy(), loss_fn, x, y, classes, floor, budget, steps
        )
        found = measured.Overfit(
            losses=losses,
            steps=len(losses),
            max_steps=steps,
            accuracy=accuracy,
            classes=classes,
            batch=len(x),
            floor=floor,
        )
        if not found.learned:
            name, rate = REFERENCE
            ref_losses, ref_accuracy = self._fit_batch(
                self._copy(reference=True), loss_fn, x, y, classes, floor, budget, steps
            )
            found.reference = measured.ReferenceRun(
                optimizer=f"{name}(lr={rate:g})",
                losses=ref_losses,
                accuracy=ref_accuracy,
                learned=measured.batch_learned(ref_losses, ref_accuracy, classes, floor=floor),
            )
        return found

    def _fit_batch(
        self,
        copied: tuple,
        loss_fn: Callable,
        x: torch.Tensor,
        y: torch.Tensor,
        classes: int,
        floor: float,
        budget: Budget,
        steps: int,
    ) -> tuple[list[float], float | None]:
        model, optimizer = copied
        losses: list[float] = []
        for step in range(steps):
            losses.append(_step(model, optimizer, loss_fn, x, y))
            if not math.isfinite(losses[-1]):
                break
            if losses[-1] - floor <= (losses[0] - floor) * OVERFIT_TARGET:
                break
            budget.check(
                f"the single-batch overfit reached step {step + 1} of {steps}",
                (step + 1) / steps,
            )
        return losses, self._accuracy(model, x, y, classes)

    def _accuracy(self, model: Any, x: torch.Tensor, y: torch.Tensor, classes: int) -> float | None:
        """Accuracy on the batch for class-index targets of a multi-class head."""
        if classes < 2 or y.is_floating_point() or y.dim() != 1:
            return None
        with torch.no_grad():
            out = model(x)
        if not isinstance(out, torch.Tensor) or out.dim() != 2 or out.shape[1] < 2:
            return None
        return float((out.argmax(dim=1) == y).float().mean())

    def lr_range(self, budget: Budget) -> measured.LrRange:
        loss_fn = self._loss_function()
        size = len(self.x)
        points = self._affordable(self.sweep_points, size, "the learning-rate sweep")
        # Each step trains on the next batch of the sample; the loss is read on one fixed
        # batch (successive batches differ by their samples, which is not the rate's doing)
        x_eval, y_eval = self._sample(size)
        low, high = LR_SWEEP
        model, optimizer = self._copy(learning_rate=low)

        def loss_after_step(step: int, rate: float) -> float:
            for group in optimizer.param_groups:
                group["lr"] = rate
            x, y = self._sample(size, (step + 1) * size)
            _step(model, optimizer, loss_fn, x, y)
            with torch.no_grad():
                return float(loss_fn(model(x_eval), y_eval))

        return sweep_learning_rates(low, high, points, loss_after_step, budget)

    def memory(self, budget: Budget) -> measured.StepMemory:
        """About how much memory one step needs, from the first step's tensors: weights,
        gradients and the optimizer's state per weight, and the leaf modules' outputs that
        the backward pass keeps (counted on the captured batch, per sample)."""
        outputs = [out for _, out in self.trace if isinstance(out, torch.Tensor)]
        if not outputs or not isinstance(self.x, torch.Tensor) or not len(self.x):
            raise Skip("the forward pass's module outputs were not seen")
        rows = len(self.x)
        activations = sum(out.numel() * out.element_size() for out in outputs) // rows
        params = sum(p.numel() * p.element_size() for p in self.model.parameters())
        kind = type(self.optimizer).__name__
        slots = OPTIMIZER_SLOTS.get(kind, 1)
        if kind == "SGD" and not (self.optimizer.defaults or {}).get("momentum"):
            slots = 0
        batch = getattr(self.loader, "batch_size", None) or rows
        return measured.StepMemory(
            activation_bytes_per_sample=int(activations),
            batch_size=int(batch),
            parameter_bytes=int(params),
            step_bytes=int(params * (2 + slots) + activations * batch * 2),
        )

    def mixed_precision(self, budget: Budget) -> measured.MixedPrecision:
        if self.device != "cuda":
            raise Skip("needs a GPU with Tensor Cores; the probes ran on the CPU")
        bf16 = torch.cuda.is_bf16_supported()
        return self.time_variants(budget, "cuda", torch.bfloat16 if bf16 else torch.float16)

    def time_variants(
        self, budget: Budget, device_type: str, dtype: torch.dtype
    ) -> measured.MixedPrecision:
        """Median step times of copies as configured, under torch.autocast(``dtype``) when
        the script does not autocast already, and in channels_last for a conv net on 4-D
        images; the variants alternate round by round, so a load slows them alike."""
        loss_fn = self._loss_function()
        x, y = self._batch()
        variants: dict[str, tuple[Callable[[], float], list[float]]] = {}

        def add(name: str, autocast: bool = False, channels_last: bool = False) -> None:
            model, optimizer = self._copy()
            inputs = x
            if channels_last:
                model = model.to(memory_format=torch.channels_last)
                inputs = x.contiguous(memory_format=torch.channels_last)

            def step() -> float:
                with torch.autocast(device_type, dtype=dtype, enabled=autocast):
                    return _step(model, optimizer, loss_fn, inputs, y)

            variants[name] = (step, [])

        add("as_is")
        already = isinstance(self.output, torch.Tensor) and self.output.dtype in HALF_DTYPES
        if not already:
            add("autocast", autocast=True)
        convolutional = any(isinstance(m, nn.Conv2d) for m in self.model.modules())
        if convolutional and x.dim() == 4 and not x.is_contiguous(memory_format=CHANNELS_LAST):
            add("channels_last", channels_last=True)
        rounds = self.timed_steps + 2
        for round_ in range(rounds):
            for step, times in variants.values():
                _synchronize(device_type)
                begin = time.perf_counter()
                step()
                _synchronize(device_type)
                if round_ >= 2:  # two warm-up rounds (kernel selection, caches)
                    times.append(time.perf_counter() - begin)
            budget.check(f"the timed steps reached {round_ + 1} of {rounds}", (round_ + 1) / rounds)
        median = {name: statistics.median(times) for name, (_, times) in variants.items()}
        return measured.MixedPrecision(
            as_is=median["as_is"],
            autocast=median.get("autocast"),
            autocast_dtype=str(dtype).removeprefix("torch.") if "autocast" in median else None,
            channels_last=median.get("channels_last"),
        )

    def throughput(self, budget: Budget) -> measured.Throughput:
        """A step of a copy on the first step's batch, alternated with drawing a batch from
        the script's own DataLoader (its workers, if any, started and shut down here)."""
        if not isinstance(self.loader, torch.utils.data.DataLoader):
            raise Skip("the batches did not come from a DataLoader")
        loss_fn = self._loss_function()
        x, y = self._batch()
        model, optimizer = self._copy()
        with _epochs(self.loader) as batches:
            timed = time_interleaved(
                lambda: _step(model, optimizer, loss_fn, x, y),
                batches,
                self.timed_steps,
                budget,
                _batch_length,
            )
        return measured.Throughput(
            source="dataloader", batch_size=len(x), workers=self.loader.num_workers, **timed
        )

    def checkpoint(self, budget: Budget) -> measured.Checkpoint:
        """``torch.save(model)`` of a copy, loaded back, predicting what the copy predicts:
        a module that holds a lambda, a local class or an open resource cannot be pickled,
        and the script's save then raises at the end of training."""
        how = "the whole module through torch.save and torch.load"
        model, _ = self._copy()
        model.eval()
        buffer = io.BytesIO()
        try:
            with _as_main(self.main_module):
                torch.save(model, buffer)
                buffer.seek(0)
                loaded = torch.load(buffer, weights_only=False)
        except Exception as error:  # pickling: the user's objects decide what can fail
            return measured.Checkpoint(ok=False, how=how, error=_first_line(error))
        x, _ = self._sample(8)
        with torch.no_grad():
            before, after = model(x), loaded(x)
        same = (
            isinstance(before, torch.Tensor)
            and isinstance(after, torch.Tensor)
            and torch.allclose(before, after, equal_nan=True)
        )
        differs = None if same else "the loaded module predicts differently from the saved one"
        return measured.Checkpoint(ok=same, how=how, error=differs)


@contextlib.contextmanager
def _as_main(module: Any) -> Iterator[None]:
    """The script's module as ``__main__`` again, as while it ran, so that pickle finds the
    classes it defines."""
    saved = sys.modules.get("__main__")
    if module is not None:
        sys.modules["__main__"] = module
    try:
        yield
    finally:
        if saved is not None:
            sys.modules["__main__"] = saved


def available_bytes(device: str) -> int | None:
    """Memory free for the probes on ``device``: the GPU's free memory, or the host's."""
    if device != "cuda":
        return available_memory()
    try:
        return int(torch.cuda.mem_get_info()[0])
    except RuntimeError:
        return None


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")


@contextlib.contextmanager
def _epochs(loader: Any) -> Iterator[Iterator[Any]]:
    """The loader's batches, epoch after epoch as training reads them; the workers of each
    epoch's iterator shut down when it is done with."""
    current: list[Any] = []

    def batches() -> Iterator[Any]:
        for _ in range(1000):  # epochs; a loader with no batch at all yields nothing
            iterator = iter(loader)
            current[:] = [iterator]
            yielded = False
            for batch in iterator:
                yielded = True
                yield batch
            _shut_down(iterator)
            if not yielded:
                return

    try:
        yield batches()
    finally:
        for iterator in current:
            _shut_down(iterator)


def _shut_down(iterator: Any) -> None:
    shutdown = getattr(iterator, "_shutdown_workers", None)
    if shutdown is not None:
        shutdown()


def _synchronize(device_type: str) -> None:
    if device_type == "cuda":
        torch.cuda.synchronize()


def _batch_length(inputs: Any) -> int:
    """Samples in a loader batch's inputs (a tensor, or a sequence/dict of them)."""
    if isinstance(inputs, dict):
        inputs = next(iter(inputs.values()), None)
    elif isinstance(inputs, tuple | list) and inputs:
        inputs = inputs[0]
    shape = getattr(inputs, "shape", None)
    return int(shape[0]) if shape else 0


def _step(model: Any, optimizer: Any, loss_fn: Callable, x: torch.Tensor, y: torch.Tensor) -> float:
    """One training step through a closure (every optimizer takes one; LBFGS needs it);
    the loss before the update."""
    first: list[float] = []

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        first.append(float(loss.detach()))
        return loss

    optimizer.step(closure)
    return first[0]


def multiply_adds_per_sample(trace: list[tuple[Any, Any]]) -> float:
    """About how many multiply-adds one sample costs in the forward pass: each Linear,
    convolution or recurrent weight times the positions its output has (from the shapes
    the capture's forward pass produced: a count, never a timing)."""
    total = 0.0
    for module, output in trace:
        if isinstance(output, tuple | list) and output:  # an LSTM cell's (h, c)
            output = output[0]
        if not isinstance(output, torch.Tensor) or output.dim() < 2:
            continue
        if isinstance(module, nn.Embedding):  # a lookup, no multiply
            continue
        matrices = sum(p.numel() for p in module.parameters(recurse=False) if p.dim() >= 2)
        if isinstance(module, nn.modules.conv._ConvNd):
            positions = math.prod(output.shape[2:])
        else:
            positions = math.prod(output.shape[1:-1])
        total += float(matrices) * max(positions, 1)
    return total


def _distinct_rows(y: torch.Tensor) -> int:
    flat = numpy_of(y.reshape(len(y), -1))
    return len(np.unique(flat, axis=0))


def _perfect_loss(facts: Any, y: torch.Tensor) -> float:
    """The loss of perfect predictions: 0 for hard labels and regression targets, the
    targets' entropy for soft ones (rows of probabilities for a cross-entropy, values
    between 0 and 1 for a binary cross-entropy)."""
    if not y.is_floating_point() or facts is None or len(facts.losses) != 1:
        return 0.0
    p = y.detach().double().clamp(0, 1)
    if bool(((p == 0) | (p == 1)).all()):
        return 0.0
    name = facts.losses[0].name
    if name == "categorical_crossentropy" and p.dim() == 2:
        return float(-(p * p.clamp_min(1e-12).log()).sum(dim=1).mean())
    if name == "binary_crossentropy":
        q = 1 - p
        return float(-(p * p.clamp_min(1e-12).log() + q * q.clamp_min(1e-12).log()).mean())
    return 0.0


def device_name() -> str:
    if torch.cuda.is_available():
        return str(torch.cuda.get_device_name(0))
    return "CPU"


def fingerprint(model: Any) -> str:
    """A hash of the model's initial weights (X109 compares two runs' hashes)."""
    import hashlib

    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(numpy_of(tensor).tobytes())
    return digest.hexdigest()[:16]
