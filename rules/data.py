"""D1xx-D2xx: the data that reaches the model, judged on the captured sample."""

from __future__ import annotations

from collections.abc import Iterator

from nncheck.facts.live import (
    DataFacts,
    FeatureStats,
    InputStats,
    ModelFacts,
    TargetStats,
    TrainFacts,
)
from nncheck.facts.source import SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import fallback, fallback_with, rule
from nncheck.rules._common import (
    DATA_FILE_TRAINING,
    REGRESSION_LOSSES,
    at_site,
    fmt_number,
    is_classification,
    single_target,
)

CATEGORICAL_MAX_DISTINCT = 20
IMAGE_CHANNELS = {1, 3, 4}
RESAMPLING = {"rejection_resample", "sample_from_datasets", "choose_from_datasets", "fit_resample"}


def _is_resampled(source: SourceFacts) -> bool:
    if any(name.partition(".")[0] == "imblearn" for name in source.imported_modules):
        return True
    return any(
        (c.method or (c.qualname or "").rpartition(".")[2]) in RESAMPLING for c in source.calls
    )


def balanced_class_weight(classes: dict[str, int]) -> dict[int | str, float]:
    """scikit-learn's "balanced" weights: n / (k * count), so every class weighs the same."""
    total, k = sum(classes.values()), len(classes)
    return {
        int(label) if label.lstrip("-").isdigit() else label: round(total / (k * count), 3)  # type: ignore[misc]
        for label, count in classes.items()
        if count
    }


@rule(
    "D101",
    "class-imbalance",
    Severity.WARNING,
    "Imbalanced classes with no rebalancing",
    tip=4,
    options={"minority-fair-share": 0.2},
)
def class_imbalance(
    model: ModelFacts, data: DataFacts, train: TrainFacts, source: SourceFacts, options: dict
) -> Iterator[Violation]:
    """
    ## What it does
    Counts the labels of a classification task on the captured sample and flags a rarest
    class that has less than 20% of its fair share (1/k of the samples for k classes: under
    10% of the samples for a binary task, under 2% for ten classes) when training does
    nothing about it: no `class_weight`, no `sample_weight`, no class-balancing focal loss
    and no resampling (imbalanced-learn, `rejection_resample`, `sample_from_datasets`).

    ## Why is this bad?
    The gradient is dominated by the frequent classes: the model learns to predict them and
    reaches a high accuracy that means little, while the rare class, often the one that
    matters (fraud, churn, disease), is barely learned.

    ## Example
    ```python
    model.fit(x, y, epochs=50)  # 4% positives
    ```

    ## Use instead
    ```python
    model.fit(x, y, epochs=50, class_weight={0: 0.521, 1: 12.5})
    ```
    The fix gives the "balanced" weights computed from your labels; setting the output bias
    to the prior (M201) helps too.

    ## Options
    `minority-fair-share` (0.2): the rarest class's share times the number of classes below
    which the rule fires. It does not depend on the number of classes the way a fixed ratio
    would: with many classes a 10:1 ratio between the largest and the smallest class is
    normal, with two it is not.
    """
    target = single_target(data)
    if target is None or target.kind not in {"binary", "sparse", "one_hot"}:
        return
    if not is_classification(model) or len(target.classes) < 2:
        return
    if (
        train.class_weight
        or train.sample_weight
        or any(loss.class_balancing for loss in model.losses)
    ):
        return
    if _is_resampled(source):
        return
    yield from _imbalance(target, train, options)


def _imbalance(target: TargetStats, train: TrainFacts, options: dict) -> Iterator[Violation]:
    total = sum(target.classes.values())
    rare_label, rare = min(target.classes.items(), key=lambda item: item[1])
    common_label, common = max(target.classes.items(), key=lambda item: item[1])
    k = len(target.classes)
    if total == 0 or rare / total * k >= options["minority-fair-share"]:
        return
    ratio = common / rare if rare else float("inf")
    message = (
        f"labels are imbalanced: class {rare_label} has {rare:,} of {total:,} samples "
        f"({rare / total:.1%}), class {common_label} has {common:,} ({common / total:.1%}); "
        f"{fmt_number(round(ratio, 1))}:1, and nothing rebalances them"
    )
    weights = balanced_class_weight(target.classes)
    yield at_site(
        train.site,
        message,
        f"model.fit(..., class_weight={weights})",
        classes=target.classes,
        class_weight=weights,
    )


