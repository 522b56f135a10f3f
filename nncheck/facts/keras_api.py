"""What nncheck knows about Keras 3's public API by name, without importing Keras.

Static analysis resolves every call to a qualified name; this module turns the many spellings
of one API (``tf.keras.layers.Dense``, ``keras.layers.Dense``, ``from keras.layers import
Dense``) into one canonical name and knows the positional parameters of the calls rules read.
Signatures were read from Keras 3.15 / TensorFlow 2.21.
"""

from __future__ import annotations

_PREFIXES = (
    ("tensorflow.python.keras.", "keras."),
    ("tensorflow.keras.", "keras."),
    ("tf_keras.", "keras."),
    ("keras.models.Sequential", "keras.Sequential"),
    ("keras.models.Model", "keras.Model"),
    ("keras.engine.sequential.Sequential", "keras.Sequential"),
    ("keras.layers.core.", "keras.layers."),
    ("keras.layers.convolutional.", "keras.layers."),
    ("keras.layers.recurrent.", "keras.layers."),
    ("keras.optimizers.legacy.", "keras.optimizers."),
    (
        "keras.preprocessing.image_dataset_from_directory",
        "keras.utils.image_dataset_from_directory",
    ),
    ("keras.preprocessing.text_dataset_from_directory", "keras.utils.text_dataset_from_directory"),
)
_EXACT = {"tensorflow.keras": "keras", "tf_keras": "keras", "tensorflow.python.keras": "keras"}


def canonical(qualname: str) -> str:
    """One name per API: ``tensorflow.keras.layers.Dense`` -> ``keras.layers.Dense``."""
    if qualname in _EXACT:
        return _EXACT[qualname]
    for prefix, replacement in _PREFIXES:
        if qualname.startswith(prefix):
            return replacement + qualname[len(prefix) :]
    return qualname


FRAMEWORK_MODULES = {
    "keras": "keras",
    "tensorflow": "tensorflow",
    "torch": "pytorch",
    "jax": "jax",
    "flax": "jax",
    "lightning": "pytorch",
    "pytorch_lightning": "pytorch",
}

# Positional parameters, in order, of the calls that rules read.
_DENSE = ("units", "activation", "use_bias", "kernel_initializer", "bias_initializer")
_CONV = ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups")
_CONV_T = ("filters", "kernel_size", "strides", "padding", "output_padding", "data_format")
_RNN = ("units", "activation", "recurrent_activation", "use_bias")
_OPTIMIZER = ("learning_rate",)
_SCHEDULE = ("initial_learning_rate", "decay_steps")

DENSE_LAYERS = {"keras.layers.Dense": "units"}
CONV_LAYERS = {
    f"keras.layers.{name}": "filters"
    for name in (
        "Conv1D",
        "Conv2D",
        "Conv3D",
        "Conv1DTranspose",
        "Conv2DTranspose",
        "Conv3DTranspose",
        "SeparableConv1D",
        "SeparableConv2D",
        "Convolution1D",
        "Convolution2D",
        "Convolution3D",
    )
}
RNN_LAYERS = {f"keras.layers.{name}": "units" for name in ("LSTM", "GRU", "SimpleRNN")}
ACTIVATION_LAYERS = {
    "keras.layers.Activation": None,
    "keras.layers.Softmax": "softmax",
    "keras.layers.ReLU": "relu",
    "keras.layers.LeakyReLU": "leaky_relu",
    "keras.layers.ELU": "elu",
    "keras.layers.PReLU": "prelu",
}

# The same layers by class name, as a captured layer's kind reads.
ACTIVATION_KINDS = {name.rpartition(".")[2]: fixed for name, fixed in ACTIVATION_LAYERS.items()}

