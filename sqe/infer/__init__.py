"""Inference: run a trained model over a data dir in batches."""