@rule("D105", "non-finite-data", Severity.ERROR, "NaN or Inf values in the training data")
def non_finite_data(data: DataFacts, train: TrainFacts) -> Iterator[Violation]:
    """
    ## What it does
    Counts NaN and Inf values in every input and target of the captured sample.

    ## Why is this bad?
    One NaN in a batch makes that batch's loss NaN, and its gradients turn every weight into
    NaN: the run is lost from that step on, often hours in, when the first bad row comes up.

    ## Example
    ```python
    x = df[features].to_numpy()  # a column with missing values
    model.fit(x, y)
    ```

    ## Use instead
    ```python
    x = df[features].fillna(df[features].median()).to_numpy()
    ```
    or drop the rows, or add a missing-value indicator feature.
    """
    parts = [(s.name, s.nan, s.inf) for s in [*data.inputs, *data.targets] if s.nan or s.inf]
    if not parts:
        return
    described = "; ".join(f"{name}: {nan:,} NaN, {inf:,} Inf" for name, nan, inf in parts)
    scope = "sample" if data.truncated and not data.rows else "data"
    yield at_site(
        train.site,
        f"the training {scope} ({data.rows or data.samples:,} samples) holds non-finite values "
        f"({described}): the first batch with one turns every weight into NaN",
        "impute or drop them before fit(), e.g. np.nan_to_num / DataFrame.fillna",
        non_finite={name: [nan, inf] for name, nan, inf in parts},
    )


@rule("D106", "labels-out-of-range", Severity.ERROR, "Labels the output layer cannot produce")
def labels_out_of_range(
    model: ModelFacts, data: DataFacts, train: TrainFacts
) -> Iterator[Violation]:
    """
    ## What it does
    Compares the label values with the output: integer labels for a softmax output must lie
    in 0..units-1, and labels for a sigmoid output in [0, 1].

    ## Why is this bad?
    On a GPU, sparse categorical cross-entropy does not check its labels: an out-of-range
    label gives a NaN or meaningless loss instead of an error. Labels 1..k instead of 0..k-1
    (the classic off-by-one) also leave class 0 unused. A sigmoid cannot output 2.

    ## Example
    ```python
    y = df["rating"]  # 1..5
    outputs = layers.Dense(5, activation="softmax")(x)
    ```

    ## Use instead
    ```python
    y = df["rating"] - 1  # 0..4
    ```
    """
    target = single_target(data)
    if target is None or len(model.outputs) != 1 or target.min is None or target.max is None:
        return
    output = model.outputs[0]
    low, high = target.min, target.max
    if _has_unknown_label(target):
        low = min(float(label) for label in target.classes if label != "-1")  # D103's case
    if target.kind == "sparse" and output.activation == "softmax" and output.units:
        if low < 0 or high > output.units - 1:
            yield at_site(
                train.site,
                f"labels range from {fmt_number(low)} to {fmt_number(high)}, but the softmax "
                f"output '{output.layer}' has {output.units} units (labels 0 to "
                f"{output.units - 1})",
                "relabel to 0..k-1 (e.g. y - y.min()), or give the output one unit per class",
                label_range=[low, high],
                units=output.units,
            )
    elif output.activation == "sigmoid" and target.kind != "continuous" and (low < 0 or high > 1):
        yield at_site(
            train.site,
            f"labels range from {fmt_number(low)} to {fmt_number(high)}, but the sigmoid output "
            f"'{output.layer}' only produces values in (0, 1)",
            "map the labels to 0/1, or use softmax with one unit per class",
            label_range=[low, high],
        )


def _has_unknown_label(target: TargetStats) -> bool:
    """-1 among otherwise non-negative class ids: the usual code for "unknown"."""
    if target.kind != "sparse" or "-1" not in target.classes or len(target.classes) < 2:
        return False
    return all(float(label) >= 0 for label in target.classes if label != "-1")


