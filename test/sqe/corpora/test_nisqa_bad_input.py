"""A NISQA tree that cannot be prepared as it is: stage 1 names every problem with its CSV and line, and writes no
data dir (the tree is test/corpus_factories.py's miniature one: fast, and in the real layout)."""
from __future__ import annotations

import csv
import re
import shutil

import pytest
from conftest import StageRun
from corpus_factories import write_nisqa

from sqe.corpora.nisqa import NisqaConf, line_ranges, prepare_nisqa
from sqe.utils.errors import SqeError

TRAIN_CSV = "NISQA_TRAIN_SIM/NISQA_TRAIN_SIM_file.csv"
FOR_CSV = "NISQA_TEST_FOR/NISQA_TEST_FOR_file.csv"


@pytest.fixture
def corpus(tmp_path):
    return write_nisqa(tmp_path / "NISQA_Corpus")


def edit_rows(path, change):
    """Rewrite a CSV with ``change(line_number, row)`` applied to each row (the header is line 1)."""
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        header, rows = reader.fieldnames, list(reader)
    for line, row in enumerate(rows, start=2):
        change(line, row)
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


def fails(corpus, tmp_path, conf=None) -> str:
    """The error message of preparing ``corpus``; asserts that no data dir was written."""
    with pytest.raises(SqeError) as err:
        prepare_nisqa(corpus, tmp_path / "data", conf or NisqaConf(num_workers=1))
    assert not (tmp_path / "data").exists()
    return str(err.value)


def test_line_ranges_name_every_line():
    assert line_ranges([9, 2, 3, 4, 12, 11]) == "2-4, 9, 11-12"
    assert line_ranges([5]) == "5"


def test_a_missing_subset_folder_the_recipe_needs_is_named(corpus, tmp_path):
    shutil.rmtree(corpus / "NISQA_VAL_SIM")
    msg = fails(corpus, tmp_path)
    assert f"{corpus / 'NISQA_VAL_SIM'} does not exist (a subset the recipe needs" in msg
    assert msg.startswith(f"NISQA corpus {corpus}: nothing written, because:") and "set NISQA in db.sh" in msg
    assert msg.count("does not exist") == 1
    shutil.rmtree(corpus / "NISQA_TEST_P501")  # absent optional subsets are skipped
    prepare_nisqa(corpus, tmp_path / "data", NisqaConf(required=["NISQA_TRAIN_SIM"], num_workers=1))
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["nisqa_test_for", "nisqa_train_live",
                                                                     "nisqa_train_sim"]


def test_a_missing_csv_is_named(corpus, tmp_path):
    (corpus / FOR_CSV).unlink()
    assert f"{corpus / FOR_CSV} does not exist" in fails(corpus, tmp_path)


def test_a_renamed_column_names_the_csv_the_column_and_the_header_line(corpus, tmp_path):
    text = (corpus / TRAIN_CSV).read_text()
    (corpus / TRAIN_CSV).write_text(text.replace("filename_deg", "file_deg", 1))
    msg = fails(corpus, tmp_path)
    header = text.splitlines()[0].replace("filename_deg", "file_deg")
    assert f"{corpus / TRAIN_CSV}:1: column(s) filename_deg missing (renamed? 'filename_deg' -> 'file_deg'?); " \
           f"the header line is: {header}" in msg


def test_a_dropped_condition_column_is_missing_not_silently_off(corpus, tmp_path):
    """Without codec1 every codec row would be 'clean': the column is required."""
    rows = list(csv.reader(open(corpus / TRAIN_CSV, newline="")))
    drop = [rows[0].index("codec1"), rows[0].index("plcMode2")]
    with open(corpus / TRAIN_CSV, "w", newline="") as f:
        csv.writer(f).writerows([[c for i, c in enumerate(r) if i not in drop] for r in rows])
    assert re.search(r"NISQA_TRAIN_SIM_file\.csv:1: column\(s\) codec1, plcMode2 missing; the header line is: db,",
                     fails(corpus, tmp_path))


