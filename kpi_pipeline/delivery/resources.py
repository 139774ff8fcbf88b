"""The delivery resource: report language and formats, SMTP settings (password via EnvVar)."""

from pathlib import Path

from dagster import ConfigurableResource

from kpi_pipeline.delivery.email import SmtpConfig, parse_addresses


class DeliveryResource(ConfigurableResource):
    """How the weekly report is rendered and e-mailed (DESIGN.md §9: SMTP_*, REPORT_*)."""

    lang: str = "ja"
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

    @property
    def email_configured(self) -> bool:
        return bool(self.smtp_host and self.report_from and self.report_to)

    def smtp_config(self, *, to: str | None = None, cc: str | None = None) -> SmtpConfig:
        """The SMTP settings (recipients: a site's own, else REPORT_TO/REPORT_CC); raises
        ValueError naming what is missing."""
        to = to or self.report_to
        cc = cc or self.report_cc
        missing = [name for name, value in (("SMTP_HOST", self.smtp_host),
                                            ("REPORT_FROM", self.report_from),
                                            ("REPORT_TO", to)) if not value]
        if missing:
            raise ValueError(f"e-mail delivery needs {', '.join(missing)} to be set")
        senders = parse_addresses(self.report_from, "REPORT_FROM")
        if len(senders) != 1:
            raise ValueError("REPORT_FROM must be exactly one address")
        return SmtpConfig(
            host=self.smtp_host,
            port=self.smtp_port,
            security=self.smtp_security,  # type: ignore[arg-type]
            username=self.smtp_username,
            password=self.smtp_password,
            timeout=self.smtp_timeout,
            sender=senders[0],
            to=parse_addresses(to, "REPORT_TO"),
            cc=parse_addresses(cc, "REPORT_CC"),
            ca_file=Path(self.smtp_ca_file) if self.smtp_ca_file else None,
        )
