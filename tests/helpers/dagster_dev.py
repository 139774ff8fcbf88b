"""`dg dev` (what `make dagster` runs: webserver, daemon and code server) on a free loopback
port, asked over GraphQL; started with the environment a test gives it, stopped with its
whole process group."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers.paths import REPO_ROOT

BIN = Path(sys.executable).parent
STARTUP_SECONDS = 120  # two shared cores: webserver, daemon and code server all import Dagster
_OURS = ("KPI_", "GA4_", "SMTP_", "CRM_")

LOCATION_QUERY = """
{
  workspaceOrError {
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError { __typename ... on PythonError { message } }
      }
    }
  }
}
"""

# weekly_pipeline launched with tags (a partition, a site), as the launchpad does
LAUNCH_RUN = """
mutation($tags: [ExecutionTag!]) {
  launchRun(executionParams: {
    selector: {repositoryLocationName: "kpi_pipeline", repositoryName: "__repository__",
               jobName: "weekly_pipeline"},
    executionMetadata: {tags: $tags}
  }) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
  }
}
"""


@dataclass
class DagsterDev:
    url: str
    log: Path

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        body = {"query": query, **({"variables": variables} if variables is not None else {})}
        request = urllib.request.Request(
            f"{self.url}/graphql", data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"}, method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.load(response)
        assert "errors" not in answer, answer["errors"]
        return answer["data"]


def dev_environment(dagster_home: Path, instance_config: Path, **env: str) -> dict[str, str]:
    """This environment without the project's variables, plus ``env``, with ``dagster_home``
    created holding ``instance_config`` as its dagster.yaml."""
    dagster_home.mkdir()
    shutil.copy(instance_config, dagster_home / "dagster.yaml")
    environ = {k: v for k, v in os.environ.items() if not k.startswith(_OURS)}
    environ.update(
        DAGSTER_HOME=str(dagster_home),
        PATH=f"{BIN}{os.pathsep}{environ.get('PATH', '')}",
        VIRTUAL_ENV=str(BIN.parent),  # `dg dev` runs the code location in the project's .venv
        PYTHONUNBUFFERED="1",
        **env,
    )
    return environ


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def log_tail(log: Path) -> str:
    return log.read_text(errors="replace")[-4000:] if log.exists() else "(no log)"


def _wait_until_loaded(server: DagsterDev, process: subprocess.Popen) -> None:
    """Until /server_info answers and the code location has finished loading."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"dagster dev exited with {process.returncode}:\n{log_tail(server.log)}")
        try:
            with urllib.request.urlopen(f"{server.url}/server_info", timeout=5) as response:
                if response.status == 200:
                    entries = server.graphql(LOCATION_QUERY)["workspaceOrError"]["locationEntries"]
                    if entries and all(e["loadStatus"] == "LOADED" for e in entries):
                        return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    pytest.fail(f"dagster dev did not load within {STARTUP_SECONDS}s:\n{log_tail(server.log)}")


@contextlib.contextmanager
def running_dagster_dev(env: dict[str, str], folder: Path) -> Iterator[DagsterDev]:
    """`dg dev` in the repository with ``env``, its log in ``folder``, until the block ends."""
    port = _free_port()
    log = folder / "dagster_dev.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(BIN / "dg"), "dev", "-p", str(port), "-h", "127.0.0.1"],  # what `make dagster` runs
            cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    server = DagsterDev(url=f"http://127.0.0.1:{port}", log=log)
    try:
        _wait_until_loaded(server, process)
        yield server
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM the whole process group (webserver, daemon, code servers), SIGKILL if it lingers."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=20)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # children that outlived their parent
    process.wait(timeout=10)
