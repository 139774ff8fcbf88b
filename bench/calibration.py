"""Calibration backtest: does a stated chance (p_reach) and a status come true at the deadline?

Poses thousands of goals over metric histories (kpi_pipeline/kpi/judgement/calibration.py:
weekly reach goals of three sizes, running totals, keep goals; 8, 13 and 26 weeks; a new start
every 4 weeks), judges each one week by week exactly as the pipeline judges it, and scores the
chance and status said at 25 %, 50 % and 75 % of each period against the deadline's outcome:
the reliability table (stated chance vs share reached, 10-point bins), the Brier score against
the base rate's, and what 順調 / 要注意 / 未達 turned into, beside what the pace rule alone
(the statuses before the chance) said of the same goals at the same week.

Sets:

* tuned on (the model's constants were chosen looking at these): the demo site ``demo`` and
  synthetic family A (seed 1);
* not tuned on: the demo sites ``shop``, ``corp`` and ``media`` (the same generator, other
  noise), and synthetic family B (seed 7: twice the wander, stronger seasons, more and larger
  steps, a wider weekly wobble).

The demo histories are built by the real pipeline (``kpi-pipeline backfill`` on a KPI_SITES
file of the four sites, two years). Writes bench/results/calibration.json.

    .venv/bin/python bench/calibration.py            # ~8 min on a quiet 2-core machine
    .venv/bin/python bench/calibration.py --quick    # one history per set
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import duckdb  # noqa: E402
from machine import machine  # noqa: E402

from kpi_pipeline.kpi.judgement import calibration as cal  # noqa: E402
from kpi_pipeline.kpi.metric_history import MetricHistory  # noqa: E402

DEMO_SITES = ("demo", "shop", "corp", "media")
DEMO_METRICS = ("sessions", "cvr", "social_sessions", "leads", "orders", "bounce_rate", "appointments")
FAMILY_A = cal.Family(name="A", seed=1)
FAMILY_B = cal.Family(name="B", seed=7, wander=(0.01, 0.04), drift=(-0.008, 0.008), season=(0.05, 0.3),
                      steps_per_year=1.0, step_size=(0.1, 0.5), wobble=(0.02, 0.15))
SYNTHETIC_FIRST = date(2023, 1, 2)
SHARES = (0.25, 0.5, 0.75)


def demo_histories(sites: tuple[str, ...]) -> dict[str, MetricHistory]:
    """Two years of the demo sites, built by ``kpi-pipeline backfill`` in a temporary home."""
    home = Path(tempfile.mkdtemp(prefix="calibration-"))
    listing = home / "kpi_sites.yaml"
    listing.write_text("sites:\n" + "".join(f"  - {{id: {s}, source: demo}}\n" for s in sites), encoding="utf-8")
    env = {**os.environ, "KPI_HOME": str(home), "KPI_SITES": str(listing), "KPI_LOG_LEVEL": "WARNING"}
    subprocess.run([str(ROOT / ".venv" / "bin" / "kpi-pipeline"), "backfill", "--from", "2024-W48",
                    "--to", "2026-W47"], cwd=home, env=env, check=True, capture_output=True)
    con = duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)
    daily = con.sql("SELECT * FROM mart.metrics_daily").df()
    weekly = con.sql("SELECT * FROM mart.metrics_weekly").df()
    return {site: MetricHistory(daily, weekly, site) for site in sites}


def demo_cases(history: MetricHistory, site: str) -> list[cal.Case]:
    first = history.first_week("sessions")
    last = history.last_complete_week("sessions")
    goals = cal.pose_goals(history, DEMO_METRICS, first, last, cal.Pose(warmup=20))
    return cal.judge(goals, history, site)


def synthetic_cases(family: cal.Family, index: int) -> list[cal.Case]:
    metrics = list(cal.LEVELS)
    history = cal.synthetic_history(family, metrics, SYNTHETIC_FIRST, index)
    last = SYNTHETIC_FIRST + timedelta(weeks=family.weeks - 1)
    return cal.judge(cal.pose_goals(history, metrics, SYNTHETIC_FIRST, last), history)


def report(cases: list[cal.Case]) -> dict[str, object]:
    out: dict[str, object] = {"goals": len(cases)}
    for share in SHARES:
        scored = cal.score(cases, share).to_json()
        scored["pace_rule_statuses"] = cal.pace_rule(cases, share)
        out[f"at_{round(share * 100)}_percent"] = scored
    out["by_kind_at_50_percent"] = {
        kind: cal.score([c for c in cases if c.kind == kind], 0.5).to_json()
        for kind in ("weekly", "cumulative", "keep")
    }
    return out


def print_set(name: str, found: dict[str, object]) -> None:
    mid = found["at_50_percent"]
    st, pace = mid["statuses"], mid["pace_rule_statuses"]
    print(f"\n== {name}: {found['goals']} goals; at mid-period: base rate {mid['base_rate']:.0%}, "
          f"Brier {mid['brier']:.3f} vs {mid['brier_base_rate']:.3f} (skill {mid['brier_skill']:.2f}), "
          f"worst bin {mid['worst_bin_gap'] * 100:.1f} pts")
    for b in mid["reliability"]:
        print(f"   stated {b['low']:.0%}–{b['high']:.0%}: {b['goals']:5d} goals, said {b['stated']:.0%}, reached {b['reached']:.0%}")
    for status in ("on_track", "at_risk", "off_track"):
        print(f"   {status:<10} chance: {st[status]['goals']:5d} goals, {st[status]['reached']:.0%} reached"
              f"   | pace rule: {pace[status]['goals']:5d} goals, {pace[status]['reached']:.0%} reached")
    print(f"   reached goals called 順調 at mid-period: {mid['on_track_share_of_reached']:.0%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one history per set")
    args = parser.parse_args()
    started = time.monotonic()
    n = 1 if args.quick else 3
    sites = ("demo", "shop") if args.quick else DEMO_SITES
    demo = demo_histories(sites)
    sets = {
        "tuned: demo site 'demo'": demo_cases(demo["demo"], "demo"),
        "tuned: synthetic family A": [c for i in range(n) for c in synthetic_cases(FAMILY_A, i)],
        "not tuned: demo sites " + ", ".join(s for s in sites if s != "demo"):
            [c for s in sites if s != "demo" for c in demo_cases(demo[s], s)],
        "not tuned: synthetic family B": [c for i in range(n) for c in synthetic_cases(FAMILY_B, i)],
    }
    results = {name: report(cases) for name, cases in sets.items()}
    out = {
        "bench": "calibration",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "what": "posed goals judged week by week as the pipeline does; chance and status at 25/50/75 % "
                "of each period against the deadline's outcome",
        "families": {"A": FAMILY_A.__dict__, "B": FAMILY_B.__dict__},
        "pose": cal.Pose().__dict__ | {"pacings": [p.value for p in cal.Pose().pacings]},
        "machine": machine(),
        "seconds": round(time.monotonic() - started, 1),
        "results": results,
    }
    name = "calibration_quick.json" if args.quick else "calibration.json"
    path = ROOT / "bench" / "results" / name
    path.write_text(json.dumps(out, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    for set_name, found in results.items():
        print_set(set_name, found)
    print(f"\nwrote {path} ({out['seconds']} s)")


if __name__ == "__main__":
    main()
