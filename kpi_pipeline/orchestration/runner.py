"""Run the Dagster jobs in-process for a week or a range: what the CLI's run/backfill/demo do.

Each call is a real Dagster run, recorded in the instance the UI opens (see
:func:`instance_for_cli`). Ranges use Dagster's partition-range tags, so the assets' single-run backfill policy
applies: one run per job over the whole range, not one per partition.
"""

from __future__ import annotations

import logging
import shutil
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from dagster import (
    AssetCheckSeverity,
    AssetKey,
    DagsterInstance,
    Definitions,
    ExecuteInProcessResult,
)
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from kpi_pipeline.calendar import last_complete_week, monday
from kpi_pipeline.config.folder_lock import folder_lock
from kpi_pipeline.config.package_data import instance_config
from kpi_pipeline.config.sites import SITE_TAG
from kpi_pipeline.errors import PipelineFailure
from kpi_pipeline.orchestration.pools import size_warehouse_pool, warehouse_slots, warehouse_writers
from kpi_pipeline.orchestration.run_errors import step_error
from kpi_pipeline.orchestration.warehouse_turns import warehouse_turn

if TYPE_CHECKING:
    from kpi_pipeline.config.settings import Settings

# The CLI shows its own progress; Dagster's per-event debug lines stay in the run log (UI).
# The CLI passes Settings.kpi_log_level (KPI_LOG_LEVEL).
LOG_LEVEL = "INFO"
_LOG = logging.getLogger(__name__)


class PipelineRunError(PipelineFailure):
    """A run failed; the message is the failing steps' own error messages."""


@dataclass(frozen=True)
class RunSummary:
    job: str
    run_id: str
    partitions: str


INSTANCE_CONFIG = instance_config()  # SQLite storage, the warehouse pool


def instance_for_cli(settings: Settings) -> DagsterInstance:
    """The instance the UI opens (``$DAGSTER_HOME``, else ``$KPI_HOME/dagster``), so the CLI's
    runs, materializations and check results show there; created with the shipped
    ``dagster.yaml`` the first time.

    Several commands may start at once (a cron job per site, a scheduler starting them
    together): opening an instance creates or migrates its storage (SQLite files and their
    schema version; PostgreSQL tables on first use), which two processes must not do at the
    same time. So the opening runs under a lock on the instance folder, one command after the
    other; each takes well under a second, and the runs themselves then proceed side by side.
    """
    from kpi_pipeline.config.settings import apply_dagster_env_defaults

    apply_dagster_env_defaults()
    home = settings.dagster_instance_dir.resolve()
    home.mkdir(parents=True, exist_ok=True)
    with folder_lock(home):
        if not (home / "dagster.yaml").exists():
            shutil.copyfile(INSTANCE_CONFIG, home / "dagster.yaml")
        overrides = _batching_event_log(home) if settings.kpi_event_log == "batching" else {}
        instance = DagsterInstance.from_ref(InstanceRef.from_dir(str(home), overrides=overrides))
        size_warehouse_pool(instance, warehouse_writers(settings.warehouse, settings.kpi_lake_writers))
    return instance


# Instance config keys that choose the storage: when the instance's own dagster.yaml sets any,
# it is used as written (PostgreSQL writes event batches at once by itself).
_STORAGE_KEYS = ("storage", "run_storage", "event_log_storage", "schedule_storage")


def _batching_event_log(home: Path) -> dict[str, object]:
    """Overrides that give a default SQLite instance the batching event log (same files).

    The batching class builds on Dagster internals (``dagster._core``): if a Dagster upgrade
    moved them, the class does not import and the instance keeps Dagster's stock event log, with
    a warning, rather than failing the command (``KPI_EVENT_LOG=stock`` chooses that path)."""
    try:
        from dagster._core.instance.config import dagster_instance_config

        from kpi_pipeline.orchestration.event_log import BatchingSqliteEventLogStorage  # noqa: F401
    except (ImportError, AttributeError) as exc:
        _LOG.warning("the batching event log is unavailable with this Dagster (%s); "
                     "using Dagster's stock event log (KPI_EVENT_LOG=stock)", exc)
        return {}
    config, _ = dagster_instance_config(str(home))
    if any(config.get(key) for key in _STORAGE_KEYS):
        return {}
    return {"event_log_storage": {
        "module": "kpi_pipeline.orchestration.event_log",
        "class": "BatchingSqliteEventLogStorage",
        "config": {"base_dir": str(home / "history" / "runs")},
    }}


def _range_tags(first: str, last: str) -> dict[str, str]:
    return {ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last}


def _site_tags(site: str | None) -> dict[str, str]:
    """``kpi/site``: the run works on that site only, as a run launched so from the UI does."""
    return {} if site is None else {SITE_TAG: site}


