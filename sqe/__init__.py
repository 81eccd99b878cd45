"""sqe: local speech quality assessment."""
__version__ = "0.1.0"
