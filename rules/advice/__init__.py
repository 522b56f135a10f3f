"""A1xx: advice on the approach (transfer learning for small datasets), not a defect."""
