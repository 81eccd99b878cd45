"""Speech regions, teacher scores and fixed mix-up sets on small synthetic data."""
from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
import soundfile as sf
from conftest import REPO, make_data_dir, teacher_arks

from sqe.audio.speech import FRAME_S, frames_from_regions, speech_frames
from sqe.data import DataDir
from sqe.data.arks import read_arrays
from sqe.data.tables import DataError, read_table
from sqe.data.validate import ValidateOptions, validate_data_dir
from sqe.mixup.evalset import MixupSetConf, make_mixup_set
from sqe.mixup.splice import normalise, sample_mask_of
from sqe.mixup.vad import compute_vad_dir
from sqe.models.frames import num_frames
from sqe.models.lssqa import LSSQAModel, ModelConf
from sqe.models.checkpoint import save_checkpoint


@pytest.fixture(scope="module")
def speech():
    from sqe.speech.tts import synthesize

    x = synthesize("hibari", "The river was calm and the boats waited near the shore.", 1.0, 2)
    return np.concatenate([np.zeros(16000, np.float32), x, np.zeros(16000, np.float32)])


def test_rvad_finds_the_speech_on_the_frame_grid(speech):
    frames = speech_frames(speech)
    assert frames.size == num_frames(speech.size)
    assert frames[:40].sum() == 0 and frames[-40:].sum() == 0  # the padded silences
    assert frames[60:-60].mean() > 0.7
    regions = [(0.5, 1.0), (2.0, 2.04)]
    f = frames_from_regions(regions, 200)
    assert f.sum() == 25 + 2 and f[25] == 1 and f[24] == 0
    with pytest.raises(Exception, match="outside"):
        frames_from_regions([(3.9, 4.1)], 200)


def test_compute_vad_dir_listens_to_the_degraded_signal_by_default(tmp_path, speech):
    """The authors' code runs rVAD on the degraded signal (issue 14 item 7): a degraded copy whose second half
    is muted has speech regions only in its first half; --signal reference finds speech in both halves."""
    from sqe.data.tables import parse_segment

    half = speech.size // 2
    muted = speech.copy()
    muted[half:] = 0
    sf.write(tmp_path / "s.wav", speech, 16000)
    sf.write(tmp_path / "muted.wav", muted, 16000)
    d = make_data_dir(tmp_path, n=2)
    (d / "ref.scp").write_text(f"utt1 {tmp_path / 's.wav'}\nutt2 {tmp_path / 's.wav'}\n")
    (d / "wav.scp").write_text(f"utt1 {tmp_path / 'muted.wav'}\nutt2 {tmp_path / 'muted.wav'}\n")

    def ends(signal: str, in_parts: bool = False) -> dict[str, float]:
        out = tmp_path / signal
        if in_parts:  # the blocks of a JOB array, then the collecting call
            for k in (1, 2):
                compute_vad_dir(d, out, k, 2, signal)
            assert sorted(p.parent.name for p in (out / "parts" / signal).glob("part*/vad_segments")) == ["part1", "part2"]
        compute_vad_dir(d, out, signal=signal)
        segs = read_table(out / "vad_segments", parse_segment).values()
        for s in segs:  # on the 20 ms grid
            assert abs(s.start / FRAME_S - round(s.start / FRAME_S)) < 1e-6
        return {u: max(s.end for s in segs if s.reco == u) for u in ("utt1", "utt2")}

    cut = half / 16000
    degraded, reference = ends("degraded", in_parts=True), ends("reference")
    assert all(end <= cut + 0.1 for end in degraded.values())
    assert all(end > cut + 0.5 for end in reference.values())
    with pytest.raises(Exception, match="unknown VAD signal"):
        compute_vad_dir(d, tmp_path / "x", signal="clean")


def test_dump_frame_scores(tmp_path):
    d = make_data_dir(tmp_path, n=3, seconds=1.3)
    (d / "ref.scp").write_text((d / "ref.scp").read_text().replace("utt3_ref", "utt1_ref"))  # a shared reference
    model = LSSQAModel(ModelConf(encoder="logmel_cnn", encoder_conf={"channels": 8, "layers": 1}, hidden=[4, 4], d_z=4))
    save_checkpoint(tmp_path / "m.pt", model)
    args = [sys.executable, "-m", "sqe.bin.dump_frame_scores", "--model", tmp_path / "m.pt", "--data", d, "--out",
            tmp_path / "teacher"]
    res = subprocess.run(list(map(str, args)), capture_output=True, text=True, cwd=REPO)
    assert res.returncode == 0, res.stderr
    qdeg, qref = read_arrays(tmp_path / "teacher" / "qdeg.scp"), read_arrays(tmp_path / "teacher" / "qref.scp")
    assert sorted(qdeg) == sorted(qref) == ["utt1", "utt2", "utt3"]
    assert all(v.shape == (num_frames(1.3 * 16000),) and v.dtype == np.float32 for v in qdeg.values())
    np.testing.assert_array_equal(qref["utt1"], qref["utt3"])
    assert all(1.0 <= v.min() and v.max() <= 5.0 for v in qdeg.values())  # MOS units
    (d / "ref.scp").unlink()
    res = subprocess.run(list(map(str, args[:-1] + [tmp_path / "t2"])), capture_output=True, text=True, cwd=REPO)
    assert res.returncode == 1 and "has no ref.scp" in res.stderr and not (tmp_path / "t2").exists()


