"""Batched inference of a model over (key, audio entry) items, yielding per-utterance numpy outputs."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

import numpy as np
import torch

from sqe.audio.io import TARGET_SR, load_audio
from sqe.models.frames import num_frames
from sqe.models.lssqa import LSSQAModel, norm_to_mos
from sqe.data.batching import bucket_batches, pad_waves
from sqe.data.loader import KeyedLoader
from sqe.utils.errors import SqeError
from sqe.utils.progress import progress


@dataclass(frozen=True)
class AudioItem:
    key: str
    entry: str
    num_samples: int
    start: float | None = None
    end: float | None = None


def choose_device(choice: str) -> torch.device:
    """``auto`` (a GPU if there is one), ``cuda`` or ``cpu``."""
    return torch.device("cuda" if choice == "cuda" or (choice == "auto" and torch.cuda.is_available()) else "cpu")


def use_bf16(precision: str, device: torch.device) -> bool:
    """bf16 autocast for ``bf16``, and for ``auto`` on a GPU: one rule for test inference, enrollment and the
    teacher, so that the embeddings compared with each other come from the same arithmetic."""
    return precision == "bf16" or (precision == "auto" and device.type == "cuda")


def check_frame_rate(model: LSSQAModel, device: torch.device) -> None:
    """The model must produce 50 frames per second of audio (the grid of every ark and mask)."""
    with torch.no_grad():
        out = model(torch.zeros(1, TARGET_SR, device=device), torch.tensor([TARGET_SR], device=device))
    if out.q.shape[1] != num_frames(TARGET_SR):
        raise SqeError(f"the model gives {out.q.shape[1]} frames per second; sqe's arks and masks need 50")


def read_item(item: AudioItem) -> np.ndarray:
    return load_audio(item.entry, item.key, start=item.start, end=item.end)


@torch.no_grad()
def run_model(model: LSSQAModel, items: Sequence[AudioItem], device: torch.device, max_audio_s: float = 120.0,
              embeddings: bool = False, autocast: bool = False, desc: str = "infer", max_utts: int = 64,
              read: Callable[[AudioItem], np.ndarray] = read_item, num_workers: int = 0
              ) -> Iterator[tuple[str, dict[str, np.ndarray]]]:
    """Yield ``(key, {"y_hat": utterance MOS (), "q": frame MOS (L,), ["x", "z_mos", "z_scl", "z_tilde": (L, D)]})``
    in length-bucketed batches (the same for the same lengths and limits, so results do not depend on the
    caller). ``read`` returns an item's audio (training's validation passes its in-memory audio cache);
    ``num_workers`` processes read and pad the batches ahead of the model. The model runs in eval mode and gets
    its previous mode back when the generator ends."""
    was_training = model.training
    model.eval()
    seconds = np.array([it.num_samples / TARGET_SR for it in items])
    batches = sorted(bucket_batches(seconds, max_utts, max_audio_s, 1.0, 0.0, np.random.default_rng(0)), key=min)

    def make(b: int) -> tuple[torch.Tensor, torch.Tensor]:
        return pad_waves([read(items[i]) for i in batches[b]])

    loader = KeyedLoader(make, num_workers, pin_memory=device.type == "cuda")
    try:
        made = loader.iterate(range(len(batches)))
        for idx, (wav, lengths) in progress(zip(batches, made), total=len(batches), desc=desc, unit="batch"):
            with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=autocast):
                out = model(wav.to(device, non_blocking=True), lengths.to(device, non_blocking=True))
            y_hat = norm_to_mos(out.y_hat.float()).cpu().numpy()
            q = norm_to_mos(out.q.float()).cpu().numpy()
            embs = {k: v.float().cpu().numpy() for k, v in out.embeddings().items()} if embeddings else {}
            frames = out.mask.sum(1).cpu().numpy()
            for b, i in enumerate(idx):
                n = int(frames[b])
                result = {"y_hat": y_hat[b].astype(np.float32), "q": q[b, :n].astype(np.float32)}
                result.update({k: v[b, :n] for k, v in embs.items()})
                yield items[i].key, result
    finally:
        model.train(was_training)
