"""Many sites' reports at once: each site's week rendered, and its archive index built, in
worker processes sized to the machine's cores.

A report is CPU work in Python (matplotlib charts, Jinja2, WeasyPrint's layout), so one
process renders one report at a time; a run over many sites renders them in its own process
and hands them, as each is free, to report workers
(:mod:`kpi_pipeline.delivery.site_report_worker`), as the PDF was handed to its worker
(:mod:`kpi_pipeline.delivery.report.pdf_worker`, same process design: fresh ``python -P``
children kept warm for the process, only paths on the pipes). The step loads every site's
data from the warehouse first (one connection, the warehouse pool), so the workers never open
the warehouse. A job is a file the parent pickled; a worker renders exactly what the step's
own process would (:func:`run_job` is the one function both call), so the parallel and the
serial path write the same files.

Two phases: every report (site × week), then each rendered site's archive index and its
52-week charts (which show the newest week, so after all of a site's weeks).
"""

from __future__ import annotations

import os
import pickle
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from kpi_pipeline.catalog import Metric, register_custom
from kpi_pipeline.config.sites import SiteConfig
from kpi_pipeline.delivery.archive.index import build_site_index, newest_week_folder
from kpi_pipeline.delivery.report.load import load_report_data
from kpi_pipeline.delivery.report.model import ReportData
from kpi_pipeline.delivery.report.render import RenderedReport, render_report
from kpi_pipeline.delivery.report.worker_process import IdleWorkers, WorkerDied
from kpi_pipeline.warehouse.catalog_table import site_metrics


@dataclass(frozen=True)
class ReportJob:
    """One site's week: its data and where and how to render it."""

    data: ReportData
    out_dir: Path
    formats: tuple[str, ...]
    lang: str
    templates: Path | None
    metrics: tuple[Metric, ...]  # the site's custom metrics (names, units) as the warehouse has them


@dataclass(frozen=True)
class IndexJob:
    """One site's archive index, with the weekly values its 52-week charts are drawn from."""

    site: SiteConfig
    folder: Path
    top_index: bool
    templates: Path | None
    values: dict[str, dict[date, float]]
    values_up_to: date
    metrics: tuple[Metric, ...]


Job = ReportJob | IndexJob


class ReportWorkerError(RuntimeError):
    """A site's report could not be rendered; the message names the site and the error."""


def report_job(con: duckdb.DuckDBPyConnection, site: SiteConfig, week: date, *, out_dir: Path,
               formats: Sequence[str], timezone: str, templates: Path | None) -> ReportJob:
    """Read ``site``'s ``week`` from the marts: a job any process can render."""
    data = load_report_data(con, site.id, week, site_label=site.label, timezone=timezone)
    return ReportJob(data, out_dir, tuple(formats), site.report_lang, templates,
                     tuple(site_metrics(con, site.id)))


def index_job(con: duckdb.DuckDBPyConnection, site: SiteConfig, folder: Path,
              weeks: Sequence[date], *, top_index: bool, templates: Path | None) -> IndexJob:
    """Read what ``site``'s archive index charts once ``weeks`` are rendered into ``folder``."""
    from kpi_pipeline.delivery.archive.charts import site_weekly_values

    up_to = index_up_to(folder, weeks)
    return IndexJob(site, folder, top_index, templates, site_weekly_values(con, site.id, up_to),
                    up_to, tuple(site_metrics(con, site.id)))


def run_job(job: Job) -> RenderedReport | Path:
    """Render one report or build one site index, in whichever process runs it."""
    from kpi_pipeline.delivery.archive.charts import values_from

    register_custom(job.metrics)  # this site's definitions of its custom metrics
    if isinstance(job, ReportJob):
        return render_report(job.data, job.out_dir, formats=job.formats, lang=job.lang,
                             templates=job.templates)
    return build_site_index(job.site, job.folder, top_index=job.top_index, templates=job.templates,
                            values=values_from(job.values, job.values_up_to))


def index_up_to(folder: Path, rendered_weeks: Sequence[date]) -> date:
    """The newest week a site index will show: the newest week folder, or a week rendered now."""
    newest = newest_week_folder(folder)
    weeks = [*rendered_weeks, *([_iso_monday(newest)] if newest else [])]
    return max(weeks)


