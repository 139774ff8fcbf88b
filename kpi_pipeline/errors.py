"""The two kinds of failure a user is told about, so the CLI maps each to one exit code.

Light on purpose (no Dagster, no pandas): the CLI's error boundary imports it at start-up.
"""

from __future__ import annotations


class UserError(ValueError):
    """A mistake the user can fix (a file, a variable, an argument): exit 2, the message, no traceback.

    The message names where the mistake is (``file:line: field: what``, or the variable).
    ``title`` heads it; a ``listing`` (one problem per line, as a file's checks give) starts
    below the title so every line begins with its ``file:line``.
    """

    title = "error"
    listing = False


class PipelineFailure(RuntimeError):
    """The pipeline ran and something outside the user's input failed: exit 1 with the message."""
