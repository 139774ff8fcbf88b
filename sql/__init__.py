"""SQL models shipped inside the package as ``kpi_pipeline.sql`` (see ``kpi_pipeline/config/package_data.py``).

This file only makes the folder importable for ``importlib.resources``; the ``.sql`` files are
plain SQL an analyst can run in the duckdb CLI.
"""
