"""The DistillMOS encoder: the 50 Hz grid, frozen weights, equality with the package's own CNN, offline
loading, clear errors, and the content-addressed feature cache."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest
import torch
from torch.nn import functional as Fn

from sqe.models import distillmos as D
from sqe.models import frames as F
from sqe.models.encoders import DistillMOSEncoder, build_encoder
from sqe.models.feature_cache import ENV, FeatureCache
from sqe.utils.errors import SqeError

LENGTHS = (1, 319, 320, 321, 16000, 64000)


@pytest.fixture(scope="module")
def frontend():
    return D.DistillMOSFrontEnd(precision="fp32")


@pytest.fixture(scope="module")
def package_model():
    """The package's own model. Its module imports torchaudio at the top (used only by its CLI) and no
    torchaudio imports next to a CPU torch, so an empty stand-in module takes its place for this import."""
    saved = sys.modules.get("torchaudio")
    sys.modules["torchaudio"] = types.ModuleType("torchaudio")
    try:
        import distillmos
        model = distillmos.ConvTransformerSQAModel().eval()
    finally:
        if saved is None:
            del sys.modules["torchaudio"]
        else:
            sys.modules["torchaudio"] = saved
    return model


def test_frame_count_is_ceil_n_over_320(frontend):
    enc = DistillMOSEncoder(precision="fp32", proj_dim=8, channels=8, layers=1)
    for n in LENGTHS:
        assert frontend(torch.randn(n)).shape == (-(-n // 320), D.DIM)
        latents, mask = enc.features(torch.randn(1, n), torch.tensor([n]))
        assert latents.shape[1] == mask.shape[1] == F.num_frames(n)


@pytest.mark.parametrize("n", [319, 321, 12345, 64000])
def test_equals_the_packages_cnn_on_the_aligned_input(frontend, package_model, n):
    torch.manual_seed(n)
    x = 0.1 * torch.randn(n)
    frames = F.num_frames(n)
    aligned = Fn.pad(x / (x.abs().max() + 1e-8), (D.PREFIX, 320 * (frames + 1) - D.PREFIX - n))
    with torch.no_grad():
        theirs = package_model.cnn(aligned[None]).transpose(1, 2)[0, 1:]
    ours = frontend(x)
    assert theirs.shape == ours.shape
    assert torch.allclose(ours, theirs, atol=1e-5 * float(theirs.abs().max()))


def test_bf16_by_rounding_matches_bf16_autocast(monkeypatch):
    """CPUs without native bf16 convolutions round around float32 ones (faster there): the same features up to
    a bf16 rounding step, in bf16 either way."""
    bf16 = D.DistillMOSFrontEnd(precision="bf16")
    x = torch.randn(16000 + 77)
    got = {}
    for native in (True, False):
        monkeypatch.setattr(D, "native_bf16", lambda device, native=native: native)
        assert bf16.bf16_mode(torch.device("cpu")) == ("autocast" if native else "rounded")
        got[native] = bf16(x)
    assert got[True].dtype == got[False].dtype == torch.bfloat16
    a, b = got[True].float(), got[False].float()
    assert float((a - b).norm() / a.norm()) < 2e-3 and float((a == b).float().mean()) > 0.9
    assert D.DistillMOSFrontEnd(precision="fp32").bf16_mode(torch.device("cpu")) == "fp32"


def test_rounded_cnn_skips_only_roundings_that_change_nothing():
    """Layers after the first take the previous layer's bf16 output and do not round it again: bit-identical to
    rounding every layer's input as a bf16 convolution does."""
    cnn, weights = D.DistillMOSFrontEnd(precision="bf16").cnn, D.RoundedWeights()
    spec = torch.randn(1, 2, 161, 23)
    h = spec
    for conv in cnn.convs:
        w, b = weights(conv)
        y = D.to_bf16(Fn.conv2d(D.to_bf16(h), w, b, conv.stride, conv.padding))
        h = D.to_bf16(Fn.leaky_relu(y, 0.1))
        assert torch.equal(h, D.to_bf16(h))  # what the next layer may rely on
    with torch.no_grad():
        assert torch.equal(cnn(spec, weights), h.flatten(1, 2).transpose(1, 2))


