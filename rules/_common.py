"""Small helpers shared by the rule modules."""

from __future__ import annotations

from typing import Any

from nncheck.facts.evaluate import CallSite
from nncheck.facts.live import (
    DataFacts,
    LayerFacts,
    ModelFacts,
    OutputFacts,
    Site,
    TargetStats,
    TrainFacts,
)
from nncheck.findings import Violation

CLASSIFICATION_LOSSES = {
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_hinge",
    "hinge",
    "squared_hinge",
}
REGRESSION_LOSSES = {"mean_squared_error", "mean_absolute_error", "huber", "log_cosh"}


def at(call: CallSite, message: str, fix: str | None = None, **data: Any) -> Violation:
    """A violation located at ``call`` (its first line and column; its last line for ranges)."""
    return Violation(message, call.line, call.col, call.end_line, fix, data=data)


def at_site(site: Site | None, message: str, fix: str | None = None, **data: Any) -> Violation:
    """A violation at a captured site (which may be in another of the user's files)."""
    if site is None:
        return Violation(message, fix=fix, data=data)
    return Violation(message, site.line, 0, None, fix, data=data, path=site.path)


def at_layer(layer: LayerFacts, message: str, fix: str | None = None, **data: Any) -> Violation:
    """A violation about a layer, located where the user's code built it."""
    site = layer.site
    return Violation(
        message,
        site.line if site else 0,
        fix=fix,
        layer=layer.name,
        data=data,
        path=site.path if site else None,
    )


def single_output(model: ModelFacts) -> tuple[OutputFacts, str] | None:
    """The one output and its loss name, for single-output models with one loss."""
    if len(model.outputs) != 1 or len(model.losses) != 1:
        return None
    return model.outputs[0], model.losses[0].name


def single_target(data: DataFacts) -> TargetStats | None:
    """The targets of a single-output task, or None."""
    return data.targets[0] if len(data.targets) == 1 else None


def is_classification(model: ModelFacts) -> bool:
    """Every loss of the model is a classification loss (cross-entropy, hinge)."""
    return bool(model.losses) and all(loss.name in CLASSIFICATION_LOSSES for loss in model.losses)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def aligned_choices(value: int, multiple: int) -> tuple[int, int]:
    """The nearest multiples of ``multiple`` below and above ``value`` (below is >= multiple)."""
    lower = max(multiple, value // multiple * multiple)
    upper = (value // multiple + 1) * multiple
    return lower, upper


def fmt_number(value: float) -> str:
    """Numbers as people write them in code: 0.001 -> 1e-3, 0.5 -> 0.5."""
    if isinstance(value, int):
        return str(value)
    if value != 0 and (abs(value) < 1e-2 or abs(value) >= 1e4):
        mantissa, exponent = f"{value:.0e}".split("e")
        return f"{mantissa}e{int(exponent)}"
    return f"{value:g}"


def fmt_sci(value: float | None) -> str:
    """A measurement in short scientific notation: 0.00123 -> 1.2e-3; None -> "-"."""
    if value is None:
        return "-"
    return f"{value:.1e}".replace("e-0", "e-").replace("e+0", "e")


# The training configuration of a data file checked on its own: nothing is known, so the
# data rules' fallbacks pass this and their findings point at the file itself.
DATA_FILE_TRAINING = TrainFacts(entry="data_file")
