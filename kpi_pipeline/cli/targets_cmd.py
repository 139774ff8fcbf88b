"""``kpi-pipeline targets check`` and ``kpi-pipeline funnel``: the targets file from the shell.

A mistake in the file is the user's to fix, so it prints one line per issue (file:line: field:
message) on stderr and exits with :data:`EXIT_USAGE`, never with a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kpi_pipeline.cli.app import EXIT_USAGE, app, settings_or_exit
from kpi_pipeline.kpi.funnel import plan_funnel, rate_name, stage_name
from kpi_pipeline.kpi.smart import smart_warnings
from kpi_pipeline.kpi.windows import MetricHistory
from kpi_pipeline.targets import Targets, load_targets
from kpi_pipeline.targets.model import Goal

targets_app = typer.Typer(help="Validate the KGI/KPI targets file.", no_args_is_help=True)
app.add_typer(targets_app, name="targets")

FileArg = Annotated[
    Path | None,
    typer.Argument(help="Targets file (default: $KPI_TARGETS, ./kpi_targets.yaml, else the bundled example).",
                   show_default=False),
]


def _load(file: Path | None) -> Targets:
    """The validated file; a :class:`TargetsError` goes to the CLI's error boundary (exit 2)."""
    return load_targets(file if file is not None else settings_or_exit().targets_path)


def _history() -> MetricHistory:
    """The site's metric history from the analysts' snapshot (else the warehouse, read-only);
    empty when there is neither or it cannot be read: the warnings that need it are skipped."""
    import duckdb
    import pandas as pd

    settings = settings_or_exit()
    frames: dict[str, pd.DataFrame] = {}
    for path in (settings.published_path, settings.warehouse_path):
        if not path.exists():
            continue
        try:
            with duckdb.connect(str(path), read_only=True) as con:
                for table in ("metrics_daily", "metrics_weekly"):
                    frames[table] = con.execute(
                        f"SELECT * FROM mart.{table} WHERE site_id = ?", [settings.site_id]).df()  # noqa: S608
            break
        except duckdb.Error:
            frames = {}
    if not frames:
        return MetricHistory.empty()
    return MetricHistory(frames["metrics_daily"], frames["metrics_weekly"], settings.site_id)


@targets_app.command("check")
def check(file: FileArg = None) -> None:
    """Validate a targets file; every mistake names file, line and field. Then warn about goals
    the weekly Check cannot judge well (see docs/targets.md#warnings)."""
    targets = _load(file)
    typer.echo(f"OK: {len(targets.kgis)} KGIs, {len(targets.kpis)} KPIs ({targets.source})")
    for warning in smart_warnings(targets, _history()):
        typer.echo(f"warning: {warning}")


def _count(value: int | None) -> str:
    return "?" if value is None else f"{value:,}"


def funnel_lines(kgi: Goal, lang: str = "ja") -> list[str]:
    """The reverse-funnel plan of one KGI as printable lines."""
    ja = lang == "ja"
    head = f"{kgi.name} [{kgi.id}] {kgi.start}〜{kgi.deadline}"
    if not kgi.funnel:
        return [head, "  " + ("逆算ファネルは設定されていません" if ja else "no reverse funnel defined")]
    plan = plan_funnel(kgi)
    weeks = kgi.days / 7
    names = [stage_name(s.stage, lang) if ja else stage_name(s.stage, lang).capitalize() for s in plan]
    lines = [head, "  " + " ← ".join(names), "  " + " ← ".join(_count(s.required_total) for s in plan)]
    for stage, name in zip(plan, names, strict=True):
        unit = "件" if ja else ""
        line = f"    {name}: {_count(stage.required_total)}{unit}"
        if stage.required_total is not None:
            line += f"（週{stage.required_total / weeks:,.1f}{unit}）" if ja else f" ({stage.required_total / weeks:,.1f} a week)"
        if stage.below is not None:
            rate = rate_name(stage.stage, stage.below, lang)
            below = stage_name(stage.below, lang)
            if stage.measured:
                line += f"  {rate}: 前期間の実績から算出" if ja else f"  {rate}: measured from the previous period"
            else:
                line += f"  {rate} {stage.rate_to_next:.0%} で{below}へ" if ja else f"  {rate} {stage.rate_to_next:.0%} to {below}"
        lines.append(line)
    return lines


@app.command("funnel")
def funnel(
    file: FileArg = None,
    lang: Annotated[str | None, typer.Option(help="ja or en (default: $REPORT_LANG).")] = None,
) -> None:
    """Print the reverse-funnel plan (逆算) of each KGI: e.g. 100 ← 200 ← 400 ← 4,000."""
    targets = _load(file)
    chosen = lang or settings_or_exit().report_lang
    if chosen not in ("ja", "en"):
        typer.echo(f"--lang must be ja or en, not {chosen!r}", err=True)
        raise typer.Exit(EXIT_USAGE)
    blocks = ["\n".join(funnel_lines(kgi, chosen)) for kgi in targets.kgis]
    typer.echo("\n\n".join(blocks))
