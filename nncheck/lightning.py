"""A Lightning callback that checks the real module, data and optimizer at the first step.

    trainer = L.Trainer(max_epochs=20, callbacks=[nncheck.lightning.NNCheckCallback()])

On the first training batch the callback watches the forward pass and the loss through the
same hooks as ``nncheck train.py``; at ``on_before_optimizer_step`` (after the first
backward, before any parameter changes) it runs the rules on what it saw, prints the report,
and raises :class:`ChecksFailed` when findings reach ``fail_on``, so that ``Trainer.fit``
stops before the first update. The probes do not run here (``nncheck train.py`` runs them
on a copy); nothing is trained by the check.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from lightning.pytorch import Callback

from nncheck.adapters import pytorch, pytorch_live
from nncheck.api import API_PATH, ChecksFailed, TrainingCallbackOptions, report_on

__all__ = ["ChecksFailed", "NNCheckCallback"]


class NNCheckCallback(TrainingCallbackOptions, Callback):
    """Check the setup at the first training step; stop before its update on serious findings.

    Args:
        fail_on: "error", "warning", "info", or "never" (report only).
        select, ignore: rule codes, prefixes or names, as on the command line.
        max_samples: most training samples read for the data statistics.
        stream: where the report is printed (default: standard output).
    """

    _recorder: pytorch.Recorder | None = None  # watching the first batch

    def on_train_batch_start(
        self, trainer: Any, pl_module: Any, batch: Any, batch_idx: int
    ) -> None:
        if self.report is None and self._recorder is None:
            self._recorder = pytorch_live.recorder_for(
                pl_module, self.max_samples, Path.cwd() / API_PATH
            )
            pytorch.install(self._recorder, stop_at_step=False)

    def on_before_optimizer_step(self, trainer: Any, pl_module: Any, optimizer: Any) -> None:
        recorder = self._stop_watching()
        if recorder is None:
            return
        loader = trainer.train_dataloader
        if isinstance(loader, torch.utils.data.DataLoader):
            recorder.loaders = [loader]
        with pytorch_live.untouched(pl_module):  # the dataset sample draws no training batch
            recorder.capture(getattr(optimizer, "optimizer", optimizer))
        captured = pytorch_live.captured(recorder)
        if captured.train is not None:
            # the Trainer built its GradScaler before the callback watched: known from it
            plugin = getattr(trainer, "precision_plugin", None)
            captured.train.grad_scaler = getattr(plugin, "scaler", None) is not None
            if trainer.max_epochs is not None:
                captured.train.epochs = trainer.max_epochs
        self.publish(report_on(captured, None, self.select, self.ignore))

    def on_train_end(self, trainer: Any, pl_module: Any) -> None:
        self._stop_watching()

    def on_exception(self, trainer: Any, pl_module: Any, exception: BaseException) -> None:
        self._stop_watching()

    def _stop_watching(self) -> pytorch.Recorder | None:
        recorder, self._recorder = self._recorder, None
        if recorder is not None:
            pytorch.uninstall()
        return recorder
