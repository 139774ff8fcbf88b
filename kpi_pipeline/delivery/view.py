"""From :class:`ReportData` to display text in one language: what the templates print.

All judgement the report makes lives here (the biggest change, which phases need action, the
"what it takes" line of the reverse funnel, the data notes), so templates stay plain loops.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from kpi_pipeline.catalog import METRICS, METRICS_BY_ID, PHASE_NAMES, Direction
from kpi_pipeline.delivery.formatting import DASH, Formatter
from kpi_pipeline.delivery.measures_view import measure_lines
from kpi_pipeline.delivery.messages import translator
from kpi_pipeline.delivery.model import (
    STATUSES,
    FunnelStage,
    PhaseMetric,
    ProgressItem,
    ReportData,
    known_phase,
    phase_key,
)
from kpi_pipeline.delivery.note_text import split_notes
from kpi_pipeline.delivery.why import Why, above_volume_floor
from kpi_pipeline.partitions import TIMEZONE as REPORT_TIMEZONE

TREND_WEEKS = 12
ALWAYS_COUNTED = ("on_track", "at_risk", "off_track")
MAX_TREND_PANELS = 4
# The whitepaper's "metrics to watch" per phase (DESIGN.md §3), drawn in the phase trend.
WATCH_METRICS: dict[str, tuple[str, ...]] = {
    "acquisition": ("sessions", "page_views", "bounce_rate"),
    "activation": ("avg_engagement_time", "pages_per_session", "exit_rate", "event_count"),
    "retention": ("repeat_rate", "returning_users"),
    "referral": ("share_events", "campaign_session_share"),
    "revenue": ("key_page_views", "cvr"),
}
_CATALOG_ORDER = {m.id: i for i, m in enumerate(METRICS)}


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
    verdict: str
    deadline: str
    period: str
    cumulative: bool
    chart: str
    note: str | None
    # how the status was judged (issue 11): 基準値 → 目標, progress against the pace, remarks
    plan: str = ""
    expected_progress: str = DASH
    standing: str = ""  # 進捗 54%（この時点の期待 50%） or, for keep goals, the period and weeks held
    judgement: str = ""  # 誤差の範囲 / 目標と逆方向, beside the status label
    remarks: tuple[str, ...] = ()


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
    line: str = ""  # every figure of the stage, labelled (the text e-mail)


@dataclass(frozen=True)
class FunnelView:
    kgi_id: str
    kgi_name: str
    headline: str
    stages: tuple[StageView, ...]
    chart: str
    reason: str | None = None  # why the bottleneck is where it is


@dataclass(frozen=True)
class ActionView:
    phase: str
    label: str
    kpis: tuple[str, ...]
    drivers: tuple[str, ...]
    measures: tuple[str, ...]


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


def metric_name(metric_id: str, lang: str) -> str:
    m = METRICS_BY_ID.get(metric_id)
    return m.name(lang) if m else metric_id


def phase_label(phase: str, lang: str) -> str:
    p = known_phase(phase)
    if p is None:
        return phase
    names = PHASE_NAMES[p]
    return f"{names['en']} {names['ja']}" if lang == "ja" else names["en"]


def item_chart_name(index: int, item: ProgressItem) -> str:
    return f"{item.kind}-{index + 1:02d}"


def funnel_chart_name(index: int) -> str:
    return f"funnel-{index + 1:02d}"


def phase_chart_name(phase: str) -> str:
    return f"phase-{phase}"


def trend_metrics(data: ReportData, phase: str) -> list[str]:
    """Metrics drawn in a phase's trend: those to watch, then the phase's KPI metrics."""
    present = {v.metric_id for v in data.trend if v.value is not None}
    wanted = list(WATCH_METRICS.get(phase, ()))
    wanted += [i.metric_id for i in data.kpis if i.phase == phase]
    wanted += [m.id for m in METRICS if m.phase.value == phase]
    return [m for m in dict.fromkeys(wanted) if m in present][:MAX_TREND_PANELS]


def ordered_items(data: ReportData) -> tuple[ProgressItem, ...]:
    """KGIs first, then KPIs in AARRR order (stable within a phase)."""
    kgis = list(data.kgis)
    kpis = sorted(data.kpis, key=lambda i: phase_key(i.phase))
    return tuple(kgis + kpis)


def funnel_groups(data: ReportData) -> list[tuple[str, list[FunnelStage]]]:
    """Stages per KGI, top of the funnel (leads) first."""
    groups: dict[str, list[FunnelStage]] = {}
    for stage in data.funnel:
        groups.setdefault(stage.kgi_id, []).append(stage)
    return [(k, sorted(v, key=lambda s: -s.stage_order)) for k, v in groups.items()]


def _relative_change(pm: PhaseMetric) -> float | None:
    if pm.value is None or pm.prev_week_value in (None, 0):
        return None
    return pm.value / pm.prev_week_value - 1


def _wow(pm: PhaseMetric) -> float | None:
    """The mart's change (points for rates), or computed the same way if absent."""
    if pm.wow_change is not None:
        return pm.wow_change
    if pm.value is None or pm.prev_week_value is None:
        return None
    m = METRICS_BY_ID.get(pm.metric_id)
    if m is not None and m.unit.value == "rate":
        return pm.value - pm.prev_week_value
    return _relative_change(pm)


