"""The PyTorch adapter: what it captures at the first optimizer.step(), and the run's edges
(no step, a CUDA-only script, a script that imports TensorFlow and PyTorch).

The child runs in a fresh interpreter (``python -m nncheck.adapters.child``), as nncheck
starts it: the adapter installs itself when the script imports torch.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from nncheck.cli import main
from nncheck.facts.live import CaptureResult

pytest.importorskip("torch")

LOOP = """
loss_fn = {loss}
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
for epoch in range(3):
    {mode}
    for xb, yb in loader:
        optimizer.zero_grad()
        out = model(xb)
        {backward}
        optimizer.step()
"""
DATA = """
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
x = torch.randn(600, 10)
y = (x[:, 0] > 0.9).long()
loader = DataLoader(TensorDataset(x, y), batch_size=50, shuffle=True)
"""


def line_of(text: str, snippet: str) -> int:
    """The 1-based line of the first line of ``text`` that contains ``snippet``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if snippet in line)


def capture(tmp_path: Path, body: str, max_samples: int = 400) -> CaptureResult:
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(body), encoding="utf-8")
    out = tmp_path / "capture.pkl"
    subprocess.run(
        [sys.executable, "-m", "nncheck.adapters.child", str(script), str(out), str(max_samples)],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=300,
    )
    with out.open("rb") as handle:
        result = pickle.load(handle)
    assert isinstance(result, CaptureResult)
    return result


def script(model: str, loss: str, backward: str, mode: str = "model.train()") -> str:
    return DATA + model + LOOP.format(loss=loss, backward=backward, mode=mode)


def test_a_sequential_model_loss_loader_and_data_are_captured(tmp_path: Path) -> None:
    body = script(
        "model = nn.Sequential(nn.Linear(10, 50), nn.ReLU(), nn.Dropout(0.2), nn.Linear(50, 2))\n",
        "nn.CrossEntropyLoss()",
        "loss_fn(out, yb).backward()",
    )
    result = capture(tmp_path, body)
    assert (result.status, result.framework) == ("captured", "pytorch")
    model = result.model
    assert model is not None and model.framework == "pytorch"
    assert [(layer.name, layer.kind, layer.width) for layer in model.layers] == [
        ("0", "Linear", 50),
        ("1", "ReLU", None),
        ("2", "Dropout", None),
        ("3", "Linear", 2),
    ]
    assert model.layers[2].rate == pytest.approx(0.2)
    [output] = model.outputs
    assert (output.layer, output.units, output.activation, output.rank) == ("3", 2, "linear", 2)
    assert output.bias is not None and len(output.bias) == 2
    assert output.site is not None and output.site.line == line_of(body, "nn.Sequential(")
    [loss] = model.losses
    assert (loss.name, loss.from_logits, loss.class_balancing) == (
        "sparse_categorical_crossentropy",
        True,
        False,
    )
    assert (model.optimizer, model.learning_rate, model.params) == ("SGD", 0.05, 652)
    train = result.train
    assert train is not None
    assert (train.entry, train.batch_size, train.shuffle, train.loop_training) == (
        "custom_loop",
        50,
        True,
        "true",
    )
    assert train.site is not None and train.site.line == line_of(body, "optimizer.step()")
    gradients = train.step_gradients
    assert gradients is not None and gradients.backward is not None
    # the loop clears before its forward pass: every one of the 4 tensors has its gradient
    assert (gradients.parameters, gradients.with_gradient, gradients.without) == (4, 4, 0)
    assert (gradients.backward.line, gradients.cleared_seen) == (
        line_of(body, ".backward()"),
        False,
    )
    data = result.data
    assert data is not None and (data.samples, data.length, data.truncated) == (400, 600, True)
    assert data.targets[0].kind == "binary" and sum(data.targets[0].classes.values()) == 400


def test_a_functional_activation_before_the_loss_is_the_head(tmp_path: Path) -> None:
    """torch.softmax in forward, and F.log_softmax between the model and F.nll_loss, are
    read from the autograd graph like modules."""
    model = """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(10, 16)
        self.head = nn.Linear(16, 2)

    def forward(self, inputs):
        return self.head(torch.relu(self.body(inputs)))


model = Net()
"""
    result = capture(
        tmp_path, script(model, "None", "F.nll_loss(F.log_softmax(out, dim=1), yb).backward()")
    )
    assert result.model is not None
    [output] = result.model.outputs
    assert (output.layer, output.activation) == ("head", "log_softmax")
    assert [loss.name for loss in result.model.losses] == ["negative_log_likelihood"]


