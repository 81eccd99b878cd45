"""The part graphs on ONNX Runtime: a stream through model.stream.onnx gives the offline X of model.onnx, frame by
frame, however the audio arrives; model.heads.onnx decodes as model.onnx does; parts of another model are refused."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from sqe.infer.onnx_backend import OnnxBackend
from sqe.infer.onnx_stream import OnnxIncrementalEncoder
from sqe.models.lssqa import LSSQAModel, ModelConf, SCLConf
from sqe.package.onnx_export import export_graph, export_parts
from sqe.utils.errors import SqeError


def _model(proj_dim: int) -> LSSQAModel:
    torch.manual_seed(0)
    return LSSQAModel(ModelConf(encoder="distillmos_cnn", encoder_conf={"precision": "fp32", "proj_dim": proj_dim,
                                "channels": 8, "layers": 2, "dropout": 0.0}, input_norm="none", hidden=[8, 8],
                                d_z=8, scl=SCLConf(d_p=8))).eval()


@pytest.fixture(scope="module")
def graphs(tmp_path_factory):
    d = tmp_path_factory.mktemp("graphs")
    model = _model(8)
    export_graph(model, d / "model.onnx", 17)
    parts = {role: str(d / name) for role, name in export_parts(model, d, 17).items()}
    # the exporter restores its wrapper's mode into the model: a wrapper in train mode left BatchNorm training
    assert not any(m.training for m in model.modules())
    return model, OnnxBackend(str(d / "model.onnx"), parts=parts), OnnxBackend(str(d / "model.onnx")), d


def _streamed(encoder, x, peak, lag, blocks):
    got, fed = [], 0
    for k in blocks:
        encoder.push(x[fed:fed + k], peak)
        fed = min(x.size, fed + k)
        ready = fed // 320 - lag  # what sqe.monitor asks for before the end
        if ready > len(got):
            got += list(encoder.frames(len(got), ready))
    encoder.finish()
    return np.concatenate([np.reshape(got, (-1, encoder.dim)), encoder.frames(len(got), -(-x.size // 320), True)])


@pytest.mark.parametrize("n,first", [(32123, 0), (32000, 0), (32000, 960), (32000, 1300), (7777, 0), (321, 0)])
def test_a_stream_gives_the_offline_frames_however_it_arrives(graphs, n, first):
    """Lengths with and without a partial last frame (N % 320 == 0: the end's reflection reaches the last
    sample), blocks of random sizes, and first blocks that end just before / after CNN frame 3 (the first run)."""
    model, backend = graphs[:2]
    rng = np.random.default_rng(n + first)
    x = (0.1 * rng.standard_normal(n)).astype(np.float32)
    peak = float(np.abs(x).max())
    blocks = ([first] if first else []) + list(rng.integers(50, 3000, size=n // 50))
    encoder = backend.incremental()
    assert isinstance(encoder, OnnxIncrementalEncoder) and encoder.context == 4  # two convolutions of width 5
    got = _streamed(encoder, x, peak, model.encoder.context_frames, blocks)
    np.testing.assert_allclose(got, backend.encode(x, peak), atol=1e-5)
    with torch.no_grad():
        wav = torch.from_numpy(x)[None]
        ref = model.encoder.contextualize(*model.encoder.features(wav, torch.tensor([n])))[0].numpy()
    np.testing.assert_allclose(got, ref, atol=1e-5)


def test_the_stream_keeps_only_what_its_next_run_reads(graphs):
    backend = graphs[1]
    encoder = backend.incremental()
    x = np.random.default_rng(1).standard_normal(16000 * 20).astype(np.float32)
    for a in range(0, x.size, 1600):
        encoder.push(x[a:a + 1600], 4.0)
        ready = (a + 1600) // 320 - 7
        encoder.frames(ready - 5, ready)
    # samples of the next spectrum column's window (320) and of the column being filled (< 160); each
    # convolution's state (2 columns; 1 or 2 for the strided last); latents of the context convolutions' reach
    assert encoder.tail.size < 480 and encoder.latents.shape[0] <= 2 * encoder.context + 2
    assert [s.shape[2] for s in encoder.states.values()][:-1] == [2] * 5 and encoder.states["state5"].shape[2] in (1, 2)
    with pytest.raises(IndexError, match=r"X frames \[5, 10\) need latent frames"):
        encoder.frames(5, 10)


def test_the_heads_graph_decodes_as_the_whole_graph(graphs):
    with_parts, whole_only = graphs[1:3]
    x = np.random.default_rng(2).standard_normal((57, 8)).astype(np.float32)
    names = ["q", "z_mos", "z_scl", "z_tilde"]
    a, b = with_parts.decode(x, names), whole_only.decode(x, names)
    for name in names:
        np.testing.assert_allclose(a[name], b[name], atol=1e-6)
    assert whole_only.incremental() is None  # a package exported before the parts: streams re-encode


def test_part_graphs_of_another_model_are_refused(graphs, tmp_path):
    other = _model(16)
    parts = export_parts(other, tmp_path, 17)
    with pytest.raises(SqeError, match="heads graph does not belong to this model"):
        OnnxBackend(str(graphs[3] / "model.onnx"), parts={role: str(tmp_path / n) for role, n in parts.items()})


def test_a_stream_graph_of_another_layout_is_refused_with_the_advice_to_export_again(graphs, tmp_path):
    import onnx

    d = graphs[3]
    proto = onnx.load(str(d / "model.stream.onnx"))
    for prop in proto.metadata_props:
        if prop.key == "geometry":
            prop.value = "distillmos-v7-valid-1"  # the layout before per-convolution state
    onnx.save(proto, str(tmp_path / "model.stream.onnx"))
    parts = {"heads": str(d / "model.heads.onnx"), "stream": str(tmp_path / "model.stream.onnx")}
    with pytest.raises(SqeError, match=r"stream graph has another layout than this sqe drives \(geometry "
                                       r"'distillmos-v7-valid-1', expected 'distillmos-v7-state-1'\).*export the "
                                       r"package again"):
        OnnxBackend(str(d / "model.onnx"), parts=parts)
