"""X1xx: what the active probes measured on a throw-away copy of the model.

These rules judge measurements (:class:`~nncheck.facts.live.ProbeFacts`), not folklore: a
loss curve, gradient norms, a learning-rate sweep, timings. A probe that did not run to
completion gives no finding; the report says why it stopped."""
