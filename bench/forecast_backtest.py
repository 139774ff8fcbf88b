"""Backtest of the deadline forecast on two years of demo data, against a naive baseline.

For each metric and horizon (4 and 12 weeks ahead), roll the forecast origin through the
weekly series: the forecast of kpi/judgement/forecast.py (the level of the last 8 weeks, last
year's shape where it helped, the spread of the metric's own past errors at that horizon, made
from the weeks before the origin only), compared with what happened. Reports the mean absolute
percentage error (MAPE) of the median, the share of actuals inside the 90 % band, and the same
MAPE for the naive forecast "the last week's value" (the ratio model / naive says whether the
forecast earns its keep). Writes bench/results/forecast_backtest.json.

    .venv/bin/python bench/forecast_backtest.py
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from machine import machine  # noqa: E402

from kpi_pipeline.kpi.judgement.forecast import LEVEL_WEEKS, Judged, outlook  # noqa: E402
from kpi_pipeline.sources.demo import DemoSource  # noqa: E402

LAST_SUNDAY = date(2026, 11, 22)
WEEKS = 104
HORIZONS = (4, 12)


def weekly_series() -> dict[str, list[float]]:
    """Weekly values of a few KPI metrics from the demo source (ratios re-aggregated)."""
    first = LAST_SUNDAY - timedelta(days=7 * WEEKS - 1)
    source = DemoSource()
    load = source.load_days(first, LAST_SUNDAY)
    daily = load.ga4_daily.assign(week=lambda f: pd.to_datetime(f["date"]).dt.to_period("W-SUN"))
    social = pd.concat(list(load.ga4_by_dimension))
    social = social[(social["dimension"] == "sessionDefaultChannelGroup")
                    & social["dimension_value"].isin(["Organic Social", "Paid Social"])]
    social = social.assign(week=pd.to_datetime(social["date"]).dt.to_period("W-SUN"))
    crm = source.crm_days(first, LAST_SUNDAY)
    crm = crm.assign(week=pd.to_datetime(crm["date"]).dt.to_period("W-SUN"))
    weeks = daily.groupby("week")[["sessions", "converted_sessions"]].sum()
    return {
        "sessions": weeks["sessions"].tolist(),
        "cvr": (weeks["converted_sessions"] / weeks["sessions"]).tolist(),
        "social_sessions": social.groupby("week")["sessions"].sum().tolist(),
        "leads": crm.groupby("week")["leads"].sum().tolist(),
        "orders": crm.groupby("week")["orders"].sum().tolist(),
    }


COUNTS = ("sessions", "social_sessions", "leads", "orders")
FIRST_ORIGIN = 26  # half a year of history before the first forecast, as a site a few months in


def backtest(series: list[float], horizon: int, count: bool) -> dict[str, float | int]:
    model_errors, naive_errors, inside = [], [], []
    for origin in range(FIRST_ORIGIN, len(series) - horizon):
        actual = series[origin + horizon]
        if actual == 0:
            continue
        one_week = Judged(0.0, 1.0, ((horizon, 1.0),), actual, True, count)
        found = outlook(series[:origin + 1], one_week)
        if found is None:
            continue
        model_errors.append(abs(found.value - actual) / abs(actual))
        naive_errors.append(abs(series[origin] - actual) / abs(actual))
        inside.append(found.low <= actual <= found.high)
    model, naive = float(np.mean(model_errors)), float(np.mean(naive_errors))
    return {
        "tries": len(model_errors),
        "mape": round(model, 4),
        "naive_mape": round(naive, 4),
        "ratio_model_over_naive": round(model / naive, 3),
        "band_coverage": round(float(np.mean(inside)), 3),
    }


def main() -> None:
    series = weekly_series()
    results = {metric: {f"{h}_weeks_ahead": backtest(values, h, metric in COUNTS) for h in HORIZONS}
               for metric, values in series.items()}
    out = {
        "bench": "forecast_backtest",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "what": f"demo source, {WEEKS} weeks to {LAST_SUNDAY}; the level of the last {LEVEL_WEEKS} weeks "
                f"with last year's shape where it helped and the spread of past errors at the horizon "
                f"(a 90 % band), from week {FIRST_ORIGIN} on, vs the naive last-week value",
        "machine": machine(),
        "results": results,
    }
    path = ROOT / "bench" / "results" / "forecast_backtest.json"
    path.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{'metric':<16} {'ahead':>5} {'MAPE':>7} {'naive':>7} {'ratio':>6} {'in band':>8}")
    for metric, by_h in results.items():
        for label, r in by_h.items():
            print(f"{metric:<16} {label.split('_')[0]:>5} {r['mape']:>7.1%} {r['naive_mape']:>7.1%} "
                  f"{r['ratio_model_over_naive']:>6.2f} {r['band_coverage']:>8.0%}")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
