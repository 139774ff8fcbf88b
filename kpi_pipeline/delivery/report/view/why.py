"""The report's Check and Act beyond the numbers: which drivers moved each goal behind pace, what
to do about them and about the funnel's bottleneck, and which changes are big enough to headline.

Reads what ``mart.goal_drivers`` and ``mart.funnel_plan`` stored and words it in the report's
language. GA4 values (channel, landing page, campaign) go into sentences as plain text; the HTML
template escapes them like any other value.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from kpi_pipeline.catalog import (
    CHANNEL_MEASURES,
    DRIVER_MEASURES,
    GOAL_MEASURES,
    METRICS_BY_ID,
    PHASE_MEASURES,
    STEPS,
    STEPS_BY_ID,
    Phase,
    Unit,
    goal_measures,
    ratio_sides,
)
from kpi_pipeline.delivery.report.model import (
    FunnelStage,
    GoalDriver,
    PhaseMetric,
    ProgressItem,
    ReportData,
)
from kpi_pipeline.delivery.report.view.caveats import touched
from kpi_pipeline.delivery.wording.formatting import Formatter
from kpi_pipeline.delivery.wording.messages import translator

# A count must reach this many in this week or the last to be the week's headline change: from
# one or two orders, −50 % is noise. Money counts by the orders it is made of, a ratio by its
# smaller side (see volume()).
VOLUME_FLOOR = 30
VOLUME_OF: dict[str, str] = {"revenue": "orders"}
SENTENCE_DRIVERS = 2  # drivers named per goal
KIND_ORDER: tuple[str, ...] = ("factor", "channel", "campaign", "landing_page")
# What a goal's why explains: the gap the status judged. A weekly goal against its baseline; a
# running total over its period so far, against its plan (a KGI with a funnel), else the pace
# of its baseline; the previous week only when nothing else can be split.
COMPARISON_ORDER: tuple[str, ...] = ("baseline", "previous_week")
CUMULATIVE_ORDER: tuple[str, ...] = ("plan", "baseline", "previous_week")


def volume(metric_id: str, metrics: dict[str, PhaseMetric]) -> float | None:
    """How many events a change of ``metric_id`` stands on (None: no floor applies).

    A count stands on itself, money on the orders it is made of, a ratio of two metrics
    (成約率, ROAS …) on the smaller volume of its two sides: ROAS −60 % from two orders is noise
    as much as 売上 −46 % is."""
    m = METRICS_BY_ID.get(metric_id)
    if m is None:
        return None
    if m.numerator is not None and m.denominator is not None:
        sides = [v for v in (volume(m.numerator, metrics), volume(m.denominator, metrics)) if v is not None]
        return min(sides) if sides else None
    source = VOLUME_OF.get(metric_id, metric_id)
    if METRICS_BY_ID[source].unit is not Unit.COUNT:
        return None
    row = metrics.get(source)
    values = [v for v in ((row.value, row.prev_week_value) if row else ()) if v is not None]
    return max(values) if values else 0.0


def above_volume_floor(metrics: tuple[PhaseMetric, ...]) -> list[PhaseMetric]:
    """The metrics whose week-on-week change may be the headline."""
    by_id = {pm.metric_id: pm for pm in metrics}
    return [pm for pm in metrics if (v := volume(pm.metric_id, by_id)) is None or v >= VOLUME_FLOOR]


class Why:
    """Driver sentences, Act hints and bottleneck reasons for one report in one language."""

    def __init__(self, data: ReportData, lang: str) -> None:
        self.data = data
        self.lang = lang
        self.t: Callable[..., str] = translator(lang)
        self.f = Formatter(lang)

    # names and numbers ---------------------------------------------------------------------
    def driver_name(self, driver: str) -> str:
        if driver in STEPS_BY_ID:
            return STEPS_BY_ID[driver].name(self.lang)
        if driver in METRICS_BY_ID:
            return METRICS_BY_ID[driver].name(self.lang)
        return driver  # a GA4 value, as GA4 reported it

    def driver_value(self, driver: str, value: float) -> str:
        if driver in STEPS_BY_ID:
            step = STEPS_BY_ID[driver]
            rate = METRICS_BY_ID[step.numerator].unit is Unit.COUNT and step.id != "leads_per_conversion"
            return self.f.rate(value) if rate else self.f.number(value, 2)
        return self.f.metric(driver, value) if driver in METRICS_BY_ID else self.f.count(value)

    def amount(self, metric_id: str, value: float) -> str:
        """A change of the goal's metric without its sign: a rate's in points (−25.0pt)."""
        m = METRICS_BY_ID.get(metric_id)
        if m is not None and m.unit is Unit.RATE:
            return self.f.points(value)
        return self.f.metric(metric_id, abs(value))

    def signed(self, metric_id: str, value: float) -> str:
        """+1,200 / −25.0pt; ±0 for a change that rounds to nothing (never 「−0」)."""
        if not self.visible(metric_id, value):
            return "±" + self.amount(metric_id, 0.0)
        sign = "+" if value >= 0 else "−"
        return sign + self.amount(metric_id, value)

    def visible(self, metric_id: str, value: float) -> bool:
        """Does the change show as more than nothing once rounded (not 「−0」)?"""
        return self.amount(metric_id, value) != self.amount(metric_id, 0.0)

    def measures(self, names: list[str]) -> str:
        return self.t("measure_sep").join(names)

    # the Check: one sentence per goal behind pace --------------------------------------------
    def split(self, item: ProgressItem) -> list[GoalDriver]:
        """The drivers that explain ``item``'s gap best, largest first: factors before channels;
        against the plan or the baseline (see :data:`CUMULATIVE_ORDER`); the first split with
        a driver that shows once rounded (a split of 「−0」s explains nothing)."""
        rows = [d for d in self.data.drivers if d.item_id == item.item_id]
        for comparison in CUMULATIVE_ORDER if item.cumulative else COMPARISON_ORDER:
            for kind in KIND_ORDER:
                found = [d for d in rows if d.comparison == comparison and d.kind == kind]
                if any(self.visible(item.metric_id, d.contribution) for d in found):
                    return sorted(found, key=lambda d: -abs(d.contribution))
        return []

    def is_worse(self, item: ProgressItem, change: float) -> bool:
        return change > 0 if item.direction == "lower" else change < 0

    def check_sentence(self, item: ProgressItem) -> str | None:
        """「セッション数：前週比 −2,000（…）。減少の80%はOrganic Search（−1,600）」; drivers that
        round to nothing are never named."""
        split = [d for d in self.split(item) if self.visible(item.metric_id, d.contribution)]
        if not split:
            return None
        head = split[0]
        change = head.value_to - head.value_from
        worse = [d for d in split if self.is_worse(item, d.contribution)]
        named = (worse or split)[:SENTENCE_DRIVERS]
        drivers = self.t("list_sep").join(self.driver_phrase(item.metric_id, d) for d in named)
        share = math.fsum(d.contribution for d in named) / change if change else None
        fell = self.visible(item.metric_id, change) and self.is_worse(item, change)
        if worse and fell and head.kind != "factor" and share and share <= 1:
            direction = self.t("direction_down" if change < 0 else "direction_up")
            reason = self.t("drivers_share", direction=direction, share=self.f.percent(share, 0),
                            drivers=drivers)
        elif worse and not fell:
            reason = self.t("drivers_against", drivers=drivers)
        else:
            reason = self.t("drivers_main", drivers=drivers)
        key = "check_sentence"
        if item.cumulative and head.comparison in ("plan", "baseline"):
            key = f"check_sentence_{head.comparison}_total"  # the gap since the start
        return self.t(
            key, name=item.name, comparison=self.comparison(item, head.comparison),
            change=self.signed(item.metric_id, change),
            value_from=self.f.metric(item.metric_id, head.value_from),
            value_to=self.f.metric(item.metric_id, head.value_to), reason=reason,
        )

    def comparison(self, item: ProgressItem, comparison: str) -> str:
        """「基準値比」, or 「基準値比（直近8週の平均）」 when the status judged a window of weeks
        (the drivers against the baseline read the same weeks)."""
        weeks = item.judged_weeks or 1
        if comparison == "baseline" and weeks > 1 and not item.cumulative:
            return self.t("comparison_baseline_weeks", weeks=weeks)
        return self.t(f"comparison_{comparison}")

    def driver_phrase(self, metric_id: str, d: GoalDriver) -> str:
        contribution = self.signed(metric_id, d.contribution)
        if d.kind == "factor":
            return self.t("driver_factor", name=self.driver_name(d.driver),
                          before=self.driver_value(d.driver, d.driver_from),
                          after=self.driver_value(d.driver, d.driver_to), contribution=contribution)
        return self.t("driver_segment", name=d.driver, contribution=contribution)

    def checks(self, items: tuple[ProgressItem, ...]) -> tuple[str, ...]:
        out = [self.check_sentence(i) for i in items if i.is_behind]
        return tuple(s for s in out if s)

    # the Act: measures that follow the drivers and the bottleneck ---------------------------
    def driver_measures(self, item: ProgressItem, d: GoalDriver) -> list[str]:
        """What works on driver ``d`` of ``item``: a rate goal's own step whichever of its two
        sides moved it (more leads behind flat appointments is still an アポ率 matter: nurturing,
        not EFO); a factor's or a channel's measures otherwise."""
        if ratio_sides(item.metric_id) is not None:
            return goal_measures(item.metric_id, self.lang)
        if d.kind == "factor":
            if d.driver in DRIVER_MEASURES:
                return DRIVER_MEASURES[d.driver][self.lang]
            metric = METRICS_BY_ID.get(d.driver)
            return PHASE_MEASURES[metric.phase][self.lang] if metric else []
        if d.kind == "channel":
            return CHANNEL_MEASURES.get(d.driver, {}).get(self.lang, [])
        return DRIVER_MEASURES.get(d.kind, {}).get(self.lang, [])

    def hints(self, items: tuple[ProgressItem, ...]) -> tuple[str, ...]:
        out = []
        for item in items:
            if not item.is_behind:
                continue
            worse = [d for d in self.split(item) if self.is_worse(item, d.contribution)
                     and self.visible(item.metric_id, d.contribution) and self.driver_measures(item, d)]
            if worse:
                d = worse[0]
                out.append(self.t("hint_driver", name=item.name, driver=self.driver_name(d.driver),
                                  measures=self.measures(self.driver_measures(item, d))))
        for stages in self.funnels().values():
            hint = self.bottleneck_hint(stages)
            if hint:
                out.append(hint)
        out += [self.raise_hint(i) for i in items if self.met_early(i)]
        return tuple(dict.fromkeys(out))

    def met_early(self, item: ProgressItem) -> bool:
        """A reach goal already past its target before its deadline (a weekly one by more than
        its noise, and not on an unusual week): time to raise the target rather than coast."""
        if item.is_keep or item.retired or item.progress is None or item.progress < 1:
            return False
        if not (item.is_running or item.status == "achieved") or item.deadline <= self.data.week_end:
            return False
        if touched(item.metric_id, self.data.anomalies):
            return False
        if item.cumulative or item.noise is None or item.actual is None or item.target is None:
            return True
        return abs(item.actual - item.target) > item.noise

    def raise_hint(self, item: ProgressItem) -> str:
        return self.t("hint_raise_target", name=item.name, progress=self.f.percent(item.progress, 0),
                      date=self.f.date(item.deadline))

    def funnels(self) -> dict[str, list[FunnelStage]]:
        """The funnels still to work on: a KGI whose period is over has no bottleneck to act on."""
        over = {i.item_id for i in self.data.items if i.kind == "kgi" and i.deadline <= self.data.week_end}
        groups: dict[str, list[FunnelStage]] = {}
        for s in self.data.funnel:
            if s.kgi_id not in over and s.remaining_weeks > 0:
                groups.setdefault(s.kgi_id, []).append(s)
        return groups

    def bottleneck_hint(self, stages: list[FunnelStage]) -> str | None:
        stage = next((s for s in stages if s.is_bottleneck), None)
        reason = self.bottleneck_reason(stage, stages) if stage else None
        if stage is None or reason is None:
            return None
        key = "leads" if stage.bottleneck_reason == "volume_at_top" else GOAL_MEASURES.get(stage.stage)
        names = DRIVER_MEASURES.get(key or "", {}).get(self.lang) or PHASE_MEASURES[Phase.ACQUISITION][self.lang]
        return self.t("hint_bottleneck", stage=self.stage_name(stage.stage), reason=reason,
                      measures=self.measures(names))

    def stage_name(self, stage: str) -> str:
        try:
            return self.t(f"stage_{stage}")
        except KeyError:
            return self.driver_name(stage)

    def bottleneck_reason(self, stage: FunnelStage, stages: list[FunnelStage]) -> str | None:
        """One line saying why ``stage`` is the bottleneck, from the stored reason code."""
        if stage.bottleneck_reason == "volume_at_top":
            return self.t("reason_volume_at_top", stage=self.stage_name(stage.stage),
                          actual=self.f.count(stage.actual_to_date),
                          needed=self.f.count(stage.required_to_date))
        if stage.bottleneck_reason != "rate_below_plan":
            return None
        above = next((s for s in stages if s.stage_order == stage.stage_order + 1), None)
        if above is None:
            return None
        step = next((s for s in STEPS if (s.denominator, s.numerator) == (above.stage, stage.stage)), None)
        return self.t("reason_rate_below_plan", rate=step.name(self.lang) if step else "",
                      planned=self.f.percent(above.rate_to_next, 0),
                      actual=self.f.percent(above.actual_rate, 1),
                      above=self.stage_name(above.stage), stage=self.stage_name(stage.stage))

    def phase_measures(self, phase: Phase | None, behind: list[ProgressItem]) -> tuple[str, ...]:
        """The measures for the goals behind in a phase, each by its own metric
        (:func:`kpi_pipeline.catalog.goal_measures`): a funnel stage or rate (アポ率, 商談化率, 成約率)
        gets the sales side's instead of LPO, the others the phase's usual measures; never empty."""
        names: list[str] = []
        for item in behind:
            key = GOAL_MEASURES.get(item.metric_id)
            if key is not None:
                names += DRIVER_MEASURES[key][self.lang]
            elif phase is not None:  # the goal's own phase (a KPI may set another than its metric's)
                names += PHASE_MEASURES[phase][self.lang]
            else:
                names += goal_measures(item.metric_id, self.lang)
        return tuple(dict.fromkeys(names))
