"""The losses of the paper, one module each: SSQA (eq. 1), slice consistency (eq. 2), frame pseudo-target
L1 (eq. 5) and the frame-level supervised contrastive loss (eqs. 6-9). All work in the normalised MOS
domain [-1, 1]."""
