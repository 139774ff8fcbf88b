"""The "sent" markers of a report folder (``sent.json``, one per language and channel):
what was sent, when and to whom, so a week is not sent twice by accident."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kpi_pipeline.delivery.paths import DEFAULT_LANG, lang_name
from kpi_pipeline.delivery.report.render import SENT_MARKER


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
