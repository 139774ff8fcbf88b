"""``kpi-pipeline targets check`` and ``kpi-pipeline funnel``: the targets file from the shell.

A mistake in the file is the user's to fix, so it prints one line per issue (file:line: field:
message) on stderr and exits with :data:`EXIT_USAGE`, never with a traceback.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kpi_pipeline.cli.app import app, report_lang_or_exit, settings_or_exit
from kpi_pipeline.errors import UserError
from kpi_pipeline.kpi.funnel.kpi_targets import funnel_shortfalls
from kpi_pipeline.kpi.funnel.plan import plan_funnel, rate_name, stage_name
from kpi_pipeline.kpi.judgement.baselines import NoHistory
from kpi_pipeline.kpi.judgement.smart import history_refusals, smart_warnings
from kpi_pipeline.targets import Targets, load_targets
from kpi_pipeline.targets.errors import TargetsError
from kpi_pipeline.targets.model import Goal

if TYPE_CHECKING:
    from kpi_pipeline.kpi.metric_history import MetricHistory

targets_app = typer.Typer(help="Validate the KGI/KPI targets file.", no_args_is_help=True)
app.add_typer(targets_app, name="targets")

FileArg = Annotated[
    Path | None,
    typer.Argument(help="Targets file (default: $KPI_TARGETS, ./kpi_targets.yaml, else the bundled example).",
                   show_default=False),
]


def _read_only(source):  # (Path | WarehouseLocation) -> duckdb.DuckDBPyConnection
    """A read-only connection to the analyst copy (a file) or the DuckLake itself."""
    import duckdb

    if isinstance(source, Path):
        return duckdb.connect(str(source), read_only=True)
    from kpi_pipeline.warehouse import connect

    return connect(source, read_only=True)


def _load(file: Path | None) -> Targets:
    """The validated file; a :class:`TargetsError` goes to the CLI's error boundary (exit 2)."""
    return load_targets(file if file is not None else settings_or_exit().targets_path)


def site_history() -> MetricHistory | NoHistory:
    """The site's metric history from the analysts' snapshot (else the warehouse, read-only);
    empty when there is neither or it cannot be read: the warnings that need it are skipped.
    Without a warehouse nothing heavy is loaded (the check answers at once)."""
    settings = settings_or_exit()
    paths = [p for p in (settings.published_path, settings.warehouse_path) if p.exists()]
    if settings.warehouse.is_lake:
        paths = [settings.warehouse]  # the lake itself: analysts read it, there is no copy
    if not paths:
        return NoHistory()
    import duckdb
    import pandas as pd

    from kpi_pipeline.kpi.metric_history import MetricHistory

    frames: dict[str, pd.DataFrame] = {}
    for path in paths:
        try:
            with _read_only(path) as con:
                for table in ("metrics_daily", "metrics_weekly"):
                    frames[table] = con.execute(
                        f"SELECT * FROM mart.{table} WHERE site_id = ?", [settings.site_id]).df()  # noqa: S608
            break
        except (duckdb.Error, UserError):  # unreadable: the warnings that need history are skipped
            frames = {}
    if not frames:
        return NoHistory()
    return MetricHistory(frames["metrics_daily"], frames["metrics_weekly"], settings.site_id)


@targets_app.command("check")
def check(file: FileArg = None) -> None:
    """Validate a targets file; every mistake names file, line and field. Then warn about goals
    the weekly Check cannot judge well (see docs/targets.md#warnings)."""
    targets = _load(file)
    _check_csv_metrics(targets)
    history = site_history()
    refused = history_refusals(targets, history)
    if refused:  # known only from the warehouse, but as wrong as any mistake in the file
        raise TargetsError(refused)
    typer.echo(f"OK: {len(targets.kgis)} KGIs, {len(targets.kpis)} KPIs ({targets.source})")
    for warning in smart_warnings(targets, history):
        typer.echo(f"warning: {warning}")
    for shortfall in funnel_shortfalls(targets, history):
        typer.echo(f"warning: {shortfall.where(targets)}: {shortfall.message()}")