def test_mixup_set(tmp_path):
    d = make_data_dir(tmp_path, n=4, seconds=3.0)
    teacher_arks(d, tmp_path / "t")
    conf = MixupSetConf(seed=1)
    stats = make_mixup_set(d, tmp_path / "t", tmp_path / "t" / "vad", tmp_path / "set", conf)
    assert stats["mixed"] == 3 and stats["skipped: clean source"] == 1  # utt1 is clean
    report = validate_data_dir(tmp_path / "set", ValidateOptions(progress=False))
    assert report.ok, report.problems
    mix = DataDir.load(tmp_path / "set")
    labels, q = read_arrays(tmp_path / "set" / "frame_cls.scp"), read_arrays(tmp_path / "set" / "qpseudo.scp")
    src = DataDir.load(d)
    truth = (tmp_path / "set" / "ground_truth.tsv").read_text().splitlines()
    assert truth[0] == "filename\tonset\toffset\tevent_label"
    for key in mix.utts:
        utt = mix["mix2src"][key]
        wav, _ = sf.read(mix["wav.scp"][key], dtype="float32")
        frame_mask = labels[key] != 0
        s = sample_mask_of(frame_mask, wav.size)
        deg, _ = sf.read(src["wav.scp"][utt], dtype="float32")
        ref, _ = sf.read(src["ref.scp"][utt], dtype="float32")
        np.testing.assert_array_equal(wav[s], normalise(deg)[s])
        np.testing.assert_array_equal(wav[~s], normalise(ref)[~s])
        np.testing.assert_array_equal(q[key], np.where(frame_mask, 2.0, 4.5))
        segs = mix["mix_segments"][key]
        assert sum(round((r.offset - r.onset) * 50) for r in segs) == frame_mask.sum()
        assert all(0.4 - 1e-9 <= r.offset - r.onset for r in segs)
        assert {r.label for r in segs} == {src["utt2cls"][utt]}
        assert sum(line.startswith(f"{key}.wav\t") for line in truth) == len(segs)
    again = make_mixup_set(d, tmp_path / "t", tmp_path / "t" / "vad", tmp_path / "set2", conf)
    assert again == stats
    for name in ("mix_segments", "utt2mos", "ground_truth.tsv"):
        assert (tmp_path / "set" / name).read_text() == (tmp_path / "set2" / name).read_text().replace("set2", "set")


def test_mixup_set_bad_inputs(tmp_path):
    d = make_data_dir(tmp_path, n=3, seconds=2.0)
    teacher_arks(d, tmp_path / "t", skip=("utt2",))
    with pytest.raises(DataError, match="missing, e.g. utt2"):
        make_mixup_set(d, tmp_path / "t", tmp_path / "t" / "vad", tmp_path / "out", MixupSetConf())
    assert not (tmp_path / "out").exists()
    (d / "ref.scp").unlink()
    with pytest.raises(DataError, match="has no ref.scp"):
        make_mixup_set(d, tmp_path / "t", tmp_path / "t" / "vad", tmp_path / "out", MixupSetConf())


def test_mixup_set_skips_a_pair_of_unequal_lengths(tmp_path):
    from test_dataset import shorten_reference

    d = make_data_dir(tmp_path, n=4, seconds=3.0)
    teacher_arks(d, tmp_path / "t")
    shorten_reference(d, tmp_path / "t", "utt3")
    stats = make_mixup_set(d, tmp_path / "t", tmp_path / "t" / "vad", tmp_path / "set", MixupSetConf(seed=1))
    assert stats["mixed"] == 2 and stats["skipped: length mismatch"] == 1
    assert "utt3-mix" not in DataDir.load(tmp_path / "set").utts


def test_mixup_set_without_classes_labels_degraded_frames_unknown(tmp_path):
    """Issue 14 item 4: without utt2cls the degraded frames were labelled clean (id 0)."""
    d = make_data_dir(tmp_path, n=3, seconds=3.0)
    (d / "utt2cls").unlink()
    teacher_arks(d, tmp_path / "t")
    stats = make_mixup_set(d, tmp_path / "t", tmp_path / "t" / "vad", tmp_path / "set", MixupSetConf(seed=1))
    mix = DataDir.load(tmp_path / "set")
    assert stats["mixed"] == 3 and mix["cls2id"] == {"clean": 0, "unknown": 1}
    labels = read_arrays(tmp_path / "set" / "frame_cls.scp")
    for key in mix.utts:
        assert mix["utt2cls"][key] == "unknown" and set(np.unique(labels[key])) == {0, 1}
        events = sum(round((r.offset - r.onset) * 50) for r in mix["mix_segments"][key])
        assert (labels[key] == 1).sum() == events


