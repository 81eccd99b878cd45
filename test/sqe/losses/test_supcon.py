"""The blockwise frame SupCon (eqs. 6-9) against a naive double loop, in values and gradients."""
from __future__ import annotations

import math

import pytest
import torch
from torch.nn import functional as F

from sqe.losses.supcon import IGNORE, SupConConf, supcon_loss


def naive(z, labels, mask, conf):
    frames = [(b, l) for b in range(z.shape[0]) for l in range(z.shape[1]) if mask[b, l]]
    eligible = [a for a in frames if int(labels[a]) != IGNORE and int(labels[a]) not in conf.exclude_anchor_classes]
    chosen = set(eligible[:: conf.anchor_stride])
    total, anchors, with_pos = 0.0, 0, 0
    for a in frames:
        ca = int(labels[a])
        if a not in chosen:
            continue
        anchors += 1
        den, pos = [], []
        for k in frames:
            near = k[0] == a[0] and (abs(k[1] - a[1]) <= conf.lam if conf.window == "inclusive"
                                     else abs(k[1] - a[1]) < conf.lam)
            ck = int(labels[k])
            if near or (ck == IGNORE and not conf.unlabelled_in_denominator):
                continue
            s = torch.dot(z[a], z[k]) / conf.tau
            den.append(s)
            if ck == ca:
                pos.append(s)
        if not pos:
            continue
        with_pos += 1
        total = total + torch.logsumexp(torch.stack(den), 0) - torch.stack(pos).mean()
    norm = {"frames": len(frames) / conf.anchor_stride, "labelled_anchors": anchors,
            "anchors_with_positives": with_pos}[conf.normalize]
    return total / max(norm, 1)


def setup(seed=0, b=3, length=14, d=5, classes=3):
    torch.manual_seed(seed)
    z = F.normalize(torch.randn(b, length, d), dim=-1)
    labels = torch.randint(0, classes, (b, length))
    labels[0, :3] = IGNORE
    mask = torch.ones(b, length, dtype=torch.bool)
    mask[-1, length * 2 // 3:] = False
    return z, labels, mask


@pytest.mark.parametrize("conf", [
    SupConConf(lam=3),
    SupConConf(lam=3, window="inclusive"),
    SupConConf(lam=2, exclude_anchor_classes=[0], unlabelled_in_denominator=True),
    SupConConf(lam=1, normalize="labelled_anchors"),
    SupConConf(lam=4, normalize="anchors_with_positives", block_rows=5),
    SupConConf(lam=3, block_rows=4, checkpoint_blocks=False, tau=0.5),
    SupConConf(lam=2, anchor_stride=3),
    SupConConf(lam=2, anchor_stride=2, exclude_anchor_classes=[1], normalize="labelled_anchors", block_rows=3),
])
def test_matches_naive_values_and_gradients(conf):
    z, labels, mask = setup()
    a = z.clone().requires_grad_()
    b = z.clone().requires_grad_()
    fast, _ = supcon_loss(a, labels, mask, conf)
    slow = naive(b, labels, mask, conf)
    assert fast.item() == pytest.approx(float(slow.detach()), abs=1e-5)
    fast.backward()
    slow.backward()
    assert torch.allclose(a.grad, b.grad, atol=1e-5)


def test_hand_computed_two_utterances():
    # Two utterances of 1 frame each, same class, lam = 1: each anchor's only contrast frame is the other.
    z = torch.tensor([[[1.0, 0.0]], [[0.0, 1.0]]])
    labels = torch.tensor([[1], [1]])
    loss, stats = supcon_loss(z, labels, torch.ones(2, 1, dtype=torch.bool), SupConConf(lam=1, tau=0.1))
    assert loss.item() == pytest.approx(0.0, abs=1e-6)  # logsumexp over one term equals the positive
    assert (stats.anchors, stats.anchors_with_positives) == (2, 2)
    # add a third frame of another class: l_a = log(e^{s_pos} + e^{s_neg}) - s_pos for each anchor of class 1
    z = torch.tensor([[[1.0, 0.0]], [[0.0, 1.0]], [[1.0, 0.0]]])
    labels = torch.tensor([[1], [1], [2]])
    loss, _ = supcon_loss(z, labels, torch.ones(3, 1, dtype=torch.bool), SupConConf(lam=1, tau=1.0))
    l0 = math.log(math.exp(0) + math.exp(1)) - 0  # anchor 0: positive s=0 (orthogonal), negative s=1
    l1 = math.log(math.exp(0) + math.exp(0)) - 0  # anchor 1: positive s=0, negative s=0
    assert loss.item() == pytest.approx((l0 + l1) / 3, abs=1e-6)  # frame 2 has no positive; 3 frames


def test_strict_and_inclusive_differ_only_at_distance_lambda():
    z, labels, mask = setup(seed=3, b=2, length=20, classes=2)
    for lam in (2, 3):
        strict, _ = supcon_loss(z, labels, mask, SupConConf(lam=lam))
        inclusive, _ = supcon_loss(z, labels, mask, SupConConf(lam=lam, window="inclusive"))
        wider, _ = supcon_loss(z, labels, mask, SupConConf(lam=lam + 1))
        assert inclusive.item() == pytest.approx(wider.item(), abs=1e-6)  # |dl| <= lam  ==  |dl| < lam + 1
        assert inclusive.item() != pytest.approx(strict.item(), abs=1e-6)


def test_anchor_stride_must_be_positive():
    with pytest.raises(ValueError, match="anchor_stride"):
        SupConConf(anchor_stride=0)
