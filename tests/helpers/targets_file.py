"""What the targets loader says about a file, as the lines `targets check` prints."""

from __future__ import annotations

from pathlib import Path

import pytest

from kpi_pipeline.targets import TargetsError, load_targets


def issue_lines(path: Path) -> list[str]:
    """Every ``file:line: field: message`` of a targets file that must not load."""
    with pytest.raises(TargetsError) as caught:
        load_targets(path)
    return [str(i) for i in caught.value.issues]
