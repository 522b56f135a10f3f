"""The probe rules on hand-built measurements, the NVML facts on a fake NVML, and the pure
helpers of the probes (expected loss, LR sweep summary, sparklines)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
from test_live_rules import NO_SOURCE, binary_model, fit, judge

from nncheck.facts import hardware
from nncheck.facts import probe_results as measured
from nncheck.facts.live import (
    CallbackFacts,
    DataFacts,
    GpuFacts,
    HardwareFacts,
    InputStats,
    LossFacts,
    ModelFacts,
    OutputFacts,
    ProbeFacts,
    ProbeResult,
    TargetStats,
    TrainFacts,
)
from nncheck.facts.source import SourceFacts
from nncheck.reports.probe_lines import probe_lines, sparkline

np = pytest.importorskip("numpy")


def probes(*results: ProbeResult, **kwargs: object) -> ProbeFacts:
    return ProbeFacts(results=list(results), **kwargs)


def overfit(
    losses: list[float],
    accuracy: float | None = None,
    classes: int = 2,
    reference: list[float] | None = None,
) -> ProbeResult:
    """The single-batch probe's result; ``reference``: the curve of the retry with Adam."""
    retry = None
    if reference is not None:
        retry = measured.ReferenceRun(
            optimizer="Adam(learning_rate=0.001)",
            losses=reference,
            accuracy=None,
            learned=min(reference) <= reference[0] / 10,
        )
    return ProbeResult(
        "overfit",
        values=measured.Overfit(
            losses=losses,
            steps=len(losses),
            max_steps=400,
            accuracy=accuracy,
            classes=classes,
            batch=32,
            reference=retry,
        ),
    )


def gradients(layers: list, disconnected=(), zero=(), non_finite: int = 0) -> ProbeResult:
    """The gradient probe's result; ``layers``: (name, gradient norm, weight norm) each."""
    return ProbeResult(
        "gradients",
        values=measured.Gradients(
            layers=[measured.LayerGradient(*layer) for layer in layers],
            disconnected=list(disconnected),
            zero=list(zero),
            non_finite=non_finite,
            variables=2 * max(len(layers), 1),
        ),
    )


# -- X101 ----------------------------------------------------------------------------------


def test_x101_fires_on_a_stalled_curve_and_names_the_causes() -> None:
    found = judge(
        "X101",
        probes=probes(
            overfit([0.69] * 400), gradients([["d", 1.0, 1.0]], disconnected=["e/kernel"])
        ),
        model=binary_model(),
        train=fit(),
    )
    assert len(found) == 1
    assert "from 0.69 to 0.69 (1.0x; 10x needed)" in found[0].message
    assert "1 variables get no gradient (X104)" in found[0].message


@pytest.mark.parametrize(
    ("curve", "accuracy", "classes"),
    [
        ([1.0] + [0.05] * 10, None, 2),  # fell 20x
        ([0.69] * 40, 1.0, 2),  # learned the batch
        ([0.9 - i * 0.001 for i in range(400)], None, 2),  # still falling: slow, not broken
        ([0.69, math.nan], None, 2),  # X103's case
    ],
)
def test_x101_quiet_when_the_batch_is_learned_or_still_learning(curve, accuracy, classes) -> None:
    assert not judge(
        "X101", probes=probes(overfit(curve, accuracy, classes)), model=binary_model(), train=fit()
    )


def test_x101_is_about_the_settings_not_the_model_when_the_reference_optimizer_learns() -> None:
    stalled = [0.69] * 400
    assert judge(  # neither learned: the model cannot learn this batch
        "X101",
        probes=probes(overfit(stalled, reference=[0.69] * 400)),
        model=binary_model(),
        train=fit(),
    )
    assert not judge(  # Adam at 1e-3 learned it: X107's business, not X101's
        "X101",
        probes=probes(overfit(stalled, reference=[0.69, 0.3, 0.05])),
        model=binary_model(),
        train=fit(),
    )


def test_x101_a_one_class_batch_at_100_percent_proves_nothing() -> None:
    found = judge(
        "X101", probes=probes(overfit([0.69] * 400, 1.0, 1)), model=binary_model(), train=fit()
    )
    assert found


