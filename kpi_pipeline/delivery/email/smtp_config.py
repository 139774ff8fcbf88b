"""Where and how to send e-mail: the SMTP server, security, login and the addresses."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from kpi_pipeline.delivery.email.addresses import AddressError, addr_spec, parse_addresses

Security = Literal["none", "starttls", "ssl"]
DEFAULT_PORTS: dict[str, int] = {"none": 25, "starttls": 587, "ssl": 465}


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send: from ``SMTP_*`` and ``REPORT_*`` settings."""

    host: str
    sender: str
    to: tuple[str, ...]
    port: int | None = None
    security: Security = "starttls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    cc: tuple[str, ...] = ()
    ca_file: Path | None = None

    @property
    def effective_port(self) -> int:
        return self.port or DEFAULT_PORTS[self.security]

    @property
    def server(self) -> str:
        return f"{self.host}:{self.effective_port}"

    @property
    def recipients(self) -> tuple[str, ...]:
        return tuple(addr_spec(a) for a in self.to + self.cc)

    @classmethod
    def build(
        cls, *, host: str | None, sender: str | None, to: str | None, cc: str | None = None,
        port: int | None = None, security: str = "starttls", username: str | None = None,
        password: str | None = None, timeout: float = 30.0, ca_file: str | Path | None = None,
    ) -> SmtpConfig:
        """Validate settings-style values (address lists as text); raises ValueError naming
        what is missing (``SMTP_HOST``, ``REPORT_FROM``, ``REPORT_TO``)."""
        missing = [name for name, value in (("SMTP_HOST", host), ("REPORT_FROM", sender),
                                            ("REPORT_TO", to)) if not value]
        if missing:
            raise AddressError(f"e-mail delivery needs {', '.join(missing)} to be set")
        senders = parse_addresses(sender, "REPORT_FROM")
        if len(senders) != 1:
            raise AddressError("REPORT_FROM must be exactly one address")
        return cls(
            host=host, port=port, security=security, username=username,  # type: ignore[arg-type]
            password=password, timeout=timeout, sender=senders[0],
            to=parse_addresses(to, "REPORT_TO"), cc=parse_addresses(cc, "REPORT_CC"),
            ca_file=Path(ca_file) if ca_file else None,
        )

    @classmethod
    def from_settings(cls, settings: Any) -> SmtpConfig:
        """From :class:`kpi_pipeline.config.settings.Settings` (REPORT_TO / REPORT_CC as recipients)."""
        password = settings.smtp_password
        return cls.build(
            host=settings.smtp_host, sender=settings.report_from, to=settings.report_to,
            cc=settings.report_cc, port=settings.smtp_port, security=settings.smtp_security,
            username=settings.smtp_username,
            password=password.get_secret_value() if password is not None else None,
            timeout=settings.smtp_timeout, ca_file=settings.smtp_ca_file,
        )

    def tls_context(self) -> ssl.SSLContext:
        """Verifying TLS context: system roots, or ``ca_file`` (a private or test CA)."""
        return ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)
