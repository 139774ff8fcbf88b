"""Run a step once per site, so that one site's failure does not stop the others.

With one site, an error fails the step (a user-facing error as a clean Dagster ``Failure``).
With several, a failing site is logged at ERROR, keeps its previous rows (every write replaces a
partition atomically) and is listed as ``failed_sites`` in the asset's metadata; the step only
fails when every site failed. ``on_failure`` lets a raw asset record the failed load in
``meta.runs``, where the site's status check (``site_<id>_fresh``) reads it.

Which sites a run serves is :attr:`SitesResource.selected`: every site, or the one of the run's
``kpi/site`` tag.

``fetch_then_write`` is the same with the slow half in threads: the sources of up to
``max_concurrent`` sites are read at once (GA4 answers in seconds; DuckDB is not involved), while
every write runs in the caller's thread on its one connection, one site at a time.
"""

from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, TypeVar

from dagster import AssetExecutionContext, Failure, MetadataValue

from kpi_pipeline.config.sites import SiteConfig, SitesResource
from kpi_pipeline.sources.crm import CrmCsvError
from kpi_pipeline.sources.custom import CustomCsvError
from kpi_pipeline.sources.ga4.errors import GA4Error
from kpi_pipeline.targets import TargetsError

# Errors whose message says what is wrong and what to do (quota, credentials, a bad file).
USER_FACING_ERRORS: tuple[type[Exception], ...] = (GA4Error, CrmCsvError, CustomCsvError, TargetsError)
F = TypeVar("F")
# Called with a site and its error before the error is reported (raw assets log it in meta.runs).
OnFailure = Callable[[SiteConfig, str], None]


class SiteResults(dict):
    """Per-site results of a step, plus the sites that failed (shown in the asset metadata)."""

    def __init__(self, done: dict[str, Any], failed: dict[str, str]) -> None:
        super().__init__(done)
        self.failed = failed

    def metadata(self) -> dict[str, Any]:
        return {"failed_sites": MetadataValue.json(self.failed)} if self.failed else {}


class _Outcomes:
    """Collects each site's result or error; decides what is fatal (see the module docstring)."""

    def __init__(self, context: AssetExecutionContext, sites: SitesResource,
                 on_failure: OnFailure | None = None) -> None:
        self.context, self.multi, self.on_failure = context, sites.multi, on_failure
        self.done: dict[str, Any] = {}
        self.failed: dict[str, str] = {}

    def run(self, site: SiteConfig, step: Callable[[], Any]) -> None:
        try:
            self.done[site.id] = step()
        except Exception as exc:
            if self.on_failure is not None:
                try:
                    self.on_failure(site, f"{type(exc).__name__}: {exc}")
                except Exception as record_exc:  # the site's own error is what ops must see
                    self.context.log.error(f"site {site.id}: could not record the failure: {record_exc}")
            if not self.multi:
                if isinstance(exc, USER_FACING_ERRORS):  # a message for ops, not a stack trace
                    raise Failure(description=f"{site.id}: {exc}") from None
                raise
            self.failed[site.id] = f"{type(exc).__name__}: {exc}"
            self.context.log.error(f"site {site.id}: failed, its previous rows are kept: {exc}")

    def results(self) -> SiteResults:
        if self.failed and not self.done:
            raise Failure(description="every site failed: " + "; ".join(
                f"{site}: {error}" for site, error in self.failed.items()))
        return SiteResults(self.done, self.failed)


def for_each_site(
    context: AssetExecutionContext, sites: SitesResource, step: Callable[[SiteConfig], Any],
    *, on_failure: OnFailure | None = None,
) -> SiteResults:
    """Run ``step`` per site; with several sites a failing one is reported, not fatal."""
    outcomes = _Outcomes(context, sites, on_failure)
    for site in sites.selected:
        outcomes.run(site, lambda site=site: step(site))
    return outcomes.results()


def fetch_then_write(
    context: AssetExecutionContext,
    sites: SitesResource,
    fetch: Callable[[SiteConfig], F],
    write: Callable[[SiteConfig, F], Any],
    *,
    max_concurrent: int,
    on_failure: OnFailure | None = None,
) -> SiteResults:
    """``write(site, fetch(site))`` per site: fetches in up to ``max_concurrent`` threads, writes
    here, in the order the fetches finish. A site is fetched only when a slot is free and its
    data is dropped once written, so at most ``max_concurrent`` sites' rows wait in memory."""
    if max_concurrent <= 1 or len(sites.selected) <= 1:
        return for_each_site(context, sites, lambda site: write(site, fetch(site)),
                             on_failure=on_failure)
    outcomes = _Outcomes(context, sites, on_failure)
    queue = iter(sites.selected)
    running: dict[Future[F], SiteConfig] = {}
    with ThreadPoolExecutor(max_workers=max_concurrent, thread_name_prefix="site-fetch") as pool:

        def start_next() -> None:
            site = next(queue, None)
            if site is not None:
                running[pool.submit(fetch, site)] = site

        for _ in range(max_concurrent):
            start_next()
        while running:
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                site = running.pop(future)
                outcomes.run(site, lambda site=site, future=future: write(site, future.result()))
                start_next()
    return outcomes.results()
