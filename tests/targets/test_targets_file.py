"""The targets file: a valid file loads with defaults filled in; every mistake names file, line, field."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from helpers.paths import FIXTURES

from kpi_pipeline.catalog import Phase
from kpi_pipeline.config.settings import EXAMPLE_TARGETS
from kpi_pipeline.targets import (
    Measure,
    Pacing,
    TargetIssue,
    TargetsError,
    Tolerances,
    load_targets,
    timezone_mismatch,
)

TARGET_FIXTURES = FIXTURES / "targets"


def issues_of(name: str) -> list[tuple[int | None, str, str]]:
    with pytest.raises(TargetsError) as caught:
        load_targets(TARGET_FIXTURES / name)
    return [(i.line, i.field, i.message) for i in caught.value.issues]


def test_the_bundled_example_loads_with_the_whitepaper_goals() -> None:
    targets = load_targets(EXAMPLE_TARGETS)
    assert [k.name for k in targets.kgis] == [
        "3か月で成約数を1.5倍に", "1年で受注100件", "半年でSNS経由のセッション数を3倍に",
    ]
    names = {k.name for k in targets.kpis}
    assert {"2ヶ月でセッション数を1.25倍に", "3か月でCVRを1.2倍に", "直帰率を45%以下に"} <= names
    assert {k.metric_id for k in targets.kpis_of("social_sessions_x3")} == {"followers"}


def test_the_example_has_running_expired_and_lower_is_better_goals_for_week_47_of_2026() -> None:
    targets = load_targets(EXAMPLE_TARGETS)
    week_end = date(2026, 11, 22)
    running = [g for g in targets.goals if g.start <= week_end < g.deadline]
    expired = [g for g in targets.goals if g.deadline < week_end]
    assert len(running) >= 5 and expired
    assert any(g.direction == "lower" for g in targets.kpis)
    for goal in targets.goals:
        if goal.baseline is not None and goal.baseline.window is not None:
            assert date(2024, 11, 25) <= goal.baseline.window[0] and goal.baseline.window[1] < goal.start


def test_defaults_are_filled_from_the_catalogue_and_the_file() -> None:
    targets = load_targets(EXAMPLE_TARGETS)
    fy = targets.kgi("orders_fy2026")
    assert fy.measure is Measure.CUMULATIVE  # absolute count on an additive metric
    assert targets.kgi("orders_x150").measure is Measure.WEEKLY  # a multiplier target
    cvr = next(k for k in targets.kpis if k.id == "cvr_x120")
    assert cvr.phase is Phase.REVENUE and cvr.pacing is Pacing.LINEAR
    assert (cvr.start, cvr.deadline) == (date(2026, 10, 1), date(2026, 12, 31))  # from period: growth
    assert cvr.tolerances == Tolerances(0.10, 0.25)
    bounce = next(k for k in targets.kpis if k.id == "bounce_rate_45")
    assert bounce.target.value == pytest.approx(0.45)  # written "45%"
    assert bounce.tolerances == Tolerances(0.10, 0.25)
    assert cvr.judgement.weeks is None and cvr.judgement.retire_after_weeks == 4


def test_a_minimal_file_loads() -> None:
    targets = load_targets(TARGET_FIXTURES / "valid_minimal.yaml")
    assert (len(targets.kgis), len(targets.kpis)) == (1, 1)
    assert targets.timezone == "Asia/Tokyo"


@pytest.mark.parametrize(
    ("fixture", "line", "field", "words"),
    [
        ("bad_syntax.yaml", 7, "", "YAML syntax error"),
        ("missing_field.yaml", 9, "kpis[0].metric", "missing required field"),
        ("wrong_type.yaml", 16, "kpis[0].target.multiplier", "valid number"),
        ("bad_date.yaml", 14, "kpis[0].deadline", "YYYY-MM-DD"),
        ("impossible_date.yaml", 13, "kpis[0].start", "no such date: 2026-02-30 (day is out of range for month)"),
        ("deadline_before_start.yaml", 14, "kpis[0].deadline", "deadline 2027-03-01 is before start 2027-04-01"),
        ("unknown_metric.yaml", 12, "kpis[0].metric", "did you mean 'sessions'"),
        ("unknown_kgi.yaml", 11, "kpis[0].kgi", "unknown KGI 'orders_fy2027'"),
        ("duplicate_id.yaml", 17, "kpis[1].id", "duplicate id 'sessions_x125'"),
        ("funnel_unknown_stage.yaml", 10, "kgis[0].funnel[1].stage", "unknown funnel stage 'meetings'"),
        ("funnel_out_of_order.yaml", 10, "kgis[0].funnel[1].stage", "out of order"),
        ("funnel_rate_out_of_range.yaml", 10, "kgis[0].funnel[1].rate", "must be in (0, 1]"),
        ("target_both.yaml", 7, "kgis[0].target", "value and multiplier given"),
        ("target_neither.yaml", 7, "kgis[0].target", "none given"),
        ("multiplier_without_baseline.yaml", 8, "kgis[0].target.multiplier", "needs a baseline"),
        ("unknown_field.yaml", 14, "kpis[0].deadlin", "did you mean 'deadline'"),
        ("unknown_period.yaml", 8, "kgis[0].period", "unknown period 'grwoth'"),
        ("rate_target_as_percent_number.yaml", 15, "kpis[0].target.value", "write 0.45 or 45%"),
    ],
)
def test_each_mistake_names_file_line_and_field(fixture: str, line: int, field: str, words: str) -> None:
    with pytest.raises(TargetsError) as caught:
        load_targets(TARGET_FIXTURES / fixture)
    issue = caught.value.issues[0]
    assert (issue.line, issue.field) == (line, field)
    assert words in issue.message
    prefix = f"{TARGET_FIXTURES / fixture}:{line}: " + (f"{field}: " if field else "")
    assert str(caught.value).splitlines()[0].startswith(prefix)


def test_unknown_metric_lists_the_known_ids() -> None:
    [(_, _, message)] = issues_of("unknown_metric.yaml")
    assert "known: sessions, page_views, bounce_rate" in message and "orders" in message


def test_all_mistakes_are_reported_not_only_the_first() -> None:
    found = issues_of("many_mistakes.yaml")
    assert [(line, field) for line, field, _ in found] == [
        (16, "kpis[0].target.multiplier"),
        (24, "kpis[1].target.multiplier"),
        (28, "kpis[2].metric"),
        (30, "kpis[2].deadline"),
    ]


def test_the_error_text_is_one_line_per_issue() -> None:
    with pytest.raises(TargetsError) as caught:
        load_targets(TARGET_FIXTURES / "many_mistakes.yaml")
    assert len(str(caught.value).splitlines()) == len(caught.value.issues) == 4


def test_a_missing_file_is_reported_without_a_line(tmp_path: Path) -> None:
    with pytest.raises(TargetsError, match="file not found"):
        load_targets(tmp_path / "kpi_targets.yaml")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kpi_targets.yaml"
    path.write_text(text, encoding="utf-8")
    return path


KGI = """\
timezone: Asia/Tokyo
kgis:
  - id: orders_fy
    name: 1年で受注100件
    metric: orders
    period: {start: 2026-04-01, end: 2027-03-31}
    target: {value: 100}
