"""The delivery resource: report language and formats, SMTP settings (password via EnvVar)."""

from typing import Any

from dagster import ConfigurableResource, EnvVar

from kpi_pipeline.delivery.email import SmtpConfig, parse_addresses
from kpi_pipeline.sites import SiteConfig


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

    @classmethod
    def from_settings(cls, settings: Any) -> "DeliveryResource":
        """From :class:`~kpi_pipeline.settings.Settings`; the SMTP password stays an ``EnvVar``
        (an environment reference: never copied into run config, the UI or logs)."""
        return cls(
            smtp_host=settings.smtp_host,
            smtp_port=settings.smtp_port,
            smtp_security=settings.smtp_security,
            smtp_username=settings.smtp_username,
            smtp_password=EnvVar("SMTP_PASSWORD") if settings.smtp_password else None,
            smtp_timeout=settings.smtp_timeout,
            smtp_ca_file=str(settings.smtp_ca_file) if settings.smtp_ca_file else None,
            report_from=settings.report_from,
            report_to=settings.report_to,
            report_cc=settings.report_cc,
            alert_to=settings.alert_to,
        )

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
