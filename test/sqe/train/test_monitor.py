"""Validation monitors: utterance MOS through the inference runner, and the contrastive monitor scl_EER (which
embedding it reads and whether clean frames count, issue 14 item 5)."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import make_data_dir, teacher_arks

import sqe.train.monitor as monitor
from sqe.data.arks import read_arrays
from sqe.mixup.evalset import MixupSetConf, make_mixup_set
from sqe.train.monitor import scl_eer


@pytest.fixture(scope="module")
def mix(tmp_path_factory):
    root = tmp_path_factory.mktemp("monitor")
    d = make_data_dir(root, n=8, seconds=3.0)
    (d / "utt2cls").write_text("".join(f"utt{i} {['wbgn', 'lpf'][i % 2]}\n" for i in sorted(range(1, 9), key=str)))
    teacher_arks(d, root / "t")
    make_mixup_set(d, root / "t", root / "t" / "vad", root / "mix", MixupSetConf(seed=1))
    return root / "mix"


def fake_model_outputs(mix, monkeypatch):
    """z_scl: one direction per degraded class, random for clean frames; z_tilde: random everywhere."""
    labels = read_arrays(mix / "frame_cls.scp")
    rng = np.random.default_rng(0)

    def run_model(model, items, device, *args, **kwargs):
        for it in items:
            lab = labels[it.key]
            z = np.eye(8)[lab % 8] + 0.01 * rng.standard_normal((lab.size, 8))
            z[lab == 0] = rng.standard_normal((int((lab == 0).sum()), 8))
            yield it.key, {"q": np.zeros(lab.size), "z_scl": z, "z_tilde": rng.standard_normal((lab.size, 8))}

    monkeypatch.setattr(monitor, "run_model", run_model)


def test_the_monitor_reads_the_asked_embedding_and_can_leave_clean_out(mix, monkeypatch):
    fake_model_outputs(mix, monkeypatch)
    separated = scl_eer(None, mix, "cpu", "z_scl", ignore_clean=True)
    with_clean = scl_eer(None, mix, "cpu", "z_scl", ignore_clean=False)
    noise = scl_eer(None, mix, "cpu", "z_tilde", ignore_clean=True)
    assert separated == pytest.approx(0.0, abs=1e-9)  # the degraded classes are apart
    assert 0.05 < with_clean  # random clean frames blur them
    assert 0.3 < noise < 0.7  # random embeddings: chance


def test_validation_predictions_are_the_inference_runners_and_leave_the_model_training(tmp_path):
    """Validation goes through infer.runner (one inference loop): each utterance's MOS equals the model's y_hat on
    that utterance alone (to batching rounding), the audio comes from the set's cache, and training mode is kept."""
    import soundfile as sf
    import torch

    from sqe.data.batching import UtteranceSet
    from sqe.models.lssqa import LSSQAModel, ModelConf, norm_to_mos
    from sqe.train.monitor import predict_utterances

    d = make_data_dir(tmp_path, n=5, seconds=1.0, with_ref=False)
    data = UtteranceSet([d], audio_memory_mb=16)
    torch.manual_seed(0)
    model = LSSQAModel(ModelConf(encoder="logmel_cnn", encoder_conf={"channels": 8, "layers": 1}, hidden=[8, 8],
                                 d_z=4)).train()
    pred = predict_utterances(model, data, torch.device("cpu"), max_utts=2)
    assert model.training
    assert data.audio.bytes > 0  # read through the set's cache
    model.eval()
    for i, it in enumerate(data.items):
        x = torch.from_numpy(sf.read(it.entry, dtype="float32")[0])[None]
        with torch.no_grad():
            alone = float(norm_to_mos(model(x, torch.tensor([x.shape[1]])).y_hat)[0])
        assert pred[i] == pytest.approx(alone, abs=1e-4), it.key
    assert np.ptp(pred) > 0  # the utterances differ, so a shuffled order would fail above
