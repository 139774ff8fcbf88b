"""E-mail a rendered report with the standard library (email + smtplib): the weekly send.

The parts have their own modules: addresses and header text (``email_addresses``), the SMTP
settings (``smtp_config``), the message (``email_message``), the SMTP conversation
(``smtp_transport``) and the sent marker (``sent_marker``). This one sends a report once per
week and language (``force`` to repeat), or writes it to ``report.eml`` on a dry run; the
rendered report stays on disk whatever happens.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from pathlib import Path

from kpi_pipeline.delivery.email.message import build_message
from kpi_pipeline.delivery.email.smtp_config import SmtpConfig
from kpi_pipeline.delivery.email.smtp_transport import DeliveryError, deliver
from kpi_pipeline.delivery.paths import DEFAULT_LANG, lang_name
from kpi_pipeline.delivery.report.render import RenderedReport
from kpi_pipeline.delivery.sent_marker import read_sent_marker, write_marker

EML_NAME = "report.eml"


class AlreadySentError(DeliveryError):
    """The week's report was sent before; pass ``force=True`` to send it again."""


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
