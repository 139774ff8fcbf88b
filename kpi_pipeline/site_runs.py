"""Run a step once per site, so that one site's failure does not stop the others.

With one site, an error fails the step (a user-facing error as a clean Dagster ``Failure``).
With several, a failing site is logged at ERROR, keeps its previous rows (every write replaces a
partition atomically) and is listed as ``failed_sites`` in the asset's metadata; the step only
fails when every site failed.
"""

from collections.abc import Callable
from typing import Any

from dagster import AssetExecutionContext, Failure, MetadataValue

from kpi_pipeline.sites import SiteConfig, SitesResource
from kpi_pipeline.sources.crm import CrmCsvError
from kpi_pipeline.sources.custom import CustomCsvError
from kpi_pipeline.sources.ga4.errors import GA4Error
from kpi_pipeline.targets import TargetsError

# Errors whose message says what is wrong and what to do (quota, credentials, a bad file).
USER_FACING_ERRORS: tuple[type[Exception], ...] = (GA4Error, CrmCsvError, CustomCsvError, TargetsError)


class SiteResults(dict):
    """Per-site results of a step, plus the sites that failed (shown in the asset metadata)."""

    def __init__(self, done: dict[str, Any], failed: dict[str, str]) -> None:
        super().__init__(done)
        self.failed = failed

    def metadata(self) -> dict[str, Any]:
        return {"failed_sites": MetadataValue.json(self.failed)} if self.failed else {}


def for_each_site(
    context: AssetExecutionContext, sites: SitesResource, step: Callable[[SiteConfig], Any]
) -> SiteResults:
    """Run ``step`` per site; with several sites a failing one is reported, not fatal."""
    done: dict[str, Any] = {}
    failed: dict[str, str] = {}
    for site in sites.sites:
        try:
            done[site.id] = step(site)
        except Exception as exc:
            if not sites.multi:
                if isinstance(exc, USER_FACING_ERRORS):  # a message for ops, not a stack trace
                    raise Failure(description=f"{site.id}: {exc}") from None
                raise
            failed[site.id] = f"{type(exc).__name__}: {exc}"
            context.log.error(f"site {site.id}: failed, its previous rows are kept: {exc}")
    if failed and not done:
        raise Failure(description="every site failed: " + "; ".join(
            f"{site}: {error}" for site, error in failed.items()))
    return SiteResults(done, failed)