"""


def test_cumulative_on_a_ratio_metric_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, KGI + """\
kpis:
  - {id: cvr, name: CVR, kgi: orders_fy, metric: cvr, start: 2026-10-01, deadline: 2026-12-31,
     target: {value: 0.03}, measure: cumulative}
""")
    with pytest.raises(TargetsError, match=r"kpi_targets.yaml:10: kpis\[0\].measure: cumulative needs an additive"):
        load_targets(path)


def test_a_baseline_window_overlapping_the_period_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, KGI + """\
kpis:
  - id: s
    name: セッション
    kgi: orders_fy
    metric: sessions
    start: 2026-10-01
    deadline: 2026-12-31
    baseline: {from: 2026-09-01, to: 2026-10-15}
    target: {multiplier: 1.1}
""")
    with pytest.raises(TargetsError, match=r":15: kpis\[0\].baseline.to: the baseline window must end before"):
        load_targets(path)


def test_a_funnel_on_a_non_funnel_kgi_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, """\
kgis:
  - id: s
    name: セッション
    metric: sessions
    period: {start: 2026-04-01, end: 2027-03-31}
    target: {value: 100000}
    funnel: [{stage: leads, rate: 0.1}]
""")
    with pytest.raises(TargetsError, match=r":4: kgis\[0\].metric: a funnel needs a KGI on a funnel stage"):
        load_targets(path)


def test_measured_funnel_rates_and_per_kpi_tolerances_are_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, KGI + """\
    funnel:
      - {stage: deals, rate: measured}
      - {stage: leads, rate: 2%}
