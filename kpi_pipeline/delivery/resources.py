"""The delivery resource: report language and formats, SMTP settings (password via EnvVar),
the reports' web address and the chat webhooks (URLs via EnvVar: they are secrets)."""

from pathlib import Path
from typing import Any

from dagster import ConfigurableResource, EnvVar

from kpi_pipeline.config.sites import SiteConfig
from kpi_pipeline.delivery.chat.post import ChatTarget
from kpi_pipeline.delivery.email.addresses import parse_addresses
from kpi_pipeline.delivery.email.smtp_config import SmtpConfig
from kpi_pipeline.delivery.paths import report_link


class DeliveryResource(ConfigurableResource):
    """How the weekly report is rendered and e-mailed (DESIGN.md §9: SMTP_*, REPORT_*)."""

    formats: list[str] = ["html", "pdf"]
    smtp_host: str | None = None
    smtp_port: int | None = None
    smtp_security: str = "starttls"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_timeout: float = 30.0
    smtp_ca_file: str | None = None
    report_from: str | None = None
    report_to: str | None = None
    report_cc: str | None = None

    alert_to: str | None = None
    report_base_url: str | None = None
    slack_webhook_url: str | None = None
    teams_webhook_url: str | None = None
    chat_timeout: float = 10.0
    webserver_url: str | None = None  # the Dagster UI as ops reach it: failure alerts link runs
    templates: str | None = None  # KPI_REPORT_TEMPLATES: a folder replacing the shipped templates
    report_workers: int = 0  # KPI_REPORT_WORKERS: reports rendered at once; 0: one per usable core

    @classmethod
    def from_settings(cls, settings: Any, *, resolved: bool = False) -> "DeliveryResource":
        """From :class:`~kpi_pipeline.config.settings.Settings`; the SMTP password and the webhooks stay
        ``EnvVar`` (an environment reference: never copied into run config, the UI or logs).

        ``resolved``: their values instead, for the CLI's own use outside a Dagster run (the
        same values a run resolves, without initialising the resource, which needs a Dagster
        instance: ~1 s for an ephemeral one). Such a resource is never handed to Dagster.
        """

        def secret(name: str, value: Any) -> Any:
            if not value:
                return None
            return value.get_secret_value() if resolved else EnvVar(name)

        return cls(
            smtp_host=settings.smtp_host,
            smtp_port=settings.smtp_port,
            smtp_security=settings.smtp_security,
            smtp_username=settings.smtp_username,
            smtp_password=secret("SMTP_PASSWORD", settings.smtp_password),
            smtp_timeout=settings.smtp_timeout,
            smtp_ca_file=str(settings.smtp_ca_file) if settings.smtp_ca_file else None,
            report_from=settings.report_from,
            report_to=settings.report_to,
            report_cc=settings.report_cc,
            alert_to=settings.alert_to,
            report_base_url=settings.report_base_url,
            slack_webhook_url=secret("SLACK_WEBHOOK_URL", settings.slack_webhook_url),
            teams_webhook_url=secret("TEAMS_WEBHOOK_URL", settings.teams_webhook_url),
            chat_timeout=settings.chat_timeout,
            webserver_url=settings.dagster_webserver_url,
            templates=str(settings.kpi_report_templates) if settings.kpi_report_templates else None,
            report_workers=settings.kpi_report_workers,
        )

    @property
    def templates_path(self) -> Path | None:
        return Path(self.templates) if self.templates else None

    @property
    def email_configured(self) -> bool:
        """Some SMTP setting is there: e-mail is meant to go (and missing parts are errors)."""
        return bool(self.smtp_host or self.report_from)

    def chat_targets(self) -> list[ChatTarget]:
        """The chat channels with a webhook URL, Slack first."""
        return [ChatTarget(channel, url.strip(), self.chat_timeout)
                for channel, url in (("slack", self.slack_webhook_url),
                                     ("teams", self.teams_webhook_url)) if url]

    def link(self, path: Path, reports_root: Path) -> str:
        """Where readers open ``path``: under REPORT_BASE_URL, else the file on this machine."""
        return report_link(path, reports_root, self.report_base_url)

    def can_send(self, site: SiteConfig) -> bool:
        """SMTP server, sender and recipients (the site's own or REPORT_TO) are all set."""
        return bool(self.smtp_host and self.report_from and (site.report_to or self.report_to))

    @property
    def alerts_configured(self) -> bool:
        return bool(self.smtp_host and self.report_from and (self.alert_to or self.report_to))

    def config_for(self, site: SiteConfig, *, preview: bool = False) -> SmtpConfig:
        """Where ``site``'s report goes: its own recipients, else REPORT_TO/REPORT_CC.

        ``preview`` (a dry run, or e-mail not configured) gives a config that only names the
        sender and recipients, for writing ``report.eml``; nothing is sent with it.
        """
        to = site.report_to or self.report_to
        if preview or not self.can_send(site):
            return SmtpConfig(
                host="localhost",
                sender=parse_addresses(self.report_from or "kpi-pipeline@localhost", "REPORT_FROM")[0],
                to=parse_addresses(to or "team@localhost", "REPORT_TO"),
                cc=parse_addresses(site.report_cc or self.report_cc, "REPORT_CC"),
            )
        return self.smtp_config(to=to, cc=site.report_cc or self.report_cc)

    def smtp_config(self, *, to: str | None = None, cc: str | None = None) -> SmtpConfig:
        """The SMTP settings (recipients: a site's own, else REPORT_TO/REPORT_CC); raises
        ValueError naming what is missing."""
        return SmtpConfig.build(
            host=self.smtp_host, sender=self.report_from, to=to or self.report_to,
            cc=cc or self.report_cc, port=self.smtp_port, security=self.smtp_security,
            username=self.smtp_username, password=self.smtp_password, timeout=self.smtp_timeout,
            ca_file=self.smtp_ca_file,
        )
