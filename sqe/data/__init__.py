"""Kaldi-style data dirs (``wav.scp``, ``ref.scp``, ``utt2mos``, ``utt2cls``, ...): read, write, check."""
from sqe.data.datadir import FILE_SPECS, DataDir, combine
from sqe.data.tables import DataError, Problem, read_table, write_table

__all__ = ["FILE_SPECS", "DataDir", "combine", "DataError", "Problem", "read_table", "write_table"]