def _is_better(metric_id: str, change: float) -> bool:
    m = METRICS_BY_ID.get(metric_id)
    lower = m is not None and m.direction is Direction.LOWER
    return change < 0 if lower else change > 0


def _change_class(metric_id: str, change: float | None) -> str:
    if change is None or abs(change) < 1e-9:
        return "flat"
    return "good" if _is_better(metric_id, change) else "bad"


def biggest_change(data: ReportData) -> PhaseMetric | None:
    """The metric that moved most since last week, by relative size, among those with volume
    enough for the change to mean something (:data:`kpi_pipeline.delivery.why.VOLUME_FLOOR`)."""
    candidates = above_volume_floor(data.phase_metrics)
    ranked = [(abs(r), pm) for pm in candidates if (r := _relative_change(pm)) is not None]
    if not ranked:
        return None
    return max(ranked, key=lambda x: (x[0], -_CATALOG_ORDER.get(x[1].metric_id, 99)))[1]


def worsened_metrics(data: ReportData, phase: str) -> list[PhaseMetric]:
    """Metrics of ``phase`` that got worse since last week, worst first."""
    out = [
        pm for pm in data.phase_metrics
        if pm.phase == phase and (c := _wow(pm)) is not None and c != 0
        and not _is_better(pm.metric_id, c)
    ]
    return sorted(out, key=lambda pm: -abs(_relative_change(pm) or 0.0))


