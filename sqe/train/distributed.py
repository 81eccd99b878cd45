"""Data-parallel training under torchrun: one process per GPU (gloo on CPU for tests), every global batch
split over the ranks, gradients summed with their utterance counts as weights, so the update equals the
single-process update of an utterance-mean loss. Rank 0 alone validates and writes checkpoints and logs.

Batch limits (``batch.max_utts``, ``max_audio_s``) are global: a batch of 64 on 4 GPUs is 16 per GPU.
Batch norm statistics, the MOS contrastive pairs and the SupCon contrasts are computed per rank.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Dist:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world > 1

    @property
    def primary(self) -> bool:
        return self.rank == 0


def init_from_env() -> Dist:
    """Read torchrun's RANK / WORLD_SIZE / LOCAL_RANK; start the process group when there are several."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    d = Dist(int(os.environ.get("RANK", "0")), world, int(os.environ.get("LOCAL_RANK", "0")))
    if d.enabled and not dist.is_initialized():
        if torch.cuda.is_available():
            torch.cuda.set_device(d.local_rank)
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return d


def shard(idx: list[int], d: Dist) -> list[int]:
    return idx[d.rank:: d.world] if d.enabled else idx


def shard_groups(groups: list[list[int]], d: Dist) -> list[int]:
    """This rank's utterances of a batch of groups: single utterances dealt as ``shard`` deals them, a group of
    several (one class, batch.per_class) kept whole on one rank, since each rank contrasts only its own frames."""
    if not d.enabled:
        return [i for g in groups for i in g]
    if all(len(g) == 1 for g in groups):
        return shard([g[0] for g in groups], d)
    return [i for g in groups[d.rank:: d.world] for i in g]


def sync_gradients(params: list[torch.nn.Parameter], n_local: int, d: Dist) -> int:
    """Replace every rank's gradients by the utterance-weighted mean over the ranks; returns the global count."""
    if not d.enabled:
        return n_local
    grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
    flat = torch.cat([g.reshape(-1) for g in grads] + [torch.ones(1, device=grads[0].device)]) * float(n_local)
    dist.all_reduce(flat)
    total = float(flat[-1].item())
    flat = flat[:-1] / max(total, 1.0)
    offset = 0
    for p, g in zip(params, grads):
        n = g.numel()
        p.grad = flat[offset:offset + n].view_as(p).clone()
        offset += n
    return int(total)


def mean_of(values: dict[str, float], n_local: int, d: Dist) -> dict[str, float]:
    """Utterance-weighted mean of logged values over the ranks."""
    if not d.enabled:
        return values
    keys = sorted(values)
    t = torch.tensor([values[k] * n_local for k in keys] + [float(n_local)], dtype=torch.float64)
    dist.all_reduce(t)
    return {k: float(t[i] / max(float(t[-1]), 1.0)) for i, k in enumerate(keys)}


def barrier(d: Dist) -> None:
    if d.enabled:
        dist.barrier()