@rule(
    "D103",
    "unknown-label-class",
    Severity.WARNING,
    "Labels coded -1 (unknown) train as a class",
    tip=5,
)
def unknown_label_class(data: DataFacts, train: TrainFacts) -> Iterator[Violation]:
    """
    ## What it does
    Flags integer labels where -1 appears beside non-negative class ids: the usual code for
    "unknown", "not labelled" or "none of these".

    ## Why is this bad?
    Keras trains -1 like any other label: with sparse cross-entropy it is out of range (an
    error on the CPU, a silent NaN or garbage loss on a GPU); with other losses the model
    learns to predict "unknown". Unlabelled samples should be dropped (or given a zero
    sample weight), and a real "none of the above" answer should be its own class id.

    ## Example
    ```python
    y = df["label"].fillna(-1).astype(int)
    ```

    ## Use instead
    ```python
    known = df["label"].notna()
    x, y = x[known], df.loc[known, "label"].astype(int)
    # or keep them as an explicit neutral class: y = y.replace(-1, n_classes)
    ```

    ## References
    Tip 5 of the training tips (use a neutral class).
    """
    target = single_target(data)
    if target is None or not _has_unknown_label(target):
        return
    unknown, total = target.classes["-1"], sum(target.classes.values())
    yield at_site(
        train.site,
        f"{unknown:,} of {total:,} labels ({unknown / total:.1%}) are -1, beside class ids "
        f"0 and up: -1 usually means 'unknown', and Keras trains it as a label",
        "drop the unlabelled rows (or give them sample_weight 0), or map -1 to its own class id",
        unknown=unknown,
    )


@rule(
    "D104",
    "conflicting-labels",
    Severity.WARNING,
    "Identical inputs with different labels",
    tip=5,
    options={"conflict-share": 0.01},
)
def conflicting_labels(data: DataFacts, train: TrainFacts, options: dict) -> Iterator[Violation]:
    """
    ## What it does
    Groups the sampled training inputs by content and counts the samples whose identical
    input appears with a different label elsewhere; it fires when they are at least 1% of the
    sample. Inputs made only of small whole numbers (coarse tabular codes) are left alone:
    there identical rows with different outcomes are expected.

    ## Why is this bad?
    The same image or record with two labels is either a labelling error or a case the
    classes cannot separate. Either way the model is pushed two ways, and the loss cannot go
    below the share of conflicts; relabel, merge the samples, or use a neutral class.

    ## Example
    ```python
    x = np.concatenate([images, images_from_second_annotator])  # labels disagree
    ```

    ## Use instead
    Deduplicate, keeping one agreed label per input (majority vote), or add a neutral class.

    ## Options
    `conflict-share` (0.01): the share of sampled inputs in conflict from which it fires.

    ## References
    Tip 5 of the training tips (use a neutral class).
    """
    if len(data.inputs) != 1 or not data.input_hashes or not data.target_hashes:
        return
    stats = data.inputs[0]
    if stats.integer_valued and (stats.max or 0) <= CATEGORICAL_MAX_DISTINCT:
        return
    labels_by_input: dict[int, set[int]] = {}
    for x_hash, y_hash in zip(data.input_hashes, data.target_hashes, strict=True):
        labels_by_input.setdefault(x_hash, set()).add(y_hash)
    conflicting_inputs = {h for h, labels in labels_by_input.items() if len(labels) > 1}
    samples = sum(1 for h in data.input_hashes if h in conflicting_inputs)
    if samples / len(data.input_hashes) < options["conflict-share"]:
        return
    yield at_site(
        train.site,
        f"{samples:,} of {len(data.input_hashes):,} sampled training inputs "
        f"({samples / len(data.input_hashes):.1%}) occur more than once with different "
        f"labels ({len(conflicting_inputs):,} distinct inputs)",
        "deduplicate with one agreed label per input, or add a neutral class",
        conflicting_samples=samples,
        conflicting_inputs=len(conflicting_inputs),
    )


@rule(
    "D107",
    "train-validation-overlap",
    Severity.WARNING,
    "Validation samples that also appear in the training data",
    options={"overlap-share": 0.01},
)
def train_validation_overlap(
    data: DataFacts, train: TrainFacts, options: dict
) -> Iterator[Violation]:
    """
    ## What it does
    Hashes every sampled training input and every sampled validation input and counts the
    validation inputs that also occur in training, when `validation_data` is given.

    ## Why is this bad?
    A validation sample the model trains on measures memory, not generalisation: validation
    loss looks better than it is, and early stopping and checkpoints pick the wrong epoch.
    Duplicated rows before a random split are the usual cause.

    ## Example
    ```python
    x_train, x_val = x[:9000], x[8000:]  # 1,000 rows in both
    ```

    ## Use instead
    ```python
    x = np.unique(x, axis=0)  # or drop duplicates, then split without overlap
    ```

    ## Options
    `overlap-share` (0.01): the share of the validation sample that may repeat training
    inputs (genuine duplicates) without a finding.
    """
    if train.validation != "data" or not data.validation_input_hashes or not data.input_hashes:
        return
    training = set(data.input_hashes)
    shared = sum(1 for h in data.validation_input_hashes if h in training)
    total = len(data.validation_input_hashes)
    if shared / total <= options["overlap-share"]:
        return
    yield at_site(
        train.site,
        f"{shared:,} of {total:,} sampled validation inputs ({shared / total:.1%}) also occur "
        "in the training data: validation scores will be optimistic",
        "deduplicate before splitting, and split so that no sample lands on both sides",
        overlap=shared,
        validation_samples=total,
    )