# -- X102, X103, X104, X105, X106 --------------------------------------------------------------


def test_x102_ratio_of_measured_to_expected() -> None:
    def loss(value: float) -> ProbeFacts:
        return probes(
            ProbeResult("loss_at_init", values=measured.LossAtInit(value, 0.693, samples=512))
        )

    assert "239.0x the 0.693" in judge("X102", probes=loss(165.6), train=fit())[0].message
    assert not judge("X102", probes=loss(2.0), train=fit())
    assert judge("X102", {"max-ratio": 2.0}, probes=loss(2.0), train=fit())


def test_x103_non_finite_gradients_or_losses() -> None:
    assert judge("X103", probes=probes(gradients([], non_finite=6)), train=fit())
    assert judge("X103", probes=probes(overfit([0.7, 0.5, math.inf])), train=fit())
    assert not judge(
        "X103", probes=probes(overfit([0.7, 0.5]), gradients([["d", 1, 1]])), train=fit()
    )


def test_x104_none_gradients_and_backend_zeros() -> None:
    tf_probes = probes(gradients([["d", 1, 1]], disconnected=["a/kernel"]))
    assert "a/kernel" in judge("X104", probes=tf_probes, train=fit())[0].message
    zeros = gradients([["d", 1, 1]], zero=["a/kernel"])
    assert not judge("X104", probes=probes(zeros), train=fit())  # TF: zeros are dead units
    assert judge("X104", probes=probes(zeros, backend="jax"), train=fit())


def test_x105_vanishing_compares_the_first_third_with_the_last() -> None:
    deep = [[f"d{i}", 10.0 ** -(12 - i), 1.0] for i in range(12)]
    found = judge("X105", probes=probes(gradients(deep)), train=fit())
    assert "gradients vanish: layer 'd0'" in found[0].message
    # a large first-layer gradient (ResNet's stem) is not vanishing
    stem = [["conv1", 700.0, 1.0]] + [[f"c{i}", 0.01, 1.0] for i in range(9)]
    assert not judge("X105", probes=probes(gradients(stem)), train=fit())
    exploding = [[f"d{i}", 3e4, 1.0] for i in range(3)]
    assert "explode" in judge("X105", probes=probes(gradients(exploding)), train=fit())[0].message


def test_x106_dead_share_per_layer() -> None:
    def dead(share: float) -> ProbeFacts:
        return probes(
            ProbeResult(
                "dead_units",
                values=measured.DeadUnits([measured.LayerDeadShare("d", share, 64)], samples=256),
            )
        )

    assert "'d' 100% of 64" in judge("X106", probes=dead(1.0), train=fit())[0].message
    assert not judge("X106", probes=dead(0.3), train=fit())


# -- X107, X108, X109, X110 ---------------------------------------------------------------------


def _sweep(suggested: float, diverged: float | None) -> ProbeResult:
    return ProbeResult(
        "lr_range",
        values=measured.LrRange(
            rates=[1e-7, 1.0], losses=[0.7, 0.6], suggested=suggested, diverged_at=diverged
        ),
    )


def test_x107_past_divergence_or_far_below_when_the_batch_was_not_learned() -> None:
    model = ModelFacts("m", "Sequential", optimizer="SGD", learning_rate=0.9)
    assert (
        "past the point"
        in judge("X107", probes=probes(_sweep(1e-2, 0.3)), model=model, train=fit())[0].message
    )
    slow = ModelFacts("m", "Sequential", optimizer="Adam", learning_rate=2e-6)
    stalled = probes(_sweep(5e-3, 1.0), overfit([0.7] * 400))
    assert "2500x below" in judge("X107", probes=stalled, model=slow, train=fit())[0].message
    learned = probes(_sweep(5e-3, 1.0), overfit([0.7, 0.05]))
    assert not judge("X107", probes=learned, model=slow, train=fit())
    # a rate T101 also flags is measured here too (the engine keeps X107 alone)
    t101 = ModelFacts("m", "Sequential", optimizer="Adam", learning_rate=0.05)
    found = judge("X107", probes=probes(_sweep(1e-3, 0.01)), model=t101, train=fit())
    assert found[0].message == (
        "the learning rate 5.0e-2 is past the point where the loss diverges on this model "
        "(1.0e-2, measured by a range test on a clone; suggested 1.0e-3)"
    )
    assert found[0].data["direction"] == "high"