def test_every_unknown_test_condition_is_listed_with_its_lines(corpus, tmp_path):
    def unknown(line, row):
        if line in (3, 5):
            row["con_description"] = "Reverb 0.5s"
        if line == 4:
            row["con_description"] = "Anchor BP 500-2500Hz + Echo 30ms"
    edit_rows(corpus / FOR_CSV, unknown)
    msg = fails(corpus, tmp_path)
    assert f"{corpus / FOR_CSV}: line(s) 3, 5: con_description 'Reverb 0.5s' not understood (fragment(s) " \
           "'Reverb 0.5s')" in msg
    assert f"{corpus / FOR_CSV}: line(s) 4: con_description 'Anchor BP 500-2500Hz + Echo 30ms' not understood " \
           "(fragment(s) 'Echo 30ms')" in msg
    assert msg.count("not understood") == 2 and "add it to sqe.corpora.nisqa_classes" in msg


def test_an_unknown_sim_value_is_an_error_not_a_clean_row(corpus, tmp_path):
    def unknown(line, row):
        if line == 12:  # the amrnb row
            row["codec1"] = "silk"
        if line == 2:
            row["filter"] = "notch"
    edit_rows(corpus / TRAIN_CSV, unknown)
    msg = fails(corpus, tmp_path)
    assert f"{corpus / TRAIN_CSV}: line(s) 12: codec1 'silk' is not a value the class map knows (amrnb, " in msg
    assert f"{corpus / TRAIN_CSV}: line(s) 2: filter 'notch' is not a value the class map knows (lowpass, " in msg


def test_missing_references_name_the_csv_line_and_the_path(corpus, tmp_path):
    for i in (2, 4):
        (corpus / "NISQA_TRAIN_SIM" / "ref" / f"src_{i:02d}.wav").unlink()
    msg = fails(corpus, tmp_path)
    for i in (2, 4):  # row i is line i + 1
        ref = corpus / "NISQA_TRAIN_SIM" / "ref" / f"src_{i:02d}.wav"
        assert f"{corpus / TRAIN_CSV}:{i + 1}: reference {ref} does not exist" in msg
    assert msg.count("does not exist") == 2


def test_a_missing_folder_is_named_once_with_its_rows(corpus, tmp_path):
    shutil.rmtree(corpus / "NISQA_TEST_P501" / "ref")
    msg = fails(corpus, tmp_path)
    assert f"NISQA_TEST_P501_file.csv: folder {corpus / 'NISQA_TEST_P501' / 'ref'} does not exist (named by 2 " \
           "row(s), line(s) 2-3)" in msg
    assert msg.count("does not exist") == 1


def test_bad_cells_are_named_by_line(corpus, tmp_path):
    def bad(line, row):
        if line == 3:
            row["mos"] = "n/a"
        if line == 4:
            row["filename_deg"] = "c00001_src_01.wav"  # the file of line 2 again
    edit_rows(corpus / TRAIN_CSV, bad)
    with open(corpus / TRAIN_CSV, "a") as f:
        f.write("NISQA_TRAIN_SIM,99,99\n")  # a truncated row
    msg = fails(corpus, tmp_path)
    assert f"{corpus / TRAIN_CSV}: line(s) 3: mos 'n/a' is not a number" in msg
    assert f"{corpus / TRAIN_CSV}:4: filename_deg c00001_src_01.wav repeats line 2" in msg
    assert f"{corpus / TRAIN_CSV}:19: 3 cell(s), the header has 52" in msg


def test_the_stage_fails_naming_the_problem_and_writes_no_data_dir(corpus, tmp_path):
    edit_rows(corpus / FOR_CSV, lambda line, row: row.update(con_description="Reverb") if line == 6 else None)
    res = StageRun("prepare_nisqa", ["--corpus", corpus, "--data", tmp_path / "data", "--out",
                                     tmp_path / "data" / "local" / "nisqa", "--num_workers", 1])
    assert res.returncode == 1
    assert f"{corpus / FOR_CSV}: line(s) 6: con_description 'Reverb' not understood" in res.stderr
    written = sorted(p.name for p in (tmp_path / "data").iterdir())
    assert written == ["local"] and not (tmp_path / "data" / "local" / "nisqa" / ".done").exists()
