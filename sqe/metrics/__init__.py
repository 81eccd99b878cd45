"""Evaluation metrics of the paper (metrics.md): frame EER and minDCF, I-AUC, verification EER, retrieval
accuracy, clustering ARI."""