SIGNATURES: dict[str, tuple[str, ...]] = {
    "keras.Sequential": ("layers", "trainable", "name"),
    "keras.Model": ("inputs", "outputs", "name"),
    "keras.layers.Dense": _DENSE,
    **{name: _RNN for name in RNN_LAYERS},
    **{name: _CONV for name in CONV_LAYERS},
    "keras.layers.Conv1DTranspose": _CONV_T,
    "keras.layers.Conv2DTranspose": _CONV_T,
    "keras.layers.Conv3DTranspose": _CONV_T,
    "keras.layers.Activation": ("activation",),
    "keras.layers.Embedding": ("input_dim", "output_dim"),
    "keras.callbacks.EarlyStopping": (
        "monitor",
        "min_delta",
        "patience",
        "verbose",
        "mode",
        "baseline",
        "restore_best_weights",
        "start_from_epoch",
    ),
    "keras.callbacks.ModelCheckpoint": ("filepath", "monitor", "verbose", "save_best_only"),
    "keras.callbacks.ReduceLROnPlateau": ("monitor", "factor", "patience"),
    "keras.losses.BinaryCrossentropy": ("from_logits", "label_smoothing"),
    "keras.losses.CategoricalCrossentropy": ("from_logits", "label_smoothing"),
    "keras.losses.SparseCategoricalCrossentropy": ("from_logits", "ignore_class"),
    "keras.losses.BinaryFocalCrossentropy": ("apply_class_balancing", "alpha", "gamma"),
    "keras.optimizers.schedules.PiecewiseConstantDecay": ("boundaries", "values"),
    "keras.utils.set_random_seed": ("seed",),
}
for _name in (
    "ExponentialDecay",
    "CosineDecay",
    "CosineDecayRestarts",
    "InverseTimeDecay",
    "PolynomialDecay",
):
    SIGNATURES[f"keras.optimizers.schedules.{_name}"] = _SCHEDULE

METHOD_SIGNATURES: dict[str, tuple[str, ...]] = {
    "fit": (
        "x",
        "y",
        "batch_size",
        "epochs",
        "verbose",
        "callbacks",
        "validation_split",
        "validation_data",
        "shuffle",
        "class_weight",
        "sample_weight",
        "initial_epoch",
        "steps_per_epoch",
        "validation_steps",
        "validation_batch_size",
        "validation_freq",
    ),
    "compile": ("optimizer", "loss", "loss_weights", "metrics", "weighted_metrics"),
    "map": ("map_func", "num_parallel_calls", "deterministic"),
    "batch": ("batch_size", "drop_remainder", "num_parallel_calls"),
    "prefetch": ("buffer_size",),
    "shuffle": ("buffer_size", "seed", "reshuffle_each_iteration"),
    "add": ("layer",),
}

# Keras 3's fit() defaults, used when an argument is not passed.
FIT_DEFAULTS = {"epochs": 1, "validation_split": 0.0}

MODEL_CONSTRUCTORS = {"keras.Sequential", "keras.Model"}

# What a dataset is made from, and the methods that return another dataset.
DATASET_SOURCES = {
    "tensorflow.data.Dataset.from_tensor_slices",
    "tensorflow.data.Dataset.from_tensors",
    "tensorflow.data.Dataset.from_generator",
    "tensorflow.data.Dataset.list_files",
    "tensorflow.data.Dataset.range",
    "tensorflow.data.Dataset.zip",
    "tensorflow.data.Dataset.load",
    "tensorflow.data.TFRecordDataset",
    "tensorflow.data.TextLineDataset",
    "tensorflow.data.experimental.make_csv_dataset",
    "keras.utils.image_dataset_from_directory",
    "keras.utils.text_dataset_from_directory",
    "keras.utils.audio_dataset_from_directory",
    "keras.utils.timeseries_dataset_from_array",
}
DATASET_METHODS = {
    "map",
    "batch",
    "padded_batch",
    "ragged_batch",
    "unbatch",
    "shuffle",
    "prefetch",
    "cache",
    "repeat",
    "filter",
    "take",
    "skip",
    "interleave",
    "flat_map",
    "apply",
    "with_options",
    "concatenate",
    "shard",
    "rebatch",
    "bucket_by_sequence_length",
    "map_with_legacy_function",
}

# The optimizer families whose learning rate T101 judges, with the sane range of each.
# Sources: the papers' and Keras' default rates (Adam/AdamW/Adamax/Nadam/RMSprop 1e-3, SGD
# 1e-2, Adagrad 1e-3, Adadelta 1.0 in Zeiler 2012), fine-tuning practice down to 1e-6 for the
# adaptive family, Lion's paper (Chen et al. 2023: 3-10x smaller than AdamW), and the linear
# scaling rule for SGD (Goyal et al. 2017: 0.1 per 256 samples).
LR_RANGES: dict[str, tuple[str, float, float]] = {
    "Adam": ("adaptive", 1e-6, 1e-2),
    "AdamW": ("adaptive", 1e-6, 1e-2),
    "Adamax": ("adaptive", 1e-6, 1e-2),
    "Nadam": ("adaptive", 1e-6, 1e-2),
    "NAdam": ("adaptive", 1e-6, 1e-2),  # PyTorch's spelling
    "RAdam": ("adaptive", 1e-6, 1e-2),
    "RMSprop": ("adaptive", 1e-6, 1e-2),
    "Lion": ("sign-based", 1e-7, 1e-3),
    "SGD": ("momentum SGD", 1e-4, 1.0),
    "Adagrad": ("Adagrad", 1e-4, 1.0),
    "Adadelta": ("Adadelta", 1e-4, 10.0),
    "Ftrl": ("Ftrl", 1e-4, 1.0),
}

