from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Optional

import pytest

from sqe.utils.config import ConfigError, dump_yaml, from_dict, load_config, parse_override


@dataclass
class Optim:
    lr: float = 1e-4
    betas: list[float] = field(default_factory=lambda: [0.9, 0.999])


@dataclass
class Model:
    name: Literal["cnn", "wav2vec2"] = "cnn"
    d_z: int = 64
    decoder_conf: dict = field(default_factory=dict)


@dataclass
class Conf:
    epochs: int = 100
    seed: Optional[int] = None
    amp: bool = False
    tag: str = "x"
    optim: Optim = field(default_factory=Optim)
    model: Model = field(default_factory=Model)

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ValueError("epochs must be >= 1")


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "c.yaml"
    p.write_text(text)
    return p


def test_defaults_yaml_and_overrides_precedence(tmp_path):
    p = write(tmp_path, "epochs: 5\noptim:\n  lr: 1e-3\nmodel:\n  name: wav2vec2\n")
    conf = load_config(Conf, p, ["optim.lr=5e-5", "model.decoder_conf.channels=[8, 8]"])
    assert conf.epochs == 5
    assert conf.optim.lr == pytest.approx(5e-5)  # --set beats YAML
    assert conf.optim.betas == [0.9, 0.999]  # untouched default
    assert conf.model.name == "wav2vec2"
    assert conf.model.decoder_conf == {"channels": [8, 8]}


def test_unknown_key_names_file_line_and_key(tmp_path):
    p = write(tmp_path, "epochs: 5\noptim:\n  lr: 1e-3\n  lrr: 2\n")
    with pytest.raises(ConfigError) as err:
        load_config(Conf, p)
    assert f"{p}:4" in str(err.value)
    assert "unknown key 'optim.lrr'" in str(err.value)


@pytest.mark.parametrize(
    "text, expect",
    [
        ("epochs: five\n", "epochs: expected an integer"),
        ("epochs: 2.5\n", "epochs: expected an integer"),
        ("amp: 1\n", "amp: expected true or false"),
        ("model:\n  name: lstm\n", "model.name: 'lstm' is not one of"),
        ("optim:\n  betas: 0.9\n", "optim.betas: expected a list"),
        ("optim: 3\n", "optim: expected a mapping"),
        ("seed: abc\n", "seed: 'abc' is not a valid"),
        ("epochs: 0\n", "epochs must be >= 1"),
        ("- a\n- b\n", "top level must be a mapping"),
    ],
)
def test_mistyped_values_are_errors(tmp_path, text, expect):
    with pytest.raises(ConfigError, match=expect.replace("(", r"\(").replace(")", r"\)")):
        load_config(Conf, write(tmp_path, text))


def test_float_accepts_int_and_yaml_exponent_strings(tmp_path):
    conf = load_config(Conf, write(tmp_path, "optim:\n  lr: 1e-4\n  betas: [1, 0.5]\n"))
    assert conf.optim.lr == 1e-4 and isinstance(conf.optim.lr, float)
    assert conf.optim.betas == [1.0, 0.5]


def test_override_errors():
    with pytest.raises(ConfigError, match="unknown key 'optim.momentum'"):
        load_config(Conf, None, ["optim.momentum=0.9"])
    with pytest.raises(ConfigError, match="expected KEY.PATH=VALUE"):
        load_config(Conf, None, ["epochs"])
    with pytest.raises(ConfigError, match="'epochs' is a int, it has no key 'x'"):
        load_config(Conf, None, ["epochs.x=1"])
    assert parse_override("a.b= [1, 2]") == ("a.b", [1, 2])
    assert parse_override("a=null") == ("a", None)


def test_dump_round_trip(tmp_path):
    conf = load_config(Conf, None, ["seed=3", "model.decoder_conf.k=[1, 2]", "tag=a b"])
    p = write(tmp_path, dump_yaml(conf))
    assert load_config(Conf, p) == conf


def test_from_dict_missing_required_key():
    @dataclass
    class Req:
        path: str
        n: int = 1

    with pytest.raises(ConfigError, match="missing required key 'path'"):
        from_dict(Req, {"n": 2})
    assert from_dict(Req, {"path": "x"}).path == "x"


def test_invalid_yaml_names_file(tmp_path):
    p = write(tmp_path, "a: [1, 2\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_config(Conf, p)


def test_later_files_overlay_earlier_ones_section_by_section(tmp_path):
    base = tmp_path / "model.yaml"
    base.write_text("epochs: 5\noptim:\n  lr: 1e-3\nmodel:\n  name: wav2vec2\n  d_z: 32\n")
    forms = tmp_path / "forms.yaml"
    forms.write_text("model:\n  d_z: 128\n")
    conf = load_config(Conf, [base, forms], ["epochs=7"])
    assert (conf.epochs, conf.optim.lr, conf.model.name, conf.model.d_z) == (7, 1e-3, "wav2vec2", 128)
    assert load_config(Conf, [forms, base]).model.d_z == 32  # order decides
    bad = tmp_path / "bad.yaml"
    bad.write_text("model:\n  dz: 1\n")
    with pytest.raises(ConfigError, match=f"{bad}:2"):  # the file at fault is named
        load_config(Conf, [base, bad])
