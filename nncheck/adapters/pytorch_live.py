"""PyTorch objects checked where they live: the Python API and the Lightning callback.

The command line captures a script at its first ``optimizer.step()``; here the model, data,
loss and optimizer are already in the caller's process. One forward pass and the loss run
under the same hooks the capture uses, and the facts are recorded as at a first step. The
model's parameters and buffers (BatchNorm statistics), and torch's, NumPy's and Python's
random generators are left as they were; nothing calls backward() or steps.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional

from nncheck.adapters import pytorch
from nncheck.facts.live import CaptureResult, Site


@contextmanager
def untouched(model: Any) -> Iterator[None]:
    """Restore the model's buffers and every random generator after the block."""
    buffers = {name: b.detach().clone() for name, b in model.named_buffers()}
    python_state, numpy_state = random.getstate(), np.random.get_state()
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    try:
        with torch.random.fork_rng(devices=devices):
            yield
    finally:
        with torch.no_grad():
            for name, buffer in model.named_buffers():
                if name in buffers:
                    buffer.copy_(buffers[name])
        random.setstate(python_state)
        np.random.set_state(numpy_state)


@contextmanager
def watching(recorder: pytorch.Recorder) -> Iterator[None]:
    """The capture's hooks, without its stop at the optimizer step."""
    pytorch.install(recorder, stop_at_step=False)
    try:
        yield
    finally:
        pytorch.uninstall()


def recorder_for(model: Any, max_samples: int, where: Path) -> pytorch.Recorder:
    """A recorder whose user code is ``where``'s folder; the model's own modules are the
    user's, located at ``where``."""
    recorder = pytorch.Recorder(where, max_samples)
    for module in model.modules():
        recorder.sites[id(module)] = (module, Site(str(where), 0))
    return recorder


def split_batch(batch: Any) -> tuple[Any, Any]:
    """A loader's batch as (inputs, targets); ValueError for anything else."""
    if isinstance(batch, tuple | list) and len(batch) == 2:
        return batch[0], batch[1]
    raise ValueError(
        "Expected batches of (inputs, targets). Received: "
        f"{type(batch).__name__}{f' of {len(batch)}' if isinstance(batch, tuple | list) else ''}"
    )


def _on_device(value: Any, device: torch.device) -> Any:
    return value.to(device) if isinstance(value, torch.Tensor) else value


def _recorded_loss(loss_fn: Callable[..., Any]) -> Callable[..., Any]:
    """The functional loss as the hooks wrapped it (the caller holds the original)."""
    name = getattr(loss_fn, "__name__", "")
    if getattr(loss_fn, "__module__", "") == functional.__name__ and hasattr(functional, name):
        return getattr(functional, name)
    return loss_fn


def capture_objects(
    model: Any,
    data: Any,
    loss_fn: Callable[..., Any] | None,
    optimizer: Any,
    max_samples: int,
    where: Path,
) -> pytorch.Recorder:
    """One forward pass and loss of ``model`` on ``data``'s first batch, recorded as the
    first training step (``data``: a DataLoader or any iterable of (inputs, targets))."""
    if not isinstance(model, nn.Module):
        raise ValueError(f"Expected a torch.nn.Module. Received: model={type(model).__name__}")
    if not callable(loss_fn):
        raise ValueError("Expected loss_fn=: the loss module or function the model trains with")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise ValueError(
            f"Expected optimizer=: a torch.optim optimizer. Received: {type(optimizer).__name__}"
        )
    recorder = recorder_for(model, max_samples, where)
    parameter = next(model.parameters(), None)
    device = parameter.device if parameter is not None else torch.device("cpu")
    with untouched(model), watching(recorder):
        try:
            batch = next(iter(data))
        except StopIteration:
            raise ValueError("Expected data with at least one batch. Received: none") from None
        except TypeError:
            raise ValueError(
                f"Expected a DataLoader or an iterable of batches. Received: {type(data).__name__}"
            ) from None
        x, y = (_on_device(v, device) for v in split_batch(batch))
        if isinstance(data, torch.utils.data.DataLoader):
            recorder.loaders = [data]
        with torch.enable_grad():
            output = model(x)
            _recorded_loss(loss_fn)(output, y)
        recorder.capture(optimizer)
    if recorder.result is not None and recorder.result.train is not None:
        recorder.result.train.step_gradients = None  # no backward() ran: no step to judge (T121)
        recorder.result.train.grad_scaler = None  # the loop's GradScaler is not seen (T122)
    return recorder


def captured(recorder: pytorch.Recorder) -> CaptureResult:
    """The recorder's facts; ValueError with nncheck's reason when it read nothing."""
    result = recorder.result or CaptureResult(status="internal_error")
    if result.status != "captured" or result.model is None:
        raise ValueError(result.error or "nncheck could not read this model")
    return result