def _feature_name(feature: FeatureStats) -> str:
    return repr(feature.name) if feature.name else f"feature {feature.index}"


def _tabular_inputs(model: ModelFacts, data: DataFacts) -> Iterator[InputStats]:
    if model.preprocessing_at_input:
        return  # something transforms the inputs before the first weighted layer
    has_embedding = any(layer.kind == "Embedding" for layer in model.layers)
    for stats in data.inputs:
        if not stats.features or (has_embedding and stats.integer_valued):
            continue
        yield stats


@rule(
    "D201",
    "unscaled-numeric-features",
    Severity.WARNING,
    "Numeric input features far outside [-1, 1]",
    tip=21,
    options={"max-magnitude": 10.0},
)
def unscaled_numeric_features(
    model: ModelFacts, data: DataFacts, train: TrainFacts, options: dict
) -> Iterator[Violation]:
    """
    ## What it does
    Looks at each tabular input feature as it reaches the model and flags features with
    values beyond +-10 and a standard deviation above 1, when no layer (Normalization,
    Rescaling, a lookup or any other preprocessing) stands between the input and the first
    weighted layer. Integer features with at most 20 distinct values are left to D203
    (categorical codes); integer inputs that feed an Embedding are token ids, not features.

    ## Why is this bad?
    Weights are initialised for inputs of unit scale. A feature in the hundreds dominates the
    first layer's activations and gradients, saturates activations, and forces a tiny
    learning rate on every other feature: training is slow and unstable.

    ## Example
    ```python
    x = df[["age", "income", "visits"]].to_numpy()  # income ~ 50,000
    model.fit(x, y)
    ```

    ## Use instead
    ```python
    norm = keras.layers.Normalization()
    norm.adapt(x_train)
    model = keras.Sequential([keras.Input((3,)), norm, ...])
    ```
    or scale with scikit-learn's StandardScaler fitted on the training split.

    ## Options
    `max-magnitude` (10): the largest absolute feature value that counts as scaled.
    """
    for stats in _tabular_inputs(model, data):
        offenders = [
            f
            for f in stats.features
            if max(abs(f.min), abs(f.max)) > options["max-magnitude"]
            and f.std > 1
            and not (f.integer and f.distinct <= CATEGORICAL_MAX_DISTINCT)
        ]
        if not offenders:
            continue
        shown = ", ".join(
            f"{_feature_name(f)} (mean {fmt_number(round(f.mean, 1))}, std "
            f"{fmt_number(round(f.std, 1))}, range {fmt_number(round(f.min, 2))} to "
            f"{fmt_number(round(f.max, 2))})"
            for f in offenders[:3]
        )
        more = f" and {len(offenders) - 3} more" if len(offenders) > 3 else ""
        yield at_site(
            train.site,
            f"{len(offenders)} of {len(stats.features)} features of input '{stats.name}' reach "
            f"the model unscaled: {shown}{more}",
            "norm = keras.layers.Normalization(); norm.adapt(x_train)  # first layer: norm",
            features=[f.index for f in offenders],
        )


@rule(
    "D202",
    "unscaled-image-data",
    Severity.WARNING,
    "0-255 image data with no Rescaling or Normalization",
    tip=21,
)
def unscaled_image_data(
    model: ModelFacts, data: DataFacts, train: TrainFacts
) -> Iterator[Violation]:
    """
    ## What it does
    Flags image inputs (samples of shape height x width x 1, 3 or 4 channels) whose pixel
    values are whole numbers between 0 and 255 when the model applies no preprocessing
    before its first weighted layer (no Rescaling, Normalization, Lambda or
    `preprocess_input`). Data already divided by 255, and models that rescale inside, stay
    quiet.

    ## Why is this bad?
    Raw pixel values make the first convolution's activations hundreds of times larger than
    its initialisation expects: training is slow, unstable, or diverges.

    ## Example
    ```python
    (x, y), _ = keras.datasets.cifar10.load_data()
    model = keras.Sequential([keras.Input((32, 32, 3)), layers.Conv2D(32, 3), ...])
    ```

    ## Use instead
    ```python
    model = keras.Sequential([keras.Input((32, 32, 3)), layers.Rescaling(1 / 255),
                              layers.Conv2D(32, 3), ...])
    ```
    """
    if model.preprocessing_at_input:
        return
    for stats in data.inputs:
        image = len(stats.shape) == 3 and stats.shape[-1] in IMAGE_CHANNELS
        if not image or stats.max is None or stats.min is None:
            continue
        if stats.integer_valued and stats.min >= 0 and 1 < stats.max <= 255:
            yield at_site(
                train.site,
                f"input '{stats.name}' holds raw pixel values ({fmt_number(stats.min)} to "
                f"{fmt_number(stats.max)}, shape {tuple(stats.shape)}) and the model does not "
                "rescale them",
                "layers.Rescaling(1.0 / 255) as the model's first layer",
                pixel_range=[stats.min, stats.max],
            )


