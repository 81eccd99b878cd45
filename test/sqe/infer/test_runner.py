"""The inference runner: the same outputs whoever reads the audio, and one precision rule for test inference,
enrollment and the teacher."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import make_data_dir

import sqe.infer.embeddings as embeddings
import sqe.mixup.teacher as teacher
from sqe.infer.runner import AudioItem, run_model, use_bf16
from sqe.models.checkpoint import save_checkpoint
from sqe.models.lssqa import LSSQAModel, ModelConf, SCLConf


def tiny_model() -> LSSQAModel:
    torch.manual_seed(0)
    return LSSQAModel(ModelConf(encoder="logmel_cnn", encoder_conf={"channels": 8, "layers": 1}, hidden=[8, 8],
                                d_z=4, scl=SCLConf(d_p=4)))


def test_worker_processes_read_for_the_same_outputs(tmp_path):
    d = make_data_dir(tmp_path, n=7, seconds=1.3)
    items = [AudioItem(f"utt{i}", str(tmp_path / "wav" / f"utt{i}.wav"), 20800) for i in range(1, 8)]
    model = tiny_model()
    inline = dict(run_model(model, items, torch.device("cpu"), max_audio_s=3.0, embeddings=True))
    workers = dict(run_model(model, items, torch.device("cpu"), max_audio_s=3.0, embeddings=True, num_workers=2))
    assert sorted(inline) == sorted(workers) == sorted(it.key for it in items) and d.is_dir()
    for key, out in inline.items():
        assert sorted(out) == sorted(workers[key])
        for name, value in out.items():
            np.testing.assert_array_equal(value, workers[key][name], err_msg=f"{key} {name}")


def test_one_precision_rule():
    cpu, gpu = torch.device("cpu"), torch.device("cuda")
    assert (use_bf16("auto", cpu), use_bf16("auto", gpu), use_bf16("bf16", cpu), use_bf16("fp32", gpu)) == \
        (False, True, True, False)


@pytest.mark.parametrize("precision", ["bf16", "fp32"])
def test_inference_enrollment_and_teacher_share_the_precision(tmp_path, monkeypatch, precision):
    """Issue 13 item 4: enrollment ran in fp32 while test inference ran in bf16 on a GPU."""
    d = make_data_dir(tmp_path, n=3, seconds=1.0)
    save_checkpoint(tmp_path / "m.pt", tiny_model())
    seen = []
    real = embeddings.run_model

    def spy(*args, **kwargs):
        seen.append((kwargs.get("desc"), kwargs.get("autocast", False)))
        return real(*args, **kwargs)

    monkeypatch.setattr(embeddings, "run_model", spy)
    monkeypatch.setattr(teacher, "run_model", spy)
    conf = embeddings.InferConf(device="cpu", precision=precision)
    embeddings.infer_dir(tmp_path / "m.pt", d, tmp_path / "infer", conf)
    embeddings.enroll_dir(tmp_path / "m.pt", d, "ref.scp", tmp_path / "enroll", conf)
    teacher.dump_frame_scores(tmp_path / "m.pt", d, tmp_path / "t", teacher.TeacherConf(device="cpu",
                                                                                        precision=precision))
    assert [s for s, _ in seen] == [f"infer {d}", f"enroll {d}", "q_deg", "q_ref"]
    assert {bf16 for _, bf16 in seen} == {precision == "bf16"}


def test_inference_refuses_a_truncated_file_by_name(tmp_path):
    """Issue 24, defect 2: sqe.bin.infer wrote a 1-frame output for a cut-off WAV and exited 0."""
    d = make_data_dir(tmp_path, n=3, seconds=1.0)
    save_checkpoint(tmp_path / "m.pt", tiny_model())
    cut = tmp_path / "wav" / "utt2.wav"
    cut.write_bytes(cut.read_bytes()[:100])
    from sqe.audio import AudioError

    with pytest.raises(AudioError, match=r"key 'utt2' .*utt2\.wav\): truncated: the header declares 16000"):
        embeddings.infer_dir(tmp_path / "m.pt", d, tmp_path / "infer", embeddings.InferConf(device="cpu"))
    assert not (tmp_path / "infer").exists()
    with pytest.raises(AudioError, match="truncated"):
        teacher.dump_frame_scores(tmp_path / "m.pt", d, tmp_path / "t", teacher.TeacherConf(device="cpu"))
