"""The command line's one user-error type.

A mistake the user can fix (a missing file, an unknown column, an existing
output without ``--force``) is raised as :class:`InputError`; the command
classes in :mod:`._command` turn it, and every other user error, into one
line, ``error: ...``, on stderr and exit status 2.
"""


class InputError(ValueError):
    """A problem with the user's files or options, described in one line."""


def one_line(err):
    """An error's message on one line, whatever its own line breaks."""
    return " ".join(str(err).split())
