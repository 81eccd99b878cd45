"""Evaluation metrics of the paper: frame EER and minDCF (``detection``), I-AUC and event
helpers (``events``), verification EER and prototype retrieval (``embedding``), clustering ARI
(``clustering``). sed_scores_eval and scikit-learn are imported only by the functions that need them."""
from sqe.metrics.detection import det_curve, eer, min_dcf

__all__ = ["det_curve", "eer", "min_dcf"]
