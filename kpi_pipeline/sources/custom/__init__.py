"""Custom metrics kept in spreadsheets: one CSV per metric, named in the targets file."""

from kpi_pipeline.sources.custom.csv_file import CustomCsvError, read_metric_csv

__all__ = ["CustomCsvError", "read_metric_csv"]
