"""Degradation classes of NISQA rows: the 19 project tokens, the column scan of the
simulated subsets and the condition descriptions of the TEST subsets.

    >>> class_of_row({"filter": "lowpass", "codec1": "amrnb", "plcMode1": "bursty", "FER1": "0.1", "bgn": "x"})
    'amrnb+bgn+lpf+pl+plc_bursty'
    >>> class_of_description("Anchor BP 500-2500Hz + Level -20dB")[0]
    'bp+level'
    >>> unknown_cells({"filter": "notch", "codec1": "amrnb", "codec2": "silk", "plcMode1": "-"})
    [('filter', 'notch'), ('codec2', 'silk')]
"""
from __future__ import annotations

import math
import re
from typing import Any

from sqe.simulate.conditions import class_name

# The columns scanned for tokens, in order; 'timeclipping' is not scanned ('tc_fer' stands for it).
SCANNED_COLUMNS = (
    "filter", "wbgn", "p50mnru", "bgn", "clipping", "arb_filter", "asl_in", "asl_out", "codec1", "codec2", "codec3",
    "plcMode1", "plcMode2", "plcMode3", "wbgn_snr", "bgn_snr", "tc_fer", "tc_nburst", "cl_th", "bp_low", "bp_high",
    "p50_q", "bMode1", "bMode2", "bMode3", "FER1", "FER2", "FER3", "asl_in_level", "asl_out_level",
)
COLUMN_TOKEN = {"clipping": "clip", "wbgn": "wbgn", "p50mnru": "mnru", "asl_out": "level", "bgn": "bgn",
                "arb_filter": "arbfilt", "tc_fer": "tclip", "FER1": "pl", "FER2": "pl", "FER3": "pl"}
FILTER_TOKEN = {"lowpass": "lpf", "highpass": "hpf", "bandpass": "bp"}  # values of 'filter'
CODEC_TOKEN = {c: c for c in ("amrnb", "amrwb", "evs", "opus", "g711", "g722")}  # values of 'codec1..3'
VALUE_TOKEN = {**FILTER_TOKEN, **CODEC_TOKEN}
PLC_TOKEN = {"random": "plc_random", "bursty": "plc_bursty"}  # values of 'plcMode1..3' ('noloss': no token)
TOKENS = sorted(set(COLUMN_TOKEN.values()) | set(VALUE_TOKEN.values()) | set(PLC_TOKEN.values()))  # 19
# The values of the categorical columns whose value (not name) makes the token: any other value would add no
# token and could turn a degraded row into 'clean', so it is refused (see unknown_cells).
KNOWN_VALUES = {
    "filter": tuple(FILTER_TOKEN),
    **{f"codec{i}": tuple(CODEC_TOKEN) for i in (1, 2, 3)},
    **{f"plcMode{i}": ("noloss", *PLC_TOKEN) for i in (1, 2, 3)},
}
LIVE_PREFIXES = ("WhatsApp", "Zoom", "Discord", "Skype", "VoLTE")
LIVE = "live"


def is_off(value: Any) -> bool:
    """'-' in categorical columns, empty or NaN in numeric ones."""
    if value is None:
        return True
    text = str(value).strip()
    if text in ("", "-"):
        return True
    try:
        return math.isnan(float(text))
    except ValueError:
        return False


def tokens_of_row(row: dict[str, Any]) -> list[str]:
    tokens = []
    for col in SCANNED_COLUMNS:
        value = row.get(col)
        if is_off(value):
            continue
        value = str(value).strip()
        if col.startswith("plcMode"):
            if value in PLC_TOKEN:
                tokens.append(PLC_TOKEN[value])
        elif col in COLUMN_TOKEN:
            tokens.append(COLUMN_TOKEN[col])
        elif value in VALUE_TOKEN:
            tokens.append(VALUE_TOKEN[value])
    return tokens


