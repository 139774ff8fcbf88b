"""``measures:`` (施策ログ, PDCA's Do): the list in the targets file, or a YAML file named there.

Each entry is checked like the rest of the targets file (file:line: field: message); in a
separate file the lines and file name are that file's. KPI ids must be KPIs of the targets file.
A measure's ``plan:`` (per week or a total by its end) and ``done:`` (inline, or a CSV whose bad
cells are named at that CSV's lines) are checked here too: done days lie within the measure.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from kpi_pipeline.config.yaml_file import FieldPath, YamlFileError, field_label, line_of, load_yaml
from kpi_pipeline.targets.custom import csv_path
from kpi_pipeline.targets.done_log import CsvProblem, read_done_csv
from kpi_pipeline.targets.errors import TargetIssue
from kpi_pipeline.targets.model import DoPlan, LoggedMeasure
from kpi_pipeline.targets.spec import MeasureSpec


class _Validating(Protocol):
    """What the targets validator offers: item validation and issues at field paths."""

    name: str
    root: Any
    issues: list[TargetIssue]

    def issue(self, path: FieldPath, message: str) -> None: ...

    def validate(self, model: Any, data: Any, where: FieldPath) -> Any: ...


class MeasuresReader:
    """Reads and checks the measures log for one targets file's validator."""

    def __init__(self, validator: _Validating, targets_file: Path) -> None:
        self.validator = validator
        self.targets_file = targets_file
        self._csv_issues: list[TargetIssue] = []  # listed after the YAML's own

    def read(self, value: list[Any] | str, kpi_ids: Sequence[str]) -> tuple[LoggedMeasure, ...]:
        if isinstance(value, str):
            found = self._from_file(value, kpi_ids)
        else:
            found = self._check(self.validator, value, ("measures",), kpi_ids)
        self.validator.issues.extend(self._csv_issues)
        return found

    def _from_file(self, file: str, kpi_ids: Sequence[str]) -> tuple[LoggedMeasure, ...]:
        path = csv_path(self.targets_file, file)
        try:
            root = load_yaml(path)
        except YamlFileError as exc:
            self.validator.issue(("measures",), f"{exc.path}: {exc.reason}" + (f" (line {exc.line})" if exc.line else ""))
            return ()
        items = root.get("measures") if isinstance(root, CommentedMap) else root
        if not isinstance(items, CommentedSeq):
            self.validator.issue(("measures",), f"{path}: should hold a list of measures (or measures: [...])")
            return ()
        prefix: FieldPath = ("measures",) if isinstance(root, CommentedMap) else ()
        own = _FileValidator(str(path), root, self.validator)
        return self._check(own, items, prefix, kpi_ids)

    def _check(self, v: _Validating, items: Any, where: FieldPath, kpi_ids: Sequence[str]) -> tuple[LoggedMeasure, ...]:
        out: list[LoggedMeasure] = []
        seen: set[str] = set()
        for i, item in enumerate(items or []):
            at = (*where, i)
            spec: MeasureSpec | None = v.validate(MeasureSpec, item, at)
            if spec is None:
                continue
            ok = True
            if spec.id in seen:
                v.issue((*at, "id"), f"duplicate measure id {spec.id!r}")
                ok = False
            seen.add(spec.id)
            if spec.end is not None and spec.end < spec.start:
                v.issue((*at, "end"), f"end {spec.end} is before start {spec.start}")
                ok = False
            if not spec.kpis:
                v.issue((*at, "kpis"), "name the KPIs the measure should move, e.g. kpis: [cvr_x120]")
                ok = False
            for j, kpi in enumerate(spec.kpis):
                if kpi not in kpi_ids:
                    close = difflib.get_close_matches(kpi, list(kpi_ids), n=1)
                    hint = f" (did you mean {close[0]!r}?)" if close else ""
                    v.issue((*at, "kpis", j), f"unknown KPI {kpi!r}{hint}; KPIs in the targets file: "
                                              f"{', '.join(kpi_ids) or 'none'}")
                    ok = False
            plan = _plan(v, spec, at)
            done = self._done(v, spec, at)
            if ok and plan is not False and done is not None:
                out.append(LoggedMeasure(spec.id, spec.name, spec.phase, spec.start, spec.end,
                                         tuple(spec.kpis), plan or None, done))
        return tuple(out)

    def _done(self, v: _Validating, spec: MeasureSpec, at: FieldPath) -> tuple[tuple[date, float], ...] | None:
        """The done log in day order (inline or from its CSV), or None after reporting its mistakes."""
        if spec.done is None:
            return ()
        if spec.plan is None:
            v.issue((*at, "done"), "done: is compared with plan: – add plan: {per_week: N, unit: 本} "
                                   "(or {total: N, unit: 本} by the measure's end)")
            return None
        if isinstance(spec.done, str):
            return self._done_csv(v, spec, at, csv_path(self.targets_file, spec.done))
        count = len(v.issues)
        for j, entry in enumerate(spec.done):
            outside = _outside(spec, entry.day)
            if outside:
                v.issue((*at, "done", j, "date"), outside)
        if len(v.issues) > count:
            return None
        return tuple(sorted((entry.day, entry.count) for entry in spec.done))

    def _done_csv(self, v: _Validating, spec: MeasureSpec, at: FieldPath, path: Path) -> tuple[tuple[date, float], ...] | None:
        """The rows of a done CSV; its problems at its own lines (the file as a whole: at done:)."""
        if not path.is_file():
            v.issue((*at, "done"), f"file not found: {path} (paths are relative to the targets file)")
            return None
        found = read_done_csv(path)
        problems = [*found.problems, *(CsvProblem(line, "date", f"{outside} ({spec.id})")
                                       for line, day, _ in found.rows if (outside := _outside(spec, day)))]
        for problem in problems:
            if problem.line is None:
                v.issue((*at, "done"), f"{path}: {problem.message}")
            else:
                self._csv_issues.append(TargetIssue(str(path), problem.line, problem.column, problem.message))
        return None if problems else tuple(sorted((day, count) for _, day, count in found.rows))


