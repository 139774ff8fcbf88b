"""Read ``kpi_targets.yaml``: parse, validate, report every mistake with file, line and field.

The YAML is read by :mod:`kpi_pipeline.config.yaml_file` (ruamel's round-trip loader, which remembers
where each key is, also behind merge keys); each list item is validated on its own so that all mistakes are collected, not only the
first. Valid files are resolved into :class:`~kpi_pipeline.targets.model.Targets` with every
default filled in (phase from the catalogue, measure, tolerances, dates from named periods).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from ruamel.yaml.comments import CommentedMap

from kpi_pipeline.catalog import BUILTIN_BY_ID, Aggregation, Metric, register_custom
from kpi_pipeline.config.yaml_file import FieldPath, YamlFileError, field_label, line_of, load_yaml
from kpi_pipeline.targets.checks import check_file
from kpi_pipeline.targets.custom import check_metrics, csv_path, resolve_metrics
from kpi_pipeline.targets.errors import TargetIssue, TargetsError
from kpi_pipeline.targets.measures_log import MeasuresReader
from kpi_pipeline.targets.model import (
    Baseline,
    Chances,
    FunnelStep,
    Goal,
    Judgement,
    Measure,
    Period,
    Target,
    Targets,
    Tolerances,
)
from kpi_pipeline.targets.spec import (
    FIELD_NAMES,
    BaselineSpec,
    ChanceSpec,
    FileSpec,
    KgiSpec,
    KpiSpec,
    MetricSpec,
    PeriodSpec,
    TargetSpec,
    TolerancesSpec,
)

M = TypeVar("M", bound=BaseModel)


# Valid targets files read by this process, by path and content: a run over many sites read
# the same file ~7 times per site (every step reads its sites' files), each a round-trip YAML
# parse and validation. An entry is used only while what else the file names is as it was: a
# measures log file's content, and whether each CSV metric's file exists (the CSVs themselves
# are read by the raw step, not here).
# (file, its content) -> (the targets, the measures log file it names, what else it depended on)
_LOADED: dict[tuple[str, bytes], tuple[Targets, Path | None, tuple[object, ...]]] = {}
_KEEP = 64


def load_targets(path: Path) -> Targets:
    """Load and validate a targets file; raises :class:`TargetsError` listing every mistake."""
    path = Path(path)
    name = str(path)
    content = _content(path)
    cached = _LOADED.get((name, content)) if content is not None else None
    if cached is not None and _named_files(cached[1], cached[0]) == cached[2]:
        targets = cached[0]
    else:
        try:
            root = load_yaml(path)
        except YamlFileError as exc:
            raise TargetsError([TargetIssue(name, exc.line, "", exc.reason)]) from None
        targets = _Validator(name, root).run(path)
        if content is not None and _content(path) == content:
            if len(_LOADED) >= _KEEP:
                _LOADED.clear()
            measures = _measures_file(path, root)
            _LOADED[(name, content)] = (targets, measures, _named_files(measures, targets))
    register_custom(targets.metrics)
    return targets


def _content(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None  # load_yaml says what is wrong


def _measures_file(path: Path, root: Any) -> Path | None:
    """The measures log file a targets file names (``measures: file.yaml``), if any."""
    named = root.get("measures") if isinstance(root, CommentedMap) else None
    return csv_path(path, named) if isinstance(named, str) else None


def _named_files(measures: Path | None, targets: Targets) -> tuple[object, ...]:
    """What the targets file's validity depends on besides its own text: the measures log
    file's content and each CSV metric file's existence."""
    return (_content(measures) if measures else None,
            *(m.path.is_file() for m in targets.csv_metrics))


_DATE_SHAPE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def _impossible_date(value: Any) -> str | None:
    """``2026-02-30`` → "no such date: 2026-02-30 (day is out of range for month)"; else None."""
    found = _DATE_SHAPE.match(value) if isinstance(value, str) else None
    if found is None:
        return None
    try:
        date(*(int(part) for part in found.groups()))
    except ValueError as exc:
        return f"no such date: {value} ({exc})"
    return None


def _message(error: dict[str, Any]) -> str:
    kind, msg = error["type"], error["msg"]
    if kind == "missing":
        return "missing required field"
    if kind == "extra_forbidden":
        name = str(error["loc"][-1])
        close = difflib.get_close_matches(name, sorted(FIELD_NAMES), n=1)
        return "unknown field" + (f" (did you mean {close[0]!r}?)" if close else "")
    if kind.startswith("date"):
        impossible = _impossible_date(error["input"])
        if impossible:
            return impossible
        return f"{msg} (write dates as YYYY-MM-DD, got {error['input']!r})"
    if kind == "finite_number":
        return f"must be a finite number, not {error['input']!r} (.inf and .nan are not allowed)"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        if error["loc"] and error["loc"][0] == "period":
            return "should be {start: …, end: …} or the id of a period under periods"
        return "should be a mapping of key: value lines"
    if kind == "too_short":
        return "needs at least one item (a KGI: id, name, metric, period, target)"
    if kind == "list_type":
        return "should be a list (lines starting with '- ')"
    if kind == "value_error":
        return msg.removeprefix("Value error, ")
    value = error.get("input")
    if isinstance(value, str | int | float):
        return f"{msg} (got {value!r})"
    return msg


class _Validator:
    def __init__(self, name: str, root: Any) -> None:
        self.name = name
        self.root = root
        self.issues: list[TargetIssue] = []

    def issue(self, path: FieldPath, message: str) -> None:
        self.issues.append(TargetIssue(self.name, line_of(self.root, path), field_label(path), message))

    def validate(self, model: type[M], data: Any, where: FieldPath) -> M | None:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            for error in exc.errors():
                loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith("<")))
                self.issue(where + loc, _message(error))
            return None

    def run(self, path: Path) -> Targets:
        if not isinstance(self.root, CommentedMap):
            self.issue((), "the file must be a mapping with timezone, kgis and kpis (see kpi_targets.example.yaml)")
            raise TargetsError(self.issues)
        head = self.validate(FileSpec, self.root, ())
        if head is None:
            raise TargetsError(self.issues)
        periods = [self.validate(PeriodSpec, p, ("periods", i)) for i, p in enumerate(head.periods)]
        kgis = [self.validate(KgiSpec, k, ("kgis", i)) for i, k in enumerate(head.kgis)]
        kpis = [self.validate(KpiSpec, k, ("kpis", i)) for i, k in enumerate(head.kpis)]
        metric_specs = [self.validate(MetricSpec, m, ("metrics", i)) for i, m in enumerate(head.metrics)]
        for field_path, message in check_metrics(metric_specs, path):
            self.issue(field_path, message)
        custom, csv_sources = resolve_metrics([m for m in metric_specs if m], path)
        known = {**BUILTIN_BY_ID, **{m.id: m for m in custom}}
        for field_path, message in check_file(head, periods, kgis, kpis, known):
            self.issue(field_path, message)
        measures = MeasuresReader(self, path).read(head.measures, [k.id for k in kpis if k])
        if self.issues:
            raise TargetsError(self.issues)
        targets = _resolve(path, head, [p for p in periods if p], [k for k in kgis if k],
                           [k for k in kpis if k], known)
        targets = replace(targets, metrics=custom, csv_metrics=csv_sources, measures=measures)
        targets = replace(  # no issues: every item resolved, in file order
            targets,
            kgis=tuple(replace(g, target_line=line_of(self.root, ("kgis", i, "target"))) for i, g in enumerate(targets.kgis)),
            kpis=tuple(replace(g, target_line=line_of(self.root, ("kpis", i, "target"))) for i, g in enumerate(targets.kpis)),
        )
        if "timezone" not in self.root:
            return targets
        return replace(targets, timezone_line=line_of(self.root, ("timezone",)))


def _tolerances(own: TolerancesSpec | None, base: Tolerances) -> Tolerances:
    if own is None:
        return base
    return Tolerances(on_track=own.on_track or base.on_track, at_risk=own.at_risk or base.at_risk)


def _chances(own: ChanceSpec | None, base: Chances) -> Chances:
    if own is None:
        return base
    return Chances(on_track=base.on_track if own.on_track is None else own.on_track,
                   off_track=base.off_track if own.off_track is None else own.off_track)


def _target(spec: TargetSpec) -> Target:
    return Target(value=spec.value, multiplier=spec.multiplier, at_most=spec.at_most,
                  at_least=spec.at_least)


def _judgement(spec: KgiSpec | KpiSpec) -> Judgement:
    retire = spec.retire_after_weeks
    return Judgement(
        weeks=spec.judge.weeks if spec.judge is not None else None,
        retire_after_weeks=Judgement.retire_after_weeks if retire is None else retire,
        replaced_by=spec.replaced_by,
    )


def _baseline(spec: BaselineSpec | None) -> Baseline | None:
    if spec is None:
        return None
    if spec.value is not None:
        return Baseline(value=spec.value)
    assert spec.from_ is not None and spec.to is not None  # checked
    return Baseline(window=(spec.from_, spec.to))


def _resolve(
    path: Path, head: FileSpec, periods: list[PeriodSpec], kgis: list[KgiSpec], kpis: list[KpiSpec],
    known: dict[str, Metric],
) -> Targets:
    named = {p.id: Period(p.id, p.name, p.start, p.end) for p in periods}
    file_tolerances = _tolerances(head.tolerances, Tolerances())
    file_chances = _chances(head.chance, Chances())
    resolved_kgis = []
    for spec in kgis:
        if isinstance(spec.period, str):
            period = named[spec.period]
            start, end, period_id = period.start, period.end, period.id
        else:
            start, end, period_id = spec.period.start, spec.period.end, None
        metric = known[spec.metric]
        measure = spec.measure or (
            Measure.CUMULATIVE
            if spec.target.value is not None and metric.aggregation is Aggregation.SUM
            else Measure.WEEKLY
        )
        resolved_kgis.append(Goal(
            kind="kgi", id=spec.id, name=spec.name, metric_id=spec.metric, phase=metric.phase,
            start=start, deadline=end, target=_target(spec.target), baseline=_baseline(spec.baseline),
            pacing=spec.pacing, measure=measure,
            tolerances=_tolerances(spec.tolerances, file_tolerances),
            chances=_chances(spec.chance, file_chances),
            funnel=tuple(
                FunnelStep(s.stage, s.rate if isinstance(s.rate, float) else None) for s in spec.funnel
            ),
            period_id=period_id, judgement=_judgement(spec),
        ))
    resolved_kpis = []
    for spec in kpis:
        if spec.period is not None:
            period = named[spec.period]
            start, deadline = period.start, period.end
        else:
            assert spec.start is not None and spec.deadline is not None  # checked
            start, deadline = spec.start, spec.deadline
        metric = known[spec.metric]
        resolved_kpis.append(Goal(
            kind="kpi", id=spec.id, name=spec.name, metric_id=spec.metric,
            phase=spec.phase or metric.phase, start=start, deadline=deadline,
            target=_target(spec.target), baseline=_baseline(spec.baseline), pacing=spec.pacing,
            measure=spec.measure or Measure.WEEKLY,
            tolerances=_tolerances(spec.tolerances, file_tolerances), kgi_id=spec.kgi,
            chances=_chances(spec.chance, file_chances),
            period_id=spec.period, judgement=_judgement(spec),
        ))
    return Targets(
        source=path, timezone=head.timezone, site=head.site, tolerances=file_tolerances,
        periods=tuple(named.values()), kgis=tuple(resolved_kgis), kpis=tuple(resolved_kpis),
    )