def unknown_cells(row: dict[str, Any]) -> list[tuple[str, str]]:
    """(column, value) of every 'on' categorical cell whose value the token map does not know."""
    out = []
    for col, known in KNOWN_VALUES.items():
        value = row.get(col)
        if not is_off(value) and str(value).strip() not in known:
            out.append((col, str(value).strip()))
    return out


def class_of_row(row: dict[str, Any]) -> str:
    """``'+'.join(sorted(set(tokens)))``, or 'clean' for a row without a token."""
    return class_name(tokens_of_row(row))


def params_of_row(row: dict[str, Any]) -> dict[str, Any]:
    """The row's 'on' parameter cells (numbers as numbers) for utt2params."""
    out: dict[str, Any] = {}
    for col in SCANNED_COLUMNS:
        value = row.get(col)
        if is_off(value):
            continue
        text = str(value).strip()
        try:
            out[col] = float(text) if any(c in text for c in ".eE") else int(text)
        except ValueError:
            out[col] = text
    return out


_CODEC = re.compile(r"(?P<codec>EVS|AMR-WB|AMR-NB|G\.711|G\.722|Opus)(?P<mode>(?:@|\s+)?(?!PL\b)[\w.]*)"
                    r"(?:\s+PL\s+(?P<fer>[\d.]+)\s*%\s+(?P<plc>random|bursty))?", re.IGNORECASE)
_CODEC_TOKEN = {"evs": "evs", "amr-wb": "amrwb", "amr-nb": "amrnb", "g.711": "g711", "g.722": "g722", "opus": "opus"}
_DISTORTIONS = [
    (re.compile(r"BP\s+(?P<low>[\d.]+)\s*-\s*(?P<high>[\d.]+)\s*Hz", re.I), "bp"),
    (re.compile(r"Time\s+Clipping\s+(?P<fer>[\d.]+)\s*%", re.I), "tclip"),
    (re.compile(r"Amp\s+clipping\s+(?P<threshold>[\d.]+)", re.I), "clip"),
    (re.compile(r"White\s+Noise\s+(?P<snr>[-+]?[\d.]+)\s*dB", re.I), "wbgn"),
    (re.compile(r"P50MNRU\s+(?P<q>[-+]?[\d.]+)\s*dB", re.I), "mnru"),
    (re.compile(r"Level\s+(?P<level>[-+]?[\d.]+)\s*dB", re.I), "level"),
    (re.compile(r"BGN\s+(?P<snr>[-+]?[\d.]+)\s*dB", re.I), "bgn"),
]


def class_of_description(description: str) -> tuple[str, dict[str, Any], list[str]]:
    """(class, parsed numbers, unparsed fragments) of a TEST condition description."""
    text = description.strip()
    if text.startswith(LIVE_PREFIXES):
        return LIVE, {"description": text}, []
    if "fullband clean" in text.lower():
        return "clean", {}, []
    tokens: list[str] = []
    params: dict[str, Any] = {}
    unparsed = []
    for part in re.split(r"\s+\+\s+", text):
        part = re.sub(r"^Anchor\s+", "", part.strip(), flags=re.I)
        for piece in (p.strip() for p in re.split(r"(?<=\S)x(?=[A-Z])", part)):  # codec tandems 'AxB'
            m = _CODEC.fullmatch(piece)
            if m:
                token = _CODEC_TOKEN[m["codec"].lower()]
                tokens.append(token)
                params.setdefault(token, []).append(m["mode"].strip(" @") or None)
                if m["plc"]:
                    tokens += ["pl", PLC_TOKEN[m["plc"].lower()]]
                    params.setdefault("pl", []).append(float(m["fer"]))
                continue
            for pattern, token in _DISTORTIONS:
                m = pattern.fullmatch(piece)
                if m:
                    tokens.append(token)
                    params[token] = {k: float(v) for k, v in m.groupdict().items()}
                    break
            else:
                unparsed.append(piece)
    return class_name(tokens), params, unparsed
