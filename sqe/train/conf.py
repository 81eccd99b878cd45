"""The training config (one YAML per model of the paper's Table 1, ``egs/*/conf/<model>.yaml``)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sqe.losses.supcon import SupConConf
from sqe.mixup.masks import MixupConf
from sqe.models.lssqa import ModelConf


@dataclass
class LossWeights:
    reg: float = 1.0  # clipped L1 of the utterance score (eq. 1)
    mos_con: float = 1.0  # MOS contrastive loss (eq. 1)
    cons_emb: float = 10.0  # slice consistency, embeddings (eq. 2; authors' weight)
    cons_scores: float = 1.0  # slice consistency, frame scores
    frame: float = 0.0  # pseudo-target L1 (eq. 5): 1 for SUP/CON, 0 for the Baseline
    scl: float = 0.0  # supervised contrastive loss (eq. 8: tau = 0.1 for CON models)


@dataclass
class LossConf:
    reg_form: Literal["paper", "code"] = "paper"  # max(|e| - delta, 0) (paper) or the code's hard threshold
    delta: float = 0.1  # clipping (normalised domain: 0.2 MOS)
    mos_con_margin: float = 0.1
    cons_min_frames: int = 10  # slice length U{min, ..., max} frames (0.2 s to < 2 s)
    cons_max_frames: int = 99
    cons_emb_reduction: Literal["mean", "sum"] = "mean"  # over embedding dims (sum: paper-literal eq. 2)
    # where slices lie (sqe.losses.consistency.draw_slices): own = each slice placed by its own size;
    # batch_longest = the authors' code, every slice starting at max(stop - longest slice of the batch, 0)
    cons_placement: Literal["own", "batch_longest"] = "own"
    # utterances shorter than cons_min_frames + 1: drop (no slice) or cap (the code: slice of at most L - 1 frames)
    cons_short: Literal["drop", "cap"] = "drop"
    frame_reduction: Literal["utt_mean", "frame_mean"] = "utt_mean"
    weights: LossWeights = field(default_factory=LossWeights)
    scl: SupConConf = field(default_factory=SupConConf)


@dataclass
class OptimConf:
    lr: float = 1e-4  # Adam, linearly decayed to min_lr over the epochs (stepped per epoch)
    min_lr: float = 1e-6
    betas: list[float] = field(default_factory=lambda: [0.9, 0.999])
    eps: float = 1e-8
    grad_clip: float = 10.0  # global gradient norm
    epochs: int = 100
    fused: bool = False  # fused Adam kernels (GPU speed option; bench/README.md)


@dataclass
class BatchConf:
    max_utts: int = 64
    max_audio_s: float = 180.0  # padded audio per batch
    max_padding_rate: float = 0.1  # share of padding in a batch
    length_jitter: float = 0.1  # relative noise on lengths before sorting: other batches every epoch
    # utterances of one degradation class (utt2cls) put into a batch together, in groups of up to this many of
    # similar length (P x K sampling of metric learning), so the contrastive loss's anchors find positives in other
    # utterances, not only in their own; 1: batches by length alone (the paper). Needs the class labels
    per_class: int = 1
    audio_memory_mb: float = 1024.0  # decoded training and validation audio kept in memory across epochs (0: none)
    # processes that read, resample, mix and collate the batches while the model trains (0: the training process
    # itself); the batches are the same for any number. Each worker keeps its own audio memory.
    num_workers: int = 0
    prefetch: int = 2  # batches each worker keeps ready

    def __post_init__(self) -> None:
        if self.num_workers < 0 or self.prefetch < 1:
            raise ValueError("need num_workers >= 0 and prefetch >= 1")
        if not 1 <= self.per_class <= self.max_utts:
            raise ValueError(f"per_class must be between 1 and max_utts ({self.max_utts}), got {self.per_class}")


@dataclass
class TrainConf:
    model: ModelConf = field(default_factory=ModelConf)
    loss: LossConf = field(default_factory=LossConf)
    optim: OptimConf = field(default_factory=OptimConf)
    batch: BatchConf = field(default_factory=BatchConf)
    mixup: MixupConf = field(default_factory=MixupConf)  # on-the-fly partial mix-up of the parallel train dir
    seed: int = 0
    device: Literal["auto", "cpu", "cuda"] = "auto"
    precision: Literal["auto", "fp32", "bf16"] = "auto"  # auto: bf16 autocast on GPU, fp32 on CPU
    compile: bool = False  # torch.compile the encoder's heavy modules (GPU speed option; bench/README.md)
    # model selection: utterance SRCC on --valid_data (maximised) or the frame-embedding verification EER on the
    # fixed validation mix-up set --valid_mixup (minimised, the authors' scl_EER)
    select_metric: Literal["srcc", "scl_eer"] = "srcc"
    # scl_EER's embedding: z_scl (the authors' monitor) or z~ (the projection SupCon trains)
    scl_eer_embedding: Literal["z_scl", "z_tilde"] = "z_scl"
    # scl_EER's clean frames: "auto" leaves them out when clean is not an anchor class of the loss (CON2, as the
    # authors' monitor does), "include" always counts them as a class
    scl_eer_clean: Literal["auto", "include"] = "auto"
    # best.pt = the mean weights of the N epochs with the best select_metric (ESPnet's n-best averaging,
    # sqe/train/averaging.py); 1: the best epoch's weights
    average_best: int = 1
    checkpoint_every_steps: int = 100  # also checkpoint mid-epoch, so a killed job loses little
    num_threads: int = 0  # torch CPU threads (0: leave torch's default)
    debug_kill_after_steps: int | None = None  # tests only: SIGKILL this process after that many steps

    def __post_init__(self) -> None:
        if self.average_best < 1:
            raise ValueError(f"average_best must be >= 1, got {self.average_best}")
