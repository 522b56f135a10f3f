"""Saved models (``nncheck model.keras [--data FILE --label COLUMN]``): no script, no fit().

The rules below judge what a saved model and its data show (the layers, the compiled loss
and optimizer, the labels) and only read the training configuration for a location, so they
run on a saved model with an empty source and a configuration that sets nothing. Rules
about the configuration itself (epochs, callbacks, batch size, seeds) cannot, and are
skipped with that reason.
"""

from nncheck.facts.source import SourceFacts
from nncheck.registry import fallback_with
from nncheck.rules import architecture, data, model, probes, training  # noqa: F401  (registers)
from nncheck.rules._common import DATA_FILE_TRAINING

NO_SOURCE = SourceFacts.from_text("", "<saved model>")

# code -> the facts a saved model lacks, replaced by stand-ins
JUDGED_ON_MODEL_AND_DATA = {
    "A101": {"train": DATA_FILE_TRAINING},
    "D101": {"train": DATA_FILE_TRAINING, "source": NO_SOURCE},
    "D106": {"train": DATA_FILE_TRAINING},
    "D201": {"train": DATA_FILE_TRAINING},
    "D202": {"train": DATA_FILE_TRAINING},
    "D203": {"train": DATA_FILE_TRAINING, "source": NO_SOURCE},
    "D204": {"train": DATA_FILE_TRAINING},
    "D205": {"train": DATA_FILE_TRAINING},
    "M101": {"train": DATA_FILE_TRAINING},
    "M102": {"train": DATA_FILE_TRAINING},
    "M103": {"train": DATA_FILE_TRAINING},
    "M104": {"train": DATA_FILE_TRAINING},
    "M105": {"train": DATA_FILE_TRAINING},
    "M106": {"train": DATA_FILE_TRAINING},
    "M107": {"train": DATA_FILE_TRAINING},
    "M201": {"train": DATA_FILE_TRAINING},
    "M404": {"train": DATA_FILE_TRAINING},
    "T101": {"train": DATA_FILE_TRAINING, "source": NO_SOURCE},
    # the probes of a saved model run with its --data
    "X101": {"train": DATA_FILE_TRAINING},
    "X102": {"train": DATA_FILE_TRAINING},
    "X103": {"train": DATA_FILE_TRAINING},
    "X104": {"train": DATA_FILE_TRAINING},
    "X105": {"train": DATA_FILE_TRAINING},
    "X106": {"train": DATA_FILE_TRAINING},
    "X107": {"train": DATA_FILE_TRAINING},
    "X110": {"train": DATA_FILE_TRAINING},
    "X111": {"train": DATA_FILE_TRAINING},
    "X112": {"train": DATA_FILE_TRAINING},
}

for code, stand_ins in JUDGED_ON_MODEL_AND_DATA.items():
    fallback_with(code, stand_ins)
