"""Portable model packages: a trained model with everything needed to analyse audio on another machine (the
checkpoint, its clean enrollment, degradation prototypes, validation-tuned thresholds, a model card and
checksums), written by ``sqe.bin.pack_model`` and read by :func:`load_package`."""
from sqe.package.load import ModelPackage, load_package

__all__ = ["ModelPackage", "load_package"]
