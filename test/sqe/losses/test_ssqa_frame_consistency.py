"""Eq. 1, eq. 2 and eq. 5 against naive loops (values and gradients) and hand-computed cases."""
from __future__ import annotations

import itertools

import pytest
import torch

from sqe.losses.consistency import draw_slices, slice_consistency
from sqe.losses.framesup import frame_l1
from sqe.losses.ssqa import clipped_l1, mos_contrastive


def naive_mos_con(y_hat, y, margin):
    b = len(y)
    total = sum(torch.relu(((y[i] - y[j]) - (y_hat[i] - y_hat[j])).abs() - margin)
                for i, j in itertools.product(range(b), range(b)) if i <= j)
    return total / (b * (b + 1) / 2)


def test_clipped_l1_hand_computed_and_gradient():
    y = torch.tensor([0.0, 0.5, -0.5])
    y_hat = torch.tensor([0.3, 0.55, -1.0], requires_grad=True)
    loss = clipped_l1(y_hat, y, 0.1)
    assert loss.item() == pytest.approx((0.2 + 0.0 + 0.4) / 3)
    loss.backward()
    assert torch.allclose(y_hat.grad, torch.tensor([1 / 3, 0.0, -1 / 3]))
    assert clipped_l1(y_hat, y, 0.1, "code").item() == pytest.approx((0.3 + 0.5) / 2, abs=1e-5)
    with pytest.raises(ValueError):
        clipped_l1(y_hat, y, 0.1, "other")


def test_mos_contrastive_hand_computed():
    y = torch.tensor([0.0, 1.0])
    y_hat = torch.tensor([0.0, 0.5])
    # pairs (0,0), (0,1), (1,1): only (0,1) contributes |(-1) - (-0.5)| - 0.1 = 0.4; 3 pairs
    assert mos_contrastive(y_hat, y, 0.1).item() == pytest.approx(0.4 / 3)


def test_mos_contrastive_matches_naive_values_and_gradients():
    torch.manual_seed(0)
    y = torch.rand(7) * 2 - 1
    a = torch.rand(7, requires_grad=True)
    b = a.detach().clone().requires_grad_()
    fast, slow = mos_contrastive(a, y, 0.1), naive_mos_con(b, y, 0.1)
    assert fast.item() == pytest.approx(slow.item(), abs=1e-6)
    fast.backward()
    slow.backward()
    assert torch.allclose(a.grad, b.grad, atol=1e-6)


def test_frame_l1_matches_naive_and_ignores_unsupervised():
    torch.manual_seed(0)
    q, t = torch.rand(3, 6, requires_grad=True), torch.rand(3, 6)
    mask = torch.tensor([[1] * 6, [1] * 4 + [0] * 2, [1] * 6], dtype=torch.bool)
    sup = torch.tensor([True, True, False])
    naive = (sum((q[0, :6] - t[0, :6]).abs()) / 6 + sum((q[1, :4] - t[1, :4]).abs()) / 4) / 2
    assert frame_l1(q, t, mask, sup).item() == pytest.approx(naive.item(), abs=1e-6)
    assert frame_l1(q, t, mask, torch.tensor([False] * 3)).item() == 0.0


def test_draw_slices_bounds():
    lengths = torch.tensor([200, 50, 11, 10, 5])
    g = torch.Generator().manual_seed(0)
    for _ in range(200):
        starts, sizes, usable = draw_slices(lengths, 10, 99, g)
        assert usable.tolist() == [True, True, True, False, False]
        for s, n, length in zip(starts[:3], sizes[:3], lengths[:3]):
            assert 10 <= n <= min(99, length - 1) and 0 <= s and s + n <= length


def test_slice_consistency_hand_computed():
    x = torch.zeros(1, 5, 2)
    q = torch.zeros(1, 5)
    x_s = torch.ones(1, 2, 2)  # slice of frames 1..2, embeddings off by 1 in both dims
    q_s = torch.full((1, 2), 0.5)
    emb, score = slice_consistency(x, q, x_s, q_s, torch.tensor([1]), torch.ones(1, 2, dtype=torch.bool),
                                   torch.tensor([True]), emb_weight=10.0, score_weight=1.0)
    assert emb.item() == pytest.approx(10.0) and score.item() == pytest.approx(0.5)
    emb_sum, _ = slice_consistency(x, q, x_s, q_s, torch.tensor([1]), torch.ones(1, 2, dtype=torch.bool),
                                   torch.tensor([True]), emb_weight=1.0, emb_reduction="sum")
    assert emb_sum.item() == pytest.approx(2.0)
    none, _ = slice_consistency(x, q, x_s, q_s, torch.tensor([0]), torch.ones(1, 2, dtype=torch.bool),
                                torch.tensor([False]))
    assert none.item() == 0.0


def test_draw_slices_the_authors_placement_and_short_utterances():
    lengths = torch.tensor([200, 50, 30, 5, 1])
    g = torch.Generator().manual_seed(3)
    starts, sizes, usable = draw_slices(lengths, 10, 99, g, placement="batch_longest", short="cap")
    g = torch.Generator().manual_seed(3)  # the same draws, by hand
    u1, u2 = torch.rand(5, generator=g).tolist(), torch.rand(5, generator=g).tolist()
    size = [min(10 + int(a * 90), n - 1) for a, n in zip(u1, lengths.tolist()[:4])]
    longest = max(size)
    stop = [longest + int(b * max(n - longest, 1)) for b, n in zip(u2, lengths.tolist()[:4])]
    assert usable.tolist() == [True, True, True, True, False]  # 5 frames: a 4-frame slice (drop: none)
    assert sizes[:4].tolist() == size and sizes[3] <= 4
    assert starts[:4].tolist() == [max(s - longest, 0) for s in stop]
    for s, n, length in zip(starts[:4], sizes[:4], lengths[:4]):
        assert 0 <= s and s + n <= length
    _, _, dropped = draw_slices(lengths, 10, 99, torch.Generator().manual_seed(3), short="drop")
    assert dropped.tolist() == [True, True, True, False, False]


def test_the_authors_placement_keeps_short_slices_near_the_utterance_start():
    lengths = torch.tensor([300, 120, 120, 120])  # one long utterance makes the batch's longest slice long
    mean_start = {}
    for placement in ("own", "batch_longest"):
        g = torch.Generator().manual_seed(0)
        total = 0.0
        for _ in range(500):
            starts, sizes, _ = draw_slices(lengths, 10, 99, g, placement=placement)
            if placement == "batch_longest":
                assert (starts <= (lengths - sizes.max()).clamp_min(0)).all()
            total += float(starts[1:].float().mean())
        mean_start[placement] = total / 500
    assert mean_start["batch_longest"] < 0.7 * mean_start["own"]  # about 19 against 33 frames


def test_draw_slices_rejects_unknown_forms():
    with pytest.raises(ValueError, match="placement"):
        draw_slices(torch.tensor([50]), 10, 99, torch.Generator(), placement="middle")
