"""Custom metrics and the measures log in the targets file, and the CSVs behind them: mistakes
name file, line and field (exit 2 from `targets check`), spreadsheet CSVs load or say how to save."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from helpers.cli import run_cli
from helpers.paths import DOCS
from helpers.targets_file import issue_lines

from kpi_pipeline.catalog import Aggregation, Direction, metric
from kpi_pipeline.kpi.measures.effects import Verdict, first_full_week, judge
from kpi_pipeline.sources.custom import CustomCsvError, read_metric_csv
from kpi_pipeline.targets import load_targets

HEAD = """\
metrics:
  - id: followers
    name: Xフォロワー数
    phase: referral
    csv: {file: followers.csv, column: followers, aggregate: last}
  - id: won_per_deal
    name: 受注率（自作）
    phase: revenue
    ratio: {numerator: orders, denominator: deals}
kgis:
  - id: orders_x150
    name: 3か月で成約数を1.5倍に
    metric: orders
    period: {start: 2026-10-01, end: 2026-12-31}
    baseline: {value: 10}
    target: {multiplier: 1.5}
kpis:
  - id: followers_x2
    name: 3か月でXのフォロワー数を2倍に
    kgi: orders_x150
    metric: followers
    start: 2026-10-01
    deadline: 2026-12-31
    baseline: {value: 1000}
    target: {multiplier: 2}
measures:
  - {id: x_campaign, name: Xキャンペーン, start: 2026-10-12, end: 2026-11-08, kpis: [followers_x2]}
