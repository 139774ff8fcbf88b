"""What the templates print: the report view, plain frozen dataclasses of display text."""

from __future__ import annotations

from dataclasses import dataclass

from kpi_pipeline.delivery.report.view.shared import TREND_WEEKS
from kpi_pipeline.delivery.wording.formatting import DASH


@dataclass(frozen=True)
class ItemView:
    kind: str
    kind_label: str
    name: str
    metric_name: str
    phase_name: str
    status: str
    status_label: str
    baseline: str
    target: str
    expected: str
    actual: str
    progress: str
    progress_bar: int  # 0..100, width of the bar
    forecast: str
    chance: str  # 達成確率 N% (running goals with a chance)
    need: str  # 残り17週で週2.4件必要（直近8週は週1.7件） (running totals)
    aside: str  # one line beside the status where space is short: chance and why (chat, archive)
    deadline: str
    period: str
    cumulative: bool
    chart: str
    note: str | None
    # how the status was judged (issue 11): 基準値 → 目標, progress against the pace, remarks
    plan: str = ""
    expected_progress: str = DASH
    standing: str = ""  # 進捗 54%（この時点の期待 50%） or, for keep goals, the period and weeks held
    judgement: str = ""  # why the status: 誤差の範囲ですが、このペースでは達成確率 35% / 目標と逆方向
    remarks: tuple[str, ...] = ()
    caveat: str = ""  # 今週は異常値の影響: the status holds an unusual week


@dataclass(frozen=True)
class StatusCount:
    status: str
    label: str
    count: int


@dataclass(frozen=True)
class MetricRowView:
    metric_id: str
    name: str
    value: str
    prev: str
    wow: str
    wow_class: str  # good | bad | flat
    last_year: str
    yoy: str
    yoy_class: str


@dataclass(frozen=True)
class PhaseView:
    phase: str
    label: str  # "Acquisition 新規ユーザー獲得"
    rows: tuple[MetricRowView, ...]
    chart: str | None
    behind: int


@dataclass(frozen=True)
class StageView:
    stage: str
    name: str
    rate: str
    required_total: str
    required_to_date: str
    actual_to_date: str
    attainment: str
    needed: str
    is_bottleneck: bool
    actual_rate: str = DASH
    remaining_need: str = DASH
    observed_need: str = DASH  # still needed if the actual rates so far stay as they are
    line: str = ""  # every figure of the stage, labelled (the text e-mail)


@dataclass(frozen=True)
class FunnelView:
    kgi_id: str
    kgi_name: str
    headline: str
    stages: tuple[StageView, ...]
    chart: str
    reason: str | None = None  # why the bottleneck is where it is
    observed: str | None = None  # the top stage's need at the actual rates, beside the planned one


@dataclass(frozen=True)
class ActionView:
    phase: str
    label: str
    kpis: tuple[str, ...]
    drivers: tuple[str, ...]
    measures: tuple[str, ...]


@dataclass(frozen=True)
class DoCheckView:
    """「行動（Do）の確認」 of one planned measure: planned vs done and its KPIs, the Act."""

    measure_id: str
    line: str  # SEO記事の公開: 1/2本（未達）・KPI 2ヶ月でセッション数を1.25倍に: 要注意
    acts: tuple[str, ...]  # what the quadrant calls for (one per KPI when they differ)
    effects: tuple[str, ...] = ()  # before/after its start (mart.measure_effects)


@dataclass(frozen=True)
class ReportView:
    lang: str
    title: str
    site: str
    iso_week: str
    period: str
    generated: str
    kgis: tuple[ItemView, ...]
    kpis: tuple[ItemView, ...]
    counts: tuple[StatusCount, ...]
    biggest_change: str | None
    anomalies: tuple[str, ...]
    attention: tuple[str, ...]
    phases: tuple[PhaseView, ...]
    funnels: tuple[FunnelView, ...]
    actions: tuple[ActionView, ...]
    notes: tuple[str, ...]
    subject: str
    trend_weeks: int = TREND_WEEKS
    checks: tuple[str, ...] = ()  # one sentence per goal behind pace: its top drivers
    hints: tuple[str, ...] = ()  # measures that follow the drivers and the funnel bottleneck
    ended: tuple[str, ...] = ()  # 終了した目標: one short line per retired goal
    measures_running: tuple[str, ...] = ()  # 実施中の施策 (measures log) with their effects
    measures_ended: tuple[str, ...] = ()  # 終了した施策
    do_checks: tuple[DoCheckView, ...] = ()  # 行動（Do）の確認: planned measures, before the hints
