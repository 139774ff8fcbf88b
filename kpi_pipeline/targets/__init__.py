"""The targets file (``kpi_targets.yaml``): KGIs, KPIs, periods and tolerances, validated."""

from kpi_pipeline.targets.errors import TargetIssue, TargetsError
from kpi_pipeline.targets.loader import load_targets
from kpi_pipeline.targets.model import (
    Baseline,
    FunnelStep,
    Goal,
    Measure,
    Pacing,
    Period,
    Target,
    Targets,
    Tolerances,
    timezone_mismatch,
)

__all__ = [
    "Baseline", "FunnelStep", "Goal", "Measure", "Pacing", "Period", "Target", "TargetIssue",
    "Targets", "TargetsError", "Tolerances", "load_targets", "timezone_mismatch",
]