def test_a_head_that_is_not_a_linear_output_stays_unknown(tmp_path: Path) -> None:
    """A tuple output whose first item is a sum of two linears: no certain head, so the
    head rules stay quiet."""
    model = """
class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(10, 2)
        self.b = nn.Linear(10, 2)

    def forward(self, inputs):
        return self.a(inputs) + self.b(inputs), inputs


model = TwoHeads()
"""
    result = capture(
        tmp_path, script(model, "nn.CrossEntropyLoss()", "loss_fn(out[0], yb).backward()")
    )
    assert result.model is not None
    assert result.model.outputs == [] and result.model.graph_visible is False


def test_rebalancing_and_eval_mode_are_seen(tmp_path: Path) -> None:
    result = capture(
        tmp_path,
        script(
            "model = nn.Sequential(nn.Linear(10, 1))\n",
            "nn.BCEWithLogitsLoss(pos_weight=torch.tensor([4.0]))",
            "loss_fn(out.squeeze(1), yb.float()).backward()",
            mode="model.eval()",
        ),
    )
    assert result.model is not None and result.train is not None
    [loss] = result.model.losses
    assert (loss.name, loss.from_logits, loss.class_balancing) == (
        "binary_crossentropy",
        True,
        True,
    )
    assert result.model.outputs[0].activation == "linear"  # through the squeeze
    assert result.train.loop_training == "false"


def test_the_script_stops_at_its_first_step(tmp_path: Path) -> None:
    body = script(
        "model = nn.Sequential(nn.Linear(10, 2))\n",
        "nn.CrossEntropyLoss()",
        "loss_fn(out, yb).backward()",
    )
    body += "open('trained', 'w').write('the loop ran to its end')\n"
    result = capture(tmp_path, body)
    assert result.status == "captured"
    assert not (tmp_path / "trained").exists()


def run(*args: str) -> tuple[int, str, str]:
    outcome = CliRunner().invoke(main, ["-q", *args])
    return outcome.exit_code, outcome.stdout, outcome.stderr


def test_a_loop_without_optimizer_step_is_e004(tmp_path: Path) -> None:
    path = tmp_path / "train.py"
    path.write_text(
        DATA + "model = nn.Linear(10, 1)\nfor xb, yb in loader:\n    model(xb).sum().backward()\n"
    )
    code, out, _ = run(str(path))
    assert code == 2
    assert "E004" in out and "a PyTorch optimizer.step()" in out


def test_a_script_that_needs_cuda_is_e002_at_its_line(tmp_path: Path) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    path = tmp_path / "train.py"
    path.write_text("import torch\n\nx = torch.zeros(3)\nx = x.cuda()\n")
    code, out, _ = run(str(path))
    assert code == 2
    assert "train.py:4 E002 [error] the script raised AssertionError: Torch not compiled" in out


def test_a_script_mixing_tensorflow_and_pytorch_says_which_it_checked(tmp_path: Path) -> None:
    path = tmp_path / "train.py"
    body = (
        "import numpy as np\nimport tensorflow as tf\n"
        + DATA
        + "model = nn.Linear(10, 2)\n"
        + LOOP.format(
            loss="nn.CrossEntropyLoss()",
            backward="loss_fn(out, yb).backward()",
            mode="model.train()",
        )
    )
    path.write_text(body)
    code, out, _ = run(str(path))
    assert code == 0
    step = line_of(body, "optimizer.step()")
    assert (
        "the script imports both TensorFlow/Keras and PyTorch: nncheck checked the first "
        f"training step it reached, PyTorch's (line {step})"
    ) in out
    # the model is its own output layer: its bias is the model's
    assert "the model's output layer (line" in out
    assert "fix: with torch.no_grad(): model.bias.copy_(torch.tensor([0.869, -0.869]))" in out


def test_keras_rules_are_skipped_on_a_pytorch_capture_with_the_reason() -> None:
    from conftest import FIXTURES

    code, out, _ = run("-v", str(FIXTURES / "pytorch" / "clean_tabular_mlp.py"))
    assert code == 0
    skipped = out.split("Skipped rules:", 1)[1]
    reason = "judges Keras setups; this one is PyTorch"
    line = next(line for line in skipped.splitlines() if reason in line)
    assert "T103" not in line and "M301" not in line  # their static judgement reads any source
    assert {"T113", "X113", "D107"} <= set(line.replace(",", " ").split())
    assert not {"D101", "D201", "M109", "X101", "X106"} & set(line.replace(",", " ").split())


def test_the_probes_measure_the_same_on_every_run() -> None:
    """Each probe seeds torch's generator itself: two checks give the same numbers (the
    throughput probe's timings aside)."""
    from conftest import FIXTURES

    path = FIXTURES / "pytorch" / "x107_learning_rate_past_divergence.py"
    measured = []
    for _ in range(2):
        code, out, _ = run("--format", "json", str(path))
        assert code == 0

        [probes] = json.loads(out)["probes"].values()
        assert probes["backend"] == "pytorch"
        statuses = {r["name"]: r["status"] for r in probes["results"]}
        assert statuses.pop("mixed_precision") == "skipped"  # a GPU's probe
        assert statuses == dict.fromkeys(
            (
                "loss_at_init",
                "gradients",
                "dead_units",
                "memory",
                "overfit",
                "lr_range",
                "throughput",
                "checkpoint",
            ),
            "ok",
        )
        measured.append(
            [(r["name"], r["values"]) for r in probes["results"] if r["name"] != "throughput"]
        )
    assert measured[0] == measured[1]


