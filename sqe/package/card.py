"""The model card of a package (``MODEL_CARD.md``): what the model was trained on, its encoder and the encoder's
licence, how well it did on the recipe's test sets, and what produced it."""
from __future__ import annotations

from typing import Any

# The licence of each encoder kind's pretrained part, as its distributor states it. wav2vec2 checkpoints differ
# (the facebook/wav2vec2-* and XLS-R weights are Apache-2.0; check the one you trained from).
ENCODER_LICENCES = {
    "logmel_cnn": "none: trained from scratch by sqe (the package's own licence applies)",
    "distillmos_cnn": "MIT (DistillMOS v7 convolutional front end, weights from the distillmos 0.9.1 wheel)",
    "wav2vec2": "the licence of the pretrained checkpoint named in encoder_conf.name_or_path "
                "(facebook/wav2vec2-* and XLS-R: Apache-2.0)",
}
DETECTION_NAMES = {"mos": "MOS (-q)", "x": "X", "z_mos": "z_MOS", "z_scl": "z_SCL", "z_tilde": "z~"}


def _fmt(v: Any, digits: int = 4) -> str:
    if isinstance(v, float):
        return f"{v:.{digits}g}"
    return "-" if v is None else str(v)


def _metric_rows(results: dict[str, Any]) -> list[str]:
    rows = ["| set | score | frame EER % | minDCF | I-AUC |", "|---|---|---|---|---|"]
    for set_name, metrics in sorted(results.items()):
        for score, det in metrics.get("detection", {}).items():
            eer, dcf, iauc = (det.get(k) for k in ("frame_eer", "frame_min_dcf", "i_auc"))
            rows.append(f"| {set_name} | {DETECTION_NAMES.get(score, score)} | "
                        f"{'-' if eer is None else f'{100 * eer:.2f}'} | {'-' if dcf is None else f'{dcf:.3f}'} | "
                        f"{'-' if iauc is None else f'{iauc:.3f}'} |")
    return rows


def _training(train_env: dict[str, Any]) -> list[str]:
    argv = train_env.get("argv") or []
    data = [argv[i + 1] for i, a in enumerate(argv[:-1]) if a in ("--train_data", "--valid_data")]
    lines = [f"- training data: {', '.join(data) if data else 'not recorded'}"]
    if argv:
        lines.append(f"- training command: `{' '.join(argv)}`")
    git = train_env.get("git") or {}
    if git.get("revision"):
        lines.append(f"- trained at sqe commit {git['revision']}{' (with local changes)' if git.get('dirty') else ''}"
                     f" on {train_env.get('host', '?')}, {train_env.get('time', '?')}")
    return lines


def model_card(info: dict[str, Any], results: dict[str, Any], train_env: dict[str, Any]) -> str:
    """Markdown text of the card; ``info`` is the package description (package.json without checksums),
    ``results`` the ``metrics.json`` of each test set, ``train_env`` the training stage's ``env.json``."""
    model_conf = info["model_conf"]
    encoder = model_conf.get("encoder", "?")
    prov = info["provenance"]
    git = prov.get("git") or {}
    thr = info["thresholds"].get(info["embedding"], {})
    lines = [
        f"# Model card: {info['name']}",
        "",
        "Local speech quality model of sqe (Kuhlmann, Cord-Landwehr, Haeb-Umbach, \"Speech Quality Embeddings for "
        "Improved Detection and Classification of Degradations in Speech Signals\"): frame-level MOS and "
        "degradation-type embeddings every 20 ms of 16 kHz audio.",
        "",
        "## Model",
        f"- encoder: `{encoder}`; licence of its pretrained part: {ENCODER_LICENCES.get(encoder, 'unknown')}",
        f"- decoders: hidden {model_conf.get('hidden')}, d_z {model_conf.get('d_z')}, "
        f"contrastive (SCL) head: {'yes' if model_conf.get('scl') else 'no'}",
        f"- detection embedding: {DETECTION_NAMES.get(info['embedding'], info['embedding'])}; threshold "
        f"{_fmt(thr.get('threshold'))} on 1 - cos(enrollment, frame) (best intersection F1 on the validation "
        f"set: {_fmt(thr.get('validation_best_f1'))}"
        + (f"; raised from {_fmt(thr.get('f1_threshold'))} so that the validation set's clean speech raises at most "
           f"{thr['max_false_per_min']:g} false region(s) per minute, measured {_fmt(thr.get('validation_false_per_min'))}"
           if thr.get("max_false_per_min") is not None and thr.get("threshold") != thr.get("f1_threshold") else "")
        + ")"
        + (f", scores median-filtered over {info['medfilt_size']} frames" if info.get("medfilt_size", 1) > 1 else ""),
        f"- degradation prototypes: {info['classes']} classes from the validation set; a region less similar "
        f"than {_fmt(info['open_set_similarity'])} to every prototype is reported as `unknown` "
        f"({100 * info['open_set_quantile']:g} % of validation segments fall below it)",
        "",
        "## Training",
        *_training(train_env),
        "",
        "## Results of the recipe",
        *(_metric_rows(results) if results else ["No test results were packed."]),
        "",
        "## Provenance",
        f"- packed by sqe {prov.get('sqe') or '?'} at commit {git.get('revision') or 'unknown'}"
        f"{' (with local changes)' if git.get('dirty') else ''}, {prov.get('created')}",
        f"- checkpoint `{prov['checkpoint']}`, results of `{prov.get('experiment', '?')}`, validation set "
        f"`{prov.get('validation_set', '?')}`, "
        f"enrollment `{prov.get('enrollment', '?')}`",
        "",
        "## Intended use and limits",
        "- Input: speech, any sample rate (resampled to 16 kHz), mono or mixed down; frames without speech are "
        "flagged, not scored.",
        "- The prototypes know only the degradation types of the training corpus; other types come out as the "
        "nearest known type with low similarity, or `unknown`.",
        "- Scores of a model trained on synthetic or narrow data do not transfer to every domain: check on "
        "your own labelled data before relying on the threshold.",
        "",
    ]
    return "\n".join(lines)