def _failure_message(result: ExecuteInProcessResult) -> str:
    messages = [f"{event.step_key}: {step_error(event)}"
                for event in result.all_events if event.is_step_failure]
    # a blocking asset check stops the report: say which check, week and rows
    messages += [evaluation.description for evaluation in result.get_asset_check_evaluations()
                 if not evaluation.passed and evaluation.severity == AssetCheckSeverity.ERROR
                 and evaluation.description]
    return "\n".join(messages) or "run failed (see the Dagster run log)"


def command_turn(instance: DagsterInstance) -> AbstractContextManager[None]:
    """This command's turn at the warehouse (:mod:`kpi_pipeline.orchestration.warehouse_turns`):
    sleep, not spin in Dagster's pool wait, while another command's run holds it. Every run
    takes it; a command takes it once around all its runs."""
    folder = instance.root_directory
    return warehouse_turn(Path(folder), warehouse_slots(instance)) if folder else nullcontext()


def _execute(defs: Definitions, job: str, instance: DagsterInstance, *, partition_key: str | None = None,
             tags: dict[str, str] | None = None, selection=None,
             log_level: str = LOG_LEVEL, site: str | None = None) -> RunSummary:
    job_def = defs.resolve_job_def(job)
    with command_turn(instance):
        result = job_def.execute_in_process(
            run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
            instance=instance,
            partition_key=partition_key,
            tags={**(tags or {}), **_site_tags(site)},
            raise_on_error=False,
            asset_selection=selection,
        )
    label = partition_key or (f"{tags[ASSET_PARTITION_RANGE_START_TAG]}..{tags[ASSET_PARTITION_RANGE_END_TAG]}" if tags else "")
    if not result.success:
        raise PipelineRunError(_failure_message(result))
    return RunSummary(job=job, run_id=result.run_id, partitions=label)


def ensure_catalog(defs: Definitions, instance: DagsterInstance, *,
                   log_level: str = LOG_LEVEL) -> RunSummary | None:
    """Materialize ``mart/metric_catalog`` (unpartitioned) once per instance, so the UI shows it
    like every other asset; the warehouse resource keeps the table itself current."""
    from kpi_pipeline.orchestration.jobs import METRIC_CATALOG

    if instance.get_latest_materialization_event(METRIC_CATALOG) is not None:
        return None
    return _execute(defs, "metric_catalog", instance, log_level=log_level)


def ingest_days(defs: Definitions, instance: DagsterInstance, first: date, last: date, *,
                log_level: str = LOG_LEVEL, site: str | None = None) -> RunSummary:
    """Load the ISO weeks holding ``first``..``last`` (raw ingest is partitioned by week), up to
    yesterday, with the look-back days before them; for every site, or only ``site``."""
    weeks = (monday(first).isoformat(), monday(last).isoformat())
    if weeks[0] == weeks[1]:
        return _execute(defs, "daily_ingest", instance, partition_key=weeks[0],
                        log_level=log_level, site=site)
    return _execute(defs, "daily_ingest", instance, tags=_range_tags(*weeks), log_level=log_level,
                    site=site)


def _weekly_assets(defs: Definitions, delivery: bool) -> list[AssetKey]:
    job = defs.resolve_job_def("weekly_pipeline")
    graph = defs.resolve_asset_graph()
    return [key for key in job.asset_layer.executable_asset_keys
            if (graph.get(key).group_name == "delivery") == delivery]


def without_delivery(defs: Definitions) -> list[AssetKey]:
    """Every weekly asset except the report and e-mail: what a multi-week backfill rebuilds."""
    return _weekly_assets(defs, delivery=False)


def delivery_only(defs: Definitions) -> list[AssetKey]:
    """The report and e-mail assets: the last week of a range whose tables are already built."""
    return _weekly_assets(defs, delivery=True)


def run_weeks(defs: Definitions, instance: DagsterInstance, first_week: date, last_week: date,
              selection: list[AssetKey] | None = None, *, log_level: str = LOG_LEVEL,
              site: str | None = None) -> RunSummary:
    """``weekly_pipeline`` for one week, or one single-run backfill over a range; every site, or
    only ``site`` (the ``kpi/site`` tag)."""
    if first_week == last_week:
        return _execute(defs, "weekly_pipeline", instance, partition_key=first_week.isoformat(),
                        selection=selection, log_level=log_level, site=site)
    return _execute(defs, "weekly_pipeline", instance,
                    tags=_range_tags(first_week.isoformat(), last_week.isoformat()),
                    selection=selection, log_level=log_level, site=site)




__all__ = ["PipelineRunError", "RunSummary", "delivery_only", "ensure_catalog", "ingest_days", "instance_for_cli",
           "last_complete_week", "run_weeks", "step_error", "without_delivery"]
