"""
## What it does
In a Lightning script, checks the `monitor` of the `EarlyStopping` and `ModelCheckpoint`
callbacks against the names the LightningModule logs: the string literals of its
`self.log(...)` calls and the keys of its `self.log_dict({...})` calls (with
`on_step=True, on_epoch=True`, Lightning logs `NAME_step` and `NAME_epoch` as well), plus
`epoch` and `step` for `ModelCheckpoint`. When a name is built at run time (an f-string, a
variable, a dict built elsewhere), the logged names are not certain and the rule stays
quiet.

## Why is this bad?
Lightning looks for the monitored name when the callback first acts, at the end of the
first validation epoch (or training epoch): a name that is never logged stops the run with
a `RuntimeError` (EarlyStopping) or a `MisconfigurationException` (ModelCheckpoint), after
the time that first epoch took. The classic cases are Keras' names (`val_acc`) and a name
logged only in `training_step` monitored as `val_...`.

## Example
```python
def validation_step(self, batch, batch_idx):
    self.log("val_loss", loss)
...
trainer = L.Trainer(callbacks=[EarlyStopping(monitor="val_acc")])
```

## Use instead
```python
trainer = L.Trainer(callbacks=[EarlyStopping(monitor="val_loss")])
```
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Iterator

from nncheck.facts.source import SourceFacts
from nncheck.findings import Severity, Violation
from nncheck.registry import rule

from ..common import at

LIGHTNING_PACKAGES = ("lightning", "pytorch_lightning")
CALLBACKS = {"EarlyStopping": "RuntimeError", "ModelCheckpoint": "MisconfigurationException"}


def _logged_names(source: SourceFacts) -> set[str] | None:
    """The names the script's log / log_dict calls write, or None when one is not a literal."""
    names: set[str] = set()
    for call in source.calls:
        if call.method == "log":
            name = call.node.args[0] if call.node.args else call.arg_node("name")
            if not isinstance(name, ast.Constant) or not isinstance(name.value, str):
                return None
            names.add(name.value)
            step, epoch = call.arg_node("on_step"), call.arg_node("on_epoch")
            if any(n is not None and not isinstance(n, ast.Constant) for n in (step, epoch)):
                return None
            if all(isinstance(n, ast.Constant) and n.value is True for n in (step, epoch)):
                names |= {f"{name.value}_step", f"{name.value}_epoch"}
        elif call.method == "log_dict":
            logged = call.node.args[0] if call.node.args else call.arg_node("dictionary")
            if not isinstance(logged, ast.Dict) or not all(
                isinstance(k, ast.Constant) and isinstance(k.value, str) for k in logged.keys
            ):
                return None
            names |= {str(k.value) for k in logged.keys if isinstance(k, ast.Constant)}
    return names


def lightning_unknown_monitor(source: SourceFacts) -> Iterator[Violation]:
    if not any(m.partition(".")[0] in LIGHTNING_PACKAGES for m in source.imported_modules):
        return
    watchers = []
    for call in source.calls:
        package, _, kind = (call.qualname or "").rpartition(".")
        if kind in CALLBACKS and package.partition(".")[0] in LIGHTNING_PACKAGES:
            node = call.node.args[0] if call.node.args else call.arg_node("monitor")
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                watchers.append((call, kind, node.value))
    if not watchers:
        return
    logged = _logged_names(source)
    if not logged:
        return
    for call, kind, monitor in watchers:
        known = logged | ({"epoch", "step"} if kind == "ModelCheckpoint" else set())
        if monitor in known:
            continue
        listed = ", ".join(sorted(logged))
        closest = difflib.get_close_matches(monitor, sorted(known), n=1, cutoff=0.4)
        yield at(
            call,
            f"{kind} monitors '{monitor}', which the LightningModule never logs (it logs: "
            f"{listed}): Lightning stops the run with a {CALLBACKS[kind]} when the callback "
            "first looks for it, at the end of the first epoch",
            f"monitor='{closest[0]}'" if closest else "log the monitored name with self.log",
            monitor=monitor,
            logged=sorted(logged),
        )


RULE = rule(
    code="T117",
    name="lightning-unknown-monitor",
    severity=Severity.ERROR,
    summary="A Lightning callback monitors a name the LightningModule never logs",
    tip=16,
    doc=__doc__,
    implementations=(lightning_unknown_monitor,),
)