def _iso_monday(label: str) -> date:
    """``2026-W48`` → its Monday."""
    return date.fromisocalendar(int(label[:4]), int(label[6:]), 1)


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity, e.g. a container's cpuset)."""
    return len(os.sched_getaffinity(0))


def start_workers(workers: int, jobs: int) -> int:
    """Start the report workers ``jobs`` will need with ``workers`` processes in all (this
    process renders too: one less worker), so they import while the step reads the warehouse;
    the number of processes that will render."""
    count = max(1, min(workers, jobs))
    if count > 1:
        _pool().start(count - 1)
    return count


def run_jobs(reports: Sequence[ReportJob], indexes: Sequence[IndexJob], *,
             workers: int) -> list[RenderedReport]:
    """Render ``reports``, then build ``indexes``; with ``workers`` > 1 (and more than one job)
    in this process and ``workers`` - 1 report workers, else in this process alone. Returns
    the rendered reports in ``reports``' order; the first failure (by order) is raised once
    every job has ended."""
    count = start_workers(workers, max(len(reports), len(indexes)))
    if count <= 1:
        rendered = [run_job(job) for job in reports]
        for job in indexes:
            run_job(job)
        return rendered  # type: ignore[return-value]
    folder = Path(tempfile.mkdtemp(prefix="kpi-report-jobs-"))
    try:
        rendered = _share(reports, count, folder)
        _raise_first(rendered)
        _raise_first(_share(indexes, count, folder))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return rendered  # type: ignore[return-value]


def _share(jobs: Sequence[Job], count: int, folder: Path) -> list[object]:
    """Every job's result (or error), the jobs taken in order by this process and by
    ``count`` - 1 report workers, each as soon as it is free."""
    results: list[object] = [None] * len(jobs)
    pending = iter(enumerate(jobs))
    lock = threading.Lock()

    def work(run: Callable[[Job], object]) -> None:
        while True:
            with lock:
                index, job = next(pending, (None, None))
            if job is None:
                return
            results[index] = run(job)

    pool = _pool()
    feeders = [threading.Thread(target=work, args=(lambda job: _in_worker(pool, folder, job),),
                                name="report-worker") for _ in range(count - 1)]
    for feeder in feeders:
        feeder.start()
    work(_here)
    for feeder in feeders:
        feeder.join()
    return results


def _here(job: Job) -> object:
    """``job`` in this process; a failure is returned, as from a worker."""
    try:
        return run_job(job)
    except Exception as exc:  # noqa: BLE001 (reported with the site, after the other jobs)
        return ReportWorkerError(f"{_site(job)}: {type(exc).__name__}: {exc}")


def _raise_first(results: list[object]) -> None:
    for result in results:
        if isinstance(result, ReportWorkerError):
            raise result


def _site(job: Job) -> str:
    return job.data.site_id if isinstance(job, ReportJob) else job.site.id


def _in_worker(pool: IdleWorkers, folder: Path, job: Job) -> RenderedReport | Path | ReportWorkerError:
    """Hand ``job`` to an idle worker and wait for its result (a failure is returned, not
    raised, so every other job still ends before the step fails)."""
    handle, name = tempfile.mkstemp(dir=folder, suffix=".job")
    path = Path(name)
    with os.fdopen(handle, "wb") as out:
        pickle.dump(job, out, protocol=pickle.HIGHEST_PROTOCOL)
    worker = pool.take()
    try:
        worker.ask({"job": str(path)})
        answer = worker.answer()
    except WorkerDied as exc:
        return ReportWorkerError(f"{_site(job)}: {exc}")
    finally:
        pool.give_back(worker)
    if answer["error"] is not None:
        return ReportWorkerError(f"{_site(job)}: {answer['error']}")
    with open(answer["result"], "rb") as result:
        return pickle.load(result)


_POOL: IdleWorkers | None = None


def _pool() -> IdleWorkers:
    """This process's report workers (``python -P -m``: the working folder is not on the path)."""
    global _POOL
    if _POOL is None:
        _POOL = IdleWorkers([sys.executable, "-P", "-m", "kpi_pipeline.delivery.site_report_worker"],
                            "report worker")
    return _POOL
