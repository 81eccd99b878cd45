"""egs/nisqa's loss and model forms: the authors' code (conf/<model>.yaml, the default) and the paper text
(conf/paper/<model>.yaml), differing only in the forms' keys, and every loss under the code's forms against
values computed independently, by hand or by a naive loop, for a small batch."""
from __future__ import annotations

import dataclasses
import math

import pytest
import torch
from conftest import REPO

from sqe.losses.consistency import draw_slices
from sqe.losses.ssqa import clipped_l1, mos_contrastive
from sqe.losses.supcon import supcon_loss
from sqe.models.decoders import SCLHead
from sqe.train.conf import TrainConf
from sqe.utils.config import load_config

CONF = REPO / "egs" / "nisqa" / "conf"
CODE = {"model.d_z": 128, "model.scl.projection": "unit_row_weights", "loss.reg_form": "code",
        "loss.cons_placement": "batch_longest", "loss.cons_short": "cap", "loss.scl.window": "inclusive",
        "loss.scl.normalize": "labelled_anchors"}
PAPER = {"model.d_z": 64, "model.scl.projection": "normalize_output", "loss.reg_form": "paper",
         "loss.cons_placement": "own", "loss.cons_short": "drop", "loss.scl.window": "strict",
         "loss.scl.normalize": "frames"}


def value(conf, dotted):
    for part in dotted.split("."):
        conf = getattr(conf, part)
    return conf


def forms(model: str, which: str) -> TrainConf:
    return load_config(TrainConf, CONF / f"{model}.yaml" if which == "code" else CONF / "paper" / f"{model}.yaml")


def without(conf: TrainConf, keys) -> dict:
    """The config as a dict without ``keys`` (the SCL head's keys only where the model has one)."""
    data = dataclasses.asdict(conf)
    for dotted in keys:
        node = data
        *parents, last = dotted.split(".")
        for part in parents:
            node = node[part] if node is not None else None
        if node is not None:
            node.pop(last)
    return data


@pytest.mark.parametrize("model", ["baseline", "sup1", "sup2", "con1", "con2"])
def test_the_two_sets_differ_in_the_forms_and_nothing_else(model):
    code, paper = forms(model, "code"), forms(model, "paper")
    for conf, expected in ((code, CODE), (paper, PAPER)):
        keys = [k for k in expected if conf.model.scl is not None or ".scl." not in k]  # SCL forms: CON only
        assert {k: value(conf, k) for k in keys} == {k: expected[k] for k in keys}
    assert (code.model.scl is None) == (model in ("baseline", "sup1", "sup2"))
    assert without(code, CODE) == without(paper, PAPER)


def test_clipped_l1_and_mos_contrastive_under_the_code_forms():
    conf = forms("con1", "code").loss
    y = torch.tensor([0.5, -0.2, 0.1], dtype=torch.float64)
    y_hat = torch.tensor([0.55, 0.1, -0.3], dtype=torch.float64)
    # errors 0.05, 0.3, -0.4: the two beyond delta = 0.1 are averaged
    assert clipped_l1(y_hat, y, conf.delta, conf.reg_form).item() == pytest.approx(0.7 / (2 + 1e-6), rel=1e-12)
    # pairs i <= j of (y_i - y_j) - (y_hat_i - y_hat_j): (0,1) 0.7 - 0.45 = 0.25, (0,2) 0.4 - 0.85 = -0.45,
    # (1,2) -0.3 - 0.4 = -0.7, diagonal 0; relu(|d| - 0.1) summed over the 6 pairs of the upper triangle
    expected = (0.15 + 0.35 + 0.6) / 6
    assert mos_contrastive(y_hat, y, conf.mos_con_margin).item() == pytest.approx(expected, rel=1e-12)


def naive_supcon(z, labels, lam, tau, inclusive, exclude=(), unlabelled_in_den=False):
    """The frame SupCon of the notes, one anchor at a time: l_a = log sum_A exp(s) - mean_P s, summed over the
    anchors with a positive and divided by the labelled anchors (the code's normaliser)."""
    frames = [(b, t) for b in range(z.shape[0]) for t in range(z.shape[1])]
    total, anchors = 0.0, 0
    for (b, t) in frames:
        c = int(labels[b, t])
        if c < 0 or c in exclude:
            continue
        anchors += 1
        den, posi = [], []
        for (b2, t2) in frames:
            near = b2 == b and (abs(t2 - t) <= lam if inclusive else abs(t2 - t) < lam)
            c2 = int(labels[b2, t2])
            if near or (c2 < 0 and not unlabelled_in_den):
                continue
            s = float(z[b, t] @ z[b2, t2]) / tau
            den.append(s)
            if c2 == c:
                posi.append(s)
        if posi:
            total += math.log(sum(math.exp(s) for s in den)) - sum(posi) / len(posi)
    return total / anchors


@pytest.mark.parametrize("model", ["con1", "con2"])
def test_supcon_under_the_code_forms_equals_a_naive_loop(model):
    conf = forms(model, "code").loss.scl
    g = torch.Generator().manual_seed(0)
    z = torch.nn.functional.normalize(torch.randn(2, 14, 4, generator=g, dtype=torch.float64), dim=-1)
    labels = torch.tensor([[0] * 4 + [3] * 6 + [0] * 4, [5] * 7 + [-100] * 2 + [3] * 5])
    mask = torch.ones(2, 14, dtype=torch.bool)
    got, stats = supcon_loss(z, labels, mask, conf)
    expected = naive_supcon(z, labels, conf.lam, conf.tau, inclusive=True, exclude=conf.exclude_anchor_classes,
                            unlabelled_in_den=conf.unlabelled_in_denominator)
    assert got.item() == pytest.approx(expected, rel=1e-5)  # similarities in float32
    strict = supcon_loss(z, labels, mask, forms(model, "paper").loss.scl)[0].item()
    assert abs(strict - got.item()) > 1e-3  # the forms matter on this batch


def test_unit_row_weight_projection_under_the_code_forms():
    conf = forms("con1", "code").model.scl
    head = SCLHead(6, [8, 8, 8], [3, 3, 3], d_p=5, projection=conf.projection).double().eval()
    x = torch.randn(1, 9, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    z_scl, z_tilde = head(x, torch.ones(1, 9, dtype=torch.bool))
    w = head.proj.weight.detach()
    rows = w / w.norm(dim=1, keepdim=True)
    assert torch.allclose(z_tilde, z_scl @ rows.T, atol=1e-12)
    assert not torch.allclose(z_tilde.norm(dim=-1), torch.ones(1, 9, dtype=torch.float64))  # not normalised


def test_slices_under_the_code_forms():
    loss = forms("con1", "code").loss
    lengths = torch.tensor([150, 60, 8])
    g = torch.Generator().manual_seed(2)
    starts, sizes, usable = draw_slices(lengths, loss.cons_min_frames, loss.cons_max_frames, g,
                                        loss.cons_placement, loss.cons_short)
    g = torch.Generator().manual_seed(2)
    u1, u2 = torch.rand(3, generator=g).tolist(), torch.rand(3, generator=g).tolist()
    size = [min(10 + int(a * 90), n - 1) for a, n in zip(u1, lengths.tolist())]
    longest = max(size)
    stop = [longest + int(b * max(n - longest, 1)) for b, n in zip(u2, lengths.tolist())]
    assert usable.tolist() == [True, True, True] and sizes.tolist() == size and sizes[2] == 7
    assert starts.tolist() == [max(s - longest, 0) for s in stop]
