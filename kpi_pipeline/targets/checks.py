"""Rules across fields and items of the targets file, each reported at the field it concerns.

Runs on items that passed :mod:`kpi_pipeline.targets.spec`; an item that failed there is
``None`` and skipped, so one bad item does not hide mistakes in the others.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kpi_pipeline.catalog import BUILTIN_BY_ID, FUNNEL_STAGES, Aggregation, Metric, Unit
from kpi_pipeline.targets.model import Chances, Measure, Tolerances
from kpi_pipeline.targets.spec import (
    BaselineSpec,
    ChanceSpec,
    FileSpec,
    KgiSpec,
    KpiSpec,
    PeriodSpec,
    TargetSpec,
    TolerancesSpec,
)

Path_ = tuple[str | int, ...]
Found = list[tuple[Path_, str]]

# The run computes paces, ratios and funnel totals from these numbers in floating point and
# stores counts as BIGINT: outside these bounds it would overflow (inf) or divide by ~0 (NaN).
SMALLEST = 1e-6
LARGEST = 1e15
MULTIPLIERS = (0.001, 1000.0)


def _amount(where: Path_, value: float | None, *, zero_ok: bool) -> Found:
    """A target or baseline number the pacing maths can use, else why not."""
    if value is None or (zero_ok and value == 0):
        return []
    if value < 0 or (value == 0 and not zero_ok):
        floor = "0 or more" if zero_ok else "above 0"
        return [(where, f"must be {floor}, not {value:g}: a pace cannot start or end there")]
    if value < SMALLEST:
        return [(where, f"{value:g} is too small to pace from (use 0 or at least {SMALLEST:g})")]
    if value > LARGEST:
        return [(where, f"{value:g} is too large: at most {LARGEST:,.0f}")]
    return []


def _suggest(word: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_file(
    head: FileSpec,
    periods: Sequence[PeriodSpec | None],
    kgis: Sequence[KgiSpec | None],
    kpis: Sequence[KpiSpec | None],
    known: Mapping[str, Metric] = BUILTIN_BY_ID,
) -> Found:
    """Every cross-field mistake in the file, as (field path, message); ``known``: the metrics
    goals may use (built-in and the file's own ``metrics:``)."""
    found: Found = []
    if head.timezone is not None:
        try:
            ZoneInfo(head.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            found.append((("timezone",), f"unknown time zone {head.timezone!r} (e.g. Asia/Tokyo)"))
    found += _tolerances(("tolerances",), head.tolerances, None)
    found += _chance(("chance",), head.chance, None)

    named: dict[str, PeriodSpec] = {}
    for i, period in enumerate(periods):
        if period is None:
            continue
        where: Path_ = ("periods", i)
        if period.id in named:
            found.append((where + ("id",), f"duplicate period id {period.id!r}"))
        named.setdefault(period.id, period)
        if period.end < period.start:
            found.append((where + ("end",), f"end {period.end} is before start {period.start}"))

    seen: dict[str, str] = {}
    kgi_ids = [k.id for k in kgis if k is not None]
    for kind, items in (("kgis", kgis), ("kpis", kpis)):
        for i, item in enumerate(items):
            if item is None:
                continue
            where = (kind, i)
            if item.id in seen:
                found.append((where + ("id",), f"duplicate id {item.id!r}: already used by {seen[item.id]}"))
            seen.setdefault(item.id, f"{kind}[{i}]")
            if isinstance(item, KgiSpec):
                found += _kgi(where, item, named, head.tolerances, known, head.chance)
            else:
                found += _kpi(where, item, named, kgi_ids, head.tolerances, known, head.chance)
    starts = {i.id: _start(i, named) for i in [*kgis, *kpis] if i is not None}
    found += check_replacements(kgis, kpis, starts)
    return found


def _start(item: KgiSpec | KpiSpec, named: dict[str, PeriodSpec]) -> date | None:
    period = item.period
    if isinstance(period, str):
        return named[period].start if period in named else None
    if period is not None:
        return period.start
    return item.start if isinstance(item, KpiSpec) else None


def _metric(where: Path_, metric_id: str, metrics: Mapping[str, Metric]) -> Found:
    if metric_id in metrics:
        return []
    known = list(metrics)
    return [(where + ("metric",), f"unknown metric {metric_id!r}{_suggest(metric_id, known)}; known: {', '.join(known)}")]


def _period_ref(where: Path_, name: str, named: dict[str, PeriodSpec]) -> Found:
    if name in named:
        return []
    known = ", ".join(named) or "none defined under periods"
    return [(where + ("period",), f"unknown period {name!r}{_suggest(name, list(named))}; periods: {known}")]


OLD_RATIO_FROM = 0.5  # a tolerance this large is an old pace ratio (0.98), not a shortfall


def _pick(key: str, own: object | None, base: object | None, default: object = Tolerances()) -> float:
    """``key`` of the goal's own spec, else of the file's, else of ``default``."""
    for spec in (own, base):
        value = getattr(spec, key) if spec is not None else None
        if value is not None:
            return float(value)
    return float(getattr(default, key))


def _tolerances(where: Path_, own: TolerancesSpec | None, base: TolerancesSpec | None) -> Found:
    """Tolerances are shortfalls of progress (0.1 = 10 points of the planned change behind the
    pace). Values of 0.5 or more are refused: they are the old pace ratios (``on_track: 0.98``),
    which meant the opposite and were relative to the level, not to the planned change."""
    found: Found = []
    for key in ("on_track", "at_risk"):
        value = getattr(own, key) if own is not None else None
        if value is not None and value >= OLD_RATIO_FROM:
            found.append((where + (key,), (
                f"{value:g} looks like an old pace ratio (actual ÷ expected); tolerances are now how far "
                f"progress may lag the expected progress, as a share of the planned change: write "
                f"e.g. {{on_track: 0.1, at_risk: 0.25}} (10 and 25 points behind); see docs/targets.md")))
    if found:
        return found
    on_track, at_risk = _pick("on_track", own, base), _pick("at_risk", own, base)
    if at_risk < on_track:
        return [(where + ("at_risk",), f"at_risk {at_risk:g} must not be below on_track {on_track:g} (both are how far behind the pace a goal may be)")]
    return []


def _chance(where: Path_, own: ChanceSpec | None, base: ChanceSpec | None) -> Found:
    """順調 needs a higher chance than 未達 is under (else no goal could be 要注意)."""
    picked = {key: _pick(key, own, base, Chances()) for key in ("on_track", "off_track")}
    if picked["off_track"] >= picked["on_track"]:
        return [(where + ("off_track",), (
            f"off_track {picked['off_track']:.0%} must be below on_track {picked['on_track']:.0%}: a goal is "
            f"未達 under the first chance, 順調 from the second, 要注意 between"))]
    return []


def _target_and_baseline(
    where: Path_, target: TargetSpec, baseline: BaselineSpec | None, metric_id: str,
    measure: Measure | None, start: date | None, known: Mapping[str, Metric],
) -> Found:
    found: Found = []
    given = [k for k in ("value", "multiplier", "at_most", "at_least") if getattr(target, k) is not None]
    if len(given) != 1:
        found.append((where + ("target",), (
            f"give exactly one of value, multiplier (reach), at_most or at_least (keep) "
            f"({' and '.join(given) if given else 'none'} given)")))
    elif target.multiplier is not None and baseline is None:
        found.append((where + ("target", "multiplier"), "a multiplier target needs a baseline ({from: …, to: …} or {value: …})"))
    found += _amount(where + ("target", "value"), target.value, zero_ok=False)
    for key in ("at_most", "at_least"):  # a ceiling or floor of 0 is a fair keep goal
        found += _amount(where + ("target", key), getattr(target, key), zero_ok=True)
    low, high = MULTIPLIERS
    if target.multiplier is not None and not low <= target.multiplier <= high:
        found.append((where + ("target", "multiplier"), f"{target.multiplier:g} is out of range: a multiplier is between {low:g} and {high:g}"))
    if baseline is not None:
        found += _amount(where + ("baseline", "value"), baseline.value, zero_ok=True)
        if baseline.value == 0 and target.multiplier is not None:
            found.append((where + ("target", "multiplier"), "a multiple of a baseline of 0 is 0: give target {value: N} instead"))
    metric_ = known.get(metric_id)
    for key in ("value", "at_most", "at_least"):
        number = getattr(target, key)
        if metric_ and metric_.unit is Unit.RATE and number is not None and not 0 <= number <= 1:
            found.append((where + ("target", key), f"{metric_id} is a rate: write 0.45 or 45% for 45 %, not {number:g}"))
    if measure is Measure.CUMULATIVE and (target.at_most is not None or target.at_least is not None):
        found.append((where + ("measure",), "a ceiling or floor (at_most / at_least) is held week by week: use measure weekly"))
    if metric_ and measure is Measure.CUMULATIVE and metric_.aggregation is not Aggregation.SUM:
        found.append((where + ("measure",), f"cumulative needs an additive metric (a count); {metric_id} is a {metric_.aggregation.value} metric: use weekly"))
    if baseline is not None:
        window = (baseline.from_, baseline.to)
        if baseline.value is not None and any(d is not None for d in window):
            found.append((where + ("baseline",), "give either value or from/to, not both"))
        elif baseline.value is None and None in window:
            missing = "to" if baseline.from_ is not None else "from" if baseline.to is not None else "value or from/to"
            found.append((where + ("baseline",), f"missing {missing}"))
        elif baseline.from_ is not None and baseline.to is not None:
            if baseline.to < baseline.from_:
                found.append((where + ("baseline", "to"), f"to {baseline.to} is before from {baseline.from_}"))
            elif start is not None and baseline.to >= start:
                found.append((where + ("baseline", "to"), f"the baseline window must end before the start {start} (to is {baseline.to})"))
    return found


def _kgi(
    where: Path_, kgi: KgiSpec, named: dict[str, PeriodSpec], base: TolerancesSpec,
    known: Mapping[str, Metric], chance_base: ChanceSpec,
) -> Found:
    found = _metric(where, kgi.metric, known)
    start = None
    if isinstance(kgi.period, str):
        found += _period_ref(where, kgi.period, named)
        start = named[kgi.period].start if kgi.period in named else None
    else:
        start = kgi.period.start
        if kgi.period.end < kgi.period.start:
            found.append((where + ("period", "end"), f"end {kgi.period.end} is before start {kgi.period.start}"))
    found += _target_and_baseline(where, kgi.target, kgi.baseline, kgi.metric, kgi.measure, start, known)
    found += _tolerances(where + ("tolerances",), kgi.tolerances, base)
    found += _chance(where + ("chance",), kgi.chance, chance_base)
    found += _judge(where, kgi, known)
    if kgi.funnel:
        found += _funnel(where, kgi)
    return found


def _funnel(where: Path_, kgi: KgiSpec) -> Found:
    found: Found = []
    order = " → ".join(reversed(FUNNEL_STAGES))
    if kgi.metric not in FUNNEL_STAGES:
        found.append((where + ("metric",), f"a funnel needs a KGI on a funnel stage ({', '.join(FUNNEL_STAGES)}), not {kgi.metric!r}"))
    if kgi.target.value is None:
        found.append((where + ("target",), "a funnel needs an absolute target {value: N} (e.g. 100 orders)"))
    if kgi.measure is Measure.WEEKLY:
        found.append((where + ("measure",), "a funnel plans totals over the period: use measure cumulative"))
    below, total = kgi.metric, kgi.target.value
    for j, step in enumerate(kgi.funnel):
        step_where = where + ("funnel", j, "stage")
        if step.stage not in FUNNEL_STAGES:
            found.append((step_where, f"unknown funnel stage {step.stage!r}{_suggest(step.stage, FUNNEL_STAGES)}; stages: {', '.join(FUNNEL_STAGES)}"))
            return found
        if below in FUNNEL_STAGES and FUNNEL_STAGES.index(step.stage) >= FUNNEL_STAGES.index(below):
            found.append((step_where, f"{step.stage} is out of order: the stage after {below} must be above it; the funnel goes up from the KGI: {order}"))
        below = step.stage
        if total is not None and isinstance(step.rate, float):
            total /= step.rate
            if total > LARGEST:
                found.append((where + ("funnel", j, "rate"), f"the target {kgi.target.value:g} needs {total:.3g} {step.stage}: more than {LARGEST:,.0f}; check target and rates"))
                total = None
    return found


def _kpi(
    where: Path_, kpi: KpiSpec, named: dict[str, PeriodSpec], kgi_ids: list[str], base: TolerancesSpec,
    known: Mapping[str, Metric], chance_base: ChanceSpec,
) -> Found:
    found = _metric(where, kpi.metric, known)
    if kpi.kgi not in kgi_ids:
        found.append((where + ("kgi",), f"unknown KGI {kpi.kgi!r}{_suggest(kpi.kgi, kgi_ids)}; KGIs in this file: {', '.join(kgi_ids) or 'none'}"))
    start = kpi.start
    if kpi.period is not None:
        if kpi.start is not None or kpi.deadline is not None:
            found.append((where + ("period",), "give either period or start/deadline, not both"))
        found += _period_ref(where, kpi.period, named)
        start = named[kpi.period].start if kpi.period in named else None
    elif kpi.start is None and kpi.deadline is None:
        found.append((where, "missing start and deadline (or a period)"))
    elif kpi.start is None:
        found.append((where + ("start",), "missing required field (or use period)"))
    elif kpi.deadline is None:
        found.append((where + ("deadline",), "missing required field (or use period)"))
    elif kpi.deadline < kpi.start:
        found.append((where + ("deadline",), f"deadline {kpi.deadline} is before start {kpi.start}"))
    found += _target_and_baseline(where, kpi.target, kpi.baseline, kpi.metric, kpi.measure, start, known)
    found += _tolerances(where + ("tolerances",), kpi.tolerances, base)
    found += _chance(where + ("chance",), kpi.chance, chance_base)
    found += _judge(where, kpi, known)
    return found


def _judge(where: Path_, item: KgiSpec | KpiSpec, known: Mapping[str, Metric]) -> Found:
    cumulative = item.measure is Measure.CUMULATIVE or (
        item.measure is None and isinstance(item, KgiSpec) and item.target.value is not None
        and (m := known.get(item.metric)) is not None and m.aggregation is Aggregation.SUM)
    if item.judge is not None and cumulative:
        return [(where + ("judge",), "a cumulative goal is judged on its total over the period: remove judge (or use measure weekly)")]
    return []


def check_replacements(kgis: Sequence[KgiSpec | None], kpis: Sequence[KpiSpec | None],
                       starts: dict[str, date | None]) -> Found:
    """``replaced_by`` names another goal of the same list that starts after this one."""
    found: Found = []
    for kind, items in (("kgis", kgis), ("kpis", kpis)):
        ids = [i.id for i in items if i is not None]
        for i, item in enumerate(items):
            if item is None or item.replaced_by is None:
                continue
            where: Path_ = (kind, i, "replaced_by")
            new = item.replaced_by
            if new not in ids or new == item.id:
                found.append((where, f"unknown {kind[:-1].upper()} {new!r}{_suggest(new, ids)}: replaced_by names the {kind[:-1].upper()} that supersedes this one"))
                continue
            mine, theirs = starts.get(item.id), starts.get(new)
            if mine is not None and theirs is not None and theirs <= mine:
                found.append((where, f"{new!r} starts {theirs}, not after this goal's start {mine}: the replacement must start later"))
    return found
