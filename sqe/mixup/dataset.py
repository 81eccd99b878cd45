"""The training set with on-the-fly partial mix-up (paper §3, §4.1).

The first data dir is the parallel corpus (wav.scp + ref.scp, teacher scores, speech regions, classes); it is
mixed with probability ``mixup.p`` per example and epoch. Further data dirs (BVCC-like, no references) are
used unmodified. Every example is a deterministic function of (seed, epoch, index), so a resumed run draws
the same masks.

With ``mixup.domain: latents`` a mixed example carries the raw degraded and reference signals and the frame
mask instead of a spliced signal; the model splices the encoder latents of the two (LSSQAModel.forward). For a
frozen front end with cached features this costs no encoder pass per epoch. It equals the waveform splice
except (a) within half the front end's receptive field of a segment edge, where the waveform splice gives
features of both signals, and (b) the level: each signal is normalised on its own by the encoder (DistillMOS:
to its own peak) instead of after the splice. Pseudo-targets and labels are the same in both domains.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import torch

from sqe.data.arks import check_frames, mismatched_frames, read_arrays
from sqe.data.datadir import DataDir
from sqe.data.tables import DataError
from sqe.data.labels import IGNORE
from sqe.mixup.masks import MixupConf, allowed_region, sample_mask, skip_reason
from sqe.mixup.splice import mix, unmixed_labels
from sqe.mixup.vad import read_speech_frames
from sqe.models.frames import num_frames
from sqe.utils.log import get_logger
from sqe.models.lssqa import mos_to_norm
from sqe.data.batching import UtteranceSet, pad_waves

log = get_logger(__name__)


class MixupTrainingSet(UtteranceSet):
    def __init__(self, dirs: list[str | Path], conf: MixupConf, scores: str | Path | None, vad: str | Path | None,
                 seed: int, labels: bool, audio_memory_mb: float = 0.0):
        super().__init__(dirs, audio_memory_mb)
        self.conf, self.seed, self.want_labels = conf, seed, labels
        self.stats: Counter[str] = Counter()
        parallel = DataDir.load(dirs[0])
        self.n_parallel = len(parallel)  # the first data dir's items come first in self.items
        self.ref = parallel.get("ref.scp") or {}
        self.q_ref: dict[str, np.ndarray] = {}
        self.q_deg: dict[str, np.ndarray] = {}
        self.speech: dict[str, np.ndarray] = {}
        self.class_id: dict[str, int] = {}
        frames = {u: num_frames(parallel["utt2num_samples"][u]) for u in parallel.utts}
        if conf.p > 0 or labels:
            if not self.ref:
                raise DataError(f"{dirs[0]}: mix-up needs a parallel data dir with ref.scp")
            if scores is None:
                raise DataError("mix-up needs the teacher scores of the parallel data dir (--train_scores, "
                                "made by sqe.bin.dump_frame_scores)")
            self.q_ref = read_arrays(Path(scores) / "qref.scp")
            self.q_deg = read_arrays(Path(scores) / "qdeg.scp")
            check_frames(self.q_deg, frames, f"{scores}/qdeg.scp")
            unequal = mismatched_frames(self.q_ref, frames, f"{scores}/qref.scp")
            if unequal:  # never mixed, no teacher labels; the rest of the set trains as usual
                log.warning("%s: %d pair(s) whose reference has another length than the degraded signal are "
                            "not mixed (e.g. %s)", dirs[0], len(unequal), ", ".join(sorted(unequal)[:3]))
                for key in unequal:
                    del self.q_ref[key]
        if conf.constrained and conf.use_vad and conf.p > 0:
            if vad is None:
                raise DataError("mixup.use_vad needs the speech regions of the parallel data dir (--train_vad, "
                                "made by sqe.bin.compute_vad)")
            self.speech = read_speech_frames(vad, frames)
        if labels:
            if "cls2id" not in parallel or "utt2cls" not in parallel:
                raise DataError(f"{dirs[0]}: the contrastive loss needs utt2cls and cls2id")
            cls2id = parallel["cls2id"]
            self.class_id = {u: cls2id.get(parallel["utt2cls"][u], IGNORE) for u in parallel.utts}

    def example(self, i: int, epoch: int) -> dict:
        """Audio, utterance target (MOS) and, when known, frame pseudo-targets and class labels of item i."""
        it = self.items[i]
        deg = self.load(i)
        frames = num_frames(deg.size)
        out = {"wav": deg, "mos": it.mos, "q_pseudo": None, "labels": None}
        if i >= self.n_parallel:
            self.stats["unparallel"] += 1
            return out
        rng = np.random.default_rng([self.seed, epoch, i])
        q_ref, q_deg = self.q_ref.get(it.key), self.q_deg.get(it.key)
        cls = self.class_id.get(it.key, IGNORE)
        if self.conf.p > 0 and rng.random() < self.conf.p:
            ref = self.audio.load(self.ref[it.key], it.key) if q_ref is not None else None
            reason = ("length mismatch" if ref is None or ref.size != deg.size
                      else skip_reason(q_ref, q_deg, self.conf))
            if reason is None:
                allowed = (allowed_region(q_ref, q_deg, self.speech.get(it.key), self.conf)
                           if self.conf.constrained else None)
                mask = sample_mask(frames, self.conf, rng, allowed)
                if mask.any():
                    m = mix(ref, deg, mask, q_ref, q_deg, cls, splice=self.conf.domain == "waveform")
                    self.stats["mixed"] += 1
                    if self.conf.domain == "latents":
                        return {"wav": deg, "mix_ref": ref, "mix_mask": mask, "mos": m.y, "q_pseudo": m.q_pseudo,
                                "labels": m.labels}
                    return {"wav": m.wav, "mos": m.y, "q_pseudo": m.q_pseudo, "labels": m.labels}
                reason = "no allowed region"
            self.stats[f"skipped: {reason}"] += 1
        else:
            self.stats["not drawn"] += 1
        if self.want_labels and self.conf.unmixed_labels == "teacher":
            c = self.conf
            out["labels"] = unmixed_labels(q_ref, q_deg, cls, c.min_mos_ref, c.max_mos_deg, c.diff_threshold)
        return out

    def batch(self, idx: list[int], epoch: int) -> dict[str, torch.Tensor]:
        examples = [self.example(i, epoch) for i in idx]
        return collate_examples(examples)


def collate_examples(examples: list[dict]) -> dict[str, torch.Tensor]:
    wav, lengths = pad_waves([e["wav"] for e in examples])
    frames = max(num_frames(int(n)) for n in lengths)
    b = len(examples)
    batch = {
        "wav": wav,
        "lengths": lengths,
        "y": mos_to_norm(torch.tensor([e["mos"] for e in examples], dtype=torch.float32)),
        "q_pseudo": torch.zeros(b, frames),
        "supervised": torch.zeros(b, dtype=torch.bool),
        "frame_labels": torch.full((b, frames), IGNORE, dtype=torch.long),
    }
    mixed = [k for k, e in enumerate(examples) if e.get("mix_mask") is not None]
    if mixed:  # latent-domain mix-up: the references of the mixed items and their frame masks
        batch["mix_ref"] = torch.zeros_like(wav)
        batch["mix_mask"] = torch.zeros(b, frames, dtype=torch.bool)
    for k, e in enumerate(examples):
        if e.get("mix_mask") is not None:
            batch["mix_ref"][k, : e["mix_ref"].size] = torch.from_numpy(np.asarray(e["mix_ref"], dtype=np.float32))
            batch["mix_mask"][k, : e["mix_mask"].size] = torch.from_numpy(e["mix_mask"])
        if e["q_pseudo"] is not None:
            batch["q_pseudo"][k, : e["q_pseudo"].size] = mos_to_norm(torch.from_numpy(e["q_pseudo"]))
            batch["supervised"][k] = True
        if e["labels"] is not None:
            batch["frame_labels"][k, : e["labels"].size] = torch.from_numpy(e["labels"])
    return batch
