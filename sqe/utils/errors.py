"""Errors whose message is meant for the user: stages print it (no traceback) and exit with status 1."""


class SqeError(RuntimeError):
    """A failure the user can fix; the message names the file, key or line at fault."""
