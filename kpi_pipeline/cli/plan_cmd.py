"""``kpi-pipeline plan``: draft the KPIs that would deliver a KGI, from the warehouse's history.

The Plan of the PDCA cycle for a team that only knows its KGI: the targets file (which may
hold nothing but the KGI) comes back with the KPIs worked back through the funnel and each
one's feasibility (:mod:`kpi_pipeline.kpi.funnel.draft`), as YAML with comments
(:mod:`kpi_pipeline.cli.plan_yaml`). Printed, or written with ``--out`` to a file that must not
exist yet: a draft never overwrites anything.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kpi_pipeline.cli.app import app, report_lang_or_exit, settings_or_exit
from kpi_pipeline.cli.targets_cmd import FileArg, site_history
from kpi_pipeline.errors import UserError

if TYPE_CHECKING:
    from kpi_pipeline.kpi.funnel.draft import Draft
    from kpi_pipeline.targets import Goal, Targets


class PlanError(UserError):
    """Nothing to draft, or nowhere to write it."""

    title = "plan"


@app.command("plan")
def plan(
    file: FileArg = None,
    kgi: Annotated[str | None, typer.Option(help="Draft for this KGI only (default: every KGI on a funnel stage).")] = None,
    out: Annotated[Path | None, typer.Option(help="Write the draft to this new file (never overwritten) instead of printing it.")] = None,
    lang: Annotated[str | None, typer.Option(help="Language of the comments and names: ja or en (default: $REPORT_LANG).")] = None,
) -> None:
    """Draft the KPIs that would deliver a KGI (逆算): each funnel stage's total, the web KPIs
    above it, and whether each is feasible against the warehouse's history. Prints the targets
    file with the draft added (comments kept), or writes it with --out."""
    from kpi_pipeline.config.textfile import read_utf8
    from kpi_pipeline.kpi.funnel.draft import draft_plan
    from kpi_pipeline.kpi.metric_history import MetricHistory
    from kpi_pipeline.targets import load_targets

    chosen = report_lang_or_exit(lang)
    path = file if file is not None else settings_or_exit().targets_path
    targets = load_targets(path)
    if out is not None and out.exists():
        raise PlanError(f"--out {out} already exists: plan never overwrites a file; name a new one")
    goals, skipped = _plannable(targets, kgi, path)
    history = site_history()
    history = history if isinstance(history, MetricHistory) else MetricHistory.empty()
    drafts = [draft_plan(goal, history) for goal in goals]
    if not any(d.kpis for d in drafts):
        raise PlanError(f"{path}: nothing to draft: " + "; ".join(_why_empty(d) for d in drafts))
    from kpi_pipeline.cli.plan_yaml import draft_text, relative_files

    text = draft_text(path, read_utf8(path), [d for d in drafts if d.kpis], chosen)
    for line in skipped + [_why_empty(d) for d in drafts if not d.kpis]:
        typer.echo(f"note: {line}", err=True)
    if out is None:
        typer.echo(text, nl=False)
    else:
        _write_new(out, text)
        if relative_files(path) and out.resolve().parent != path.resolve().parent:
            typer.echo(f"warning: {out} is not beside {path}: the files it names "
                       f"({', '.join(relative_files(path))}) are relative to the targets file; "
                       "move the draft beside it", err=True)
    for d in drafts:
        typer.echo(_summary(d, out), err=True)


def _plannable(targets: Targets, kgi: str | None, path: Path) -> tuple[list[Goal], list[str]]:
    """The KGIs to draft for, and why the others are left out; a KGI asked for by ``--kgi`` (or
    the only one) that cannot be worked back is an error."""
    from kpi_pipeline.kpi.funnel.draft import NotPlannable, check_plannable

    goals = [g for g in targets.kgis if kgi is None or g.id == kgi]
    if not goals:
        raise PlanError(f"{path}: no KGI {kgi!r}; KGIs in the file: {', '.join(g.id for g in targets.kgis)}")
    plannable, skipped = [], []
    for goal in goals:
        try:
            check_plannable(goal)
            plannable.append(goal)
        except NotPlannable as exc:
            if len(goals) == 1:
                raise PlanError(f"{path}: {exc}") from None
            skipped.append(str(exc))
    if not plannable:
        raise PlanError(f"{path}: no KGI to work back: " + "; ".join(skipped))
    return plannable, skipped


def _why_empty(draft: Draft) -> str:
    if draft.unknown_step is None:  # a KGI on leads: only sessions could go above it
        return (f"{draft.kgi.id}: nothing to work back: {draft.kgi.metric_id} is the top of the funnel and "
                "the warehouse has no sessions to put above it")
    upper, below = draft.unknown_step
    return (f"{draft.kgi.id}: the rate from {upper} to {below} is neither planned (funnel:) nor "
            f"measurable (no history): write it, e.g. funnel: [{{stage: {upper}, rate: 0.5}}]")


def _write_new(out: Path, text: str) -> None:
    """Create ``out`` whole or not at all, and never over an existing file: the draft is written
    to a temporary file beside it, then linked to ``out`` (which fails if ``out`` exists)."""
    try:
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=out.parent, prefix=f".{out.name}.",
                                         delete=False) as stream:
            stream.write(text)
        try:
            os.link(stream.name, out)
        finally:
            os.unlink(stream.name)
    except FileExistsError:
        raise PlanError(f"--out {out} already exists: plan never overwrites a file; name a new one") from None
    except OSError as exc:
        raise PlanError(f"--out {out}: cannot write it ({exc.strerror or exc})") from None


def _summary(draft: Draft, out: Path | None) -> str:
    from kpi_pipeline.calendar import iso_week_label
    from kpi_pipeline.kpi.funnel.draft import Grade

    where = f"wrote {out}" if out is not None else "draft"
    if draft.measured is not None:
        first, last = (iso_week_label(d) for d in draft.measured)
        rates = f"rates: planned in funnel:, else measured over {first}..{last}"
    else:
        rates = "no history: planned rates only"
    flagged = [k.metric_id for k in draft.kpis if k.feasibility.grade is Grade.UNREALISTIC]
    unrealistic = f"; unrealistic: {', '.join(flagged)}" if flagged else ""
    return f"{where}: {len(draft.kpis)} KPIs for {draft.kgi.id} ({rates}){unrealistic}"
