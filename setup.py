"""Package list for setuptools (the rest of the build is declared in pyproject.toml).

``sql/`` and ``reports/`` stay top-level folders an analyst reads as plain files; here they
become the data packages ``kpi_pipeline.sql`` (with one sub-package per layer folder) and
``kpi_pipeline.reports``, mapped by ``[tool.setuptools.package-dir]``, so the wheel and the
editable install both carry them.
"""

from setuptools import find_namespace_packages, find_packages, setup

SQL_FOLDERS = [f"kpi_pipeline.sql.{name}" for name in find_namespace_packages(where="sql")]

setup(packages=[*find_packages(include=["kpi_pipeline*"]), "kpi_pipeline.reports",
                "kpi_pipeline.sql", *SQL_FOLDERS])