kpis:
  - {id: s, name: s, kgi: orders_fy, metric: sessions, start: 2026-10-01, deadline: 2026-12-31,
     baseline: {value: 1000}, target: {multiplier: 1.1}, tolerances: {at_risk: 0.3}}
""")
    targets = load_targets(path)
    assert [(s.stage, s.rate) for s in targets.kgis[0].funnel] == [("deals", None), ("leads", 0.02)]
    assert targets.kpis[0].tolerances == Tolerances(on_track=0.10, at_risk=0.3)


def test_a_file_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TargetsError, match=r"kpi_targets.yaml:1: the file must be a mapping"):
        load_targets(write(tmp_path, "- just\n- a list\n"))


def test_an_impossible_date_in_a_flow_mapping_names_its_field(tmp_path: Path) -> None:
    path = write(tmp_path, KGI.replace("end: 2027-03-31", "end: 2027-02-29"))
    [(line, field, message)] = [(i.line, i.field, i.message) for i in _issues(path)]
    assert (line, field) == (6, "kgis[0].period.end")
    assert message == "no such date: 2027-02-29 (day is out of range for month)"


def test_impossible_dates_are_all_reported_together_with_other_mistakes(tmp_path: Path) -> None:
    path = write(tmp_path, KGI + """\
kpis:
  - {id: s, name: s, kgi: orders_fy, metric: sessions, start: 2026-13-01, deadline: 2026-12-31,
     baseline: {from: 2026-09-01, to: 2026-09-31}, target: {multiplier: 1.1}}
  - {id: t, name: t, kgi: orders_fy, metric: sesions, start: 2026-10-01, deadline: 2026-12-31,
     target: {value: 1}}
""")
    found = [(i.line, i.field, i.message) for i in _issues(path)]
    assert found == [
        (9, "kpis[0].start", "no such date: 2026-13-01 (month must be in 1..12)"),
        (10, "kpis[0].baseline.to", "no such date: 2026-09-31 (day is out of range for month)"),
        (11, "kpis[1].metric", found[2][2]),
    ]
    assert "did you mean 'sessions'" in found[2][2]


def test_a_value_yaml_cannot_build_is_reported_at_its_line_not_as_a_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, KGI.replace("target: {value: 100}", "target: {value: !!int lots}"))
    [issue] = _issues(path)
    assert (issue.line, issue.field) == (7, "")
    assert issue.message.startswith("cannot read 'lots' as int")


def _issues(path: Path) -> list[TargetIssue]:
    with pytest.raises(TargetsError) as caught:
        load_targets(path)
    return caught.value.issues


@pytest.mark.parametrize("written", [".inf", "-.inf", ".nan", ".NaN", "1e999", "inf%"])
def test_non_finite_numbers_are_refused_in_every_numeric_field(tmp_path: Path, written: str) -> None:
    path = write(tmp_path, f"""\
timezone: Asia/Tokyo
kgis:
  - id: orders_fy
    name: 1年で受注100件
    metric: orders
    period: {{start: 2026-04-01, end: 2027-03-31}}
    target: {{value: {written}}}
    funnel: [{{stage: deals, rate: {written}}}]