def test_x107_shows_both_curves_when_the_reference_optimizer_learned() -> None:
    slow = ModelFacts("m", "Sequential", optimizer="SGD", learning_rate=1e-6)
    both = probes(_sweep(5e-2, 1.0), overfit([0.7] * 400, reference=[0.7, 0.2, 0.04]))
    found = judge("X107", probes=both, model=slow, train=fit())
    assert found[0].message.endswith(
        "; on one batch it took the loss from 0.7 to 0.7 in 400 steps, where "
        "Adam(learning_rate=0.001) took it to 0.04 in 3"
    )
    assert found[0].data["reference_losses"] == [0.7, 0.2, 0.04]


def _throughput(pipeline: float) -> ProbeFacts:
    """A generator's batch of 64 made in ``pipeline`` seconds; a step on 32 takes 2 ms."""
    return probes(
        ProbeResult(
            "throughput",
            values=measured.Throughput(
                source="generator",
                step_s=0.002,
                batch_size=32,
                pipeline_s=pipeline,
                pipeline_batch_size=64,
                steps=20,
            ),
        )
    )


def test_x108_scales_the_step_to_the_pipeline_batch() -> None:
    found = judge("X108", probes=_throughput(0.03), train=fit(), source=NO_SOURCE)
    assert "one batch of 64 takes 30.0 ms but training on it takes 4.0 ms (7.5x" in (
        found[0].message
    )
    assert not judge("X108", probes=_throughput(0.003), train=fit(), source=NO_SOURCE)


def _loader_throughput(pipeline: float, step: float, workers: int) -> ProbeFacts:
    """A PyTorch DataLoader's batch of 128 drawn in ``pipeline`` seconds."""
    values = measured.Throughput(
        source="dataloader",
        step_s=step,
        batch_size=128,
        pipeline_s=pipeline,
        pipeline_batch_size=128,
        steps=20,
        workers=workers,
    )
    return probes(ProbeResult("throughput", values=values), backend="pytorch")


def test_x108_names_the_dataloaders_workers_and_ignores_a_cheap_pipeline() -> None:
    (found,) = judge(
        "X108", probes=_loader_throughput(0.07, 0.005, 0), train=fit(), source=NO_SOURCE
    )
    assert "(14.0x; " in found.message and "num_workers=0" in found.message
    assert found.fix.startswith("DataLoader(..., num_workers=4, persistent_workers=True)")
    (found,) = judge(
        "X108", probes=_loader_throughput(0.07, 0.005, 2), train=fit(), source=NO_SOURCE
    )
    assert "the DataLoader's 2 workers do not keep up" in found.message
    # an in-memory dataset behind a tiny model: 0.3 ms a batch is never worth a finding
    assert not judge(
        "X108", probes=_loader_throughput(0.0003, 0.0002, 0), train=fit(), source=NO_SOURCE
    )


def test_x110_on_pytorch_only_when_the_script_saves_the_whole_module() -> None:
    checkpoint = measured.Checkpoint(
        ok=False,
        how="the whole module through torch.save and torch.load",
        error="AttributeError: Can't pickle",
    )
    failed = probes(ProbeResult("checkpoint", values=checkpoint), backend="pytorch")
    head = "import torch\nfrom torch import nn\nmodel = nn.Linear(2, 1).to('cpu')\n"
    module = SourceFacts.from_text(head + "torch.save(model, 'model.pt')\n")
    weights = SourceFacts.from_text(head + "torch.save(model.state_dict(), 'model.pt')\n")
    bundle = SourceFacts.from_text(head + "torch.save({'model': model.state_dict()}, 'c.pt')\n")
    (found,) = judge("X110", probes=failed, train=fit(), source=module)
    assert found.fix.startswith("torch.save(model.state_dict(), path)")
    assert "(the whole module through torch.save and torch.load): AttributeError" in found.message
    for source in (weights, bundle, NO_SOURCE):
        assert not judge("X110", probes=failed, train=fit(), source=source)


