"""T1xx: the training configuration: seeds, callbacks, learning rate, batch size, GPUs."""
