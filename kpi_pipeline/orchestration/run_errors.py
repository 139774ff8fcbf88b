"""What a failed Dagster run says: the CLI and the failure alert both name each failed step's
own error, read here so neither imports the other."""

from __future__ import annotations

from dagster import DagsterEvent


def step_error(event: DagsterEvent) -> str:
    """The message of a failed step's own error, unwrapped from Dagster's wrapper errors."""
    error = event.step_failure_data.error if event.step_failure_data else None
    # user-facing errors carry their message; Dagster wraps them, the cause chain holds them
    while error is not None and error.cause is not None and (error.cls_name or "").startswith("Dagster"):
        error = error.cause
    return error.message.strip() if error is not None else "unknown error"