def test_p101_speaks_when_making_a_batch_is_a_tenth_of_the_step_or_more() -> None:
    data = DataFacts(
        source="generator",
        samples=64,
        inputs=[InputStats("x", [20], "float32")],
        targets=[TargetStats("y", [], "int64")],
    )
    facts = {"data": data, "train": fit(), "source": NO_SOURCE}
    (found,) = judge("P101", probes=_throughput(0.002), **facts)
    assert found.message.endswith(
        "(measured: a batch of 64 takes 2.0 ms to make, 50% of the 4.0 ms step)"
    )
    assert found.fix == (
        "tf.data.Dataset.from_generator(lambda: your_generator(), output_signature=("
        "tf.TensorSpec((None, 20), tf.float32), tf.TensorSpec((None,), tf.int64)))"
        ".prefetch(tf.data.AUTOTUNE)"
    )
    assert not judge("P101", probes=_throughput(0.0002), **facts)  # 5% of the step
    # without the probes it cannot know: it says so for any generator of arrays
    assert judge("P101", **facts)[0].message.endswith("nothing is prepared ahead")
    strings = DataFacts(source="generator", samples=8, inputs=[InputStats("x", [], "<U5")])
    assert not judge("P101", data=strings, train=fit(), source=NO_SOURCE)


def test_x109_only_when_the_script_seeds() -> None:
    from nncheck.facts.source import SourceFacts

    seeded = SourceFacts.from_text(
        "import keras\nkeras.utils.set_random_seed(1)\nmodel.fit(x, y)\n"
    )
    differ = probes(fingerprint="aa", twin_fingerprint="bb")
    assert judge("X109", probes=differ, train=fit(), source=seeded)
    assert not judge("X109", probes=differ, train=fit(), source=NO_SOURCE)  # T109's case
    same = probes(fingerprint="aa", twin_fingerprint="aa")
    assert not judge("X109", probes=same, train=fit(), source=seeded)


def _round_trip_failure(error: str, **kwargs: object) -> ProbeFacts:
    how = "save / load_model (.keras)"
    checkpoint = measured.Checkpoint(ok=False, how=how, error=error, **kwargs)
    return probes(ProbeResult("checkpoint", values=checkpoint))


SAVES = SourceFacts.from_text("import keras\nmodel = keras.Sequential()\nmodel.save('m.keras')\n")


def test_x110_is_an_error_only_where_the_script_saves_and_x113_says_it_otherwise() -> None:
    failed = _round_trip_failure("TypeError: could not locate Scale")
    (error,) = judge("X110", probes=failed, train=fit(), source=SAVES)
    assert error.message == (
        "a checkpoint of this model does not round-trip (save / load_model (.keras)): "
        "TypeError: could not locate Scale"
    )
    assert not judge("X113", probes=failed, train=fit(), source=SAVES)
    checkpointing = fit(callbacks=[CallbackFacts("ModelCheckpoint", monitor="val_loss")])
    assert judge("X110", probes=failed, train=checkpointing, source=NO_SOURCE)
    # a script that never saves: no error, the same facts as information
    assert not judge("X110", probes=failed, train=fit(), source=NO_SOURCE)
    (info,) = judge("X113", probes=failed, train=fit(), source=NO_SOURCE)
    assert info.message.endswith(
        "the script does not save it, so nothing fails today, but a checkpoint or export would"
    )
    ok = probes(ProbeResult("checkpoint", values=measured.Checkpoint(ok=True, how="x")))
    assert not judge("X113", probes=ok, train=fit(), source=NO_SOURCE)


