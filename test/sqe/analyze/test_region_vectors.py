"""Regions of the analysis are embedded as the segments that the packages' prototypes come from."""
from __future__ import annotations

import numpy as np

from sqe.analyze.regions import region_vector
from sqe.metrics.embedding import segment_embeddings, segment_vector


def test_a_region_vector_is_the_segment_embedding_of_its_frames():
    """Issue 24, defect 7: regions averaged unit frames, prototypes unit means of raw frames."""
    z = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 1.0], [0.0, 1.0], [0.0, 0.0]])  # frame norms 10 and 1
    labels = np.array(["clean", "lpf", "lpf", "lpf", "clean"])
    seg, _, index = segment_embeddings({"u": z}, {"u": labels})
    assert index == [("u", 1, 3)]
    np.testing.assert_allclose(region_vector(z, 1, 4), seg[0])
    np.testing.assert_allclose(seg[0], np.array([10.0, 2.0]) / np.hypot(10.0, 2.0))  # mean of raw, normalised
    unit_mean = np.array([1.0, 2.0]) / 3  # the mean of normalised frames: another direction
    assert float(seg[0] @ unit_mean / np.linalg.norm(unit_mean)) < 0.62  # 52 degrees apart


def test_segment_vector_of_one_frame_and_of_zeros():
    np.testing.assert_allclose(segment_vector(np.array([[3.0, 4.0]])), [0.6, 0.8])
    np.testing.assert_array_equal(segment_vector(np.zeros((2, 3))), np.zeros(3))
