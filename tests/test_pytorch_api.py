"""PyTorch objects checked in the caller's process: nncheck.check() and the Lightning callback."""

from __future__ import annotations

import io
import random

import pytest

torch = pytest.importorskip("torch")
np = pytest.importorskip("numpy")

from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402
from torch.nn.modules import module as module_hooks  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

import nncheck  # noqa: E402


def _loader(classes: int = 4, rows: int = 1000) -> DataLoader:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(rows, 16, generator=generator)
    y = torch.randint(0, classes, (rows,), generator=generator)
    return DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True)


def _no_hooks_left() -> bool:
    return (
        not module_hooks._global_forward_hooks
        and not module_hooks._global_forward_pre_hooks
        and not hasattr(F.cross_entropy, "__wrapped__")
    )


def test_a_softmax_before_cross_entropy_is_found_and_nothing_is_changed() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(16, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Linear(64, 4), nn.Softmax(dim=1)
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    before = {name: value.clone() for name, value in model.state_dict().items()}
    states = (torch.get_rng_state(), np.random.get_state()[1].copy(), random.getstate())
    report = nncheck.check(model, _loader(), loss_fn=nn.CrossEntropyLoss(), optimizer=optimizer)
    assert [f.code for f in report.findings] == ["M109"]
    assert "nn.CrossEntropyLoss applies log-softmax itself" in report.findings[0].message
    after = model.state_dict()  # BatchNorm's running statistics included
    assert all(torch.equal(before[name], after[name]) for name in before)
    assert torch.equal(states[0], torch.get_rng_state())
    assert np.array_equal(states[1], np.random.get_state()[1])
    assert states[2] == random.getstate()
    assert not optimizer.state  # never stepped
    probes = report.result.probes["<model>"]
    assert probes.backend == "pytorch" and {r.name for r in probes.results} >= {"loss_at_init"}
    assert _no_hooks_left()


def test_a_clean_setup_with_a_functional_loss_reports_nothing() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 4))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    report = nncheck.check(model, _loader(), loss_fn=F.cross_entropy, optimizer=optimizer)
    assert report.findings == []
    assert "No findings" in str(report)


def test_bad_arguments_are_clear_errors() -> None:
    model = nn.Linear(16, 4)
    optimizer = torch.optim.Adam(model.parameters())
    loader = _loader()
    cases = [
        (dict(x=loader, optimizer=optimizer), "Expected loss_fn="),
        (dict(x=loader, loss_fn=F.cross_entropy), "Expected optimizer="),
        (dict(loss_fn=F.cross_entropy, optimizer=optimizer), "Expected the training data"),
        (dict(x=[torch.zeros(4, 16)], loss_fn=F.cross_entropy, optimizer=optimizer), "Tensor"),
        (dict(x=[], loss_fn=F.cross_entropy, optimizer=optimizer), "at least one batch"),
        (dict(x=loader, y=loader, loss_fn=F.cross_entropy, optimizer=optimizer), "unexpected"),
    ]
    for arguments, message in cases:
        with pytest.raises(ValueError, match=message):
            nncheck.check(model, **arguments)
    assert _no_hooks_left()


def test_the_lightning_callback_stops_before_the_first_update() -> None:
    L = pytest.importorskip("lightning")
    from nncheck.lightning import ChecksFailed, NNCheckCallback

    class Classifier(L.LightningModule):
        def __init__(self, softmax: bool) -> None:
            super().__init__()
            self.softmax = softmax
            self.net = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4))

        def forward(self, x):
            out = self.net(x)
            return torch.softmax(out, dim=1) if self.softmax else out

        def training_step(self, batch, batch_idx):
            x, y = batch
            return F.cross_entropy(self(x), y)

        def configure_optimizers(self):
            return torch.optim.Adam(self.parameters(), lr=1e-3)

    def fit(model, callback) -> None:
        trainer = L.Trainer(
            max_epochs=1,
            limit_train_batches=3,
            callbacks=[callback],
            logger=False,
            enable_checkpointing=False,
            enable_progress_bar=False,
            enable_model_summary=False,
        )
        trainer.fit(model, _loader())

    torch.manual_seed(0)
    faulty = Classifier(softmax=True)
    weights = faulty.net[0].weight.detach().clone()
    stream = io.StringIO()
    with pytest.raises(ChecksFailed, match=r"M109\); training stopped before the first step"):
        fit(faulty, NNCheckCallback(stream=stream))
    assert torch.equal(weights, faulty.net[0].weight)  # no update happened
    assert "M109 [error]" in stream.getvalue()
    assert _no_hooks_left()

    reported = NNCheckCallback(fail_on="never", stream=io.StringIO())
    fit(faulty, reported)  # report only: training goes on
    assert [f.code for f in reported.report.findings] == ["M109"]
    assert not torch.equal(weights, faulty.net[0].weight)

    clean = NNCheckCallback(fail_on="info", stream=io.StringIO())
    fit(Classifier(softmax=False), clean)
    assert clean.report is not None and clean.report.findings == []
    assert _no_hooks_left()