@pytest.mark.parametrize(
    ("failure", "fix"),
    [
        (
            _round_trip_failure(
                "ValueError: a Lambda whose function is a Python lambda", uses_lambda=True
            ),
            "replace the lambda with a named function registered with "
            "@keras.saving.register_keras_serializable() (or a small custom layer); load with "
            "safe_mode=False only checkpoints you trust",
        ),
        (
            _round_trip_failure("NotImplementedError: Object Squash was created by passing"),
            "give Squash a get_config() that returns every constructor argument (and register "
            "the class with @keras.saving.register_keras_serializable())",
        ),
        (
            _round_trip_failure(
                "TypeError: Sequential could not be deserialized", without_config=["Scale"]
            ),
            "give Scale a get_config() that returns every constructor argument (and register "
            "the class with @keras.saving.register_keras_serializable())",
        ),
        (
            _round_trip_failure("TypeError: Could not locate class 'Scale'"),
            "register custom layers and models with "
            "@keras.saving.register_keras_serializable() so that load_model finds them",
        ),
    ],
    ids=["lambda", "named-by-keras", "found-among-the-users-classes", "unregistered"],
)
def test_x110_fix_follows_the_cause(failure: ProbeFacts, fix: str) -> None:
    (finding,) = judge("X110", probes=failure, train=fit(), source=SAVES)
    assert finding.fix == fix


# -- GPU-only: X111, X112, T110 ---------------------------------------------------------------

H200 = GpuFacts(0, "NVIDIA H200", 143_771.0, 1_000.0, (9, 0))


def test_x111_reports_measured_speedups_on_a_gpu() -> None:
    timed = ProbeResult(
        "mixed_precision",
        values=measured.MixedPrecision(as_is=0.010, mixed_float16=0.004, aligned=0.0098),
    )
    found = judge("X111", probes=probes(timed, device="NVIDIA H200"), train=fit())
    assert "faster with mixed float16 2.50x" in found[0].message
    assert "aligned" not in found[0].message  # 1.02x is below min-speedup


def test_x111_on_pytorch_names_autocast_and_channels_last() -> None:
    def timed(dtype: str) -> ProbeFacts:
        values = measured.MixedPrecision(
            as_is=0.010, autocast=0.004, autocast_dtype=dtype, channels_last=0.008
        )
        return probes(
            ProbeResult("mixed_precision", values=values), device="NVIDIA H200", backend="pytorch"
        )

    (found,) = judge("X111", probes=timed("bfloat16"), train=fit())
    assert "faster with bfloat16 autocast 2.50x, channels last 1.25x" in found.message
    assert found.fix == (
        "torch.autocast('cuda', dtype=torch.bfloat16) around the forward pass and the loss; "
        "model.to(memory_format=torch.channels_last) and each image batch "
        ".contiguous(memory_format=torch.channels_last)"
    )
    (found,) = judge("X111", probes=timed("float16"), train=fit())
    assert "(with torch.amp.GradScaler)" in found.fix
    lightning = TrainFacts(entry="lightning", epochs=20)
    (found,) = judge("X111", probes=timed("bfloat16"), train=lightning)
    assert found.fix.startswith("Trainer(precision='bf16-mixed'); model.to(")
    slower = measured.MixedPrecision(as_is=0.010, autocast=0.0095, autocast_dtype="bfloat16")
    quiet = probes(ProbeResult("mixed_precision", values=slower), backend="pytorch")
    assert not judge("X111", probes=quiet, train=fit())  # 1.05x: below min-speedup


def test_p109_pin_memory_only_for_cpu_items_feeding_a_cuda_model() -> None:
    def loop(**kwargs: object) -> TrainFacts:
        facts = TrainFacts(entry="custom_loop", device="cuda", pin_memory=False, workers=4)
        for name, value in {"dataset_device": "cpu", **kwargs}.items():
            setattr(facts, name, value)
        return facts

    (found,) = judge("P109", train=loop())
    assert "pin_memory=False" in found.message
    assert found.fix.startswith("DataLoader(..., pin_memory=True)")
    assert not judge("P109", train=loop(pin_memory=True))
    assert not judge("P109", train=loop(device="cpu"))
    assert not judge("P109", train=loop(dataset_device="cuda"))  # pinning would raise
    assert not judge("P109", train=loop(dataset_device=None))


