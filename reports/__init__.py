"""Report templates and styles shipped inside the package as ``kpi_pipeline.reports``
(see ``kpi_pipeline/config/package_data.py``); this file only makes the folder importable.
"""