class _Builder:
    def __init__(self, data: ReportData, lang: str, charts: bool) -> None:
        self.data = data
        self.lang = lang
        self.t: Callable[..., str] = translator(lang)
        self.f = Formatter(lang)
        self.charts = charts
        self.why = Why(data, lang)

    def status_label(self, status: str) -> str:
        key = f"status_{status}"
        try:
            return self.t(key)
        except KeyError:
            return status

    def item(self, index: int, item: ProgressItem) -> ItemView:
        f, m = self.f, item.metric_id
        forecast = DASH
        if item.forecast is not None:
            forecast = f.metric(m, item.forecast)
            if item.forecast_low is not None and item.forecast_high is not None:
                low, high = f.metric(m, item.forecast_low), f.metric(m, item.forecast_high)
                forecast += f.paren(f.span(low, high))
        verdict = self.t(f"verdict_{item.verdict}") if item.verdict in (
            "will_reach", "may_reach", "will_miss") else (item.verdict or "")
        bar = 0 if item.progress is None else max(0, min(100, round(item.progress * 100)))
        return ItemView(
            kind=item.kind,
            kind_label=self.t(f"kind_{item.kind}") if item.kind in ("kgi", "kpi") else item.kind,
            name=item.name,
            metric_name=metric_name(m, self.lang),
            phase_name=phase_label(item.phase, self.lang),
            status=item.status if item.status in STATUSES else "unknown",
            status_label=self.status_label(item.status),
            baseline=f.metric(m, item.baseline),
            target=f.metric(m, item.target),
            expected=f.metric(m, item.expected),
            actual=f.metric(m, item.actual),
            progress=f.percent(item.progress, 0),
            progress_bar=bar,
            forecast=forecast,
            verdict=verdict,
            deadline=f.date(item.deadline),
            period=f.span(f.date(item.start_date), f.date(item.deadline)),
            cumulative=item.cumulative,
            chart=item_chart_name(index, item) if self.charts else "",
            note=" / ".join(split_notes(item.note, self.t, self.lang)[1]) or None,
            **self.judged(item),
        )

    def judged(self, item: ProgressItem) -> dict[str, object]:
        """The ItemView fields that explain the status: plan, standing, judgement, remarks."""
        f, m, t = self.f, item.metric_id, self.t
        kind = item.goal_kind if item.goal_kind in ("at_most", "at_least", "maintain") else "reach"
        plan = t(f"plan_{kind}", baseline=f.metric(m, item.baseline), target=f.metric(m, item.target))
        if item.is_keep:
            weeks = self.weeks_held(item)
            standing = t("keep_progress", actual=f.metric(m, item.actual), held=weeks)
        else:
            standing = t("progress_vs_expected", progress=f.percent(item.progress, 0),
                         expected=f.percent(item.expected_progress, 0))
        judgement = ""
        if item.judgement in ("within_noise", "moved_away"):
            judgement = t(f"judgement_{item.judgement}")
        return {
            "plan": plan, "expected_progress": f.percent(item.expected_progress, 0),
            "standing": standing, "judgement": judgement,
            "remarks": split_notes(item.note, t, self.lang)[1],
        }

    def weeks_held(self, item: ProgressItem) -> str:
        """``7/8週`` from the share held and the weeks judged (the share alone if unknown)."""
        if item.progress is None:
            return DASH
        if item.judged_weeks:
            return self.t("weeks_held", held=round(item.progress * item.judged_weeks), weeks=item.judged_weeks)
        return self.f.percent(item.progress, 0)

    def ended(self) -> tuple[str, ...]:
        """「終了した目標」: one line per goal retired from the full report."""
        return tuple(
            self.t("ended_line", name=i.name, status=self.status_label(i.status), date=self.f.date(i.deadline))
            for i in self.data.ended
        )

    def counts(self) -> tuple[StatusCount, ...]:
        counts = self.data.status_counts()
        return tuple(
            StatusCount(s, self.status_label(s), n)
            for s, n in counts.items() if s in ALWAYS_COUNTED or n > 0
        )

    def change_text(self) -> str | None:
        pm = biggest_change(self.data)
        if pm is None:
            return None
        change = _wow(pm)
        word = self.t("improved") if change is not None and _is_better(pm.metric_id, change) \
            else self.t("worsened")
        return self.t(
            "change_sentence",
            metric=metric_name(pm.metric_id, self.lang),
            change=self.f.change(pm.metric_id, change),
            word=word,
            prev=self.f.metric(pm.metric_id, pm.prev_week_value),
            value=self.f.metric(pm.metric_id, pm.value),
        )

    def anomalies(self) -> tuple[str, ...]:
        out = []
        for a in sorted(self.data.anomalies, key=lambda a: -abs(a.robust_z)):
            kind = self.t("anomaly_spike") if a.kind == "spike" else self.t("anomaly_drop")
            out.append(self.t(
                "anomaly_sentence", metric=metric_name(a.metric_id, self.lang),
                value=self.f.metric(a.metric_id, a.value),
                median=self.f.metric(a.metric_id, a.median), kind=kind,
            ))
        return tuple(out)

    def phases(self, items: tuple[ProgressItem, ...]) -> tuple[PhaseView, ...]:
        by_phase: dict[str, list[PhaseMetric]] = {}
        for pm in self.data.phase_metrics:
            by_phase.setdefault(pm.phase, []).append(pm)
        out = []
        for phase in sorted(by_phase, key=phase_key):
            rows = tuple(
                self.metric_row(pm)
                for pm in sorted(by_phase[phase], key=lambda p: _CATALOG_ORDER.get(p.metric_id, 99))
            )
            has_trend = bool(trend_metrics(self.data, phase))
            behind = sum(1 for i in items if i.kind == "kpi" and i.phase == phase and i.is_behind)
            out.append(PhaseView(
                phase=phase,
                label=phase_label(phase, self.lang),
                rows=rows,
                chart=phase_chart_name(phase) if (self.charts and has_trend) else None,
                behind=behind,
            ))
        return tuple(out)

    def metric_row(self, pm: PhaseMetric) -> MetricRowView:
        f, m = self.f, pm.metric_id
        wow = _wow(pm)
        return MetricRowView(
            metric_id=m,
            name=metric_name(m, self.lang),
            value=f.metric(m, pm.value),
            prev=f.metric(m, pm.prev_week_value),
            wow=f.change(m, wow),
            wow_class=_change_class(m, wow),
            last_year=f.metric(m, pm.last_year_value),
            yoy=f.change(m, pm.yoy_change),
            yoy_class=_change_class(m, pm.yoy_change),
        )

    def stage_name(self, stage: str) -> str:
        try:
            return self.t(f"stage_{stage}")
        except KeyError:
            return metric_name(stage, self.lang)

    def funnels(self) -> tuple[FunnelView, ...]:
        names = {i.item_id: i.name for i in self.data.kgis}
        f, unit = self.f, self.t("unit_count")
        out = []
        for index, (kgi_id, stages) in enumerate(funnel_groups(self.data)):
            views = tuple(
                StageView(
                    stage=s.stage,
                    name=metric_name(s.stage, self.lang),
                    rate=f.percent(s.rate_to_next, 0),
                    required_total=f.count(s.required_total),
                    required_to_date=f.count(s.required_to_date),
                    actual_to_date=f.count(s.actual_to_date),
                    attainment=f.percent(s.attainment, 0),
                    needed=self.t("per_week", n=f.count(s.needed_per_week), unit=unit),
                    is_bottleneck=s.is_bottleneck,
                    actual_rate=f.percent(s.actual_rate, 1),
                    remaining_need=f.count(s.remaining_needed),
                    line=self.stage_line(s),
                )
                for s in stages
            )
            focus = next((s for s in stages if s.is_bottleneck), stages[-1])
            out.append(FunnelView(
                kgi_id=kgi_id,
                kgi_name=names.get(kgi_id, kgi_id),
                headline=self.what_it_takes(focus),
                stages=views,
                chart=funnel_chart_name(index) if self.charts else "",
                reason=self.why.bottleneck_reason(focus, stages) if focus.is_bottleneck else None,
            ))
        return tuple(out)

    def stage_line(self, s: FunnelStage) -> str:
        f = self.f
        return self.t(
            "funnel_stage_line" if s.rate_to_next is not None else "funnel_stage_line_kgi", stage=self.stage_name(s.stage), planned=f.percent(s.rate_to_next, 0),
            actual_rate=f.percent(s.actual_rate, 1), needed=f.count(s.required_to_date),
            actual=f.count(s.actual_to_date), remaining=f.count(s.remaining_needed),
            per_week=f.count(s.needed_per_week),
        )

    def what_it_takes(self, s: FunnelStage) -> str:
        """残り12週で商談+38件が必要（週3.2件）."""
        if s.remaining_needed <= 0:
            return self.t("funnel_done", stage=self.stage_name(s.stage))
        return self.t(
            "what_it_takes",
            weeks=self.f.number(s.remaining_weeks, 0),
            stage=self.stage_name(s.stage),
            count=self.f.count(s.remaining_needed),
            per_week=self.f.count(s.needed_per_week),
            unit=self.t("unit_count"),
        )

    def actions(self, items: tuple[ProgressItem, ...]) -> tuple[ActionView, ...]:
        behind: dict[str, list[ProgressItem]] = {}
        for i in items:
            if i.kind == "kpi" and i.is_behind:
                behind.setdefault(i.phase, []).append(i)
        by_id = {pm.metric_id: pm for pm in self.data.phase_metrics}
        out = []
        for phase in sorted(behind, key=phase_key):
            kpis = tuple(self.pace_sentence(i) for i in behind[phase])
            drivers: list[PhaseMetric] = []
            for i in behind[phase]:  # the KPIs' own metrics first, then what got worse
                pm = by_id.get(i.metric_id)
                if pm is not None and pm not in drivers:
                    drivers.append(pm)
            for pm in worsened_metrics(self.data, phase):
                if pm not in drivers:
                    drivers.append(pm)
            measures = self.why.phase_measures(known_phase(phase), behind[phase])
            out.append(ActionView(
                phase=phase,
                label=phase_label(phase, self.lang),
                kpis=kpis,
                drivers=tuple(self.driver_sentence(pm) for pm in drivers[:5]),
                measures=measures,
            ))
        return tuple(out)

    def pace_sentence(self, i: ProgressItem) -> str:
        return self.t(
            "pace_sentence", name=i.name,
            actual=self.f.metric(i.metric_id, i.actual),
            expected=self.f.metric(i.metric_id, i.expected),
            pace=self.f.percent(i.pace_ratio, 0),
        ) + f" — {self.status_label(i.status)}"

    def driver_sentence(self, pm: PhaseMetric) -> str:
        return self.t(
            "driver_sentence", metric=metric_name(pm.metric_id, self.lang),
            value=self.f.metric(pm.metric_id, pm.value),
            change=self.f.change(pm.metric_id, _wow(pm)),
        )

    def attention(self, actions: tuple[ActionView, ...]) -> tuple[str, ...]:
        return tuple(a.label + self.f.paren(str(len(a.kpis))) for a in actions)

    def notes(self, items: tuple[ProgressItem, ...]) -> tuple[str, ...]:
        d, f, out = self.data, self.f, []
        if d.provisional_dates:
            out.append(self.t("note_provisional", dates=f.dates(d.provisional_dates)))
        elif d.provisional_days > 0:
            out.append(self.t("note_provisional_days", n=d.provisional_days))
        if d.missing_days > 0:
            out.append(self.t("note_missing_days", n=d.missing_days))
        for load in d.loads:
            values = {
                "source": load.source.upper() if load.source == "ga4" else load.source,
                "asset": load.asset,
                "date_from": f.short_date(load.date_from),
                "date_to": f.short_date(load.date_to),
            }
            if load.sampled:
                out.append(self.t("note_sampled", **values))
            if load.thresholded:
                out.append(self.t("note_thresholded", **values))
            if load.data_loss_from_other_row:
                out.append(self.t("note_other_row", **values))
        for i in items:  # data notes only; notes on the judgement stay beside the goal
            for text in split_notes(i.note, self.t, self.lang)[0]:
                out.append(self.t("note_item", name=i.name, note=text))
        return tuple(dict.fromkeys(out))  # drop repeats, keep order

    def subject(self) -> str:
        parts = [
            self.t("subject_count", label=c.label, n=c.count)
            for c in self.counts() if c.status != "not_started"
        ]
        counts = " / ".join(parts)
        text = self.t("subject", week=self.data.iso_week, counts=counts)
        return text + self.t("subject_site", site=self.data.site_name)


