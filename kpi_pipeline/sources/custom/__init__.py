"""Custom metrics kept in spreadsheets: one CSV per metric, named in the targets file."""

from kpi_pipeline.sources.custom.csv_file import CustomCsvError, parse_metric_csv, read_metric_csv

__all__ = ["CustomCsvError", "parse_metric_csv", "read_metric_csv"]
