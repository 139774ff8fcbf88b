"""The sites one deployment serves: one from the environment, or several from ``KPI_SITES``.

Every table is keyed by ``site_id``, so several GA4 properties (each with its own CRM file,
targets, report language and recipients) share one warehouse. Without ``KPI_SITES`` there is
exactly one site, configured by the plain environment variables of DESIGN.md §9.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from dagster import Config, ConfigurableResource, InitResourceContext
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from kpi_pipeline.catalog import DEFAULT_KEY_PATHS, DEFAULT_SHARE_EVENTS
from kpi_pipeline.config.settings import SITE_ID_PATTERN, Settings, no_line_break
from kpi_pipeline.config.yaml_file import YamlFileError, field_label, line_of, load_yaml
from kpi_pipeline.errors import UserError


class SiteConfig(Config):
    """One site: where its data comes from, what it is measured against, who gets the report.

    A Dagster ``Config`` so that the UI shows each site's settings on the ``sites`` resource.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str | None = None
    source: Literal["demo", "ga4"] = "demo"
    ga4_property_id: str | None = None
    crm_csv: str | None = None
    targets: str | None = None
    report_lang: Literal["ja", "en"] = "ja"
    report_to: str | None = None
    report_cc: str | None = None
    key_paths: list[str] = Field(default_factory=lambda: list(DEFAULT_KEY_PATHS))
    share_events: list[str] = Field(default_factory=lambda: list(DEFAULT_SHARE_EVENTS))

    @field_validator("id")
    @classmethod
    def _plain_id(cls, value: str) -> str:
        if not SITE_ID_PATTERN.match(value):
            raise ValueError("use letters, digits, '-' or '_' (it names folders and table keys)")
        return value

    @field_validator("ga4_property_id")
    @classmethod
    def _numeric_property(cls, value: str | None) -> str | None:
        if value is not None and not str(value).isdigit():
            raise ValueError("a GA4 property id is a number, e.g. 123456789")
        return None if value is None else str(value)

    @field_validator("report_to", "report_cc")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        return no_line_break(value)

    @property
    def label(self) -> str:
        return self.name or self.id


class _SitesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sites: list[SiteConfig] = Field(min_length=1)


class SitesError(UserError):
    """A mistake in the sites file; the message names file, line and field."""

    title = "sites file has errors"
    listing = True


def load_sites_file(path: Path) -> list[SiteConfig]:
    """Parse and validate ``KPI_SITES``; raises :class:`SitesError` listing every mistake."""
    try:
        root = load_yaml(path, "KPI_SITES")
    except YamlFileError as exc:
        raise SitesError(str(exc)) from None
    try:
        parsed = _SitesFile.model_validate(root or {})
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            where = f"{path}:{line_of(root, loc)}"
            message = error["msg"].removeprefix("Value error, ")
            lines.append(f"{where}: {field_label(loc)}: {message}" if loc else f"{where}: {message}")
        raise SitesError("\n".join(lines)) from None
    seen: set[str] = set()
    for i, site in enumerate(parsed.sites):
        if site.id in seen:
            raise SitesError(f"{path}:{line_of(root, ('sites', i, 'id'))}: sites[{i}].id: "
                             f"duplicate site id {site.id!r}")
        seen.add(site.id)
        if check_name(site.id, "") in {check_name(o.id, "") for o in parsed.sites[:i]}:
            raise SitesError(f"{path}:{line_of(root, ('sites', i, 'id'))}: sites[{i}].id: "
                             f"{site.id!r} differs from another site only by '-' and '_' "
                             "(their status checks in Dagster would share a name)")
        if site.source == "ga4" and not site.ga4_property_id:
            raise SitesError(f"{path}:{line_of(root, ('sites', i))}: sites[{i}]: "
                             "source ga4 needs ga4_property_id")
    return [
        site.model_copy(update={"crm_csv": _beside(path, site.crm_csv),
                                "targets": _beside(path, site.targets)})
        for site in parsed.sites
    ]