@pytest.mark.parametrize(
    ("after_backward", "expected"),
    [
        # (with a gradient, None, a clear of these parameters after the backward)
        ("model.zero_grad(set_to_none=False)", (0, 0, True)),
        ("[setattr(p, 'grad', None) for p in model.parameters()]", (0, 4, False)),
        ("other.zero_grad()", (4, 0, False)),  # another optimizer's parameters
    ],
)
def test_the_step_sees_what_backward_and_zero_grad_left(
    tmp_path: Path, after_backward: str, expected: tuple[int, int, bool]
) -> None:
    """T121's facts: the gradients at the step and the zero_grad() calls after the last
    backward() that touch the stepped parameters (a GAN's other optimizer does not)."""
    body = script(
        "model = nn.Sequential(nn.Linear(10, 8), nn.ReLU(), nn.Linear(8, 2))\n"
        "other = torch.optim.SGD(nn.Linear(3, 1).parameters(), lr=0.1)\n",
        "nn.CrossEntropyLoss()",
        f"loss_fn(out, yb).backward(); {after_backward}",
    )
    gradients = capture(tmp_path, body).train.step_gradients
    assert gradients is not None and gradients.parameters == 4
    assert (gradients.with_gradient, gradients.without, gradients.cleared_seen) == expected
    assert gradients.cleared is None or gradients.cleared.line == line_of(body, after_backward)


def test_under_a_scheduler_the_rate_is_its_peak(tmp_path: Path) -> None:
    """OneCycleLR starts at max_lr / 25: T101 judges the max_lr it trains at."""
    body = (
        DATA
        + "model = nn.Sequential(nn.Linear(10, 8), nn.ReLU(), nn.Linear(8, 2))\n"
        + "optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)\n"
        + "scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.3, total_steps=99)\n"
        + "for xb, yb in loader:\n"
        + "    optimizer.zero_grad()\n"
        + "    F.cross_entropy(model(xb), yb).backward()\n"
        + "    optimizer.step()\n"
        + "    scheduler.step()\n"
    )
    model = capture(tmp_path, body).model
    assert model is not None
    assert (model.learning_rate, model.schedule) == (pytest.approx(0.3), "OneCycleLR")


def test_a_closure_step_is_captured_with_its_forward_pass(tmp_path: Path) -> None:
    """LBFGS runs the forward and backward inside the closure it gives step(): the capture
    evaluates the closure once (it changes no parameter) to see the model and the loss."""
    result = capture(
        tmp_path,
        DATA
        + "model = nn.Sequential(nn.Linear(10, 8), nn.Tanh(), nn.Linear(8, 2))\n"
        + "loss_fn = nn.CrossEntropyLoss()\n"
        + "optimizer = torch.optim.LBFGS(model.parameters(), lr=0.5, max_iter=5)\n"
        + "def closure():\n"
        + "    optimizer.zero_grad()\n"
        + "    loss = loss_fn(model(x), y)\n"
        + "    loss.backward()\n"
        + "    return loss\n"
        + "for step in range(10):\n"
        + "    optimizer.step(closure)\n",
    )
    assert result.model is not None and result.model.optimizer == "LBFGS"
    assert [(o.layer, o.units, o.activation) for o in result.model.outputs] == [("2", 2, "linear")]
    assert [loss.name for loss in result.model.losses] == ["sparse_categorical_crossentropy"]
    gradients = result.train.step_gradients  # the closure's backward() ran: none is missing
    assert gradients is not None and (gradients.with_gradient, gradients.without) == (4, 0)


def test_t117_stays_quiet_when_a_logged_name_is_built_at_run_time(tmp_path: Path) -> None:
    from conftest import FIXTURES

    text = (FIXTURES / "pytorch" / "t117_lightning_monitors_an_unlogged_name.py").read_text()
    assert 'self.log("val_accuracy"' in text
    path = tmp_path / "train.py"
    path.write_text(text.replace('self.log("val_accuracy"', 'self.log(f"val_{self.metric}"'))
    code, out, _ = run("--static", "--select", "T117", str(path))
    assert (code, out.strip()) == (0, "No findings in 1 file.")
    path.write_text(text)
    code, out, _ = run("--static", "--select", "T117", str(path))
    assert code == 1 and "T117 [error] EarlyStopping monitors 'val_acc'" in out