def test_frames_are_centred_on_the_grid(frontend):
    """A click's response, weighted by its energy, centres on the frame that holds it: within 0.25 frames of
    the grid's centre for the click position (without the 240-sample prefix it would be off by ~0.45)."""
    silence = frontend(torch.zeros(16000))
    for s in (3200, 3280, 3360, 3440, 3519, 5000, 5280):
        x = torch.zeros(16000)
        x[s] = 1.0
        energy = (frontend(x) - silence).norm(dim=1) ** 2
        centroid = float((energy * torch.arange(energy.numel())).sum() / energy.sum())
        assert abs(centroid - (s / 320 - 0.5)) < 0.25, (s, centroid)
        if s % 320 == 160:
            assert int(energy.argmax()) == s // 320


def test_features_do_not_depend_on_the_batch_and_padding():
    enc = DistillMOSEncoder(proj_dim=16, channels=16, layers=2).eval()
    wav, lengths = torch.randn(3, 16001), torch.tensor([16001, 9000, 500])
    lat, mask = enc.features(wav, lengths)
    x = enc.contextualize(lat, mask)
    for b in range(3):
        n = int(lengths[b])
        lat1, mask1 = enc.features(wav[b:b + 1, :n], lengths[b:b + 1])
        assert torch.equal(lat[b, : F.num_frames(n)], lat1[0])  # bit-identical: what makes caching exact
        assert torch.allclose(x[b, : F.num_frames(n)], enc.contextualize(lat1, mask1)[0], atol=1e-5)
        assert torch.all(lat[b, F.num_frames(n):] == 0)


def test_peak_normalised_input_is_gain_invariant(frontend):
    x = 0.05 * torch.randn(8000)
    assert torch.allclose(frontend(x), frontend(7.0 * x), atol=1e-5)


def test_cnn_is_frozen_and_the_projection_trains():
    torch.manual_seed(0)
    enc = DistillMOSEncoder(precision="bf16", proj_dim=16, channels=16, layers=2).train()
    before = {k: v.clone() for k, v in enc.frontend.state_dict().items()}
    assert all(not p.requires_grad for p in enc.frontend.parameters())
    trainable = [p for p in enc.parameters() if p.requires_grad]
    opt = torch.optim.Adam(trainable, lr=0.1)
    wav, lengths = torch.randn(2, 8000), torch.tensor([8000, 6000])
    enc.contextualize(*enc.features(wav, lengths)).pow(2).sum().backward()
    assert all(p.grad is None for p in enc.frontend.parameters())
    assert enc.proj.weight.grad is not None and enc.convs[0].weight.grad is not None
    opt.step()
    for k, v in enc.frontend.state_dict().items():
        assert torch.equal(v, before[k]), k


def test_checkpoint_keys_hold_the_frozen_weights():
    enc = build_encoder("distillmos_cnn", {"proj_dim": 8, "channels": 8, "layers": 1})
    keys = set(enc.state_dict())
    assert {f"frontend.cnn.convs.{i}.weight" for i in range(6)} <= keys and "proj.weight" in keys


def test_loads_offline_without_importing_the_package(tmp_path):
    code = ("import sys, torch\n"
            "from sqe.models.encoders import build_encoder\n"
            "enc = build_encoder('distillmos_cnn', {'proj_dim': 8, 'channels': 8, 'layers': 1})\n"
            "lat, mask = enc.features(torch.randn(1, 4000), torch.tensor([4000]))\n"
            "assert lat.shape == (1, 13, 1024)\n"
            "assert 'distillmos' not in sys.modules and 'torchaudio' not in sys.modules\n"
            "print('ok')\n")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", ENV: ""}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


