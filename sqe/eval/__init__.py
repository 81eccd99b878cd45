"""Evaluation of trained models on partial-mix-up sets and the reports of the paper's Tables 2-6."""