def build_view(data: ReportData, lang: str = "ja", *, charts: bool = True) -> ReportView:
    """Everything the templates print for ``data`` in ``lang``."""
    b = _Builder(data, lang, charts)
    items = ordered_items(data)
    views = [b.item(index, item) for index, item in enumerate(items)]
    actions = b.actions(items)
    # load_report_data sets it in the reporting time zone; hand-built data gets "now" there
    generated = data.generated_at or datetime.now(ZoneInfo(REPORT_TIMEZONE))
    running, ended_measures = measure_lines(data, lang)
    return ReportView(
        lang=lang,
        title=b.t("title"),
        site=data.site_name,
        iso_week=data.iso_week,
        period=b.f.period(data.week_start, data.week_end),
        generated=b.f.timestamp(generated),
        kgis=tuple(v for v in views if v.kind == "kgi"),
        kpis=tuple(v for v in views if v.kind == "kpi"),
        counts=b.counts(),
        biggest_change=b.change_text(),
        anomalies=b.anomalies(),
        attention=b.attention(actions),
        phases=b.phases(items),
        funnels=b.funnels(),
        actions=actions,
        notes=b.notes(items),
        subject=b.subject(),
        checks=b.why.checks(items),
        hints=b.why.hints(items),
        ended=b.ended(),
        measures_running=running,
        measures_ended=ended_measures,
    )