def test_missing_package_or_weights_say_how_to_install(monkeypatch, tmp_path):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "distillmos" else real(name, *a))
    with pytest.raises(SqeError, match=r"needs the distillmos package.*pip install --no-deps distillmos==0\.9\.1"):
        build_encoder("distillmos_cnn", {})
    with pytest.raises(SqeError, match="weights file .*missing.pt does not exist.*--no-deps"):
        build_encoder("distillmos_cnn", {"weights": str(tmp_path / "missing.pt")})
    other = tmp_path / "other.pt"
    torch.save({"model": {}}, other)
    with pytest.raises(SqeError, match="is not the DistillMOS v7 weights file"):
        build_encoder("distillmos_cnn", {"weights": str(other)})
    with pytest.raises(SqeError, match="precision must be bf16 or fp32"):
        build_encoder("distillmos_cnn", {"precision": "fp16"})


def test_an_explicit_weights_file_works_without_the_package(monkeypatch):
    weights = D.locate_weights()
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "distillmos" else real(name, *a))
    enc = build_encoder("distillmos_cnn", {"weights": str(weights), "proj_dim": 8, "channels": 8, "layers": 1})
    assert enc.frontend.cnn.convs[5].weight.shape == (256, 256, 3, 3)


def test_cached_features_equal_computed_ones_and_are_reused(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, str(tmp_path / "cache"))
    enc = DistillMOSEncoder(proj_dim=8, channels=8, layers=1)
    wav, lengths = torch.randn(2, 9000), torch.tensor([9000, 7000])
    first, _ = enc.features(wav, lengths)
    assert enc.cache.stats == {"miss": 2}
    files = sorted((tmp_path / "cache").rglob("*.npy"))
    assert len(files) == 2 and all(f.name.endswith(".bf16.npy") for f in files)
    fresh = DistillMOSEncoder(proj_dim=8, channels=8, layers=1)  # a new process would start like this
    again, _ = fresh.features(wav[[1, 0]], lengths[[1, 0]])
    assert fresh.cache.stats == {"hit": 2}
    assert torch.equal(again[[1, 0]], first)
    other, _ = fresh.features(wav + 1e-3, lengths)  # other samples, other key
    assert fresh.cache.stats["miss"] == 2 and not torch.equal(other, first)


def test_a_damaged_cache_entry_is_recomputed(tmp_path):
    cache = FeatureCache(tmp_path, "t")
    key = cache.key_of(torch.ones(3))
    cache.put(key, torch.ones(2, 2, dtype=torch.bfloat16))
    path = next(Path(tmp_path).rglob("*.npy"))
    path.write_bytes(b"garbage")
    assert FeatureCache(tmp_path, "t").get(key) is None


def test_memory_layer_is_bounded(tmp_path):
    cache = FeatureCache(None, "t", max_memory_mb=1.0)
    for i in range(4):
        cache.put(str(i), torch.zeros(1024, 128))  # 512 KiB each
    assert len(cache.memory) == 2 and cache.memory_bytes <= 2**20


def test_a_checkpoint_of_another_encoder_kind_is_refused(tmp_path):
    from sqe.models.lssqa import LSSQAModel, ModelConf
    from sqe.models.checkpoint import check_architecture, load_model, read_checkpoint, save_checkpoint

    conf = ModelConf(encoder="distillmos_cnn", encoder_conf={"proj_dim": 8, "channels": 8, "layers": 1},
                     input_norm="none", hidden=[8, 8], d_z=4)
    model = LSSQAModel(conf)
    save_checkpoint(tmp_path / "m.pt", model)
    payload = read_checkpoint(tmp_path / "m.pt")
    logmel = ModelConf(encoder="logmel_cnn", encoder_conf={"channels": 8, "layers": 1}, input_norm="none",
                       hidden=[8, 8], d_z=4)
    with pytest.raises(SqeError, match="different architecture .*model.encoder: checkpoint 'distillmos_cnn', "
                                       "config 'logmel_cnn'"):
        check_architecture(payload, logmel, tmp_path / "m.pt")
    loaded = load_model(tmp_path / "m.pt")  # its own config: the same weights, frozen CNN included
    assert torch.equal(loaded.encoder.frontend.cnn.convs[0].weight, model.encoder.frontend.cnn.convs[0].weight)
