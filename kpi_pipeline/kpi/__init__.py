"""KPI maths: pacing, status, metric history over the marts, progress, reverse funnel, forecast, anomalies.

Everything here is pure (data in, data out) so it is tested without Dagster or DuckDB.
"""