def test_mixup_set_with_a_teacher_that_fails_every_constraint(tmp_path):
    d = make_data_dir(tmp_path, n=3, seconds=2.0)
    teacher_arks(d, tmp_path / "t")  # references score 4.5
    strict = MixupSetConf(mixup=replace(MixupSetConf().mixup, min_mos_ref=4.8))
    with pytest.raises(DataError, match=r"no pair could be mixed .*clean source': 1.*reference below min_mos_ref': 2.*constrained: false"):
        make_mixup_set(d, tmp_path / "t", tmp_path / "t" / "vad", tmp_path / "out", strict)
    assert not (tmp_path / "out").exists()
    loose = MixupSetConf(mixup=replace(strict.mixup, constrained=False))
    stats = make_mixup_set(d, tmp_path / "t", None, tmp_path / "out", loose)  # no VAD needed without constraints
    assert stats["mixed"] == 2 and stats["skipped: clean source"] == 1


def test_a_teacher_with_another_frame_rate_is_rejected():
    import torch

    from sqe.infer.runner import check_frame_rate
    from sqe.utils.errors import SqeError

    model = LSSQAModel(ModelConf(encoder="logmel_cnn", encoder_conf={"channels": 8, "layers": 1}, hidden=[4, 4], d_z=4))
    check_frame_rate(model, torch.device("cpu"))  # 50 Hz: fine

    class Out:
        q = torch.zeros(1, 25)

    model.forward = lambda wav, lengths: Out()  # a 25 Hz model
    with pytest.raises(SqeError, match="25 frames per second; sqe's arks and masks need 50"):
        check_frame_rate(model, torch.device("cpu"))


def _degrade_second_half_only(d):
    """Make utt2-utt4's degraded signals equal to their references in the first half (bit-equal frames)."""
    src = DataDir.load(d)
    for utt in src.utts:
        ref, sr = sf.read(src["ref.scp"][utt], dtype="float32")
        deg, _ = sf.read(src["wav.scp"][utt], dtype="float32")
        deg[: ref.size // 2] = ref[: ref.size // 2]
        sf.write(src["wav.scp"][utt], deg, sr, subtype="FLOAT")
    return ref.size // 2 // 320  # the first frame whose window holds no untouched sample is a few later


def test_mixup_set_with_signal_constraints_ignores_the_teacher(tmp_path):
    d = make_data_dir(tmp_path, n=4, seconds=4.0)  # utt1 clean, utt2..4 with MOS labels 2.0, 2.5, 3.0
    half = _degrade_second_half_only(d)
    teacher_arks(d, tmp_path / "t")
    teacher_arks(d, tmp_path / "t2", q_ref=3.0, q_deg=2.9)  # another teacher: fails diff_threshold everywhere
    signal = MixupSetConf(seed=1, constraints_from="signal",
                          mixup=replace(MixupSetConf().mixup, max_mos_deg=2.7, dilation_s=0.0))
    stats = make_mixup_set(d, tmp_path / "t", tmp_path / "t" / "vad", tmp_path / "a", signal)
    assert stats == {"mixed": 2, "skipped: clean source": 1, "skipped: label above max_mos_deg": 1}  # utt4: 3.0
    again = make_mixup_set(d, tmp_path / "t2", tmp_path / "t2" / "vad", tmp_path / "b", signal)
    assert again == stats
    la, lb = read_arrays(tmp_path / "a" / "frame_cls.scp"), read_arrays(tmp_path / "b" / "frame_cls.scp")
    assert sorted(la) == sorted(lb) == ["utt2-mix", "utt3-mix"]
    for key in la:
        np.testing.assert_array_equal(la[key], lb[key])  # the same set whatever the teacher says
        assert la[key][:half + 1].sum() == 0 and la[key].sum() >= 20  # only where the signals differ
    with pytest.raises(DataError, match="diff_threshold"):  # the teacher's constraints leave nothing
        make_mixup_set(d, tmp_path / "t2", tmp_path / "t2" / "vad", tmp_path / "c", MixupSetConf(seed=1))
    (d / "utt2mos").unlink()
    with pytest.raises(DataError, match="has no utt2mos"):
        make_mixup_set(d, tmp_path / "t", tmp_path / "t" / "vad", tmp_path / "c", signal)
    assert not (tmp_path / "c").exists()


def test_signal_constraints_when_no_pair_differs(tmp_path):
    d = make_data_dir(tmp_path, n=2, seconds=2.0)
    src = DataDir.load(d)
    ref, sr = sf.read(src["ref.scp"]["utt2"], dtype="float32")
    sf.write(src["wav.scp"]["utt2"], ref, sr, subtype="FLOAT")  # "degraded" = its reference
    teacher_arks(d, tmp_path / "t")
    with pytest.raises(DataError, match=r"no allowed region': 1.*differs from its reference by min_distance_db"):
        make_mixup_set(d, tmp_path / "t", tmp_path / "t" / "vad", tmp_path / "out",
                       MixupSetConf(constraints_from="signal"))
