"""P1xx: the tf.data input pipeline."""
