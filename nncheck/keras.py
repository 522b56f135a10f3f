"""A Keras callback that checks the real model and data when ``fit`` starts.

    model.fit(x, y, epochs=50, callbacks=[nncheck.keras.NNCheckCallback(fail_on="error")])

At ``on_train_begin`` the callback reads the arguments ``fit`` was called with (x, y,
validation data, epochs, batch size, the other callbacks) from ``fit``'s own frame, runs the
same rules as ``nncheck train.py`` on them, prints the report, and raises
:class:`ChecksFailed` when findings reach ``fail_on``: Keras only looks at ``stop_training``
after a step, so raising is the one way to stop before the first weight update. Nothing is
trained and the weights are not changed by the check.
"""

from __future__ import annotations

import inspect
import sys
from types import FrameType
from typing import Any

import keras

from nncheck.api import ChecksFailed, TrainingCallbackOptions, check_fit_arguments

__all__ = ["ChecksFailed", "NNCheckCallback"]

# Callbacks Keras adds to every fit() itself: not the user's configuration.
_KERAS_ADDED = (keras.callbacks.History, keras.callbacks.ProgbarLogger)


def _is_one_shot(value: Any) -> bool:
    return inspect.isgenerator(value) or (
        hasattr(value, "__next__") and not hasattr(value, "__len__")
    )


class NNCheckCallback(TrainingCallbackOptions, keras.callbacks.Callback):
    """Check the setup when ``fit`` starts; stop before the first step on serious findings.

    Args:
        fail_on: "error", "warning", "info", or "never" (report only).
        select, ignore: rule codes, prefixes or names, as on the command line.
        max_samples: most training samples read for the data statistics.
        stream: where the report is printed (default: standard output).
    """

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        arguments = self._fit_arguments()
        self.publish(
            check_fit_arguments(self.model, arguments, self.select, self.ignore, self.max_samples)
        )

    def _fit_arguments(self) -> dict[str, Any]:
        """The arguments of the ``fit`` call running this callback, read from its frame.

        Without that frame (fit called in an unusual way) the model is checked alone.
        """
        from nncheck.adapters.keras3 import ORIGINAL_FIT

        names = list(inspect.signature(ORIGINAL_FIT).parameters)
        frame: FrameType | None = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_name == "fit" and frame.f_locals.get("self") is self.model:
                found = frame.f_locals
                arguments = {name: found[name] for name in names if name in found}
                arguments["callbacks"] = self._user_callbacks(found.get("callbacks"))
                if _is_one_shot(arguments.get("x")):  # sampling it would steal training batches
                    arguments["x"] = arguments["y"] = None
                return arguments
            frame = frame.f_back
        return {"self": self.model}

    def _user_callbacks(self, callbacks: Any) -> list[Any]:
        listed = getattr(callbacks, "callbacks", callbacks) or []
        return [c for c in listed if not isinstance(c, (*_KERAS_ADDED, NNCheckCallback))]