def test_the_tensor_core_variants_are_timed_and_skipped_without_a_gpu() -> None:
    """The X111 probe's variants (autocast, channels_last) run on any device; the probe
    itself asks for a GPU. Timed here on the CPU with bfloat16 autocast: the mechanics, not
    the speed."""
    from pathlib import Path

    from nncheck.adapters import pytorch_live, pytorch_probes
    from nncheck.adapters.probe_limits import Budget, ProbeOptions, Skip

    torch.manual_seed(0)
    images = torch.randn(256, 3, 16, 16)
    labels = torch.randint(0, 3, (256,))
    loader = DataLoader(TensorDataset(images, labels), batch_size=32, shuffle=True)
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 16 * 16, 3)
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    recorder = pytorch_live.capture_objects(
        model, loader, nn.CrossEntropyLoss(), optimizer, 500, Path.cwd() / "<model>"
    )
    result = pytorch_live.captured(recorder)
    probes = pytorch_probes.TorchProbes(recorder, result, ProbeOptions(budget=60, seed=0))
    with pytest.raises(Skip, match="needs a GPU with Tensor Cores"):
        probes.mixed_precision(Budget(60))
    timed = probes.time_variants(Budget(60), "cpu", torch.bfloat16)
    assert timed.autocast_dtype == "bfloat16"
    assert min(timed.as_is, timed.autocast, timed.channels_last) > 0
    assert set(timed.speedups()) == {"bfloat16_autocast", "channels_last"}


def test_the_step_memory_is_counted_from_the_first_steps_tensors() -> None:
    from pathlib import Path

    from nncheck.adapters import pytorch_live, pytorch_probes
    from nncheck.adapters.probe_limits import Budget, ProbeOptions

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 2))
    optimizer = torch.optim.Adam(model.parameters())
    recorder = pytorch_live.capture_objects(
        model, _loader(classes=2), nn.CrossEntropyLoss(), optimizer, 500, Path.cwd() / "<m>"
    )
    result = pytorch_live.captured(recorder)
    probes = pytorch_probes.TorchProbes(recorder, result, ProbeOptions(budget=60, seed=0))
    memory = probes.memory(Budget(60))
    parameters = (16 * 64 + 64 + 64 * 2 + 2) * 4
    per_sample = (64 + 64 + 2) * 4  # Linear, ReLU and Linear outputs in float32
    assert (memory.parameter_bytes, memory.activation_bytes_per_sample) == (parameters, per_sample)
    # weights, gradients and Adam's two moments; activations kept for the backward pass
    assert memory.step_bytes == parameters * 4 + per_sample * 64 * 2


def test_a_model_too_large_to_copy_beside_itself_skips_the_training_probes(monkeypatch) -> None:
    """The probes train copies; a copy that would not fit in the free memory is not made
    (swapping, or the OOM killer, would be the user's cost): the probes say why they skip."""
    from nncheck.adapters import pytorch_probes

    monkeypatch.setattr(pytorch_probes, "available_bytes", lambda device: 16 * 2**10)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 4))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    report = nncheck.check(model, _loader(), loss_fn=nn.CrossEntropyLoss(), optimizer=optimizer)
    results = {r.name: r for r in report.result.probes["<model>"].results}
    # 1,348 weights of 4 bytes, four times: the copy, its gradients and Adam's two moments
    assert results["overfit"].status == "skipped"
    assert results["overfit"].reason == (
        "a copy of the model with its gradients and Adam's state needs about 21.1 KiB and "
        "16.0 KiB of CPU memory is free"
    )
    assert results["memory"].status == "ok"  # counted from the step's tensors, no copy