"""


def _targets(tmp_path: Path, text: str = HEAD, csv: bool = True) -> Path:
    if csv:
        (tmp_path / "followers.csv").write_text("date,followers\n2026-10-01,1000\n", encoding="utf-8")
    path = tmp_path / "kpi_targets.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_custom_metrics_resolve_with_their_aggregation_and_csv_beside_the_targets_file(tmp_path: Path) -> None:
    targets = load_targets(_targets(tmp_path))
    followers, won = targets.metrics
    assert (followers.aggregation, followers.source) == (Aggregation.LAST, "csv")
    assert (won.aggregation, won.numerator, won.denominator) == (Aggregation.RATIO, "orders", "deals")
    assert targets.csv_metrics[0].path == tmp_path / "followers.csv"
    assert targets.kpis[0].metric.name_ja == "Xフォロワー数"
    assert metric("won_per_deal").unit.value == "rate"  # known to reports after loading
    assert targets.measures[0].kpis == ("followers_x2",)


def test_the_whitepapers_sales_rates_are_built_in_ratios() -> None:
    for metric_id, num, den in (("close_rate", "orders", "deals"), ("meeting_rate", "deals", "appointments"),
                                ("appointment_rate", "appointments", "leads")):
        m = metric(metric_id)
        assert (m.aggregation, m.numerator, m.denominator) == (Aggregation.RATIO, num, den)


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ("ratio: {numerator: orders,", "ratio: {numerator: order,",
         ":9: metrics[1].ratio.numerator: unknown metric 'order' (did you mean 'orders'?)"),
        ("denominator: deals}", "denominator: cvr}",
         ":9: metrics[1].ratio.denominator: cvr is a ratio metric; a ratio needs additive metrics"),
        ("denominator: deals}", "denominator: followers}",
         ":9: metrics[1].ratio.denominator: followers is a last metric"),
        ("  - id: won_per_deal", "  - id: close_rate", ":6: metrics[1].id: 'close_rate' is a built-in metric"),
        ("  - id: won_per_deal", "  - id: Won-Per-Deal", ":6: metrics[1].id: 'Won-Per-Deal' is not a metric id"),
        ("file: followers.csv", "file: missing.csv", ":5: metrics[0].csv.file: file not found:"),
        ("aggregate: last", "aggregate: max", ":5: metrics[0].csv.aggregate:"),
        ("    metric: followers\n", "    metric: follower\n",
         ":21: kpis[0].metric: unknown metric 'follower' (did you mean 'followers'?)"),
        ("kpis: [followers_x2]", "kpis: [followers_x3]",
         ":27: measures[0].kpis[0]: unknown KPI 'followers_x3' (did you mean 'followers_x2'?)"),
        ("end: 2026-11-08", "end: 2026-10-01", ":27: measures[0].end: end 2026-10-01 is before start 2026-10-12"),
    ],
)
def test_mistakes_in_metrics_and_measures_name_file_line_and_field(
    tmp_path: Path, old: str, new: str, says: str,
) -> None:
    assert old in HEAD
    path = _targets(tmp_path, HEAD.replace(old, new))
    issues = issue_lines(path)
    assert any(i.startswith(f"{path}{says}") for i in issues), issues


def test_targets_check_exits_2_on_an_unknown_denominator(tmp_path: Path) -> None:
    path = _targets(tmp_path, HEAD.replace("denominator: deals}", "denominator: deal}"))
    result = run_cli("targets", "check", str(path), home=tmp_path / "home", cwd=tmp_path)
    assert result.returncode == 2
    assert f"{path}:9: metrics[1].ratio.denominator: unknown metric 'deal'" in result.stderr


def test_a_measures_log_in_its_own_file_is_checked_at_that_files_lines(tmp_path: Path) -> None:
    log = tmp_path / "measures.yaml"
    log.write_text("measures:\n  - {id: a, name: A, start: 2026-10-01, kpis: [followers_x2]}\n"
                   "  - {id: b, name: B, start: 2026-10-05, kpis: [nope]}\n", encoding="utf-8")
    head = HEAD.split("measures:")[0] + "measures: measures.yaml\n"
    issues = issue_lines(_targets(tmp_path, head))
    assert issues == [f"{log}:3: measures[1].kpis[0]: unknown KPI 'nope'; KPIs in the targets file: followers_x2"]
    log.write_text("measures:\n  - {id: a, name: A, start: 2026-10-01, kpis: [followers_x2]}\n", encoding="utf-8")
    assert [m.id for m in load_targets(tmp_path / "kpi_targets.yaml").measures] == ["a"]


# the CSVs ---------------------------------------------------------------------------------


def _problems(path: Path, column: str = "followers") -> list[str]:
    with pytest.raises(CustomCsvError) as caught:
        read_metric_csv(path, column, "followers", "demo")
    return caught.value.problems


def test_an_excel_shift_jis_csv_is_read_as_is(tmp_path: Path) -> None:
    path = tmp_path / "followers.csv"
    path.write_bytes("日付メモ,date,フォロワー\nあ,2026-10-01,\"1,200\"\nい,2026-10-02,1250\n".encode("cp932"))
    frame = read_metric_csv(path, "フォロワー", "followers", "demo")
    assert frame["value"].tolist() == [1200.0, 1250.0]
    assert frame["date"].tolist() == [date(2026, 10, 1), date(2026, 10, 2)]
    assert set(frame["metric_id"]) == {"followers"}


def test_bytes_that_are_neither_utf8_nor_shift_jis_say_where_and_how_to_save(tmp_path: Path) -> None:
    path = tmp_path / "followers.csv"
    path.write_bytes(b"date,followers\n2026-10-01,1\n2026-10-02,\x80\xff\n")
    [problem] = _problems(path)
    assert problem.startswith(f"{path}:3: neither UTF-8 nor Shift_JIS")
    assert "CSV UTF-8" in problem


def test_bad_rows_are_all_reported_with_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "followers.csv"
    path.write_text("date,followers\n2026-10-01,abc\n2026/10/02,5\n2026-10-01,7\n2026-10-04,\n", encoding="utf-8")
    assert _problems(path) == [
        f"{path}:2: followers: 'abc' is not a number (digits only, e.g. 1200 or 1,200)",
        f"{path}:3: date: '2026/10/02' is not a date (expected YYYY-MM-DD)",
        f"{path}:4: date: 2026-10-01 already appears on line 2",
        f"{path}:5: followers: is empty (leave the day out instead)",
    ]


def test_a_missing_column_names_what_the_header_has(tmp_path: Path) -> None:
    path = tmp_path / "followers.csv"
    path.write_text("date,follower\n2026-10-01,1\n", encoding="utf-8")
    assert _problems(path) == [f"{path}:1: missing column followers (the header must have: "
                               "date,followers; it has: date,follower)"]


# the verdict on a measure -----------------------------------------------------------------


def test_a_change_within_twice_the_noise_is_within_noise_not_an_effect() -> None:
    assert judge(0.019, 0.01, Direction.HIGHER) == Verdict.NOISE
    assert judge(0.021, 0.01, Direction.HIGHER) == Verdict.IMPROVED
    assert judge(-0.021, 0.01, Direction.LOWER) == Verdict.IMPROVED  # bounce rate down is better
    assert judge(-0.021, 0.01, Direction.HIGHER) == Verdict.WORSENED
    assert judge(5.0, None, Direction.HIGHER) == Verdict.UNKNOWN


def test_the_after_window_starts_with_the_first_full_week_of_the_measure() -> None:
    assert first_full_week(date(2026, 11, 2)) == date(2026, 11, 2)  # a Monday
    assert first_full_week(date(2026, 11, 4)) == date(2026, 11, 9)


# docs/targets.md ---------------------------------------------------------------------------


def test_the_whitepapers_kpi_examples_in_the_docs_are_a_valid_targets_file(tmp_path: Path) -> None:
    guide = (DOCS / "targets.md").read_text(encoding="utf-8")
    section = guide.split("## The whitepaper's KPI examples", 1)[1]
    block = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "followers.csv").write_text("date,followers\n2027-03-31,5000\n", encoding="utf-8")
    path = tmp_path / "kpi_targets.yaml"
    path.write_text(block, encoding="utf-8")
    targets = load_targets(path)
    goals = {k.name: (k.metric_id, k.target.multiplier) for k in targets.kpis}
    assert goals == {
        "1年で成約率を1.3倍に": ("close_rate", 1.3),
        "半年でCTRを1.5倍に": ("ctr", 1.5),
        "3か月でTwitterのフォロワー数を2倍に": ("followers", 2.0),
    }
    result = run_cli("targets", "check", str(path), home=tmp_path / "home", cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_targets_check_reads_the_csvs_and_names_the_bad_cell(tmp_path: Path) -> None:
    path = _targets(tmp_path)
    (tmp_path / "followers.csv").write_text("date,followers\n2026-10-01,1000\n2026-10-02,12o0\n", encoding="utf-8")
    result = run_cli("targets", "check", str(path), home=tmp_path / "home", cwd=tmp_path)
    assert result.returncode == 2
    assert f"{tmp_path / 'followers.csv'}:3: followers: '12o0' is not a number" in result.stderr


def test_a_file_loaded_again_in_the_same_process_follows_every_edit_of_it_and_the_files_it_names(
    tmp_path: Path,
) -> None:
    """A run reads each site's targets file many times and keeps the parsed file while nothing
    it depends on changed; an edit of the file, of its measures log or a CSV that went missing
    is seen by the next read, as without the keeping."""
    log = tmp_path / "measures.yaml"
    log.write_text("measures:\n  - {id: a, name: A, start: 2026-10-01, kpis: [followers_x2]}\n",
                   encoding="utf-8")
    path = _targets(tmp_path, HEAD.split("measures:")[0] + "measures: measures.yaml\n")
    first = load_targets(path)
    assert load_targets(path) is first  # unchanged: kept
    log.write_text("measures:\n  - {id: b, name: B, start: 2026-10-05, kpis: [followers_x2]}\n",
                   encoding="utf-8")
    assert [m.id for m in load_targets(path).measures] == ["b"]
    path.write_text(path.read_text(encoding="utf-8").replace("Xフォロワー数", "X followers"),
                    encoding="utf-8")
    assert load_targets(path).metrics[0].name_ja == "X followers"
    assert metric("followers").name("ja") == "X followers"  # registered for the report
    (tmp_path / "followers.csv").unlink()
    assert any("followers.csv" in issue for issue in issue_lines(path))