def test_x112_step_memory_against_free_gpu_memory() -> None:
    memory = ProbeResult(
        "memory",
        values=measured.StepMemory(
            step_bytes=4 * 2**30, batch_size=512, activation_bytes_per_sample=1, parameter_bytes=1
        ),
    )
    hw = HardwareFacts(gpus=[H200])
    found = judge("X112", probes=probes(memory), hardware=hw, train=fit())
    assert "needs about 4,096 MiB, and NVIDIA H200 has 1,000 MiB free" in found[0].message
    roomy = HardwareFacts(gpus=[GpuFacts(0, "H200", 143_771.0, 140_000.0, (9, 0))])
    assert not judge("X112", probes=probes(memory), hardware=roomy, train=fit())


def test_t110_several_gpus_without_a_strategy() -> None:
    two = HardwareFacts(gpus=[H200, GpuFacts(1, "NVIDIA H200", 143_771.0, 9e4, (9, 0), 0, 1)])
    keras_model = binary_model()
    found = judge("T110", hardware=two, train=fit(), model=keras_model)
    assert "2 GPUs are visible (1 already used by other processes)" in found[0].message
    mirrored = TrainFacts("fit", strategy="MirroredStrategy")
    assert not judge("T110", hardware=two, train=mirrored, model=keras_model)
    assert not judge("T110", hardware=HardwareFacts(gpus=[H200]), train=fit(), model=keras_model)


def test_t110_on_pytorch_counts_the_gpus_torch_sees() -> None:
    two = HardwareFacts(gpus=[H200, GpuFacts(1, "NVIDIA H200", 143_771.0, 9e4, (9, 0))])
    torch_model = ModelFacts(name="Net", class_name="Net", framework="pytorch")
    loop = TrainFacts("custom_loop", gpus=2)
    (found,) = judge("T110", hardware=two, train=loop, model=torch_model)
    assert "2 GPUs are visible to PyTorch and training runs on one of them" in found.message
    assert found.fix.startswith("DistributedDataParallel, launched with torchrun")
    trainer = TrainFacts("lightning", gpus=2)
    (found,) = judge("T110", hardware=two, train=trainer, model=torch_model)
    assert found.fix.startswith("Trainer(devices=2, strategy='ddp')")
    wrapped = TrainFacts("custom_loop", gpus=2, strategy="DistributedDataParallel")
    assert not judge("T110", hardware=two, train=wrapped, model=torch_model)
    one_visible = TrainFacts("custom_loop", gpus=1)  # CUDA_VISIBLE_DEVICES=0
    assert not judge("T110", hardware=two, train=one_visible, model=torch_model)


class FakeNVML:
    """The part of pynvml that nncheck calls, for two GPUs."""

    def __init__(self, fail: bool = False) -> None:
        self.fail, self.shut = fail, False

    def nvmlInit(self) -> None:
        if self.fail:
            raise RuntimeError("NVML Shared Library Not Found")

    def nvmlShutdown(self) -> None:
        self.shut = True

    def nvmlSystemGetDriverVersion(self) -> bytes:
        return b"560.35"

    def nvmlDeviceGetCount(self) -> int:
        return 2

    def nvmlDeviceGetHandleByIndex(self, index: int) -> int:
        return index

    def nvmlDeviceGetName(self, handle: int) -> str:
        return "NVIDIA H200" if handle == 0 else "Tesla P100"

    def nvmlDeviceGetMemoryInfo(self, handle: int) -> SimpleNamespace:
        return SimpleNamespace(total=141 * 2**30, free=(100 - handle * 90) * 2**30)

    def nvmlDeviceGetCudaComputeCapability(self, handle: int) -> tuple[int, int]:
        return (9, 0) if handle == 0 else (6, 0)

    def nvmlDeviceGetUtilizationRates(self, handle: int) -> SimpleNamespace:
        return SimpleNamespace(gpu=7)

    def nvmlDeviceGetComputeRunningProcesses(self, handle: int) -> list[object]:
        return [object()] if handle == 1 else []


def test_nvml_facts_from_a_fake_nvml() -> None:
    nvml = FakeNVML()
    facts = hardware.read(nvml)
    assert facts.driver == "560.35" and nvml.shut
    h200, p100 = facts.gpus
    assert (h200.name, h200.memory_free_mib, h200.tensor_cores) == ("NVIDIA H200", 102_400, True)
    assert (p100.tensor_cores, p100.other_processes, p100.utilization_percent) == (False, 1, 7)


