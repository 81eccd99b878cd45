"""The LSSQA model: an encoder on the 50 Hz frame grid, a frame-MOS decoder and a degradation-embedding
decoder (paper Figure 1)."""
