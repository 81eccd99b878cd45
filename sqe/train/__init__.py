"""Training: config, data and batching, the loss step, checkpoints, validation and the trainer loop."""