def _beside(sites_file: Path, value: str | None) -> str | None:
    """Relative paths in the sites file are relative to the file itself."""
    if value is None or Path(value).is_absolute():
        return value
    return str(sites_file.parent / value)


def configured_sites(settings: Settings) -> list[SiteConfig]:
    """The sites to run: from ``KPI_SITES`` if set, else the one site of the environment.

    Every site leaves here with its targets file resolved: a site of ``KPI_SITES`` without
    ``targets:`` gets :attr:`Settings.targets_path`, the file ``targets check`` validates.
    """
    if settings.kpi_sites is not None:
        return [site if site.targets else site.model_copy(update={"targets": str(settings.targets_path)})
                for site in load_sites_file(settings.kpi_sites)]
    property_ids = [p.strip().removeprefix("properties/")
                    for p in (settings.ga4_property_id or "").split(",") if p.strip()]
    if settings.kpi_source == "ga4" and len(property_ids) > 1:
        # GA4_PROPERTY_ID=111,222: one site per property, keyed by the property id
        return [SiteConfig(id=pid, source="ga4", ga4_property_id=pid,
                           targets=str(settings.targets_path), report_lang=settings.report_lang,
                           report_to=settings.report_to, report_cc=settings.report_cc)
                for pid in property_ids]
    return [SiteConfig(
        id=settings.site_id,
        source=settings.kpi_source,
        ga4_property_id=property_ids[0] if property_ids else None,
        crm_csv=str(settings.crm_csv) if settings.crm_csv else None,
        targets=str(settings.targets_path),
        report_lang=settings.report_lang,
        report_to=settings.report_to,
        report_cc=settings.report_cc,
    )]


def select_site(sites: list[SiteConfig], site_id: str | None, *, label: str = "--site") -> list[SiteConfig]:
    """The one site ``site_id`` (``--site``, the ``kpi/site`` run tag), or every site when none
    is named; an unknown id raises :class:`SitesError` naming the known ones."""
    if site_id is None:
        return sites
    chosen = [s for s in sites if s.id == site_id]
    if not chosen:
        raise SitesError(f"{label} {site_id!r}: known sites are {', '.join(s.id for s in sites)}")
    return chosen


def check_name(site_id: str, what: str) -> str:
    """The asset check name of ``site_id`` (Dagster names allow no ``-``): ``site_<id>_<what>``."""
    return f"site_{site_id.replace('-', '_')}_{what}"


# The run tag that narrows a run to one site: set in the launchpad, on a backfill, or by the
# CLI's ``--site``. One way to address a site, whoever starts the run.
SITE_TAG = "kpi/site"


class SitesResource(ConfigurableResource):
    """Every configured site, and the ones this run serves: all of them, or the one named by the
    run tag ``kpi/site``. Assets loop over :attr:`selected`; folders and the archive stay laid out
    for every site."""

    sites: list[SiteConfig]
    _only: str | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        """Read ``kpi/site`` from the run's tags; an unknown site fails the run naming the known
        ones (before any step writes)."""
        run = context.run
        site_id = run.tags.get(SITE_TAG) if run is not None else None
        if site_id is not None:
            select_site(self.sites, site_id, label=f"run tag {SITE_TAG}")
        self._only = site_id

    @property
    def selected(self) -> list[SiteConfig]:
        """The sites this run works on (all, or the one of the ``kpi/site`` tag)."""
        return select_site(self.sites, self._only)

    @property
    def multi(self) -> bool:
        return len(self.sites) > 1

    def report_folder(self, reports_root: Path, site: SiteConfig) -> Path:
        """``reports/`` for a single site (DESIGN.md), ``reports/<site>/`` for several."""
        return reports_root / site.id if self.multi else reports_root

    def week_folder(self, reports_root: Path, site: SiteConfig, iso_week: str) -> Path:
        """The folder of ``site``'s report of ``iso_week``: the one place it is built."""
        return self.report_folder(reports_root, site) / iso_week
