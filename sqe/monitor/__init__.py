"""Live analysis of a stream with a model package (sqe.bin.monitor): running statistics, bounded look-ahead,
regions as soon as they are certain."""
