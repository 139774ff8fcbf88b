"""What a weekly check report shows, as plain frozen dataclasses.

``load_report_data`` fills a :class:`ReportData` from the marts; rendering reads nothing else.
Tests and other callers can build one by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from kpi_pipeline.calendar import iso_week_label
from kpi_pipeline.catalog import PHASE_NAMES, Phase

STATUSES: tuple[str, ...] = (
    "on_track", "at_risk", "off_track", "achieved", "missed", "revised", "not_started", "no_data",
)
BEHIND_STATUSES: frozenset[str] = frozenset({"at_risk", "off_track"})
RUNNING_STATUSES: frozenset[str] = BEHIND_STATUSES | {"on_track"}
PHASE_ORDER: dict[str, int] = {p.value: i for i, p in enumerate(PHASE_NAMES, start=1)}


@dataclass(frozen=True)
class PacePoint:
    """One past week of a KPI: where the pace said it should be, and where it was."""

    week_start: date
    expected: float | None
    actual: float | None


@dataclass(frozen=True)
class ProgressItem:
    """A KGI or KPI in the report week (one row of ``mart.kpi_progress``) and its history."""

    kind: str  # "kgi" or "kpi"
    item_id: str
    name: str
    metric_id: str
    phase: str
    status: str
    target: float | None  # None: a multiplier target without a baseline to multiply yet
    start_date: date
    deadline: date
    kgi_id: str | None = None
    direction: str = "higher"
    pacing: str = "linear"
    cumulative: bool = False
    baseline: float | None = None
    expected: float | None = None
    actual: float | None = None
    elapsed_share: float = 0.0
    progress: float | None = None
    pace_ratio: float | None = None
    forecast: float | None = None
    forecast_low: float | None = None
    forecast_high: float | None = None
    verdict: str | None = None
    provisional_days: int = 0
    note: str | None = None
    history: tuple[PacePoint, ...] = ()
    # how the status was judged (issue 11): see mart.kpi_progress's column comments
    goal_kind: str = "reach"
    expected_progress: float | None = None
    noise: float | None = None
    judgement: str | None = None
    judged_weeks: int | None = None
    retired: bool = False
    p_reach: float | None = None  # the chance of reaching the target by the deadline
    needed_per_week: float | None = None  # cumulative goals: what each remaining week must add
    recent_per_week: float | None = None  # cumulative goals: the last 8 weeks' rate

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING_STATUSES

    @property
    def is_behind(self) -> bool:
        return self.status in BEHIND_STATUSES and not self.retired

    @property
    def is_keep(self) -> bool:
        """A ceiling, floor or maintained level (no pace line towards a new level)."""
        return self.goal_kind in ("at_most", "at_least", "maintain")


@dataclass(frozen=True)
class PhaseMetric:
    """A metric in the report week beside last week and last year (``mart.aarrr_weekly``).

    ``*_pct`` are relative changes (every unit but rate), ``*_pt`` differences in points (rates);
    the mart fills at most one of each pair, so :attr:`wow_change` / :attr:`yoy_change` give
    whichever applies and the formatter shows it by the metric's unit.
    """

    metric_id: str
    phase: str
    value: float | None
    prev_week_value: float | None = None
    last_year_value: float | None = None
    wow_change_pct: float | None = None
    wow_change_pt: float | None = None
    yoy_change_pct: float | None = None
    yoy_change_pt: float | None = None

    @property
    def wow_change(self) -> float | None:
        return self.wow_change_pt if self.wow_change_pt is not None else self.wow_change_pct

    @property
    def yoy_change(self) -> float | None:
        return self.yoy_change_pt if self.yoy_change_pt is not None else self.yoy_change_pct


@dataclass(frozen=True)
class WeeklyValue:
    """One point of a metric's weekly trend (``mart.metrics_weekly``)."""

    week_start: date
    metric_id: str
    value: float | None


@dataclass(frozen=True)
class FunnelStage:
    """One stage of a KGI's reverse funnel in the report week (``mart.funnel_plan``)."""

    kgi_id: str
    stage: str
    stage_order: int
    required_total: float
    required_to_date: float
    actual_to_date: float
    rate_to_next: float | None = None
    attainment: float | None = None
    is_bottleneck: bool = False
    remaining_weeks: float = 0.0
    needed_per_week: float = 0.0
    actual_rate: float | None = None
    remaining_need: float | None = None  # chained through the planned rates (mart.funnel_plan)
    bottleneck_reason: str | None = None  # rate_below_plan | volume_at_top
    observed_need: float | None = None  # chained through the actual rates so far (mart.funnel_plan)
    observed_need_per_week: float | None = None
    was_bottleneck: bool | None = None  # the previous week's bottleneck (None: no previous week)

    @property
    def remaining_needed(self) -> float:
        """How many more are needed over the rest of the period (the chained need when stored)."""
        if self.remaining_need is not None:
            return self.remaining_need
        return max(self.required_total - self.actual_to_date, 0.0)


@dataclass(frozen=True)
class GoalDriver:
    """One driver of a goal's change in the report week (``mart.goal_drivers``)."""

    item_id: str
    comparison: str  # previous_week | baseline
    kind: str  # factor | channel | landing_page | campaign
    driver: str  # a metric or step id for factors, else a GA4 value (untrusted text)
    value_from: float
    value_to: float
    contribution: float
    driver_from: float
    driver_to: float