kpis:
  - {{id: s, name: s, kgi: orders_fy, metric: sessions, start: 2026-10-01, deadline: 2026-12-31,
     baseline: {{value: {written}}}, target: {{multiplier: 1.1}}}}
  - {{id: t, name: t, kgi: orders_fy, metric: sessions, start: 2026-10-01, deadline: 2026-12-31,
     baseline: {{value: 1000}}, target: {{multiplier: {written}}}}}
  - {{id: u, name: u, kgi: orders_fy, metric: sessions, start: 2026-10-01, deadline: 2026-12-31,
     target: {{value: 1000}}, tolerances: {{at_risk: {written}}}}}
""")
    found = [(i.line, i.field, i.message) for i in _issues(path)]
    assert [(line, field) for line, field, _ in found] == [
        (7, "kgis[0].target.value"),
        (8, "kgis[0].funnel[0].rate"),
        (11, "kpis[0].baseline.value"),
        (13, "kpis[1].target.multiplier"),
        (15, "kpis[2].tolerances.at_risk"),
    ]
    assert all("finite number" in message and ".inf and .nan are not allowed" in message
               for _, _, message in found)
    [top] = _issues(write(tmp_path, f"tolerances: {{on_track: {written}}}\n" + KGI))
    assert (top.line, top.field) == (1, "tolerances.on_track") and "finite number" in top.message


def test_a_file_without_timezone_has_none_and_never_mismatches(tmp_path: Path) -> None:
    targets = load_targets(write(tmp_path, KGI.removeprefix("timezone: Asia/Tokyo\n")))
    assert (targets.timezone, targets.timezone_line) == (None, None)
    assert timezone_mismatch(targets, "UTC") is None


def test_the_files_timezone_is_only_checked_against_kpi_timezone(tmp_path: Path) -> None:
    path = write(tmp_path, "# targets\n" + KGI.replace("Asia/Tokyo", "Europe/Paris"))
    targets = load_targets(path)
    assert (targets.timezone, targets.timezone_line) == ("Europe/Paris", 2)
    assert timezone_mismatch(targets, "Europe/Paris") is None
    warning = timezone_mismatch(targets, "Asia/Tokyo")
    assert warning is not None
    assert warning.startswith(f"{path}:2: timezone: ")
    assert "Europe/Paris" in warning and "KPI_TIMEZONE is Asia/Tokyo" in warning
    assert "days and weeks follow KPI_TIMEZONE" in warning


def test_site_is_accepted_as_information_only(tmp_path: Path) -> None:
    targets = load_targets(write(tmp_path, "site: コーポレートサイト\n" + KGI))
    assert targets.site == "コーポレートサイト"


# --- goal kinds, judgement windows, replacements, tolerances in the unit of the goal ----------

KEEP = """\
kgis:
  - id: orders_fy
    name: 1年で受注100件
    metric: orders
    period: {start: 2026-04-01, end: 2027-03-31}
    target: {value: 100}
kpis:
"""


def test_keep_goals_judge_windows_and_replacements_load(tmp_path: Path) -> None:
    path = write(tmp_path, KEEP + """\
  - {id: bounce_cap, name: 直帰率を50%以下に保つ, kgi: orders_fy, metric: bounce_rate,
     start: 2026-10-01, deadline: 2026-12-31, target: {at_most: 50%}}
  - {id: s_old, name: 旧, kgi: orders_fy, metric: sessions, start: 2026-10-01, deadline: 2026-12-31,
     baseline: {value: 1000}, target: {multiplier: 1.2}, replaced_by: s_new, judge: {weeks: 2},
     retire_after_weeks: 1}
  - {id: s_new, name: 新, kgi: orders_fy, metric: sessions, start: 2026-11-16, deadline: 2026-12-31,
     baseline: {value: 1100}, target: {multiplier: 1.3}}
