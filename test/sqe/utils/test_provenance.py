import json

from sqe.utils.provenance import environment_record, file_identity, fingerprint


def test_environment_record_has_versions_git_and_argv():
    rec = environment_record(["prog", "--x"])
    assert rec["argv"] == ["prog", "--x"]
    assert rec["packages"]["sqe"] is not None and rec["packages"]["numpy"] is not None
    assert set(rec["git"]) == {"revision", "dirty"}
    json.dumps(rec)  # serialisable


def test_file_identity_follows_content(tmp_path):
    p = tmp_path / "wav.scp"
    p.write_text("a x.wav\n")
    first = fingerprint(file_identity(tmp_path))
    assert fingerprint(file_identity(tmp_path)) == first
    p.write_text("a y.wav\n")
    assert fingerprint(file_identity(tmp_path)) != first
