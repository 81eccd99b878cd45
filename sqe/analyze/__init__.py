"""Analysis of any audio with a packaged model: degraded regions with their types, frame and utterance MOS
(``sqe.bin.analyze`` and the :class:`Analyzer` API)."""
from sqe.analyze.analyzer import AnalyzeConf, Analyzer, FileAnalysis
from sqe.analyze.regions import Region

__all__ = ["AnalyzeConf", "Analyzer", "FileAnalysis", "Region"]
