"""Stage entry points: ``python -m sqe.bin.<verb> --help``. Each parses arguments and calls the library."""
