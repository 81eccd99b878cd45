"""GPU speed options: fused Adam takes the same steps as the plain loop, compiling keeps parameter names (and so
checkpoints), wav2vec2's attention implementation is selectable."""
from __future__ import annotations

import torch

from sqe.models.encoders import Wav2Vec2Encoder
from sqe.models.lssqa import LSSQAModel, ModelConf
from sqe.train.accel import compile_encoder, make_optimizer
from sqe.train.conf import OptimConf

TINY = dict(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64, conv_dim=[16] * 7,
            num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2, do_stable_layer_norm=True,
            feat_extract_norm="layer", conv_bias=True, layerdrop=0.0, hidden_dropout=0.0, attention_dropout=0.0,
            activation_dropout=0.0, feat_proj_dropout=0.0)


def test_fused_adam_takes_the_plain_steps():
    torch.manual_seed(0)
    start = [torch.randn(7, 3), torch.randn(11)]
    results = []
    for fused in (False, True):
        params = [torch.nn.Parameter(t.clone()) for t in start]
        opt = make_optimizer(params, OptimConf(lr=1e-2, fused=fused))
        assert opt.defaults.get("fused") is (True if fused else None)
        for step in range(5):
            for k, p in enumerate(params):
                p.grad = torch.sin(p.detach() * (step + k + 1))
            opt.step()
        results.append([p.detach().clone() for p in params])
    for a, b in zip(*results):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_compiling_the_encoder_keeps_the_checkpoint_names():
    model = LSSQAModel(ModelConf(encoder="wav2vec2", encoder_conf={"config": TINY}, hidden=[8, 8], d_z=4))
    names = list(model.state_dict())
    assert compile_encoder(model) == 2  # the CNN and the transformer
    assert list(model.state_dict()) == names
    assert all(m._compiled_call_impl is not None for m in model.encoder.heavy_modules())
    logmel = LSSQAModel(ModelConf(encoder="logmel_cnn", encoder_conf={"channels": 8, "layers": 1}, hidden=[8, 8],
                                  d_z=4))
    assert compile_encoder(logmel) == 0


def test_attention_implementation_is_a_choice_not_architecture():
    eager = Wav2Vec2Encoder(config=TINY, attn_implementation="eager")
    assert eager.model.config._attn_implementation == "eager"
    rebuilt = Wav2Vec2Encoder(config=TINY, architecture=eager.architecture())  # a checkpoint loads with the default
    assert rebuilt.model.config._attn_implementation == "sdpa"
    rebuilt.load_state_dict(eager.state_dict())
    rebuilt.eval(), eager.eval()
    wav, lengths = torch.randn(2, 8000), torch.tensor([8000, 5000])
    with torch.no_grad():
        a = eager.contextualize(*eager.features(wav, lengths))
        b = rebuilt.contextualize(*rebuilt.features(wav, lengths))
    torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