# T101's options: each family's bounds, named "<family>-min" / "<family>-max".
LR_FAMILY_OPTION = {
    "adaptive": "adaptive",
    "sign-based": "sign-based",
    "momentum SGD": "sgd",
    "Adagrad": "adagrad",
    "Adadelta": "adadelta",
    "Ftrl": "ftrl",
}
LR_RANGE_OPTIONS: dict[str, float | int] = {
    f"{LR_FAMILY_OPTION[family]}-{end}": bound
    for family, low, high in LR_RANGES.values()
    for end, bound in (("min", low), ("max", high))
}

# Metric objects and the name they log under when not given name=.
METRIC_CLASS_NAMES = {
    "AUC": "auc",
    "Accuracy": "accuracy",
    "BinaryAccuracy": "binary_accuracy",
    "CategoricalAccuracy": "categorical_accuracy",
    "SparseCategoricalAccuracy": "sparse_categorical_accuracy",
    "TopKCategoricalAccuracy": "top_k_categorical_accuracy",
    "SparseTopKCategoricalAccuracy": "sparse_top_k_categorical_accuracy",
    "Precision": "precision",
    "Recall": "recall",
    "F1Score": "f1_score",
    "FBetaScore": "fbeta_score",
    "MeanAbsoluteError": "mean_absolute_error",
    "MeanSquaredError": "mean_squared_error",
    "RootMeanSquaredError": "root_mean_squared_error",
    "MeanAbsolutePercentageError": "mean_absolute_percentage_error",
    "MeanSquaredLogarithmicError": "mean_squared_logarithmic_error",
    "BinaryCrossentropy": "binary_crossentropy",
    "CategoricalCrossentropy": "categorical_crossentropy",
    "SparseCategoricalCrossentropy": "sparse_categorical_crossentropy",
    "R2Score": "r2_score",
}

# Losses by what they expect of the model's output.
PROBABILITY_LOSSES = {
    "binary_crossentropy": "binary",
    "bce": "binary",
    "binary_focal_crossentropy": "binary",
    "categorical_crossentropy": "categorical",
    "cce": "categorical",
    "sparse_categorical_crossentropy": "categorical",
    "categorical_focal_crossentropy": "categorical",
}
LOSS_CLASSES = {
    "BinaryCrossentropy": "binary_crossentropy",
    "BinaryFocalCrossentropy": "binary_focal_crossentropy",
    "CategoricalCrossentropy": "categorical_crossentropy",
    "CategoricalFocalCrossentropy": "categorical_focal_crossentropy",
    "SparseCategoricalCrossentropy": "sparse_categorical_crossentropy",
}
LOSS_CLASS_FOR = {
    **{name: cls for cls, name in LOSS_CLASSES.items()},
    "bce": "BinaryCrossentropy",
    "cce": "CategoricalCrossentropy",
}

