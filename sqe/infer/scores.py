"""Frame detection scores from a model's outputs, one definition for the scoring of test sets, the packages'
thresholds and the analysis (paper section 6.2): ``1 - cos(enrollment, frame embedding)``, higher = more degraded.

    >>> import numpy as np
    >>> cosine_scores({"u": np.array([[2.0, 0.0], [0.0, 3.0]])}, np.array([1.0, 0.0]))["u"].tolist()
    [0.0, 1.0]
"""
from __future__ import annotations

import numpy as np


def cosine_scores(frames: dict[str, np.ndarray], enrollment: np.ndarray) -> dict[str, np.ndarray]:
    """Per utterance ``(L,)`` float32 ``1 - cos`` of each frame embedding ``(L, D)`` to the enrollment ``(D,)``."""
    e = enrollment / max(float(np.linalg.norm(enrollment)), 1e-12)
    return {k: (1.0 - (z @ e) / np.maximum(np.linalg.norm(z, axis=1), 1e-12)).astype(np.float32)
            for k, z in frames.items()}
