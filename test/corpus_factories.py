"""Miniature corpora in the real layouts of NISQA and BVCC (48 kHz float WAVs, the real CSV header), shared by
the corpus and recipe tests."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import soundfile as sf

HEADER = ("db,con,file,con_description,filename_deg,filename_ref,source,lang,votes,mos,noi,col,dis,loud,"
          "noi_std,col_std,dis_std,loud_std,mos_std,filepath_deg,filepath_ref,"
          "filter,timeclipping,wbgn,p50mnru,bgn,clipping,arb_filter,asl_in,asl_out,"
          "codec1,codec2,codec3,plcMode1,plcMode2,plcMode3,"
          "wbgn_snr,bgn_snr,tc_fer,tc_nburst,cl_th,bp_low,bp_high,p50_q,bMode1,bMode2,bMode3,FER1,FER2,FER3,"
          "asl_in_level,asl_out_level").split(",")
# (cells, expected class): together the rows cover all 19 tokens, combinations and a clean row
SIM_ROWS = [
    ({"filter": "lowpass", "bp_low": "", "bp_high": ""}, "lpf"),
    ({"filter": "highpass"}, "hpf"),
    ({"filter": "bandpass", "bp_low": "300", "bp_high": "3400"}, "bp"),
    ({"wbgn": "x", "wbgn_snr": "20"}, "wbgn"),
    ({"bgn": "random_bgn", "bgn_snr": "10"}, "bgn"),
    ({"p50mnru": "x", "p50_q": "15"}, "mnru"),
    ({"clipping": "x", "cl_th": "0.1"}, "clip"),
    ({"arb_filter": "x"}, "arbfilt"),
    ({"asl_out": "x", "asl_out_level": "-20"}, "level"),
    ({"timeclipping": "x", "tc_fer": "10", "tc_nburst": "2"}, "tclip"),
    ({"codec1": "amrnb", "bMode1": "4", "plcMode1": "noloss"}, "amrnb"),
    ({"codec1": "amrwb", "plcMode1": "random", "FER1": "0.1"}, "amrwb+pl+plc_random"),
    ({"codec1": "evs", "plcMode1": "bursty", "FER1": "0.2"}, "evs+pl+plc_bursty"),
    ({"codec1": "opus", "bMode1": "12"}, "opus"),
    ({"codec1": "g711", "codec2": "g722", "codec3": "g711"}, "g711+g722"),
    ({"filter": "lowpass", "wbgn": "x", "codec1": "amrnb"}, "amrnb+lpf+wbgn"),
    ({"asl_in": "x", "asl_in_level": "-10", "plcMode1": "noloss"}, "clean"),
]
TEST_ROWS = [("Fullband clean", "clean"), ("Anchor P50MNRU 25dB", "mnru"), ("Anchor BP 500-2500Hz", "bp"),
             ("EVS@m7 PL 3% bursty", "evs+pl+plc_bursty"), ("AMR-NB@m4xG.711xAMR-NB@m4 + BGN 10dB", "amrnb+bgn+g711"),
             ("Zoom", "live")]


def wav48(path, seconds=0.5, seed=0):
    path.parent.mkdir(parents=True, exist_ok=True)
    x = 0.1 * np.random.default_rng(seed).standard_normal(int(48000 * seconds))
    sf.write(str(path), x.astype(np.float32), 48000, subtype="FLOAT")


def write_subset(root, subset, rows, with_ref=True):
    d = root / subset
    lines = []
    for i, (cells, _) in enumerate(rows, start=1):
        ref, deg = f"src_{i:02d}.wav", f"c{i:05d}_src_{i:02d}.wav"
        wav48(d / "deg" / deg, seed=i)
        if with_ref:
            wav48(d / "ref" / ref, seed=100 + i)
        row = {h: "" for h in HEADER}
        row.update(db=subset, con=str(i), file=str(i), filename_deg=deg, filename_ref=ref if with_ref else "",
                   mos=str(1.0 + 0.2 * i), filepath_deg=f"{subset}/deg/{deg}",
                   filepath_ref=f"{subset}/ref/{ref}" if with_ref else "")
        for col in ("filter", "codec1", "codec2", "codec3", "plcMode1", "plcMode2", "plcMode3"):
            row[col] = "-"
        row.update(cells)
        lines.append(row)
    with open(d / f"{subset}_file.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(lines)




def write_nisqa(root: Path) -> Path:
    """A NISQA_Corpus with TRAIN_SIM (every token), VAL_SIM, TEST_FOR, TEST_P501 and TRAIN_LIVE."""
    write_subset(root, "NISQA_TRAIN_SIM", SIM_ROWS)
    write_subset(root, "NISQA_VAL_SIM", SIM_ROWS[:4])
    write_subset(root, "NISQA_TEST_FOR", [({"con_description": d}, c) for d, c in TEST_ROWS])
    write_subset(root, "NISQA_TEST_P501", [({"con_description": d}, c) for d, c in TEST_ROWS[1:3]])
    write_subset(root, "NISQA_TRAIN_LIVE", [({}, None)] * 2, with_ref=False)
    return root


def write_bvcc(main: Path) -> Path:
    """BVCC's main/DATA with a few utterances per split."""
    wav = main / "DATA" / "wav"
    wav.mkdir(parents=True)
    (main / "DATA" / "sets").mkdir()
    for split, names in (("train", ["sysA-utt1", "sysB-utt2"]), ("val", ["sysA-utt3"]), ("test", ["sysC-utt4"])):
        for i, n in enumerate(names):
            x = 0.1 * np.random.default_rng(i).standard_normal(16000)
            sf.write(str(wav / f"{n}.wav"), x.astype(np.float32), 16000)
        (main / "DATA" / "sets" / f"{split}_mos_list.txt").write_text(
            "".join(f"{n}.wav,{3.0 + i / 4}\n" for i, n in enumerate(names)))
    return main
