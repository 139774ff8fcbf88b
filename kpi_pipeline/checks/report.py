"""Words for a check result: which check, which weeks, which rows (the first few, with values)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kpi_pipeline.checks.rules import Violation, Window

SHOWN_ROWS = 10


def describe(check: str, window: Window, violations: Sequence[Violation],
             limit: int = SHOWN_ROWS) -> str:
    """One paragraph: what failed, in which weeks, and up to ``limit`` offending rows."""
    several = len(window.sites) > 1
    sites = ", ".join(window.sites)
    if not violations:
        return f"{check}: OK for {sites} {', '.join(window.weeks)}."
    bad_sites = ", ".join(dict.fromkeys(v.site_id for v in violations))
    bad_weeks = ", ".join(dict.fromkeys(v.iso_week for v in violations))
    lines = [f"{check}: {len(violations)} problem(s) for {bad_sites} in {bad_weeks}:"]
    lines += [f"- {v.describe(with_site=several)}" for v in violations[:limit]]
    if len(violations) > limit:
        lines.append(f"- … and {len(violations) - limit} more")
    return "\n".join(lines)


def rows_markdown(violations: Sequence[Violation], limit: int = SHOWN_ROWS) -> str:
    """The first ``limit`` offending rows with their values, as a Markdown table."""
    if not violations:
        return "_no offending rows_"
    value_names = list(dict.fromkeys(name for v in violations[:limit] for name in v.values))
    header = ["site", "week", "item", "problem", *value_names]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for v in violations[:limit]:
        cells = [v.site_id, v.iso_week, v.item, v.problem,
                 *(_cell(v.values.get(n)) for n in value_names)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def rows_json(violations: Sequence[Violation], limit: int = SHOWN_ROWS) -> list[dict[str, Any]]:
    """The first ``limit`` offending rows as JSON-ready dicts (dates and numbers as text/float)."""
    return [
        {"site_id": v.site_id, "iso_week": v.iso_week, "item": v.item, "problem": v.problem,
         **{k: _json(x) for k, x in v.values.items()}}
        for v in violations[:limit]
    ]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return str(value).replace("|", "\\|")


def _json(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
