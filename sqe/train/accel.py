"""GPU speed options of training, shared by the trainer and bench/train_throughput.py: the optimiser (fused
Adam kernels) and torch.compile of the encoder's heavy modules. Each is off by default; bench/README.md has
the figures that decide whether a recipe turns it on."""
from __future__ import annotations

import torch

from sqe.models.lssqa import LSSQAModel
from sqe.train.conf import OptimConf
from sqe.utils.log import get_logger

log = get_logger(__name__)


def make_optimizer(params: list[torch.nn.Parameter], conf: OptimConf) -> torch.optim.Adam:
    """Adam; ``conf.fused``: one fused kernel for all parameters instead of a loop over them."""
    return torch.optim.Adam(params, lr=conf.lr, betas=tuple(conf.betas), eps=conf.eps,
                            **({"fused": True} if conf.fused else {}))


def compile_encoder(model: LSSQAModel) -> int:
    """torch.compile the encoder's heavy modules in place (their parameter names and the checkpoints do not
    change); lengths vary from batch to batch, so shapes are compiled as dynamic. Returns how many."""
    modules = model.encoder.heavy_modules()
    for m in modules:
        m.compile(dynamic=True)
    if not modules:
        log.info("compile: the %s encoder has no module worth compiling", type(model.encoder).__name__)
    return len(modules)
