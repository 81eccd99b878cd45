"""Frame class labels shared by the mix-up sets, the arks and the losses (defined here, once, without torch).

    >>> CLEAN, IGNORE
    (0, -100)
"""
from __future__ import annotations

CLEAN = 0  # the class id of clean (undegraded) frames in cls2id and frame_cls arks
IGNORE = -100  # frames without a label: no anchor, no positive (PyTorch's ignore_index convention)