# The string identifiers Keras 3 resolves in compile() (keras.losses.get, keras.metrics.get,
# keras.optimizers.get; tests/test_keras_names.py compares them with the installed Keras).
# Losses: exact names (case matters); "crossentropy"/"ce" in any case pick one by shape.
LOSS_NAMES = frozenset(
    {
        "BCE",
        "BinaryCrossentropy",
        "BinaryFocalCrossentropy",
        "CTC",
        "CategoricalCrossentropy",
        "CategoricalFocalCrossentropy",
        "CategoricalHinge",
        "Circle",
        "CosineSimilarity",
        "Dice",
        "Hinge",
        "Huber",
        "KLD",
        "KLDivergence",
        "LogCosh",
        "Loss",
        "LossFunctionWrapper",
        "MAE",
        "MAPE",
        "MSE",
        "MSLE",
        "MeanAbsoluteError",
        "MeanAbsolutePercentageError",
        "MeanSquaredError",
        "MeanSquaredLogarithmicError",
        "Poisson",
        "SparseCategoricalCrossentropy",
        "SquaredHinge",
        "Tversky",
        "bce",
        "binary_crossentropy",
        "binary_focal_crossentropy",
        "categorical_crossentropy",
        "categorical_focal_crossentropy",
        "categorical_hinge",
        "circle",
        "cosine_similarity",
        "ctc",
        "dice",
        "hinge",
        "huber",
        "kl_divergence",
        "kld",
        "log_cosh",
        "mae",
        "mape",
        "mean_absolute_error",
        "mean_absolute_percentage_error",
        "mean_squared_error",
        "mean_squared_logarithmic_error",
        "mse",
        "msle",
        "poisson",
        "sparse_categorical_crossentropy",
        "squared_hinge",
        "tversky",
    }
)
LOSS_AUTO_NAMES = frozenset({"crossentropy", "ce"})
# Metrics: exact names; "accuracy"/"acc" in any case pick one by shape.
METRIC_NAMES = frozenset(
    {
        "AUC",
        "Accuracy",
        "BCE",
        "BinaryAccuracy",
        "BinaryCrossentropy",
        "BinaryIoU",
        "CategoricalAccuracy",
        "CategoricalCrossentropy",
        "CategoricalHinge",
        "ConcordanceCorrelation",
        "CosineSimilarity",
        "F1Score",
        "FBetaScore",
        "FalseNegatives",
        "FalsePositives",
        "Hinge",
        "IoU",
        "KLDivergence",
        "LogCoshError",
        "MAE",
        "MAPE",
        "MSE",
        "MSLE",
        "Mean",
        "MeanAbsoluteError",
        "MeanAbsolutePercentageError",
        "MeanIoU",
        "MeanMetricWrapper",
        "MeanSquaredError",
        "MeanSquaredLogarithmicError",
        "Metric",
        "OneHotIoU",
        "OneHotMeanIoU",
        "PearsonCorrelation",
        "Poisson",
        "Precision",
        "PrecisionAtRecall",
        "R2Score",
        "Recall",
        "RecallAtPrecision",
        "RootMeanSquaredError",
        "SensitivityAtSpecificity",
        "SparseCategoricalAccuracy",
        "SparseCategoricalCrossentropy",
        "SparseTopKCategoricalAccuracy",
        "SpecificityAtSensitivity",
        "SquaredHinge",
        "Sum",
        "TopKCategoricalAccuracy",
        "TrueNegatives",
        "TruePositives",
        "accuracy",
        "auc",
        "bce",
        "binary_accuracy",
        "binary_crossentropy",
        "binary_io_u",
        "categorical_accuracy",
        "categorical_crossentropy",
        "categorical_hinge",
        "concordance_correlation",
        "cosine_similarity",
        "f1_score",
        "f_beta_score",
        "false_negatives",
        "false_positives",
        "hinge",
        "io_u",
        "kl_divergence",
        "log_cosh_error",
        "mae",
        "mape",
        "mean",
        "mean_absolute_error",
        "mean_absolute_percentage_error",
        "mean_io_u",
        "mean_metric_wrapper",
        "mean_squared_error",
        "mean_squared_logarithmic_error",
        "metric",
        "mse",
        "msle",
        "one_hot_io_u",
        "one_hot_mean_io_u",
        "pearson_correlation",
        "poisson",
        "precision",
        "precision_at_recall",
        "r2_score",
        "recall",
        "recall_at_precision",
        "root_mean_squared_error",
        "sensitivity_at_specificity",
        "sparse_categorical_accuracy",
        "sparse_categorical_crossentropy",
        "sparse_top_k_categorical_accuracy",
        "specificity_at_sensitivity",
        "squared_hinge",
        "sum",
        "top_k_categorical_accuracy",
        "true_negatives",
        "true_positives",
    }
)
METRIC_AUTO_NAMES = frozenset({"accuracy", "acc"})
# Optimizers: looked up case-insensitively.
OPTIMIZER_NAMES = frozenset(
    {
        "adadelta",
        "adafactor",
        "adagrad",
        "adam",
        "adamax",
        "adamw",
        "ftrl",
        "lion",
        "lossscaleoptimizer",
        "multioptimizer",
        "muon",
        "nadam",
        "optimizer",
        "optimizermap",
        "rmsprop",
        "schedulefreeadamw",
        "sgd",
    }
)


# Functions that save a whole model (a method call ``model.save`` is recognised by name).
SAVE_MODEL_FUNCTIONS = frozenset(
    {
        "keras.saving.save_model",
        "keras.models.save_model",
        "tensorflow.keras.models.save_model",
        "tensorflow.saved_model.save",
    }
)