def _check_csv_metrics(targets: Targets) -> None:
    """Read every custom metric's CSV now, so a bad cell is reported here (file:line: column),
    not at the next run; a :class:`CustomCsvError` exits 2 like the file's own mistakes."""
    from kpi_pipeline.sources.custom import CustomCsvError, parse_metric_csv

    problems: list[str] = []
    for source in targets.csv_metrics:
        try:
            parse_metric_csv(source.path, source.column)
        except CustomCsvError as exc:
            problems += exc.problems
    if problems:
        raise CustomCsvError(problems)


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
    chosen = report_lang_or_exit(lang)
    stages = _published_funnel()
    blocks = ["\n".join(funnel_lines(kgi, chosen) + chain_lines(stages.get(kgi.id, []), chosen))
              for kgi in targets.kgis]
    typer.echo("\n\n".join(blocks))


_FUNNEL_SQL = """
SELECT * EXCLUDE (site_id, week_start, iso_week, gap), iso_week
FROM mart.funnel_plan
WHERE site_id = ? AND week_start = (SELECT max(week_start) FROM mart.funnel_plan WHERE site_id = ?)
ORDER BY kgi_id, stage_order DESC
"""


def _published_funnel() -> dict[str, list[dict[str, object]]]:
    """The latest week of mart.funnel_plan in the analyst copy, per KGI ({} before the first run)."""
    settings = settings_or_exit()
    source = settings.warehouse if settings.warehouse.is_lake else settings.published_path
    if not source.exists():
        return {}
    import duckdb

    try:
        con = _read_only(source)
    except (duckdb.Error, UserError):
        return {}
    try:
        cur = con.execute(_FUNNEL_SQL, [settings.site_id, settings.site_id])
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    except duckdb.Error:
        return {}
    finally:
        con.close()
    out: dict[str, list[dict[str, object]]] = {}
    for row in rows:
        out.setdefault(str(row["kgi_id"]), []).append(row)
    return out


def chain_lines(rows: list[dict[str, object]], lang: str = "ja") -> list[str]:
    """Where the funnel stands in the latest published week: actuals, chained needs, actual rates
    beside the planned ones and the bottleneck's reason (top stage first)."""
    if not rows:
        return []
    from kpi_pipeline.delivery.report.model import FunnelStage, ReportData
    from kpi_pipeline.delivery.report.view.why import Why

    ja = lang == "ja"
    week = rows[0]["iso_week"]
    stages = [FunnelStage(**{k: v for k, v in r.items() if k != "iso_week"}) for r in rows]
    why = Why(ReportData(site_id="", week_start=date.fromisocalendar(2000, 1, 1), items=()), lang)
    lines = [f"  {week} 時点（残り必要数は下の段階から計画の転換率で逆算）" if ja
             else f"  as of {week} (still needed = worked back from the stage below at the planned rate)"]
    for i, s in enumerate(stages):
        name = stage_name(s.stage, lang)
        need, per_week = s.remaining_needed, s.needed_per_week
        line = (f"    {name}: 実績 {s.actual_to_date:,.0f} / 残り必要数 {need:,.0f}（週{per_week:,.1f}）" if ja
                else f"    {name}: actual {s.actual_to_date:,.0f} / still needed {need:,.0f} ({per_week:,.1f} a week)")
        if s.rate_to_next is not None and i + 1 < len(stages):
            actual = "—" if s.actual_rate is None else f"{s.actual_rate:.1%}"
            rate = rate_name(s.stage, stages[i + 1].stage, lang)
            line += (f"  {rate} 計画{s.rate_to_next:.0%}・実績{actual}" if ja
                     else f"  {rate} planned {s.rate_to_next:.0%}, actual {actual}")
        lines.append(line)
        reason = why.bottleneck_reason(s, stages) if s.is_bottleneck else None
        if reason:
            lines.append(f"      ← {'ボトルネック' if ja else 'bottleneck'}: {reason}")
    return lines
