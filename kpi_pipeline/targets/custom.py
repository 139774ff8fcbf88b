"""``metrics:`` in the targets file: custom CSV and ratio metrics, checked and turned into
catalogue entries that the marts, KPI maths and report treat like built-in metrics.

A custom id becomes a ``metric_id`` in every mart and a key in SQL, so it must be a plain
identifier; a ratio is always Σ numerator / Σ denominator, so both sides must be additive.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from kpi_pipeline.catalog import BUILTIN_BY_ID, Aggregation, Metric, Unit
from kpi_pipeline.targets.model import CsvMetric
from kpi_pipeline.targets.spec import MetricSpec

Path_ = tuple[str | int, ...]
Found = list[tuple[Path_, str]]

METRIC_ID = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_AGGREGATIONS = {"sum": Aggregation.SUM, "last": Aggregation.LAST, "mean": Aggregation.MEAN}


def _suggest(word: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def csv_path(targets_file: Path, file: str) -> Path:
    """A CSV named in the targets file: relative paths are relative to the targets file."""
    path = Path(file).expanduser()
    return path if path.is_absolute() else Path(targets_file).parent / path


def _own(where: Path_, spec: MetricSpec, seen: dict[str, int]) -> Found:
    """Id and shape of one metric, alone."""
    found: Found = []
    if not METRIC_ID.match(spec.id):
        found.append((where + ("id",), f"{spec.id!r} is not a metric id: use lower-case letters, digits "
                                       "and '_', starting with a letter (e.g. followers)"))
    elif spec.id in BUILTIN_BY_ID:
        found.append((where + ("id",), f"{spec.id!r} is a built-in metric (docs/metrics.md): use it "
                                       "directly in kgis/kpis, or pick another id"))
    elif spec.id in seen:
        found.append((where + ("id",), f"duplicate metric id {spec.id!r}: already metrics[{seen[spec.id]}]"))
    if (spec.csv is None) == (spec.ratio is None):
        given = "both" if spec.csv is not None else "neither"
        found.append((where, f"give exactly one of csv: {{file, column, aggregate}} or ratio: "
                             f"{{numerator, denominator}} ({given} given)"))
    if spec.csv is not None and spec.csv.column.strip().lower() in ("", "date"):
        found.append((where + ("csv", "column"), "name the CSV column that holds the values "
                                                 "(the date column is always 'date')"))
    return found


def _side(where: Path_, metric_id: str, known: Mapping[str, Metric], pending: Mapping[str, MetricSpec]) -> Found:
    """A ratio's numerator or denominator: a known, additive metric."""
    if metric_id in pending:
        spec = pending[metric_id]
        if spec.csv is not None and spec.csv.aggregate == "sum":
            return []
        kind = "ratio" if spec.ratio is not None else f"{spec.csv.aggregate if spec.csv else '?'}"
        return [(where, f"{metric_id} is a {kind} metric; a ratio needs additive metrics on both "
                        "sides (counts or amounts summed over days, e.g. orders, sessions, a csv "
                        "metric with aggregate: sum)")]
    found = known.get(metric_id)
    if found is None:
        names = [*known, *pending]
        return [(where, f"unknown metric {metric_id!r}{_suggest(metric_id, names)}; known: {', '.join(names)}")]
    if found.aggregation is not Aggregation.SUM:
        return [(where, f"{metric_id} is a {found.aggregation.value} metric; a ratio needs additive "
                        "metrics on both sides (Σ numerator / Σ denominator), e.g. orders / deals")]
    return []


def check_metrics(specs: Sequence[MetricSpec | None], targets_file: Path) -> Found:
    """Every mistake in ``metrics:``, as (field path, message)."""
    found: Found = []
    seen: dict[str, int] = {}
    for i, spec in enumerate(specs):
        if spec is None:
            continue
        found += _own(("metrics", i), spec, seen)
        seen.setdefault(spec.id, i)
    pending = {s.id: s for s in specs if s is not None and METRIC_ID.match(s.id) and s.id not in BUILTIN_BY_ID}
    for i, spec in enumerate(specs):
        if spec is None:
            continue
        where: Path_ = ("metrics", i)
        if spec.csv is not None and spec.ratio is None:
            path = csv_path(targets_file, spec.csv.file)
            if not path.is_file():
                found.append((where + ("csv", "file"), f"file not found: {path} (paths are relative "
                                                       "to the targets file)"))
        if spec.ratio is not None and spec.csv is None:
            for side in ("numerator", "denominator"):
                found += _side(where + ("ratio", side), getattr(spec.ratio, side), BUILTIN_BY_ID, pending)
            if spec.ratio.numerator == spec.ratio.denominator:
                found.append((where + ("ratio", "denominator"), "numerator and denominator are the same metric"))
    return found


def resolve_metrics(specs: Sequence[MetricSpec], targets_file: Path) -> tuple[tuple[Metric, ...], tuple[CsvMetric, ...]]:
    """Catalogue entries and CSV sources of specs with a shape (csv xor ratio), in file order."""
    specs = [s for s in specs if (s.csv is None) != (s.ratio is None)]
    by_id: dict[str, Metric] = dict(BUILTIN_BY_ID)
    metrics: list[Metric] = []
    sources: list[CsvMetric] = []
    for spec in sorted(specs, key=lambda s: s.ratio is not None):  # CSVs first: ratios may use them
        name_en = spec.name_en or spec.name
        if spec.csv is not None:
            path = csv_path(targets_file, spec.csv.file)
            entry = Metric(
                spec.id, spec.name, name_en, spec.unit or Unit.COUNT, spec.phase, spec.direction,
                _AGGREGATIONS[spec.csv.aggregate], "csv",
                f"{spec.csv.aggregate} of column {spec.csv.column} of {spec.csv.file}",
            )
            sources.append(CsvMetric(spec.id, path, spec.csv.column.strip(), spec.csv.aggregate))
        else:
            assert spec.ratio is not None  # checked
            num, den = spec.ratio.numerator, spec.ratio.denominator
            entry = Metric(
                spec.id, spec.name, name_en, spec.unit or Unit.RATE, spec.phase, spec.direction,
                Aggregation.RATIO, by_id[num].source if num in by_id else "csv",
                f"Σ {num} / Σ {den}", num, den,
            )
        by_id[spec.id] = entry
        metrics.append(entry)
    order = {s.id: i for i, s in enumerate(specs)}
    return tuple(sorted(metrics, key=lambda m: order[m.id])), tuple(sources)
