"""Corpus preparation: the embedded offline corpus of egs/mini (``mini_*``); real corpora follow."""
