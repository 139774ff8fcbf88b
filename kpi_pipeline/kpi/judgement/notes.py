"""Notes on a row of ``mart.kpi_progress`` as codes, localized only when a report is rendered.

A note is ``code`` or ``code(key=value, …)``; several are joined by ``"; "``, e.g.
``missing_days_scaled(days=5); week_not_over``. Storing codes keeps the warehouse free of one
language (the English report must not show Japanese notes) and lets the report put data notes
(provisional days, missing days) under 「データに関する注意」 and the rest beside the goal.
"""

from __future__ import annotations

import re

SEPARATOR = "; "
# Notes about the data itself; every other code explains the judgement.
DATA_NOTES: frozenset[str] = frozenset({
    "missing_days_scaled", "partial_week", "week_not_over", "no_baseline_data",
})
_NOTE = re.compile(r"^(?P<code>[a-z_]+)(?:\((?P<args>.*)\))?$")


def encode(code: str, **values: object) -> str:
    """``encode("missing_days_scaled", days=5)`` → ``missing_days_scaled(days=5)``."""
    if not values:
        return code
    return f"{code}({', '.join(f'{k}={v}' for k, v in values.items())})"


def join(notes: list[str]) -> str | None:
    return SEPARATOR.join(dict.fromkeys(notes)) or None


def decode(text: str | None) -> list[tuple[str, dict[str, str]]]:
    """The codes and values of a stored note; text that is not a code comes back as ``("text", {"text": …})``."""
    out: list[tuple[str, dict[str, str]]] = []
    for part in (text or "").split(SEPARATOR):
        part = part.strip()
        if not part:
            continue
        found = _NOTE.match(part)
        if found is None:
            out.append(("text", {"text": part}))
            continue
        args = found.group("args") or ""
        values = dict(a.split("=", 1) for a in args.split(", ") if "=" in a)
        out.append((found.group("code"), {k.strip(): v.strip() for k, v in values.items()}))
    return out
