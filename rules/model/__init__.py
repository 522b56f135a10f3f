"""M1xx-M5xx: the model: output activation vs loss, Tensor-Core friendly widths, architecture
and initialization bugs, judged on the layer graph captured at the first training step
(and, where the source makes them certain, on the source alone)."""
