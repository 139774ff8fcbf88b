"""A measure's plan: and done: in the targets file (the Do of PDCA): valid ones load, every mistake
is named with file, line and field – a done CSV's at that CSV's own lines – and `targets check`
exits 2 on them."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from helpers.cli import run_cli
from helpers.targets_file import issue_lines

from kpi_pipeline.config.package_data import targets_schema
from kpi_pipeline.targets import load_targets
from kpi_pipeline.targets.model import DoPlan

HEAD = """\
kgis:
  - {id: orders_fy2026, name: 1年で受注100件, metric: orders, period: {start: 2026-04-01, end: 2027-03-31}, target: {value: 100}}
kpis:
  - {id: sessions_x125, name: 2ヶ月でセッション数を1.25倍に, kgi: orders_fy2026, metric: sessions,
     start: 2026-10-01, deadline: 2026-11-30, baseline: {value: 16000}, target: {multiplier: 1.25}}
measures:
  - id: seo_articles
    name: SEO記事の公開
    start: 2026-11-02
    kpis: [sessions_x125]
    plan: {per_week: 2, unit: 本}
    done: logs/seo_done.csv
  - id: sns
    name: SNS投稿
    start: 2026-11-02
    end: 2026-11-29
    kpis: [sessions_x125]
    plan: {total: 20, unit: 件}
    done:
      - {date: 2026-11-03, count: 2}
      - {date: 2026-11-10, count: 1.5}
"""
CSV = "date,count,title\n2026-11-04,1,秋の新作\n2026-11-04,1,比較記事\n\n2026-11-12,1,FAQ\n"


def _targets(tmp_path: Path, text: str = HEAD, csv: str | None = CSV) -> Path:
    (tmp_path / "logs").mkdir(exist_ok=True)
    if csv is not None:
        (tmp_path / "logs" / "seo_done.csv").write_text(csv, encoding="utf-8")
    path = tmp_path / "kpi_targets.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_plans_and_done_logs_load_with_done_in_day_order(tmp_path: Path) -> None:
    seo, sns = load_targets(_targets(tmp_path)).measures
    assert seo.plan == DoPlan(per_week=2, unit="本")
    # the CSV beside the targets file: one line per article, two on the same day
    assert seo.done == ((date(2026, 11, 4), 1), (date(2026, 11, 4), 1), (date(2026, 11, 12), 1))
    assert sns.plan == DoPlan(total=20, unit="件")
    assert sns.done == ((date(2026, 11, 3), 2), (date(2026, 11, 10), 1.5))


def test_a_shift_jis_done_csv_from_excel_is_read(tmp_path: Path) -> None:
    path = _targets(tmp_path, csv=None)
    (tmp_path / "logs" / "seo_done.csv").write_bytes("タイトル,Date,Count\n秋の新作,2026-11-05,2\n".encode("cp932"))
    assert load_targets(path).measures[0].done == ((date(2026, 11, 5), 2),)


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ("plan: {per_week: 2, unit: 本}", "plan: {per_week: 2, total: 8, unit: 本}",
         ":11: measures[0].plan: give exactly one of per_week (an amount each week) or total"),
        ("plan: {per_week: 2, unit: 本}", "plan: {unit: 本}", ":11: measures[0].plan: give exactly one of"),
        ("plan: {per_week: 2, unit: 本}", "plan: {per_week: 0, unit: 本}", ":11: measures[0].plan.per_week:"),
        ("plan: {per_week: 2, unit: 本}", "plan: {per_week: 2, units: 本}",
         ":11: measures[0].plan.units: unknown field (did you mean 'unit'?)"),
        ("    end: 2026-11-29\n", "", ":17: measures[1].plan.total: a total is the amount by the measure's end"),
        ("    plan: {per_week: 2, unit: 本}\n", "", ":11: measures[0].done: done: is compared with plan:"),
        ("{date: 2026-11-03, count: 2}", "{date: 2026-11-01, count: 2}",
         ":20: measures[1].done[0].date: 2026-11-01 is before the measure's start 2026-11-02"),
        ("{date: 2026-11-10, count: 1.5}", "{date: 2026-12-01, count: 1.5}",
         ":21: measures[1].done[1].date: 2026-12-01 is after the measure's end 2026-11-29"),
        ("{date: 2026-11-10, count: 1.5}", "{date: 2026-11-10, count: -1}",
         ":21: measures[1].done[1].count: count what was done: 0 or more"),
        ("{date: 2026-11-10, count: 1.5}", "{date: 2026-11-10}", ":21: measures[1].done[1].count: missing required field"),
        ("done: logs/seo_done.csv", "done: logs/seo.csv", ":12: measures[0].done: file not found:"),
    ],
)
def test_mistakes_in_plan_and_done_name_file_line_and_field(tmp_path: Path, old: str, new: str, says: str) -> None:
    assert old in HEAD
    path = _targets(tmp_path, HEAD.replace(old, new))
    issues = issue_lines(path)
    assert any(i.startswith(f"{path}{says}") for i in issues), issues


def test_a_bad_done_csv_is_named_at_its_own_lines(tmp_path: Path) -> None:
    path = _targets(tmp_path, csv="date,count\n2026-11-04,1\n2026-11-05,two\n2026-10-30,1\n2026-02-30,1\n,\n2026-11-06,\n")
    csv = tmp_path / "logs" / "seo_done.csv"
    assert issue_lines(path) == [  # line 6 holds no value at all: a blank row, skipped
        f"{csv}:3: count: 'two' is not a number (digits only, e.g. 1200 or 1,200)",
        f"{csv}:4: date: 2026-10-30 is before the measure's start 2026-11-02 (seo_articles)",
        f"{csv}:5: date: '2026-02-30' is not a calendar date",
        f"{csv}:7: count: is empty (write 0 or leave the line out)",
    ]
    no_header = _targets(tmp_path, csv="2026-11-04,1\n")
    assert issue_lines(no_header) == [f"{csv}:1: the first line must name the columns date and count "
                                  "(e.g. date,count,title)"]


def test_targets_check_exits_2_on_a_bad_done_csv_and_lists_the_targets_file_first(tmp_path: Path) -> None:
    path = _targets(tmp_path, HEAD.replace("plan: {total: 20, unit: 件}", "plan: {total: 20, per_week: 5}"),
                    csv="date,count\n2026-11-04,-2\n")
    result = run_cli("targets", "check", str(path), home=tmp_path / "home", cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    csv = tmp_path / "logs" / "seo_done.csv"
    assert lines[1].startswith(f"{path}:18: measures[1].plan: give exactly one of")
    assert lines[2] == f"{csv}:2: count: '-2' is negative: count what was done (0 or more)"
    assert f"2 problems in {path} and {csv}" in result.stderr


def test_the_schema_describes_plan_and_done() -> None:
    schema = json.loads(targets_schema().read_text(encoding="utf-8"))
    measure = schema["$defs"]["MeasureSpec"]["properties"]
    assert {"plan", "done"} <= set(measure)
    plan = schema["$defs"]["DoPlanSpec"]
    assert set(plan["properties"]) == {"per_week", "total", "unit"} and plan["additionalProperties"] is False
    assert set(schema["$defs"]["DoneSpec"]["required"]) == {"date", "count"}