def test_no_driver_means_no_gpus_and_a_reason() -> None:
    facts = hardware.read(FakeNVML(fail=True))
    assert facts.gpus == [] and facts.reason.startswith("no NVIDIA driver")


# -- pure helpers ------------------------------------------------------------------------------


def test_expected_initial_loss_accounts_for_the_bias_and_prior() -> None:
    from nncheck.adapters import probe_math as probe_module

    sigmoid = ModelFacts(
        "m",
        "S",
        outputs=[OutputFacts("o", 1, "sigmoid", [0.0])],
        losses=[LossFacts("binary_crossentropy")],
    )
    y = np.array([0.0] * 90 + [1.0] * 10)
    assert probe_module.expected_initial_loss(sigmoid, y) == pytest.approx(math.log(2))
    prior_bias = math.log(0.1 / 0.9)
    sigmoid.outputs[0].bias = [prior_bias]
    entropy = -(0.1 * math.log(0.1) + 0.9 * math.log(0.9))
    assert probe_module.expected_initial_loss(sigmoid, y) == pytest.approx(entropy)
    softmax = ModelFacts(
        "m",
        "S",
        outputs=[OutputFacts("o", 10, "softmax", [0.0] * 10)],
        losses=[LossFacts("sparse_categorical_crossentropy")],
    )
    labels = np.arange(100) % 10
    assert probe_module.expected_initial_loss(softmax, labels) == pytest.approx(math.log(10))


def test_lr_range_summary_finds_the_minimum_and_the_divergence() -> None:
    from nncheck.adapters.probe_math import lr_range_summary

    rates = [10 ** (-7 + i * 0.1) for i in range(70)]
    losses = [1.0 if r < 1e-4 else (0.2 if r < 1e-2 else 50.0) for r in rates]
    suggested, diverged_at, still_falling = lr_range_summary(rates, losses)
    assert not still_falling
    assert suggested is not None and diverged_at is not None
    assert 1e-4 / 10 < suggested < 1e-2 / 10
    assert 1e-2 <= diverged_at < 2e-2


def test_a_flat_sweep_suggests_no_rate() -> None:
    """Adadelta below its usual rate of 1.0: the loss moves by noise until it diverges, and
    the lowest point of noise is no suggestion (it read 1e-8 on a public MNIST example)."""
    from nncheck.adapters.probe_math import lr_range_summary

    rates = [10 ** (-7 + i * 0.4) for i in range(21)]
    losses = [2.30 + 0.01 * ((i * 7) % 3) for i in range(20)] + [80.0]
    assert lr_range_summary(rates, losses) == (None, rates[-1], False)
    falling = [2.3 - 0.05 * i for i in range(20)] + [80.0]  # a loss that does fall: 43% down
    assert lr_range_summary(rates, falling)[0] is not None
    # still falling at the last rate, never diverged: the sweep ended, not the descent (a
    # GAN critic's constant targets suggested Adam at 1.0)
    assert lr_range_summary(rates[:20], falling[:20]) == (None, None, True)


def test_a_loss_near_zero_that_rises_a_little_has_not_diverged() -> None:
    """A rare class (0.2% positives): the loss falls from 0.64 to 0.008 by predicting the
    majority, then rises to 0.034 as the rate grows; 4x its minimum, but still 95% of the
    way down from the start. A loss back above half of its start has diverged."""
    from nncheck.adapters.probe_math import diverged, lr_range_summary

    assert not diverged(0.034, best=0.008, first=0.64)
    assert diverged(0.5, best=0.008, first=0.64)
    assert diverged(float("nan"), best=0.008, first=0.64)
    rates = [10 ** (-7 + i * 0.1) for i in range(48)]
    losses = [0.64 if r < 1e-4 else (0.008 if r < 2e-3 else 0.034) for r in rates]
    assert lr_range_summary(rates, losses)[1] is None


def test_tensor_core_rewrite_pads_hidden_widths_not_the_output() -> None:
    from nncheck.adapters.probe_measures import rewrite_for_tensor_cores

    config = {
        "layers": [{"config": {"units": 50}}, {"config": {"filters": 30}}, {"config": {"units": 3}}]
    }
    rewritten = rewrite_for_tensor_cores(config)
    assert [next(iter(layer["config"].values())) for layer in rewritten["layers"]] == [56, 32, 3]


