"""When each Dagster step of a run started and succeeded, read back from an instance's event
log: how tests show that runs overlapped (or did not), and how benches time stages."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from dagster import DagsterEventType, DagsterInstance


@dataclass(frozen=True)
class StepSpan:
    run_id: str
    step_key: str
    start: float
    end: float


def step_spans(dagster_home: Path, *, job: str | None = None,
               run_ids: Iterable[str] | None = None) -> list[StepSpan]:
    """Every successful step of the instance's runs (of ``job``, or the runs ``run_ids``)."""
    spans = []
    with DagsterInstance.from_config(str(dagster_home)) as instance:
        runs = [instance.get_run_by_id(r) for r in run_ids] if run_ids is not None \
            else instance.get_runs()
        for run in runs:
            if run is None or (job is not None and run.job_name != job):
                continue
            started: dict[str, float] = {}
            for entry in instance.all_logs(run.run_id):
                event = entry.dagster_event
                if event is None or entry.step_key is None:
                    continue
                if event.event_type == DagsterEventType.STEP_START:
                    started[entry.step_key] = entry.timestamp
                elif event.event_type == DagsterEventType.STEP_SUCCESS:
                    spans.append(StepSpan(run.run_id, entry.step_key, started[entry.step_key],
                                          entry.timestamp))
    return spans


def overlapping_runs(spans: Iterable[StepSpan]) -> set[frozenset[str]]:
    """Pairs of runs that had steps running at the same moment."""
    return {frozenset((a.run_id, b.run_id)) for a, b in combinations(list(spans), 2)
            if a.run_id != b.run_id and a.start < b.end and b.start < a.end}
