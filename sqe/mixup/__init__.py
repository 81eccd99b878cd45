"""Partial mix-up of parallel (reference, degraded) corpora (paper §3, §4.1): speech regions, teacher frame
scores, mask sampling in frame units, splicing (eq. 3), pseudo-targets (eq. 4) and frame class labels."""