""")
    cap, old, _ = load_targets(path).kpis
    assert cap.target.at_most == pytest.approx(0.5) and cap.target.line == pytest.approx(0.5)
    assert cap.measure is Measure.WEEKLY and cap.baseline is None
    assert (old.judgement.weeks, old.judgement.retire_after_weeks, old.judgement.replaced_by) == (2, 1, "s_new")


@pytest.mark.parametrize(
    ("tolerances", "field", "words"),
    [
        ("{on_track: 0.98}", "kpis[0].tolerances.on_track",
         "0.98 looks like an old pace ratio (actual ÷ expected); tolerances are now how far progress may lag "
         "the expected progress, as a share of the planned change: write e.g. {on_track: 0.1, at_risk: 0.25}"),
        ("{on_track: 0.2, at_risk: 0.1}", "kpis[0].tolerances.at_risk", "must not be below on_track 0.2"),
    ],
)
def test_old_pace_ratio_tolerances_are_refused_with_what_to_write(
    tmp_path: Path, tolerances: str, field: str, words: str,
) -> None:
    path = write(tmp_path, KEEP + f"""\
  - {{id: s, name: s, kgi: orders_fy, metric: sessions, start: 2026-10-01, deadline: 2026-12-31,
     baseline: {{value: 1000}}, target: {{multiplier: 1.1}}, tolerances: {tolerances}}}
""")
    with pytest.raises(TargetsError) as caught:
        load_targets(path)
    issue = caught.value.issues[0]
    assert (issue.line, issue.field) == (9, field) and words in issue.message


@pytest.mark.parametrize(
    ("extra", "field", "words"),
    [
        ("target: {at_most: 50, value: 40}", "kpis[0].target", "value and at_most given"),
        ("target: {at_most: 50}, measure: cumulative", "kpis[0].measure", "held week by week"),
        ("target: {value: 100}, replaced_by: nope", "kpis[0].replaced_by", "unknown KPI 'nope'"),
        ("target: {value: 100}, measure: cumulative, judge: {weeks: 4}", "kpis[0].judge", "judged on its total"),
    ],
)
def test_goal_kind_and_judgement_mistakes_name_their_field(
    tmp_path: Path, extra: str, field: str, words: str,
) -> None:
    path = write(tmp_path, KEEP + f"""\
  - {{id: s, name: s, kgi: orders_fy, metric: sessions, start: 2026-10-01, deadline: 2026-12-31, {extra}}}
""")
    with pytest.raises(TargetsError) as caught:
        load_targets(path)
    assert [(i.field, words in i.message) for i in caught.value.issues] == [(field, True)]


def test_chance_thresholds_come_from_the_goal_then_the_file_then_the_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, "chance: {on_track: 80%}\n" + KEEP + """\
  - {id: own, name: own, kgi: orders_fy, metric: sessions, start: 2026-10-01, deadline: 2026-12-31,
     baseline: {value: 1000}, target: {multiplier: 1.1}, chance: {off_track: 20%}}
  - {id: filewide, name: filewide, kgi: orders_fy, metric: sessions, start: 2026-10-01,
     deadline: 2026-12-31, baseline: {value: 1000}, target: {multiplier: 1.1}}
""")
    own, filewide = load_targets(path).kpis
    assert (own.chances.on_track, own.chances.off_track) == (pytest.approx(0.8), pytest.approx(0.2))
    assert (filewide.chances.on_track, filewide.chances.off_track) == (pytest.approx(0.8), pytest.approx(0.3))


def test_a_chance_for_off_track_not_below_on_track_is_refused_at_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, KEEP + """\
  - {id: s, name: s, kgi: orders_fy, metric: sessions, start: 2026-10-01, deadline: 2026-12-31,
     baseline: {value: 1000}, target: {multiplier: 1.1}, chance: {on_track: 50%, off_track: 60%}}
""")
    with pytest.raises(TargetsError) as caught:
        load_targets(path)
    issue = caught.value.issues[0]
    assert (issue.line, issue.field) == (9, "kpis[0].chance.off_track")
    assert "off_track 60% must be below on_track 50%" in issue.message
