"""The export is the truth, and gaps are said: `kpi-pipeline backfill` and `run` on hand-made CRM
and custom CSVs. A week the CRM export left out is a data note in that week's report and a
warning of the goal_days_loaded check, naming the goals; the next weekly run with a corrected
export reloads every day it changed (an earlier Monday revised, the missing week filled in, a
custom metric's day corrected), rebuilds the marts from there, and says which days changed in
the run's metadata and the report's data notes."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from dagster import AssetCheckKey, AssetCheckSeverity, AssetKey, DagsterInstance
from helpers.cli import run_cli
from helpers.kpi_home import copy_home

pytestmark = [pytest.mark.xdist_group("e2e"), pytest.mark.slow]

W45, W46, W47 = date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16)
HEADER = "date,leads,appointments,deals,orders,revenue\n"
TARGETS = """\
timezone: Asia/Tokyo
metrics:
  - id: inquiries
    name: 問い合わせ数
    name_en: Inquiries
    phase: revenue
    csv: {file: inquiries.csv, column: inquiries, aggregate: sum}
kgis:
  - id: orders_q4
    name: 12週で受注60件
    metric: orders
    period: {start: 2026-11-02, end: 2027-01-24}
    target: {value: 60}
kpis:
  - id: deals_q4
    name: 12週で商談120件
    kgi: orders_q4
    metric: deals
    start: 2026-11-02
    deadline: 2027-01-24
    target: {value: 120}
    measure: cumulative
  - id: inquiries_q4
    name: 12週で問い合わせ300件
    kgi: orders_q4
    metric: inquiries
    start: 2026-11-02
    deadline: 2027-01-24
    target: {value: 300}
    measure: cumulative
"""


def _days(*mondays: date) -> list[date]:
    return [m + timedelta(days=i) for m in mondays for i in range(7)]


def _crm_line(day: date, orders: int) -> str:
    """10 leads, 4 appointments, 2 deals a day; ``orders`` at ¥100,000 each."""
    return f"{day},10,4,2,{orders},{orders * 100000}\n"


def _first_export() -> str:
    """What the CRM exported before: W45 and W47, one order a day; W46 was left out."""
    return HEADER + "".join(_crm_line(d, 1) for d in _days(W45, W47))


def _corrected_export() -> str:
    """The corrected export: W45's Monday was 3 orders, W46 (two a day) is filled in."""
    lines = [_crm_line(d, 3 if d == W45 else 1) for d in _days(W45)]
    lines += [_crm_line(d, 2) for d in _days(W46)] + [_crm_line(d, 1) for d in _days(W47)]
    return HEADER + "".join(lines)


def _inquiries(corrected: bool) -> str:
    """5 inquiries a day; the corrected file says 8 on W46's Tuesday (11/10)."""
    tuesday = W46 + timedelta(days=1)
    return "date,inquiries\n" + "".join(f"{d},{8 if corrected and d == tuesday else 5}\n"
                                         for d in _days(W45, W46, W47))


