"""Read ``kpi_targets.yaml``: parse, validate, report every mistake with file, line and field.

The YAML is read with ruamel's round-trip loader because it remembers where each key is;
each list item is validated on its own so that all mistakes are collected, not only the
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
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import ConstructorError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.nodes import ScalarNode

from kpi_pipeline.catalog import METRICS_BY_ID, Aggregation
from kpi_pipeline.targets.checks import check_file
from kpi_pipeline.targets.errors import TargetIssue, TargetsError
from kpi_pipeline.targets.model import (
    Baseline,
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
    FileSpec,
    KgiSpec,
    KpiSpec,
    PeriodSpec,
    TargetSpec,
    TolerancesSpec,
)

FieldPath = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


def load_targets(path: Path) -> Targets:
    """Load and validate a targets file; raises :class:`TargetsError` listing every mistake."""
    path = Path(path)
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TargetsError([TargetIssue(name, None, "", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TargetsError([TargetIssue(name, None, "", f"cannot read the file: {exc}")]) from None
    root = _parse(name, text)
    return _Validator(name, root).run(path)


class _UnreadableDate(str):
    """A scalar shaped like a date that is not one (``2026-02-30``), kept as text so that the
    schema refuses it at its field path and line."""


class _UnreadableValue(ConstructorError):
    """A scalar ruamel could not build (``!!int abc``); reported at its line, not as a syntax error."""


class _Constructor(RoundTripConstructor):
    """ruamel's round-trip constructor, except that a scalar it cannot build is located.

    ruamel raises a bare ``ValueError`` without a line for ``start: 2026-02-30`` or
    ``!!int abc``. Here an impossible date becomes an :class:`_UnreadableDate` (the schema then
    names the field), and any other scalar that cannot be built raises :class:`_UnreadableValue`
    carrying the node's position.
    """

    def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
        try:
            return super().construct_yaml_timestamp(node, values)
        except ValueError:
            return _UnreadableDate(node.value)

    def construct_non_recursive_object(self, node: Any, tag: str | None = None) -> Any:
        if not isinstance(node, ScalarNode):
            return super().construct_non_recursive_object(node, tag)
        try:
            return super().construct_non_recursive_object(node, tag)
        except (ValueError, TypeError, KeyError, OverflowError) as exc:
            kind = str(tag or node.tag).rsplit(":", 1)[-1]
            problem = f"cannot read {node.value!r} as {kind} ({exc})"
            raise _UnreadableValue(None, None, problem, node.start_mark) from None


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_yaml_timestamp)


def _parse(name: str, text: str) -> Any:
    yaml = YAML(typ="rt")
    yaml.Constructor = _Constructor
    try:
        return yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        context = f" ({exc.context})" if exc.context and exc.problem else ""
        message = problem if isinstance(exc, _UnreadableValue) else f"YAML syntax error: {problem}{context}"
        raise TargetsError([TargetIssue(name, line, "", message)]) from None


def field_label(path: FieldPath) -> str:
    """``("kpis", 1, "deadline")`` → ``kpis[1].deadline``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def line_of(root: Any, path: FieldPath) -> int:
    """1-based line of the deepest node of ``path`` present in the YAML (its parent if missing)."""
    node, line = root, (root.lc.line + 1 if isinstance(root, CommentedMap | CommentedSeq) else 1)
    for part in path:
        if isinstance(node, CommentedMap) and part in node:
            line = node.lc.key(part)[0] + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line = node.lc.item(part)[0] + 1
            node = node[part]
        else:
            break
    return line


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
        for field_path, message in check_file(head, periods, kgis, kpis):
            self.issue(field_path, message)
        if self.issues:
            raise TargetsError(self.issues)
        targets = _resolve(path, head, [p for p in periods if p], [k for k in kgis if k], [k for k in kpis if k])
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
) -> Targets:
    named = {p.id: Period(p.id, p.name, p.start, p.end) for p in periods}
    file_tolerances = _tolerances(head.tolerances, Tolerances())
    resolved_kgis = []
    for spec in kgis:
        if isinstance(spec.period, str):
            period = named[spec.period]
            start, end, period_id = period.start, period.end, period.id
        else:
            start, end, period_id = spec.period.start, spec.period.end, None
        metric = METRICS_BY_ID[spec.metric]
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
        metric = METRICS_BY_ID[spec.metric]
        resolved_kpis.append(Goal(
            kind="kpi", id=spec.id, name=spec.name, metric_id=spec.metric,
            phase=spec.phase or metric.phase, start=start, deadline=deadline,
            target=_target(spec.target), baseline=_baseline(spec.baseline), pacing=spec.pacing,
            measure=spec.measure or Measure.WEEKLY,
            tolerances=_tolerances(spec.tolerances, file_tolerances), kgi_id=spec.kgi,
            period_id=spec.period, judgement=_judgement(spec),
        ))
    return Targets(
        source=path, timezone=head.timezone, site=head.site, tolerances=file_tolerances,
        periods=tuple(named.values()), kgis=tuple(resolved_kgis), kpis=tuple(resolved_kpis),
    )
