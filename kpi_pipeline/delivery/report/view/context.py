"""What every part of the report view needs: the data, the language, its words and formats."""

from __future__ import annotations

from collections.abc import Callable

from kpi_pipeline.delivery.report.model import ReportData
from kpi_pipeline.delivery.report.view.why import Why
from kpi_pipeline.delivery.wording.formatting import Formatter
from kpi_pipeline.delivery.wording.messages import translator


class ViewContext:
    """One report's data in one language, with its translator ``t``, formatter ``f`` and
    :class:`Why` (the explanations); ``charts`` says whether chart images are referenced."""

    def __init__(self, data: ReportData, lang: str, charts: bool) -> None:
        self.data = data
        self.lang = lang
        self.t: Callable[..., str] = translator(lang)
        self.f = Formatter(lang)
        self.charts = charts
        self.why = Why(data, lang)

    def status_label(self, status: str) -> str:
        key = f"status_{status}"
        try:
            return self.t(key)
        except KeyError:
            return status
