"""A report worker: renders the site reports and archive indexes the parent hands it.

Protocol (``python -P -m kpi_pipeline.delivery.site_report_worker``, started and kept by
:mod:`kpi_pipeline.delivery.site_reports`): one JSON line per job on stdin, ``{"job": path}``
(a pickled :class:`~kpi_pipeline.delivery.site_reports.ReportJob` or ``IndexJob`` the parent
wrote), answered by one JSON line on stdout, ``{"error": null, "result": path}`` (the pickled
result, beside the job) or ``{"error": "<type>: <message>"}`` with the traceback on stderr.
End of input ends the worker (also when the parent dies). The worker reads no settings:
everything it needs is in the job.
"""

from __future__ import annotations

import json
import pickle
import sys
import traceback
from pathlib import Path


def _serve() -> None:
    # the slow imports (matplotlib, Jinja2's templates), done before the first job arrives
    import kpi_pipeline.delivery.report.charts  # noqa: F401
    from kpi_pipeline.delivery.site_reports import run_job

    for line in sys.stdin:
        job_file = Path(json.loads(line)["job"])
        try:
            with job_file.open("rb") as job:
                result = run_job(pickle.load(job))
            result_file = job_file.with_suffix(".result")
            with result_file.open("wb") as out:
                pickle.dump(result, out, protocol=pickle.HIGHEST_PROTOCOL)
            answer: dict[str, str | None] = {"error": None, "result": str(result_file)}
        except Exception as exc:  # noqa: BLE001 (any failure goes back to the parent as text)
            traceback.print_exc()
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    _serve()
