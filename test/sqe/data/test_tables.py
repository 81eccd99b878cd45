import pytest

from sqe.data import tables as T


def test_round_trip_sorted_in_c_locale(tmp_path):
    p = tmp_path / "utt2params"
    table = {"b": {"snr": 5.0}, "B": {"snr": 1}, "a_1": {"x": [1, 2]}, "a-1": {}}
    T.write_table(p, table)
    keys = [line.split()[0] for line in p.read_text().splitlines()]
    assert keys == ["B", "a-1", "a_1", "b"]  # byte order: uppercase < '-' ... as LC_ALL=C sort
    assert T.read_table(p, T.parse_json_object) == table


def test_scan_reports_every_problem_with_line_and_key(tmp_path):
    p = tmp_path / "utt2mos"
    p.write_text("a 3.0\nc 4\nb 2.5\nc 4\nd abc\ne\nf nan\na 1.0\n\ng 3\n")
    entries, problems = T.scan_table(p, T.parse_float)
    assert [e.key for e in entries] == ["a", "c", "b", "g"]
    got = {(pr.line, pr.key, pr.kind) for pr in problems}
    assert got == {
        (3, "b", "unsorted"), (4, "c", "duplicate"), (5, "d", "value"), (6, "e", "format"),
        (7, "f", "value"), (8, "a", "conflict"), (9, None, "format"),
    }
    assert str(next(pr for pr in problems if pr.key == "d")) == "utt2mos:5: key 'd': not a number: 'abc'"


def test_read_table_raises_with_locations(tmp_path):
    p = tmp_path / "wav.scp"
    p.write_text("b x.wav\na y.wav\n")
    with pytest.raises(T.DataError, match=r"wav.scp:2: key 'a': not sorted"):
        T.read_table(p)


@pytest.mark.parametrize("text, parse", [("-1", T.parse_count), ("1.5", T.parse_count), ("[1]", T.parse_json_object),
                                         ("inf", T.parse_float), ("a b", T.parse_token), ("0", T.parse_positive_float),
                                         ("r 2 1", T.parse_segment), ("r 0 1 x", T.parse_segment)])
def test_value_parsers_reject(text, parse):
    with pytest.raises(ValueError):
        parse(text)


def test_parse_segment_and_format():
    seg = T.parse_segment("rec1 0.5 1.25")
    assert (seg.reco, seg.start, seg.end) == ("rec1", 0.5, 1.25)
    assert T.format_value(seg) == "rec1 0.500 1.250"


def test_write_rejects_bad_keys_and_values(tmp_path):
    with pytest.raises(T.DataError, match="no whitespace"):
        T.write_table(tmp_path / "x", {"a b": 1})
    with pytest.raises(T.DataError, match="one non-empty line"):
        T.write_table(tmp_path / "x", {"a": "two\nlines"})
    with pytest.raises(T.DataError, match="duplicate key 'a'"):
        T.write_table(tmp_path / "x", [("a", 1), ("a", 2)])
    assert not (tmp_path / "x").exists()