@rule(
    "D205",
    "unscaled-regression-targets",
    Severity.WARNING,
    "Regression targets far from unit scale",
    tip=21,
    options={"max-scale": 10.0},
)
def unscaled_regression_targets(
    model: ModelFacts, data: DataFacts, train: TrainFacts, options: dict
) -> Iterator[Violation]:
    """
    ## What it does
    For a model trained with MSE, MAE, Huber or log-cosh, flags continuous targets whose
    standard deviation or mean magnitude exceeds 10.

    ## Why is this bad?
    The output layer starts near zero: with targets in the thousands, the initial loss and
    its gradients are huge, the first updates are dominated by moving the output's scale,
    and a learning rate that suits the hidden layers is wrong for the output. Standardized
    targets train faster and make the loss readable.

    ## Example
    ```python
    y = df["price"]  # mean 350,000
    model.compile(loss="mse")
    ```

    ## Use instead
    ```python
    mean, std = y_train.mean(), y_train.std()
    model.fit(x, (y_train - mean) / std)   # predictions * std + mean
    ```

    ## Options
    `max-scale` (10): the largest target standard deviation and mean magnitude that count as
    scaled.
    """
    target = single_target(data)
    if target is None or target.kind != "continuous" or len(model.losses) != 1:
        return
    if model.losses[0].name not in REGRESSION_LOSSES or target.std is None or target.mean is None:
        return
    scale = options["max-scale"]
    if target.std <= scale and abs(target.mean) <= scale:
        return
    yield at_site(
        train.site,
        f"regression targets have mean {fmt_number(round(target.mean, 2))} and std "
        f"{fmt_number(round(target.std, 2))} with {model.losses[0].name}: the initial loss and "
        "gradients are dominated by the output's scale",
        "train on (y - y_train.mean()) / y_train.std() and invert it on the predictions",
        mean=target.mean,
        std=target.std,
    )


@rule(
    "D204",
    "high-cardinality-one-hot",
    Severity.INFO,
    "Many sparse 0/1 columns: a high-cardinality feature one-hot encoded",
    tip=12,
    options={"min-columns": 100, "max-density": 0.05},
)
def high_cardinality_one_hot(
    model: ModelFacts, data: DataFacts, train: TrainFacts, options: dict
) -> Iterator[Violation]:
    """
    ## What it does
    Counts the tabular input columns that hold only 0 and 1 and are mostly 0 (at most 5%
    ones); 100 or more of them usually are a high-cardinality categorical feature (a user
    id, a product, a zip code) one-hot encoded.

    ## Why is this bad?
    A one-hot block makes the first layer's weight matrix as wide as the vocabulary, learns
    nothing shared between similar categories, and grows with every new category. An
    `Embedding` on the integer ids is a fraction of the size and learns which categories
    behave alike.

    ## Example
    ```python
    x = pd.get_dummies(df, columns=["zip_code"])  # 3,000 columns
    ```

    ## Use instead
    ```python
    zip_id = keras.Input((1,), dtype="int32")
    zip_vec = layers.Flatten()(layers.Embedding(n_zip_codes, 16)(zip_id))
    ```

    ## Options
    `min-columns` (100) sparse 0/1 columns, each with at most `max-density` (0.05) ones.

    ## References
    Tip 12 of the training tips (embeddings to shrink data).
    """
    for stats in data.inputs:
        sparse = [
            f
            for f in stats.features
            if f.integer and f.min == 0 and f.max == 1 and f.mean <= options["max-density"]
        ]
        if len(sparse) < options["min-columns"]:
            continue
        density = sum(f.mean for f in sparse) / len(sparse)
        yield at_site(
            train.site,
            f"input '{stats.name}' has {len(sparse)} sparse 0/1 columns ({density:.2%} ones "
            "on average): a high-cardinality feature one-hot encoded",
            "feed the integer category ids to layers.Embedding(n_categories, 16) instead",
            columns=len(sparse),
        )


