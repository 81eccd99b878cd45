"""Degradation search across a database: the detected regions of a corpus embedded with a packaged model
(``sqe.bin.index``, JOB-parallel over parts, then merged) into a faiss index, queried by a region, a class name
or a whole file (``sqe.bin.search``)."""
