"""E-mail a rendered report with the standard library (email + smtplib).

The message is ``multipart/mixed { multipart/related { multipart/alternative { text/plain,
text/html }, inline PNG charts (cid:) }, the PDF }``. Every header value passes through
:func:`header_text`, so a name from data cannot add a header. Errors name the server and the
recipients, never the password; the rendered report stays on disk whatever happens.
"""

from __future__ import annotations

import html
import json
import re
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.utils import format_datetime, getaddresses, make_msgid
from pathlib import Path
from typing import Any, Literal

from kpi_pipeline.delivery.paths import DEFAULT_LANG, lang_name
from kpi_pipeline.delivery.render import SENT_MARKER, RenderedReport
from kpi_pipeline.errors import UserError

Security = Literal["none", "starttls", "ssl"]
DEFAULT_PORTS: dict[str, int] = {"none": 25, "starttls": 587, "ssl": 465}
EML_NAME = "report.eml"
_CONTROL = {c: " " for c in range(32)} | {0x7F: " ", 0x85: " ", 0x2028: " ", 0x2029: " "}


class DeliveryError(Exception):
    """Sending failed (or was refused); the message names server and recipients."""

    def __init__(self, message: str, *, server: str = "", recipients: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.server = server
        self.recipients = recipients


class AddressError(UserError):
    """An e-mail setting is not usable (missing, not an address, a line break): the user's to fix."""

    title = "e-mail settings are wrong"


class AlreadySentError(DeliveryError):
    """The week's report was sent before; pass ``force=True`` to send it again."""


def header_text(value: str) -> str:
    """One line of header text: CR, LF and other control characters become spaces."""
    return " ".join(str(value).translate(_CONTROL).split())


def parse_addresses(value: str | None, field_name: str) -> tuple[str, ...]:
    """``a@x.jp, 名前 <b@y.jp>`` → addresses, validated; raises ValueError naming the field."""
    if not value or not value.strip():
        return ()
    if any(c in value for c in "\r\n\0"):
        raise AddressError(f"{field_name} contains a line break")
    out = []
    for name, addr in getaddresses([value]):
        if not addr or "@" not in addr or " " in addr:
            raise AddressError(f"{field_name}: {addr or value!r} is not an e-mail address")
        out.append(str(Address(display_name=header_text(name), addr_spec=addr)) if name else addr)
    return tuple(out)


def _addr_spec(address: str) -> str:
    return getaddresses([address])[0][1]


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
        return tuple(_addr_spec(a) for a in self.to + self.cc)

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
        """From :class:`kpi_pipeline.settings.Settings` (REPORT_TO / REPORT_CC as recipients)."""
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


@dataclass(frozen=True)
class DeliveryResult:
    """What happened: sent (to whom) or written to ``eml_path`` on a dry run."""

    message_id: str
    subject: str
    accepted: tuple[str, ...]
    refused: dict[str, str]
    sent_at: datetime
    dry_run: bool
    eml_path: Path | None = None
    server: str = ""


LINK_LABELS = {"ja": ("Web版のレポート", "レポートのファイル"),
               "en": ("Report on the web", "Report file")}
_BODY = re.compile(r"<body\b[^>]*>", re.I)


def link_line(link: str, lang: str) -> str:
    """``Web版のレポート: https://…`` (or, without REPORT_BASE_URL, the file on disk)."""
    web, file = LINK_LABELS.get(lang, LINK_LABELS["en"])
    return f"{web if '://' in link else file}: {link}"


def _with_link(text: str, body_html: str, link: str | None, lang: str) -> tuple[str, str]:
    """The text and HTML bodies with the report's link as their first line."""
    if not link:
        return text, body_html
    line = link_line(link, lang)
    label, _, target = line.partition(": ")
    anchor = (f'<p style="margin: 0 0 12px; font-size: 14px">{html.escape(label)}: '
              f'<a href="{html.escape(target, quote=True)}">{html.escape(target)}</a></p>'
              if "://" in target else
              f'<p style="margin: 0 0 12px; font-size: 14px">{html.escape(line)}</p>')
    found = _BODY.search(body_html)
    at = found.end() if found else 0
    return f"{line}\n\n{text}", body_html[:at] + anchor + body_html[at:]


def build_message(
    report: RenderedReport, config: SmtpConfig, *, now: datetime | None = None,
    link: str | None = None,
) -> EmailMessage:
    """The e-mail for ``report``: text + HTML with inline PNG charts, and the PDF attached.
    ``link`` (the web address of the HTML report, or its file path) heads both bodies."""
    now = now or datetime.now(UTC)
    domain = _addr_spec(config.sender).rpartition("@")[2] or "kpi-pipeline.local"
    msg = EmailMessage(policy=policy.SMTP)
    msg["Subject"] = header_text(report.subject)
    msg["From"] = header_text(config.sender)
    msg["To"] = ", ".join(header_text(a) for a in config.to)
    if config.cc:
        msg["Cc"] = ", ".join(header_text(a) for a in config.cc)
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(idstring=header_text(report.iso_week), domain=domain)
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-KPI-Week"] = header_text(report.iso_week)
    msg["MIME-Version"] = "1.0"

    text, body_html = _with_link(report.email_text.read_text(encoding="utf-8"),
                                 report.email_html.read_text(encoding="utf-8"), link, report.lang)
    alternative = MIMEPart(policy=policy.SMTP)
    alternative.set_content(text, cte="base64")
    alternative.add_alternative(body_html, subtype="html", cte="base64")
    related = MIMEPart(policy=policy.SMTP)
    related.make_related()
    related.attach(alternative)
    for chart in report.charts:
        related.add_related(chart.path.read_bytes(), "image", "png", cid=f"<{chart.cid}>",
                            disposition="inline", filename=f"{chart.name}.png")
    msg.make_mixed()
    msg.attach(related)
    if report.pdf is not None:
        msg.add_attachment(report.pdf.read_bytes(), "application", "pdf",
                           filename=f"kpi-report-{header_text(report.iso_week)}.pdf")
    return msg


def _scrub(text: str, config: SmtpConfig) -> str:
    if config.password:
        text = text.replace(config.password, "***")
    return text


def _reply(code: int, resp: bytes | str) -> str:
    text = resp.decode("utf-8", "replace") if isinstance(resp, bytes) else str(resp)
    return f"{code} {' '.join(text.split())}"


def _connect(config: SmtpConfig, context: ssl.SSLContext | None) -> smtplib.SMTP:
    host, port, timeout = config.host, config.effective_port, config.timeout
    if config.security == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            host, port, timeout=timeout, context=context or config.tls_context()
        )
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    try:
        smtp.ehlo()
        if config.security == "starttls":
            smtp.starttls(context=context or config.tls_context())
            smtp.ehlo()
        if config.username:
            smtp.login(config.username, config.password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def deliver(
    msg: EmailMessage, config: SmtpConfig, context: ssl.SSLContext | None, where: str
) -> dict[str, str]:
    """Deliver; returns refused recipients (some refused). Raises DeliveryError otherwise."""
    server, rcpts = config.server, config.recipients
    who = ", ".join(rcpts)
    fail = lambda text: DeliveryError(  # noqa: E731
        _scrub(f"{text} The report was not sent; it is still in {where}.", config),
        server=server, recipients=rcpts,
    )
    try:
        smtp = _connect(config, context)
    except smtplib.SMTPAuthenticationError as exc:
        raise fail(
            f"The SMTP server {server} rejected the login of user {config.username!r} "
            f"({_reply(exc.smtp_code, exc.smtp_error)}); check SMTP_USERNAME and SMTP_PASSWORD."
        ) from None
    except smtplib.SMTPNotSupportedError as exc:
        raise fail(
            f"The SMTP server {server} does not offer STARTTLS ({exc}); check SMTP_SECURITY."
        ) from None
    except ssl.SSLError as exc:
        raise fail(
            f"TLS with the SMTP server {server} failed ({exc.reason or exc}); check SMTP_SECURITY "
            "and, for a private certificate authority, SMTP_CA_FILE."
        ) from None
    except smtplib.SMTPException as exc:
        raise fail(f"The SMTP server {server} failed before sending: {exc}.") from None
    except OSError as exc:  # refused, unreachable, timed out
        reason = exc.strerror or exc.__class__.__name__
        raise fail(
            f"Could not connect to the SMTP server {server} ({config.security}): {reason}."
        ) from None
    try:
        refused = smtp.send_message(msg, from_addr=_addr_spec(config.sender), to_addrs=list(rcpts))
    except smtplib.SMTPRecipientsRefused as exc:
        detail = "; ".join(f"{a} ({_reply(c, m)})" for a, (c, m) in exc.recipients.items())
        raise fail(f"The SMTP server {server} refused every recipient: {detail}.") from None
    except smtplib.SMTPSenderRefused as exc:
        raise fail(
            f"The SMTP server {server} refused the sender {exc.sender} "
            f"({_reply(exc.smtp_code, exc.smtp_error)}) for recipients {who}."
        ) from None
    except smtplib.SMTPResponseException as exc:
        raise fail(
            f"The SMTP server {server} refused the message for {who} "
            f"({_reply(exc.smtp_code, exc.smtp_error)})."
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise fail(f"Sending to {who} via {server} failed: {exc}.") from None
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()
    return {a: _reply(c, m) for a, (c, m) in refused.items()}


def read_sent_marker(out_dir: Path, lang: str = DEFAULT_LANG,
                     name: str = SENT_MARKER) -> dict[str, Any] | None:
    """The ``sent.json`` of a report folder's ``lang`` (or another marker ``name``), if sent."""
    path = Path(out_dir) / lang_name(name, lang)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def write_marker(path: Path, doc: dict[str, Any]) -> None:
    """Write a "sent" marker whole or not at all (a reader never sees half of one)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(path)


def _write_marker(report: RenderedReport, result: DeliveryResult) -> None:
    doc = {
        "message_id": result.message_id,
        "sent_at": result.sent_at.isoformat(),
        "iso_week": report.iso_week,
        "site_id": report.site_id,
        "subject": result.subject,
        "server": result.server,
        "recipients": list(result.accepted),
        "refused": result.refused,
    }
    write_marker(report.marker(), doc)


def send_report(
    report: RenderedReport | Path,
    config: SmtpConfig,
    *,
    dry_run: bool = False,
    force: bool = False,
    ssl_context: ssl.SSLContext | None = None,
    now: datetime | None = None,
    link: str | None = None,
    lang: str = DEFAULT_LANG,
) -> DeliveryResult:
    """Send a rendered report (or its folder) by e-mail.

    ``dry_run`` writes ``report.eml`` next to the report instead. A week already sent (its
    ``sent.json`` exists) is only sent again with ``force=True``. ``ssl_context`` overrides
    the verifying context built from ``config`` (e.g. to trust a test certificate). ``link``
    heads the message (see :func:`build_message`); ``lang`` picks the language of a folder.
    """
    if not isinstance(report, RenderedReport):
        report = RenderedReport.load(Path(report), lang)
    now = now or datetime.now(UTC)
    msg = build_message(report, config, now=now, link=link)
    base = dict(message_id=msg["Message-ID"], subject=str(msg["Subject"]), sent_at=now,
                server=config.server)
    if dry_run:
        eml = report.out_dir / lang_name(EML_NAME, report.lang)
        eml.write_bytes(msg.as_bytes(policy=policy.SMTP))
        return DeliveryResult(accepted=(), refused={}, dry_run=True, eml_path=eml, **base)
    marker = read_sent_marker(report.out_dir, report.lang)
    if marker is not None and not force:
        raise AlreadySentError(
            f"The {report.iso_week} report was already sent on {marker.get('sent_at')} to "
            f"{', '.join(marker.get('recipients', []))}; use force=True (--force) to send again.",
            server=config.server, recipients=config.recipients,
        )
    refused = deliver(msg, config, ssl_context, str(report.out_dir))
    accepted = tuple(a for a in config.recipients if a not in refused)
    result = DeliveryResult(accepted=accepted, refused=refused, dry_run=False, **base)
    _write_marker(report, result)
    if refused:
        detail = "; ".join(f"{a} ({why})" for a, why in refused.items())
        raise DeliveryError(
            f"The report was sent via {config.server} to {', '.join(accepted)}, but the server "
            f"refused {detail}. Fix the address and send again with force=True.",
            server=config.server, recipients=tuple(refused),
        )
    return result
