"""The on-the-fly mix-up training set and SUP/CON training end to end on synthetic data."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import make_data_dir, teacher_arks

from sqe.data.tables import DataError
from sqe.losses.supcon import IGNORE
from sqe.mixup.dataset import MixupTrainingSet
from sqe.mixup.masks import MixupConf
from sqe.models.lssqa import mos_to_norm
from sqe.train.conf import TrainConf
from sqe.train.trainer import Trainer
from sqe.utils.config import from_dict


@pytest.fixture
def parallel(tmp_path):
    d = make_data_dir(tmp_path, n=6, seconds=2.0)
    (d / "cls2id").write_text("clean 0\nwbgn 1\n")
    teacher_arks(d, tmp_path / "t")
    bvcc = make_data_dir(tmp_path / "b", n=2, seconds=1.0, with_ref=False, name="bvcc")
    (bvcc / "utt2mos").write_text("utt1 3.0\nutt2 4.0\n")
    return d, bvcc, tmp_path / "t"


def test_examples_are_mixed_deterministically(parallel):
    d, bvcc, t = parallel
    conf = MixupConf(p=1.0, constrained=True)
    ds = MixupTrainingSet([d, bvcc], conf, t, t / "vad", seed=3, labels=True)
    keys = [it.key for it in ds.items]
    a = ds.example(keys.index("utt2"), epoch=1)
    b = ds.example(keys.index("utt2"), epoch=1)
    np.testing.assert_array_equal(a["wav"], b["wav"])
    assert a["q_pseudo"] is not None and set(np.unique(a["labels"])) == {0, 1}
    assert a["mos"] == pytest.approx(float(a["q_pseudo"].mean()))
    c = ds.example(keys.index("utt2"), epoch=2)
    assert not np.array_equal(a["labels"], c["labels"])  # a new mask every epoch
    clean = ds.example(keys.index("utt1"), epoch=1)  # class clean: mixing keeps label 0 everywhere
    assert set(np.unique(clean["labels"])) <= {0}
    unpaired = ds.example(len(keys) - 1, epoch=1)  # BVCC-like: unmodified, no targets
    assert unpaired["q_pseudo"] is None and unpaired["labels"] is None
    batch = ds.batch([keys.index("utt2"), len(keys) - 1], epoch=1)
    assert batch["supervised"].tolist() == [True, False]
    assert (batch["frame_labels"][1] == IGNORE).all()
    assert batch["y"][0].item() == pytest.approx(float(mos_to_norm(np.float32(a["mos"]))), abs=1e-6)


def test_p_zero_and_missing_inputs(parallel):
    d, bvcc, t = parallel
    ds = MixupTrainingSet([d], MixupConf(p=0.0), None, None, seed=0, labels=False)
    assert ds.example(1, 1)["q_pseudo"] is None
    with pytest.raises(DataError, match="--train_scores"):
        MixupTrainingSet([d], MixupConf(p=0.5), None, None, seed=0, labels=False)
    with pytest.raises(DataError, match="--train_vad"):
        MixupTrainingSet([d], MixupConf(p=1.0, constrained=True), t, None, seed=0, labels=False)
    with pytest.raises(DataError, match="needs a parallel data dir"):
        MixupTrainingSet([bvcc], MixupConf(p=1.0), t, None, seed=0, labels=False)


@pytest.mark.parametrize("model", ["con", "sup"])
def test_mixup_training_runs_with_every_loss(parallel, tmp_path, model):
    """CON (frame MOS and SupCon) and SUP (frame MOS only, no SCL decoder: SUP1/SUP2 of the paper)."""
    d, bvcc, t = parallel
    scl = {"scl": {"d_p": 4}} if model == "con" else {}
    conf = from_dict(TrainConf, {
        "model": {"encoder": "logmel_cnn", "encoder_conf": {"channels": 8, "layers": 1}, "hidden": [8, 8], "d_z": 4,
                  **scl},
        "loss": {"weights": {"frame": 1.0, "scl": 0.1 if scl else 0.0}, "scl": {"exclude_anchor_classes": [0]}},
        "mixup": {"p": 1.0, "constrained": True},
        "optim": {"epochs": 2}, "batch": {"max_utts": 4}, "num_threads": 1, "checkpoint_every_steps": 0,
    })
    trainer = Trainer(conf, [str(d), str(bvcc)], [str(d)], tmp_path / "exp", str(t), str(t / "vad"))
    best = trainer.run()
    last = trainer.state.history[-1]
    assert {"train_frame", "train_cons_emb"} <= set(last) and ("train_scl" in last) == bool(scl)
    assert np.isfinite(last["train_total"]) and best


@pytest.mark.filterwarnings("ignore:This DataLoader will create 3 worker processes")  # 2 cores here
def test_batches_made_by_worker_processes_train_exactly_as_in_process(parallel, tmp_path, caplog):
    """Issue 13: the mix-up batches are a function of (seed, epoch, step), so 0 and 3 loader workers give the same
    losses, metrics and mix-up counts."""
    import csv
    import logging

    d, bvcc, t = parallel
    runs = []
    for workers in (0, 3):
        conf = from_dict(TrainConf, {
            "model": {"encoder": "logmel_cnn", "encoder_conf": {"channels": 8, "layers": 1}, "hidden": [8, 8],
                      "d_z": 4, "scl": {"d_p": 4}},
            "loss": {"weights": {"frame": 1.0, "scl": 0.1}},
            "mixup": {"p": 0.7, "constrained": True},
            "optim": {"epochs": 2}, "batch": {"max_utts": 3, "num_workers": workers}, "num_threads": 1,
            "checkpoint_every_steps": 0,
        })
        caplog.clear()
        with caplog.at_level(logging.INFO):
            Trainer(conf, [str(d), str(bvcc)], [str(d)], tmp_path / f"w{workers}", str(t), str(t / "vad")).run()
        with open(tmp_path / f"w{workers}" / "train_log.csv") as f:
            history = [{k: v for k, v in row.items() if k != "seconds"} for row in csv.DictReader(f)]
        runs.append((history, [m for m in caplog.messages if "mix-up:" in m]))
    assert runs[0] == runs[1]
    assert len(runs[0][1]) == 2 and "mixed" in runs[0][1][0]  # one count line per epoch


def test_latent_domain_examples_carry_both_signals_and_the_same_targets(parallel):
    d, bvcc, t = parallel
    wave = MixupTrainingSet([d, bvcc], MixupConf(p=1.0), t, None, seed=3, labels=True)
    lat = MixupTrainingSet([d, bvcc], MixupConf(p=1.0, domain="latents"), t, None, seed=3, labels=True)
    keys = [it.key for it in lat.items]
    i = keys.index("utt3")
    a, b = wave.example(i, epoch=1), lat.example(i, epoch=1)
    np.testing.assert_array_equal(a["labels"], b["labels"])  # same mask draw, same targets
    np.testing.assert_array_equal(a["q_pseudo"], b["q_pseudo"])
    assert a["mos"] == b["mos"]
    np.testing.assert_array_equal(b["wav"], lat.load(i))  # the degraded signal, unspliced
    np.testing.assert_array_equal(b["mix_mask"], b["labels"] > 0)
    batch = lat.batch([i, len(keys) - 1], epoch=1)
    assert batch["mix_mask"][0].tolist()[: b["mix_mask"].size] == b["mix_mask"].tolist()
    assert not batch["mix_mask"][1].any() and not batch["mix_ref"][1].any()  # BVCC item: nothing to mix
    assert "mix_mask" not in wave.batch([i], epoch=1)


def test_model_splices_latents_where_the_mask_says(parallel):
    import torch

    from sqe.models.lssqa import LSSQAModel, ModelConf

    torch.manual_seed(0)
    model = LSSQAModel(ModelConf(encoder="logmel_cnn", encoder_conf={"channels": 8, "layers": 1}, hidden=[8, 8],
                                 d_z=4)).eval()
    deg, ref = torch.randn(2, 6400), torch.randn(2, 6400)
    lengths = torch.tensor([6400, 4800])
    mask = torch.zeros(2, 20, dtype=torch.bool)
    mask[0, 5:12] = True  # item 1 is not mixed
    out = model(deg, lengths, keep_latents=True, mix_ref=ref, mix_mask=mask)
    lat_deg = model(deg, lengths, keep_latents=True).latents
    lat_ref = model(ref[:1], lengths[:1], keep_latents=True).latents
    assert torch.equal(out.latents[0, 5:12], lat_deg[0, 5:12])
    assert torch.equal(out.latents[0, :5], lat_ref[0, :5]) and torch.equal(out.latents[0, 12:], lat_ref[0, 12:])
    assert torch.equal(out.latents[1], lat_deg[1])


def test_training_with_latent_domain_mixup(parallel, tmp_path):
    d, bvcc, t = parallel
    conf = from_dict(TrainConf, {
        "model": {"encoder": "logmel_cnn", "encoder_conf": {"channels": 8, "layers": 1}, "hidden": [8, 8], "d_z": 4,
                  "scl": {"d_p": 4}},
        "loss": {"weights": {"frame": 1.0, "scl": 0.1}},
        "mixup": {"p": 1.0, "domain": "latents"},
        "optim": {"epochs": 1}, "batch": {"max_utts": 4}, "num_threads": 1, "checkpoint_every_steps": 0,
    })
    trainer = Trainer(conf, [str(d), str(bvcc)], [str(d)], tmp_path / "exp", str(t), None)
    trainer.run()
    last = trainer.state.history[-1]
    assert np.isfinite(last["train_total"]) and last["train_scl"] > 0


def test_unmixed_pairs_are_labelled_by_the_teacher_or_ignored(parallel):
    d, bvcc, t = parallel
    keys = sorted(["utt1", "utt2", "utt3", "utt4", "utt5", "utt6"], key=str.encode)
    i = keys.index("utt3")
    by_teacher = MixupTrainingSet([d], MixupConf(p=0.0), t, None, seed=0, labels=True).example(i, 1)
    assert by_teacher["labels"] is not None and (by_teacher["labels"] != IGNORE).all()  # teacher: q_ref 4.5, q_deg 2
    ignored = MixupTrainingSet([d], MixupConf(p=0.0, unmixed_labels="ignore"), t, None, seed=0, labels=True)
    assert ignored.example(i, 1)["labels"] is None
    assert (ignored.batch([i], 1)["frame_labels"] == IGNORE).all()


def shorten_reference(d, t, utt):
    """Replace ``utt``'s reference by a shorter recording and its teacher scores by those of that length."""
    import soundfile as sf

    from sqe.data.arks import read_arrays, write_arrays

    ref = d.parent / "wav" / f"{utt}_ref.wav"
    x, sr = sf.read(ref, dtype="float32")
    sf.write(ref, x[: x.size // 2], sr, subtype="PCM_16")
    q_ref = read_arrays(t / "qref.scp")
    q_ref[utt] = q_ref[utt][: q_ref[utt].size // 2]
    write_arrays(t, "qref", q_ref)


def test_a_reference_of_another_length_skips_that_pair_only(parallel, caplog):
    """Issue 14 item 3: one unequal pair used to abort the whole set at start-up."""
    d, bvcc, t = parallel
    shorten_reference(d, t, "utt3")
    ds = MixupTrainingSet([d], MixupConf(p=1.0, constrained=True), t, t / "vad", seed=3, labels=True)
    assert "1 pair(s) whose reference has another length" in caplog.text
    keys = [it.key for it in ds.items]
    odd = ds.example(keys.index("utt3"), epoch=1)
    assert odd["q_pseudo"] is None and odd["labels"] is None and ds.stats["skipped: length mismatch"] == 1
    assert ds.example(keys.index("utt2"), epoch=1)["q_pseudo"] is not None
