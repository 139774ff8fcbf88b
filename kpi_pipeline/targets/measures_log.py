"""``measures:`` (施策ログ, PDCA's Do): the list in the targets file, or a YAML file named there.

Each entry is checked like the rest of the targets file (file:line: field: message); in a
separate file the lines and file name are that file's. KPI ids must be KPIs of the targets file.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from kpi_pipeline.config.yaml_file import FieldPath, YamlFileError, field_label, line_of, load_yaml
from kpi_pipeline.targets.custom import csv_path
from kpi_pipeline.targets.errors import TargetIssue
from kpi_pipeline.targets.model import LoggedMeasure
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

    def read(self, value: list[Any] | str, kpi_ids: Sequence[str]) -> tuple[LoggedMeasure, ...]:
        if isinstance(value, str):
            return self._from_file(value, kpi_ids)
        return self._check(self.validator, value, ("measures",), kpi_ids)

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

    @staticmethod
    def _check(v: _Validating, items: Any, where: FieldPath, kpi_ids: Sequence[str]) -> tuple[LoggedMeasure, ...]:
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
            if ok:
                out.append(LoggedMeasure(spec.id, spec.name, spec.phase, spec.start, spec.end, tuple(spec.kpis)))
        return tuple(out)


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
