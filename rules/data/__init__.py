"""D1xx-D2xx: the data that reaches the model, judged on the captured sample (or a data file)."""
