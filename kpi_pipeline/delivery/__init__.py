"""Everything after the marts: the weekly check report (HTML, PDF, charts) and its e-mail.

``load_report_data`` reads the marts into a plain :class:`ReportData`; ``render_report`` writes
the report folder; ``send_report`` e-mails it (or writes ``report.eml`` on a dry run).
"""

from kpi_pipeline.calendar import iso_week_label
from kpi_pipeline.delivery.email.message import build_message
from kpi_pipeline.delivery.email.send import AlreadySentError, DeliveryResult, send_report
from kpi_pipeline.delivery.email.smtp_config import SmtpConfig
from kpi_pipeline.delivery.email.smtp_transport import DeliveryError
from kpi_pipeline.delivery.report.load import load_report_data
from kpi_pipeline.delivery.report.model import ReportData
from kpi_pipeline.delivery.report.render import RenderedReport, render_report, report_dir

__all__ = [
    "AlreadySentError",
    "DeliveryError",
    "DeliveryResult",
    "RenderedReport",
    "ReportData",
    "SmtpConfig",
    "build_message",
    "iso_week_label",
    "load_report_data",
    "render_report",
    "report_dir",
    "send_report",
]
