"""A whole CRM export (or custom CSV) against the stored days, on a real warehouse: every day it
revises or fills in is reloaded with the run's own days, in one transaction, and recorded."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pandas as pd
import pytest

from kpi_pipeline.raw.custom_load import load_custom_days
from kpi_pipeline.raw.load import load_crm_days

W45, W46, W47, W48 = (date(2026, 11, 2) + timedelta(weeks=i) for i in range(4))


def _days(monday: date) -> list[date]:
    return [monday + timedelta(days=i) for i in range(7)]


def _crm(days: list[date], orders: int = 1, **changed: int) -> pd.DataFrame:
    """A CRM export of ``days``: 10 leads, 4 appointments, 2 deals, ``orders`` a day, ¥100,000 an
    order; ``changed`` maps ISO dates to another day's orders."""
    counts = [changed.get(d.isoformat(), orders) for d in days]
    return pd.DataFrame({"site_id": "s", "date": days, "leads": 10, "appointments": 4, "deals": 2,
                         "orders": counts, "revenue": [100000.0 * c for c in counts]})


def _load(con: duckdb.DuckDBPyConnection, export: pd.DataFrame, week: date) -> int:
    return load_crm_days(con, export, "s", week, week + timedelta(days=6), source="crm_csv",
                         whole_export=True)


def _orders(con: duckdb.DuckDBPyConnection) -> dict[date, int]:
    return dict(con.execute("SELECT date, orders FROM raw.crm_daily ORDER BY date").fetchall())


def _changes(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute("SELECT date, field, change, old_value, new_value FROM meta.changed_days "
                       "ORDER BY date, field").fetchall()


@pytest.fixture
def w45_and_w47_loaded(warehouse: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """W45 and W47 loaded from an export that had no W46 (the CRM export left a week out)."""
    export = _crm(_days(W45) + _days(W47))
    _load(warehouse, export, W45)
    _load(warehouse, export, W47)
    assert len(_orders(warehouse)) == 14 and _changes(warehouse) == []
    return warehouse


def test_a_corrected_export_fills_the_missing_week_and_revises_a_day_in_one_run(w45_and_w47_loaded) -> None:
    con = w45_and_w47_loaded
    monday = W45.isoformat()
    corrected = _crm(_days(W45) + _days(W46) + _days(W47) + _days(W48), **{monday: 3})

    _load(con, corrected, W48)  # the run of W48, with W46 filled in and W45's Monday revised

    assert _orders(con) == {d: 3 if d == W45 else 1 for d in _days(W45) + _days(W46) + _days(W47) + _days(W48)}
    found = _changes(con)
    assert (W45, "orders", "revised", 1.0, 3.0) in found
    assert (W45, "revenue", "revised", 100000.0, 300000.0) in found
    assert {d for d, field, change, old, _ in found if change == "added"} == set(_days(W46))
    assert all(old is None for *_, change, old, _ in found if change == "added")
    assert not any(d >= W47 for d, *_ in found)  # W48 is loaded for the first time: no change
    one_load = con.execute("SELECT count(DISTINCT load_id) FROM meta.changed_days").fetchone()[0]
    assert one_load == 1
    warning, = con.execute("SELECT warnings FROM meta.runs ORDER BY finished_at DESC LIMIT 1").fetchone()[0]
    assert "8 stored day(s) of raw.crm_daily changed" in warning and f"{W45} orders 1 → 3" in warning


def test_days_before_the_first_stored_day_and_after_the_run_wait_for_their_own_runs(w45_and_w47_loaded) -> None:
    con = w45_and_w47_loaded
    earlier = [W45 - timedelta(days=i) for i in range(7, 0, -1)]
    _load(con, _crm(earlier + _days(W45) + _days(W46) + _days(W47) + _days(W48)), W45)

    stored = _orders(con)
    assert not set(earlier) & set(stored)  # history before the warehouse begins: a backfill's job
    assert not set(_days(W48)) & set(stored)  # a later week: its own run's job
    assert set(_days(W46)) <= set(stored)  # the gap between stored weeks is filled


def test_a_header_only_export_keeps_every_stored_day_and_changes_nothing(w45_and_w47_loaded) -> None:
    con = w45_and_w47_loaded
    before = _orders(con)
    _load(con, _crm([]), W47)
    assert _orders(con) == before
    assert _changes(con) == []
    warning = con.execute("SELECT warnings FROM meta.runs ORDER BY finished_at DESC LIMIT 1").fetchone()[0]
    assert "kept the stored rows" in warning[0]


def test_a_revision_of_the_runs_own_days_is_a_change_a_first_load_is_not(w45_and_w47_loaded) -> None:
    con = w45_and_w47_loaded
    wednesday = W47 + timedelta(days=2)
    _load(con, _crm(_days(W45) + _days(W47), **{wednesday.isoformat(): 0}), W47)
    assert _changes(con) == [(wednesday, "orders", "revised", 1.0, 0.0),
                             (wednesday, "revenue", "revised", 100000.0, 0.0)]


def test_a_failed_reload_keeps_every_stored_day_and_records_no_change(w45_and_w47_loaded) -> None:
    con = w45_and_w47_loaded
    before = _orders(con)
    broken = _crm(_days(W45) + _days(W46) + _days(W47))
    broken.loc[broken["date"] == W46, "leads"] = None  # a NULL count cannot be stored

    with pytest.raises(duckdb.ConstraintException):
        _load(con, broken, W47)

    assert _orders(con) == before and _changes(con) == []


def _custom(rows: dict[str, dict[date, float]]) -> pd.DataFrame:
    return pd.DataFrame([{"site_id": "s", "metric_id": m, "date": d, "value": v, "source": f"{m}.csv"}
                         for m, days in rows.items() for d, v in days.items()])


def test_custom_metrics_are_compared_metric_by_metric(warehouse: duckdb.DuckDBPyConnection) -> None:
    first = {d: 100.0 for d in _days(W45) + _days(W46)}
    load_custom_days(warehouse, _custom({"followers": first}), "s", W45, W46 + timedelta(days=6),
                     whole_export=True)
    revised = {**first, W45: 90.0}
    new_metric = {d: 5.0 for d in _days(W45) + _days(W46) + _days(W47)}  # declared since

    summary = load_custom_days(warehouse, _custom({"followers": {**revised, **{d: 100.0 for d in _days(W47)}},
                                                   "spend": new_metric}),
                               "s", W47, W47 + timedelta(days=6), whole_export=True)

    assert list(summary.changes[["date", "field", "old_value", "new_value"]].itertuples(index=False,
                                                                                     name=None)) == [
        (W45, "followers", 100.0, 90.0)]
    spend_days = warehouse.execute("SELECT min(date) FROM raw.custom_daily WHERE metric_id = 'spend'").fetchone()
    assert spend_days == (W47,)  # a new metric's history is a backfill's job, not a correction
    assert warehouse.execute("SELECT value FROM raw.custom_daily WHERE metric_id = 'followers' "
                             "AND date = ?", [W45]).fetchone() == (90.0,)