def test_sparklines_and_the_probe_section() -> None:
    assert sparkline([1.0, 0.5, 0.25, 0.125]) == "█▄▂▁"
    assert sparkline([1.0, math.nan]) == "▁x"
    facts = probes(
        overfit([0.7, 0.35, 0.07], accuracy=1.0),
        ProbeResult("mixed_precision", status="skipped", reason="needs a GPU"),
        fingerprint="a",
        twin_fingerprint="a",
    )
    rendered = ["".join(text for text, _ in line) for line in probe_lines("t.py", facts)]
    assert rendered[0].startswith("Probes on t.py (CPU, tensorflow,")
    assert rendered[1] == "  overfit 1 batch  0.7 → 0.07 in 3 steps, 100% accuracy  █▄▁"
    assert rendered[2] == "  mixed precision  skipped: needs a GPU"
    assert rendered[3] == "  reproducibility  identical initial weights in two runs"


def test_a_batch_is_learned_towards_the_loss_of_perfect_predictions() -> None:
    # soft targets under cross-entropy: 0.69 -> 0.515 is 1.3x, but 10x towards a 0.5 floor
    curve = [0.69, 0.60, 0.55, 0.52, 0.515]
    assert not measured.batch_learned(curve, None, 0)
    assert measured.batch_learned(curve, None, 0, floor=0.5)
    assert not measured.batch_learned(curve, None, 0, floor=0.3)
    stalled = overfit([0.69] + [0.62] * 40)
    stalled.values.floor = 0.5
    (finding,) = judge("X101", probes=probes(stalled), model=binary_model(), train=fit())
    assert "(1.6x towards 0.5, the loss of perfect predictions; 10x needed)" in finding.message


def test_the_perfect_prediction_of_each_loss() -> None:
    from nncheck.adapters.probe_measures import _perfect_prediction

    soft = np.array([[0.2], [0.9]], dtype="float32")
    output = np.zeros((2, 1), dtype="float32")
    assert np.allclose(_perfect_prediction("binary_crossentropy", soft, output), soft)
    logits = _perfect_prediction(keras_loss("BinaryCrossentropy", from_logits=True), soft, output)
    assert np.allclose(1 / (1 + np.exp(-logits)), soft, atol=1e-5)
    ids = np.array([2, 0])
    probabilities = _perfect_prediction("sparse_categorical_crossentropy", ids, np.zeros((2, 3)))
    assert probabilities.argmax(axis=1).tolist() == [2, 0]
    assert np.allclose(_perfect_prediction("mse", soft.ravel(), output), soft)
    assert _perfect_prediction("my_custom_loss", soft, output) is None


def keras_loss(name: str, **kwargs):
    import keras

    return getattr(keras.losses, name)(**kwargs)


def test_x114_a_run_shorter_than_one_batch_takes_to_learn() -> None:
    from nncheck.facts.live import DataFacts

    data = DataFacts("arrays", 3000, [], length=3000)
    curve = overfit([1.0 - 0.01 * i for i in range(95)])  # halved at step 51
    (finding,) = judge("X114", probes=probes(curve), data=data, train=fit(epochs=2, batch_size=512))
    assert finding.message == (
        "the run makes 12 optimizer steps (2 epochs), fewer than the 51 a clone needed to halve "
        "its loss on one batch of 32 samples: it ends long before the model has learned the data"
    )
    assert not judge("X114", probes=probes(curve), data=data, train=fit(epochs=1, batch_size=32))
    unknown = DataFacts("dataset", 3000, [])  # no length, no steps_per_epoch: quiet
    assert not judge(
        "X114", probes=probes(curve), data=unknown, train=fit(epochs=1, batch_size=512)
    )
    by_accuracy = overfit([0.8] * 80, accuracy=1.0, classes=2)  # every sample right at step 80
    (early,) = judge(
        "X114", probes=probes(by_accuracy), data=data, train=fit(epochs=2, batch_size=512)
    )
    assert early.data["needed"] == 61