@dataclass(frozen=True)
class Anomaly:
    """A metric far from its recent history this week (``mart.metric_anomalies``)."""

    metric_id: str
    value: float
    median: float
    robust_z: float
    kind: str  # "spike" or "drop"


@dataclass(frozen=True)
class LoadFlags:
    """A source load touching the report week, with the data-quality flags it reported."""

    source: str
    asset: str
    date_from: date
    date_to: date
    sampled: bool = False
    thresholded: bool = False
    data_loss_from_other_row: bool = False

    @property
    def flagged(self) -> bool:
        return self.sampled or self.thresholded or self.data_loss_from_other_row


@dataclass(frozen=True)
class MeasureEffect:
    """A measure of the log (施策ログ) and one KPI it names (a row of ``mart.measure_effects``)."""

    measure_id: str
    measure_name: str
    kpi_id: str
    metric_id: str
    measure_start: date
    measure_end: date | None
    before_value: float | None
    after_value: float | None
    change: float | None
    noise: float | None
    verdict: str
    expected_value: float | None = None  # what the trend before the start predicted for after
    effect: float | None = None  # after_value − expected_value
    effect_limit: float | None = None  # half-width of the 95 % prediction interval of effect
    control_site: str | None = None  # the other site used as a control, if any


@dataclass(frozen=True)
class ChangedDay:
    """A day of an earlier week that a load covering the report week changed
    (``meta.changed_days``, net of repeated changes): the export corrected or filled it in."""

    asset: str  # raw.crm_daily or raw.custom_daily
    date: date
    field: str  # a CRM column (a metric id) or a custom metric id
    change: str  # revised or added
    old_value: float | None
    new_value: float


@dataclass(frozen=True)
class GoalGap:
    """Days missing from a raw table inside a goal's period, up to the report week's end
    (``sql/checks/goal_missing_days.sql``, the ``goal_days_loaded`` check)."""

    item_id: str
    name: str
    source_table: str
    custom_metrics: str | None  # the custom metric ids missing, for raw.custom_daily
    missing_dates: tuple[date, ...]


@dataclass(frozen=True)
class DoCheck:
    """A planned measure and one KPI it names in the report week (a row of ``mart.do_check``):
    planned and done since its start, and the quadrant the Do and the KPI's status make."""

    measure_id: str
    measure_name: str
    kpi_id: str
    planned: float
    done: float
    unit: str
    do_met: bool
    kpi_status: str | None
    quadrant: str | None


@dataclass(frozen=True)
class ReportData:
    """Everything one site's weekly check report shows."""

    site_id: str
    week_start: date
    items: tuple[ProgressItem, ...]
    phase_metrics: tuple[PhaseMetric, ...] = ()
    trend: tuple[WeeklyValue, ...] = ()
    funnel: tuple[FunnelStage, ...] = ()
    anomalies: tuple[Anomaly, ...] = ()
    previous_anomalies: tuple[Anomaly, ...] = ()  # the week before's: a change from it is one too
    drivers: tuple[GoalDriver, ...] = ()
    loads: tuple[LoadFlags, ...] = ()
    provisional_dates: tuple[date, ...] = ()
    provisional_days: int = 0
    missing_days: int = 0
    site_label: str | None = None
    generated_at: datetime | None = None  # aware, in the reporting time zone (load_report_data)
    measures: tuple[MeasureEffect, ...] = ()  # the measures log against its KPIs, this week
    do_checks: tuple[DoCheck, ...] = ()  # planned measures: was the Do done, and the KPI?
    changed_days: tuple[ChangedDay, ...] = ()  # earlier days a corrected export changed
    goal_gaps: tuple[GoalGap, ...] = ()  # days missing inside goals' periods

    @property
    def iso_week(self) -> str:
        return iso_week_label(self.week_start)

    @property
    def week_end(self) -> date:
        return self.week_start + timedelta(days=6)

    @property
    def site_name(self) -> str:
        return self.site_label or self.site_id

    @property
    def kgis(self) -> tuple[ProgressItem, ...]:
        """KGIs still reported in full (not retired)."""
        return tuple(i for i in self.items if i.kind == "kgi" and not i.retired)

    @property
    def kpis(self) -> tuple[ProgressItem, ...]:
        """KPIs still reported in full (not retired)."""
        return tuple(i for i in self.items if i.kind == "kpi" and not i.retired)

    @property
    def ended(self) -> tuple[ProgressItem, ...]:
        """Goals that ended (or were superseded) weeks ago: the short 「終了した目標」 list."""
        return tuple(i for i in self.items if i.retired)

    def status_counts(self) -> dict[str, int]:
        """KPIs per status (KGIs are reported on their own), every status present."""
        counts = dict.fromkeys(STATUSES, 0)
        for item in self.kpis:
            counts[item.status] = counts.get(item.status, 0) + 1
        return counts


def phase_key(phase: str) -> int:
    """Sort key in AARRR order; unknown phases last."""
    return PHASE_ORDER.get(phase, len(PHASE_ORDER) + 1)


def known_phase(phase: str) -> Phase | None:
    try:
        return Phase(phase)
    except ValueError:
        return None
