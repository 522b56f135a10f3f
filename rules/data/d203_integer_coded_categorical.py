"""
## What it does
When the script integer-encodes categories (`OrdinalEncoder`, `pd.factorize`,
`.cat.codes`) and a tabular input reaches the first weighted layer with features that
hold 3 to 20 consecutive whole numbers, names those features as likely category codes.
It is info: the values alone cannot tell codes from counts, so nncheck only speaks when
the source shows categories being turned into numbers (`LabelEncoder`, meant for
targets, does not count).

## Why is this bad?
A Dense layer reads a code as a quantity: it learns that "category 7" is more than
"category 3" and that 5 lies between them, an order the categories do not have. One-hot
encoding (few categories) or an Embedding (many) gives each category its own weights.

## Example
```python
df["city"] = df["city"].astype("category").cat.codes
x = df[["age", "city"]].to_numpy()
```

## Use instead
```python
city = keras.layers.CategoryEncoding(num_tokens=n_cities, output_mode="one_hot")
# or pd.get_dummies(df, columns=["city"]), or an Embedding for many cities
```

## References
Tip 20 of the training tips (one-hot encode categorical data).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from nncheck.facts.source import SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule, stand_in

from ..common import (
    CATEGORICAL_MAX_DISTINCT,
    at_site,
    data_file_training,
    fmt_number,
    no_source,
    tabular_inputs,
)

if TYPE_CHECKING:
    from nncheck.facts.live import DataFacts, ModelFacts, TrainFacts

CODE_MIN_DISTINCT = 3


ORDINAL_ENCODERS = {"sklearn.preprocessing.OrdinalEncoder", "pandas.factorize"}


def _integer_encoding_sites(source: SourceFacts) -> list[int]:
    """Lines where the script turns categories into integer codes for its features."""
    lines = [c.line for c in source.calls if c.qualname in ORDINAL_ENCODERS]
    lines += [c.line for c in source.method_calls("factorize")]
    lines += [i + 1 for i, text in enumerate(source.lines) if ".cat.codes" in text]
    return sorted(set(lines))


def integer_coded_categorical(
    model: ModelFacts, data: DataFacts, train: TrainFacts, source: SourceFacts
) -> Iterator[Violation]:
    encodings = _integer_encoding_sites(source)
    if not encodings:
        return
    torch = model.framework == "pytorch"
    if torch:  # what the first Linear was given on the step's batch
        inputs = [model.first_layer_input] if model.first_layer_input else []
    else:
        inputs = list(tabular_inputs(model, data))
    for stats in inputs:
        codes = [
            f
            for f in stats.features
            if f.integer
            and CODE_MIN_DISTINCT <= f.distinct <= CATEGORICAL_MAX_DISTINCT
            and f.min in (0, 1)
            and f.max - f.min + 1 == f.distinct
        ]
        if not codes:
            continue
        shown = ", ".join(
            f"feature {f.index} ({f.distinct} codes {fmt_number(f.min)}-{fmt_number(f.max)})"
            for f in codes[:4]
        )
        yield at_site(
            train.site,
            f"the script integer-encodes categories (line {encodings[0]}) and input "
            f"'{stats.name}' reaches the model with integer codes: {shown}; a "
            f"{'Linear' if torch else 'Dense'} layer reads them as ordered quantities",
            "one-hot encode them (F.one_hot / pd.get_dummies) or embed them (nn.Embedding)"
            if torch
            else "one-hot encode them (keras.layers.CategoryEncoding / pd.get_dummies) or "
            "embed them",
            features=[f.index for f in codes],
        )


RULE = rule(
    code="D203",
    name="integer-coded-categorical",
    severity=Severity.INFO,
    summary="Categories fed to the model as integer codes",
    tip=20,
    frameworks=("keras", "pytorch"),
    doc=__doc__,
    implementations=(
        integer_coded_categorical,
        stand_in(integer_coded_categorical, train=data_file_training, source=no_source),
    ),
)
