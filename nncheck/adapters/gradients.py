"""Gradients of the loss for one batch: the one piece of the probes that is backend-specific.

Keras 3 has no backend-neutral ``gradient`` call, so each backend's own autodiff is used
here and nowhere else: ``tf.GradientTape``, ``torch`` autograd, ``jax.grad`` over
``stateless_call``. Returns one NumPy array per trainable variable, None for a variable the
loss does not depend on (TensorFlow reports that as None; JAX and torch as zeros, which the
gradient probe treats the same).
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np


def loss_gradients(model: Any, x: Any, y: Any) -> list[np.ndarray | None]:
    backend = keras.backend.backend()
    variables = model.trainable_variables
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            y_pred = model(x, training=True)
            loss = model.compute_loss(x=x, y=y, y_pred=y_pred, training=True)
        grads = tape.gradient(loss, [v.value for v in variables])
        return [None if g is None else np.asarray(tf.convert_to_tensor(g)) for g in grads]
    if backend == "torch":
        for variable in variables:
            variable.value.grad = None
        y_pred = model(x, training=True)
        loss = model.compute_loss(x=x, y=y, y_pred=y_pred, training=True)
        loss.backward()
        return [
            None if v.value.grad is None else v.value.grad.detach().cpu().numpy() for v in variables
        ]
    if backend == "jax":
        import jax

        trainable = [v.value for v in variables]
        non_trainable = [v.value for v in model.non_trainable_variables]
        metrics = [v.value for v in model.metrics_variables]

        def loss_of(values: list[Any]) -> Any:
            y_pred, state = model.stateless_call(values, non_trainable, x, training=True)
            loss, _ = model.stateless_compute_loss(
                values, state, metrics, x=x, y=y, y_pred=y_pred, training=True
            )
            return loss

        return [np.asarray(g) for g in jax.grad(loss_of)(trainable)]
    raise NotImplementedError(f"gradients on the {backend} backend")