@pytest.fixture(scope="module")
def gap(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """W45..W46 backfilled with their reports from the first export (no CRM rows for W46)."""
    folder = tmp_path_factory.mktemp("corrections")
    (folder / "kpi_targets.yaml").write_text(TARGETS, encoding="utf-8")
    (folder / "crm.csv").write_text(_first_export(), encoding="utf-8")
    (folder / "inquiries.csv").write_text(_inquiries(corrected=False), encoding="utf-8")
    home = folder / "home"
    result = run_cli("backfill", "--from", "2026-W45", "--to", "2026-W46", "--with-reports", home=home, cwd=folder,
                     timeout=600, KPI_TARGETS=str(folder / "kpi_targets.yaml"), CRM_CSV=str(folder / "crm.csv"))
    assert result.returncode == 0, result.stderr[-3000:]
    (home / "backfill.stderr").write_text(result.stderr, encoding="utf-8")
    return home


@pytest.fixture(scope="module")
def corrected(gap: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of that home after one weekly run of W47 with the corrected export and CSV."""
    folder = tmp_path_factory.mktemp("corrected")
    (folder / "kpi_targets.yaml").write_text(TARGETS, encoding="utf-8")
    (folder / "crm.csv").write_text(_corrected_export(), encoding="utf-8")
    (folder / "inquiries.csv").write_text(_inquiries(corrected=True), encoding="utf-8")
    home = copy_home(gap, folder / "home")
    result = run_cli("run", "--week", "2026-W47", home=home, cwd=folder,
                     KPI_TARGETS=str(folder / "kpi_targets.yaml"), CRM_CSV=str(folder / "crm.csv"))
    assert result.returncode == 0, result.stderr[-3000:]
    return home


def _query(home: Path, sql: str, params: list[object] | None = None) -> list[tuple]:
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _notes(home: Path, week: str) -> str:
    html = (home / "reports" / week / "report.html").read_text(encoding="utf-8")
    section = html[html.index("データに関する注意"):]
    return " ".join(section[:section.index("</ul>")].replace("<li>", " ").split())


def test_the_missing_crm_week_is_a_data_note_of_its_report_naming_the_goals(gap: Path) -> None:
    notes = _notes(gap, "2026-W46")
    assert "CRMのエクスポート（raw.crm_daily）に11/9〜11/15のデータがありません（目標の期間内で7日分）" in notes
    assert "影響する目標：12週で受注60件、12週で商談120件" in notes
    assert "問い合わせ" not in notes.split("影響する目標")[1]  # the custom CSV has every day
    assert "特記事項はありません" not in notes


def test_the_missing_crm_week_warns_in_the_goal_days_check_with_the_goals_named(gap: Path) -> None:
    key = AssetCheckKey(AssetKey(["mart", "kpi_progress"]), "goal_days_loaded")
    with DagsterInstance.from_config(str(gap / "dagster")) as instance:
        record = instance.event_log_storage.get_latest_asset_check_execution_by_key([key])[key]
    evaluation = record.evaluation
    assert not evaluation.passed and evaluation.severity == AssetCheckSeverity.WARN
    assert ("2026-W46 orders_q4 (12週で受注60件): 7 day(s) of the goal's period missing from "
            "raw.crm_daily: 2026-11-09..2026-11-15") in evaluation.description
    assert "deals_q4 (12週で商談120件)" in evaluation.description
    assert "inquiries_q4" not in evaluation.description
    assert "goal_days_loaded: 2 problem(s)" in " ".join((gap / "backfill.stderr").read_text().split())


def test_one_weekly_run_makes_the_running_totals_match_the_corrected_export(corrected: Path) -> None:
    # orders: W45 3 + 6×1 = 9, W46 7×2 = 14, W47 7×1 = 7 → 30 (the old load said 7 + 0 + 7 = 14)
    # deals: 2 a day for 21 days = 42; inquiries: 21×5 + 3 = 108
    rows = dict(_query(corrected, "SELECT item_id, actual FROM mart.kpi_progress WHERE week_start = ?", [W47]))
    assert rows == {"orders_q4": 30, "deals_q4": 42, "inquiries_q4": 108}
    assert _query(corrected, "SELECT sum(orders) FROM raw.crm_daily") == [(30,)]
    # the earlier weeks' marts were rebuilt too, not only the run's week
    weekly = dict(_query(corrected, "SELECT week_start, value FROM mart.metrics_weekly "
                                    "WHERE metric_id = 'orders' ORDER BY week_start"))
    assert weekly == {W45: 9, W46: 14, W47: 7}
    assert _query(corrected, "SELECT actual FROM mart.kpi_progress WHERE week_start = ? "
                             "AND item_id = 'orders_q4'", [W46]) == [(23,)]


def test_the_changed_days_are_recorded_with_old_and_new_values(corrected: Path) -> None:
    found = _query(corrected, "SELECT asset, date, field, change, old_value, new_value "
                              "FROM meta.changed_days ORDER BY asset, date, field")
    assert ("raw.crm_daily", W45, "orders", "revised", 1.0, 3.0) in found
    assert ("raw.crm_daily", W45, "revenue", "revised", 100000.0, 300000.0) in found
    added = {d for asset, d, _, change, old, _ in found if change == "added" and asset == "raw.crm_daily"}
    assert added == set(_days(W46))
    assert ("raw.custom_daily", W46 + timedelta(days=1), "inquiries", "revised", 5.0, 8.0) in found
    assert len(found) == 2 + 7 * 5 + 1  # W47's first load is not a change


def test_the_runs_metadata_lists_the_changed_days(corrected: Path) -> None:
    with DagsterInstance.from_config(str(corrected / "dagster")) as instance:
        crm = instance.get_latest_materialization_event(AssetKey(["raw", "crm_daily"]))
        custom = instance.get_latest_materialization_event(AssetKey(["raw", "custom_daily"]))
    metadata = crm.asset_materialization.metadata
    assert metadata["changed_days_count"].value == 8
    assert "| demo | raw.crm_daily | 2026-11-02 | orders | revised | 1 | 3 |" in metadata["changed_days"].value
    assert "| demo | raw.crm_daily | 2026-11-09 | orders | added |  | 2 |" in metadata["changed_days"].value
    assert custom.asset_materialization.metadata["changed_days_count"].value == 1


def test_the_weeks_report_names_the_changed_days_and_no_longer_the_gap(corrected: Path) -> None:
    notes = _notes(corrected, "2026-W47")
    assert ("CRMのエクスポートが前の週の8日分を変更したため、読み込み直しました（raw.crm_daily）："
            "11/9〜11/15（追加）、11/2（受注数 1 → 3、売上 100,000円 → 300,000円）。"
            "以前のレポートの数値とは異なります。") in notes
    assert ("カスタム指標のCSVが前の週の1日分を変更したため、読み込み直しました（raw.custom_daily）："
            "11/10（問い合わせ数 5 → 8）。") in notes
    assert "データがありません" not in notes and "特記事項はありません" not in notes
    key = AssetCheckKey(AssetKey(["mart", "kpi_progress"]), "goal_days_loaded")
    with DagsterInstance.from_config(str(corrected / "dagster")) as instance:
        record = instance.event_log_storage.get_latest_asset_check_execution_by_key([key])[key]
    assert record.evaluation.passed
