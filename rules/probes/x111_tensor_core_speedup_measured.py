"""
## What it does
On a GPU with Tensor Cores, times the training step of a clone as configured, with the
`mixed_float16` policy, and with hidden widths padded to multiples of 8, and reports the
changes that make the step at least 1.1x faster. Skipped on the CPU. In PyTorch the
variants are the step under `torch.autocast` (bfloat16 where the GPU has it, else float16;
not when the script autocasts already) and, for a conv net, the model and batch in
`channels_last`.

## Why is this bad?
Tensor Cores run float16/bfloat16 matrix products several times faster than float32,
and want dimensions that are multiples of 8; M301-M307 advise it, this measures it.

## Example
```python
model = keras.Sequential([keras.Input((100,)), layers.Dense(1000, activation="relu"), ...])
```

## Use instead
`keras.mixed_precision.set_global_policy("mixed_float16")` before building the model,
and the widths the M3xx rules propose.

## Options
`min-speedup` (1.1): the smallest speed-up reported.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.facts.probe_results import MixedPrecision
from nncheck.findings import Severity, Violation
from nncheck.registry import rule, stand_in

from ..common import at_site, data_file_training

if TYPE_CHECKING:
    from nncheck.facts.live import ProbeFacts, TrainFacts


def tensor_core_speedup_measured(
    probes: ProbeFacts, train: TrainFacts, options: dict
) -> Iterator[Violation]:
    result = probes.measured(MixedPrecision)
    if result is None or not result.as_is:
        return
    base = result.as_is
    gains = [
        (name, speedup)
        for name, speedup in result.speedups().items()
        if speedup >= options["min-speedup"]
    ]
    if gains:
        shown = ", ".join(f"{name.replace('_', ' ')} {gain:.2f}x" for name, gain in gains)
        yield at_site(
            train.site,
            f"measured on {probes.device}: the training step is faster with {shown} "
            f"({base * 1e3:.1f} ms as configured)",
            _torch_fix(result, lightning=train.entry == "lightning")
            if probes.backend == "pytorch"
            else "keras.mixed_precision.set_global_policy('mixed_float16') before building; "
            "widths in multiples of 8",
            speedups=dict(gains),
        )


def _torch_fix(result: MixedPrecision, lightning: bool) -> str:
    fixes = []
    if result.autocast is not None and lightning:
        precision = "bf16-mixed" if result.autocast_dtype == "bfloat16" else "16-mixed"
        fixes.append(f"Trainer(precision='{precision}')")
    elif result.autocast is not None:
        fixes.append(
            f"torch.autocast('cuda', dtype=torch.{result.autocast_dtype}) around the forward "
            "pass and the loss"
            + (" (with torch.amp.GradScaler)" if result.autocast_dtype == "float16" else "")
        )
    if result.channels_last is not None:
        fixes.append(
            "model.to(memory_format=torch.channels_last) and each image batch "
            ".contiguous(memory_format=torch.channels_last)"
        )
    return "; ".join(fixes)


RULE = rule(
    code="X111",
    name="tensor-core-speedup-measured",
    severity=Severity.INFO,
    summary="Measured speed-up of mixed precision and aligned widths on this GPU",
    tip=15,
    options={"min-speedup": 1.1},
    doc=__doc__,
    gpu=True,
    frameworks=("keras", "pytorch"),
    implementations=(
        tensor_core_speedup_measured,
        stand_in(tensor_core_speedup_measured, train=data_file_training),
    ),
)