@rule(
    "A101",
    "small-data-from-scratch",
    Severity.INFO,
    "A small image or text set trained from scratch",
    tip=11,
    options={"max-samples": 5_000},
)
def small_data_from_scratch(
    model: ModelFacts, data: DataFacts, train: TrainFacts, options: dict
) -> Iterator[Violation]:
    """
    ## What it does
    Advice: when the whole training set (not a sample) has fewer than 5,000 images, or
    fewer than 5,000 token sequences feeding an Embedding, and every layer of the model is
    built from scratch, suggests a pretrained backbone or pretrained embeddings.

    ## Why is this bad?
    A few thousand samples rarely teach a network good low-level features; a backbone
    trained on millions of images (or embeddings trained on billions of tokens) gives better
    accuracy, faster, and overfits less. It is advice, never a build failure.

    ## Example
    ```python
    model = keras.Sequential([keras.Input((224, 224, 3)), layers.Conv2D(32, 3), ...])
    model.fit(x_train, y_train)  # 1,800 images
    ```

    ## Use instead
    ```python
    base = keras.applications.EfficientNetB0(include_top=False, weights="imagenet")
    base.trainable = False
    ```

    ## Options
    `max-samples` (5000): the training-set size below which the advice is given.

    ## References
    Tip 11 of the training tips (embeddings from other models); tip 17 (transfer learning).
    """
    if data.truncated or model.pretrained_parts or data.samples >= options["max-samples"]:
        return
    has_embedding = any(layer.kind == "Embedding" for layer in model.layers)
    for stats in data.inputs:
        image = len(stats.shape) == 3 and stats.shape[-1] in IMAGE_CHANNELS
        text = has_embedding and stats.integer_valued and len(stats.shape) == 1
        if image or text:
            kind = "images" if image else "token sequences"
            suggestion = (
                "a keras.applications backbone with weights='imagenet'"
                if image
                else "pretrained embeddings (e.g. a KerasHub text backbone)"
            )
            yield at_site(
                train.site,
                f"the model learns from scratch on {data.samples:,} {kind}: {suggestion} "
                "usually does better with this little data",
                f"start from {suggestion}, frozen at first",
                samples=data.samples,
            )
            return


CODE_MIN_DISTINCT = 3
ORDINAL_ENCODERS = {"sklearn.preprocessing.OrdinalEncoder", "pandas.factorize"}


def _integer_encoding_sites(source: SourceFacts) -> list[int]:
    """Lines where the script turns categories into integer codes for its features."""
    lines = [c.line for c in source.calls if c.qualname in ORDINAL_ENCODERS]
    lines += [c.line for c in source.method_calls("factorize")]
    lines += [i + 1 for i, text in enumerate(source.lines) if ".cat.codes" in text]
    return sorted(set(lines))


@rule(
    "D203",
    "integer-coded-categorical",
    Severity.INFO,
    "Categories fed to the model as integer codes",
    tip=20,
)
def integer_coded_categorical(
    model: ModelFacts, data: DataFacts, train: TrainFacts, source: SourceFacts
) -> Iterator[Violation]:
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
    encodings = _integer_encoding_sites(source)
    if not encodings:
        return
    for stats in _tabular_inputs(model, data):
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
            f"'{stats.name}' reaches the model with integer codes: {shown}; a Dense layer "
            "reads them as ordered quantities",
            "one-hot encode them (keras.layers.CategoryEncoding / pd.get_dummies) or embed them",
            features=[f.index for f in codes],
        )


# -- a data file checked on its own (nncheck data.csv --label y): no model, no fit() -------


@fallback("D101")
def class_imbalance_in_file(data: DataFacts, options: dict) -> Iterator[Violation]:
    target = single_target(data)
    if target is None or target.kind not in {"binary", "sparse"} or len(target.classes) < 2:
        return
    yield from _imbalance(target, DATA_FILE_TRAINING, options)


# The judgements above that read fit() only for a location: the same on a file, with a
# configuration that sets nothing (and, for D201, a model that preprocesses nothing).
for _code in ("D103", "D104", "D105"):
    fallback_with(_code, {"train": DATA_FILE_TRAINING})
fallback_with("D201", {"model": ModelFacts("", ""), "train": DATA_FILE_TRAINING})
