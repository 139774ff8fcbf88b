"""What every part of the report view needs: the data, the language, its words and formats."""

from __future__ import annotations

from collections.abc import Callable

from kpi_pipeline.delivery.report.model import ProgressItem, ReportData
from kpi_pipeline.delivery.report.view.why import Why
from kpi_pipeline.delivery.wording.formatting import Formatter
from kpi_pipeline.delivery.wording.messages import translator

PROGRESS_SAID_FROM, PROGRESS_SAID_UP_TO = -1.0, 2.0  # −238 % or 900 % say nothing a reader can use


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

    def chance_pct(self, p_reach: float) -> str:
        """A chance as the report says it: 4%, under 1%, over 99%."""
        if p_reach < 0.005:
            return self.t("chance_under")
        if p_reach > 0.995:
            return self.t("chance_over")
        return self.f.percent(p_reach, 0)

    def chance(self, item: ProgressItem) -> str:
        """「達成確率 N%」 for a running goal with a chance, else empty."""
        if item.p_reach is None or not item.is_running:
            return ""
        return self.t("chance", pct=self.chance_pct(item.p_reach))

    def progress(self, value: float | None) -> str:
        """Progress as a percentage between −100 % and 200 %, in words beyond."""
        if value is not None and value < PROGRESS_SAID_FROM:
            return self.t("progress_away")
        if value is not None and value > PROGRESS_SAID_UP_TO:
            return self.t("progress_far_beyond")
        return self.f.percent(value, 0)
