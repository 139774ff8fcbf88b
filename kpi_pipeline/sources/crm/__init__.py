"""Offline sales-funnel numbers (leads → appointments → deals → orders → revenue) from a CRM CSV."""

from kpi_pipeline.sources.crm.csv_file import CSV_COLUMNS, CrmCsvError, read_crm_csv

__all__ = ["CSV_COLUMNS", "CrmCsvError", "read_crm_csv"]