def _plan(v: _Validating, spec: MeasureSpec, at: FieldPath) -> DoPlan | None | bool:
    """The measure's plan (None without one), or False after reporting its mistake."""
    if spec.plan is None:
        return None
    given = [k for k in ("per_week", "total") if getattr(spec.plan, k) is not None]
    if len(given) != 1:
        v.issue((*at, "plan"), f"give exactly one of per_week (an amount each week) or total (the amount "
                               f"by the measure's end) ({' and '.join(given) or 'none'} given)")
        return False
    if spec.plan.total is not None and spec.end is None:
        v.issue((*at, "plan", "total"), "a total is the amount by the measure's end: give the measure an "
                                        "end date (or plan per_week)")
        return False
    return DoPlan(spec.plan.per_week, spec.plan.total, (spec.plan.unit or "").strip())


def _outside(spec: MeasureSpec, day: date) -> str | None:
    """Why a done day cannot be counted for the measure (None when it can)."""
    if day < spec.start:
        return f"{day} is before the measure's start {spec.start}"
    if spec.end is not None and day > spec.end:
        return f"{day} is after the measure's end {spec.end}"
    return None


class _FileValidator:
    """Issues of a separate measures file, at that file's lines, collected by the targets validator."""

    def __init__(self, name: str, root: Any, parent: _Validating) -> None:
        self.name, self.root, self.parent = name, root, parent
        self.issues = parent.issues

    def issue(self, path: FieldPath, message: str) -> None:
        self.parent.issues.append(TargetIssue(self.name, line_of(self.root, path), field_label(path), message))

    def validate(self, model: Any, data: Any, where: FieldPath) -> Any:
        # the parent's validate reports through self.issue of the parent: swap roots for the call
        saved = self.parent.name, self.parent.root
        self.parent.name, self.parent.root = self.name, self.root
        try:
            return self.parent.validate(model, data, where)
        finally:
            self.parent.name, self.parent.root = saved
