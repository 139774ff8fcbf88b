"""The report as one e-mail message.

``multipart/mixed { multipart/related { multipart/alternative { text/plain, text/html }, inline
PNG charts (cid:) }, the PDF }``, headed by the link to the report.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage, MIMEPart
from email.utils import format_datetime, make_msgid

from kpi_pipeline.delivery.email.addresses import addr_spec, header_text
from kpi_pipeline.delivery.email.smtp_config import SmtpConfig
from kpi_pipeline.delivery.report.render import RenderedReport

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
    domain = addr_spec(config.sender).rpartition("@")[2] or "kpi-pipeline.local"
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
