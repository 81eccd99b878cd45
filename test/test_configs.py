"""Every recipe config is valid: it loads into its typed config, round-trips through --print_conf, and
(where no pretrained download is needed) builds its model with --dry_run."""
from __future__ import annotations

import pytest
import yaml
from conftest import REPO

from sqe.corpora.mini_conf import MiniDataConf
from sqe.eval.evaluate import ScoreConf
from sqe.mixup.evalset import MixupSetConf
from sqe.train.conf import TrainConf
from sqe.utils.config import dump_yaml, load_config

CONFS = sorted(p.relative_to(REPO) for p in (REPO / "egs").glob("*/conf/**/*.yaml"))


def kind(path):
    if path.name.startswith("data"):
        return MiniDataConf
    if path.name.startswith("mixup_set"):
        return MixupSetConf
    if path.name.startswith("score"):
        return ScoreConf
    return TrainConf


@pytest.mark.parametrize("path", CONFS, ids=str)
def test_config_loads_and_round_trips(path, tmp_path):
    conf = load_config(kind(path), REPO / path)
    (tmp_path / "c.yaml").write_text(dump_yaml(conf))
    assert load_config(kind(path), tmp_path / "c.yaml") == conf


@pytest.mark.parametrize("path", [p for p in CONFS if kind(p) is TrainConf], ids=str)
def test_training_config_dry_run(path, tmp_path, capfd, monkeypatch):
    from sqe.bin.train import main  # in this process: the CLI without an interpreter start per config

    conf = yaml.safe_load((REPO / path).read_text())
    needs_download = "name_or_path" in conf["model"].get("encoder_conf", {})
    monkeypatch.chdir(REPO)
    status = main(["--conf", str(REPO / path), "--train_data", str(tmp_path), "--valid_data", str(tmp_path),
                   "--out", str(tmp_path / "out"), "--dry_run"])
    err = capfd.readouterr().err
    if needs_download:  # offline: the model cannot be built, and the error says how to fix it
        assert status == 1 and "save_pretrained(DIR)" in err
    else:
        assert status == 0, err
    assert not (tmp_path / "out").exists()


def test_evaluation_sets_are_spliced_waveforms(tmp_path):
    (tmp_path / "c.yaml").write_text("mixup:\n  domain: latents\n")
    with pytest.raises(Exception, match="evaluation sets are spliced waveforms"):
        load_config(MixupSetConf, tmp_path / "c.yaml")


def test_mini_encoders_share_everything_but_the_encoder():
    """conf/<model>.yaml (DistillMOS) and conf/logmel/<model>.yaml differ only in the model's encoder part and
    the optimiser, so the side-by-side tables compare encoders, not recipes."""
    for name in ("baseline", "sup1", "sup2", "con1", "con2"):
        a = yaml.safe_load((REPO / "egs/mini/conf" / f"{name}.yaml").read_text())
        b = yaml.safe_load((REPO / "egs/mini/conf/logmel" / f"{name}.yaml").read_text())
        assert a["model"]["encoder"] == "distillmos_cnn" and b["model"]["encoder"] == "logmel_cnn"
        for key in ("loss", "batch", "seed", "select_metric"):
            assert a.get(key) == b.get(key), (name, key)
        mix_a, mix_b = dict(a.get("mixup", {})), dict(b.get("mixup", {}))
        mix_a.pop("domain", None), mix_b.pop("domain", None)
        assert mix_a == mix_b, name
