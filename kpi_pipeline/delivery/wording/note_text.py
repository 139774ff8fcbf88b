"""Stored note codes (``mart.kpi_progress.note``) as sentences in the report's language.

Data notes (missing days, provisional weeks, a baseline without data) go under
「データに関する注意」; the others explain a goal's judgement and stay beside the goal.
Unknown codes and free text from older rows are shown as they are.
"""

from __future__ import annotations

from collections.abc import Callable

from kpi_pipeline.kpi.judgement.notes import DATA_NOTES, decode
from kpi_pipeline.kpi.judgement.status import Status


def _summary(values: dict[str, str], t: Callable[..., str], lang: str) -> str:
    sep = "・" if lang == "ja" else ", "
    parts = [f"{t(f'status_{s.value}')} {values[s.value]}" for s in Status if s.value in values]
    return t("code_kpi_summary", counts=sep.join(parts))


def sentence(code: str, values: dict[str, str], t: Callable[..., str], lang: str) -> str:
    if code == "text":
        return values["text"]
    if code == "kpi_summary":
        return _summary(values, t, lang)
    try:
        return t(f"code_{code}", **values)
    except (KeyError, IndexError):
        return code


def split_notes(note: str | None, t: Callable[..., str], lang: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(data notes, judgement notes) of one stored note, localized."""
    data, judgement = [], []
    for code, values in decode(note):
        (data if code in DATA_NOTES else judgement).append(sentence(code, values, t, lang))
    return tuple(data), tuple(judgement)
