"""The bundled Japanese font (IPAexGothic from matplotlib-fontja), for charts and the PDF.

Found without importing ``matplotlib_fontja``, whose import changes matplotlib's global rc.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

FONT_FAMILY = "IPAexGothic"


@cache
def ipaex_font_path() -> Path:
    """Path of ``ipaexg.ttf``; raises FileNotFoundError saying which package to install."""
    spec = importlib.util.find_spec("matplotlib_fontja")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        path = Path(location) / "fonts" / "ipaexg.ttf"
        if path.is_file():
            return path
    raise FileNotFoundError(
        "IPAexGothic (ipaexg.ttf) not found: install matplotlib-fontja==1.1.0"
    )
