"""Run ``kpi-pipeline`` as a user would: a clean environment, its own KPI_HOME, its own process.

The process is forked from a warm copy of the CLI (:mod:`helpers.cli_server`), one per test
process, instead of started from scratch: the same ``main`` with the same arguments,
environment, working folder and exit, without the ~3 s of imports each command would pay
again (docs/design-notes.md says what differs). ``test_cli_runner`` compares the two; the
console script started from scratch is also what ``test_cli_light``, ``test_targets_cli`` and
``test_wheel`` run.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import locale
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import TextIO

from helpers.processes import HELPERS

KPI_PIPELINE = Path(sys.executable).parent / "kpi-pipeline"
_OURS = ("KPI_", "GA4_", "SMTP_", "REPORT_", "CRM_", "DAGSTER_", "ALERT_", "SLACK_", "TEAMS_")
# Read once, when an interpreter starts or a library is imported: a forked command would keep
# the server's values, so a test must start the console script itself to vary them.
STARTUP_ONLY = ("PYTHON", "LANG", "LC_", "MPL", "TYPER_")
SERVER_START_SECONDS = 120
SERVER_COLUMNS = 31


def user_environment(**env: str) -> dict[str, str]:
    """This environment without any of the project's variables, plus ``env``."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith(_OURS)}, **env}


class _WarmCli:
    """The fork server of this test process, started on first use and stopped at its exit."""

    def __init__(self) -> None:
        self._folder = Path(tempfile.mkdtemp(prefix="kpi-cli-"))
        self.socket = self._folder / "cli.sock"
        self._log = self._folder / "server.log"
        with self._log.open("w") as log:
            self._server = subprocess.Popen(
                [sys.executable, "-P", str(HELPERS / "cli_server.py"), str(self.socket)],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log, text=True,
                # a console width no test uses: one fixed at import shows in test_cli_runner
                env=user_environment(COLUMNS=str(SERVER_COLUMNS)),
            )
        self._owner = os.getpid()
        atexit.register(self.stop)
        assert self._server.stdout is not None
        watchdog = threading.Timer(SERVER_START_SECONDS, self._server.kill)
        watchdog.start()
        try:
            ready = self._server.stdout.readline().strip() == "ready"
        finally:
            watchdog.cancel()
        if not ready:
            self.stop()
            raise RuntimeError(f"the CLI fork server did not start:\n{self._log_text()}")

    @property
    def pid(self) -> int:
        """The server's pid (its reaped children are every command it ran)."""
        return self._server.pid

    def stop(self) -> None:
        """Kill the server (its commands have ended or are killed by their watchers) and
        remove its folder; only in the test process that started it."""
        if os.getpid() != self._owner:
            return
        if self._server.poll() is None:
            self._server.kill()
        self._server.wait()
        if self._server.stdout:
            self._server.stdout.close()
        shutil.rmtree(self._folder, ignore_errors=True)

    def _log_text(self) -> str:
        return self._log.read_text(errors="replace") if self._log.exists() else "(no log)"

    def run(self, argv: list[str], env: dict[str, str], cwd: Path,
            timeout: float) -> subprocess.CompletedProcess[str]:
        """``argv`` as a forked command; its output as ``subprocess.run(text=True)`` gives it."""
        if self._server.poll() is not None:
            raise RuntimeError(f"the CLI fork server has exited ({self._server.returncode}):\n"
                               f"{self._log_text()}")
        if not cwd.is_dir():  # as subprocess.run fails: in the test, not in the command
            raise FileNotFoundError(f"no such working folder: {cwd}")
        out_dir = Path(tempfile.mkdtemp(dir=self._folder))
        stdout, stderr = out_dir / "stdout", out_dir / "stderr"
        stdout.touch()
        stderr.touch()
        request = {"argv": argv, "env": env, "cwd": str(cwd), "stdout": str(stdout),
                   "stderr": str(stderr)}
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.connect(str(self.socket))
                conn.sendall((json.dumps(request) + "\n").encode())
                conn.settimeout(timeout)
                answers = conn.makefile("r", encoding="utf-8")
                pid = int(self._answer(answers, "pid"))
                try:
                    code = int(self._answer(answers, "exit"))
                except TimeoutError:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(pid, signal.SIGKILL)
                    raise subprocess.TimeoutExpired(argv, timeout, _read(stdout),
                                                    _read(stderr)) from None
            return subprocess.CompletedProcess(argv, code, _read(stdout), _read(stderr))
        finally:
            shutil.rmtree(out_dir, ignore_errors=True)

    def _answer(self, answers: TextIO, key: str) -> str:
        line = answers.readline()
        if not line.startswith(f"{key} "):
            raise RuntimeError(f"the CLI fork server broke off ({line!r}):\n{self._log_text()}")
        return line.split(" ", 1)[1].strip()


def _read(path: Path) -> str:
    """A captured stream decoded as ``subprocess.run(text=True)`` decodes it."""
    with path.open(encoding=locale.getpreferredencoding(False)) as stream:
        return stream.read()


_warm: _WarmCli | None = None


def warm_cli() -> _WarmCli:
    """This test process's fork server, started on first use."""
    global _warm
    if _warm is None:
        _warm = _WarmCli()
    return _warm


def run_cli(*args: str, home: Path, cwd: Path, timeout: float = 300,
            **env: str) -> subprocess.CompletedProcess[str]:
    """``kpi-pipeline ARGS`` in ``cwd`` with only ``env`` of the project's variables set."""
    startup_only = sorted(name for name in env if name.startswith(STARTUP_ONLY))
    if startup_only:
        raise ValueError(f"{startup_only}: read at start-up, a forked command would not see them; "
                         "start the console script for this test")
    # a wide console, so rich does not wrap messages and paths in the middle
    environ = user_environment(**{"KPI_HOME": str(home), "COLUMNS": "250", **env})
    return warm_cli().run([str(KPI_PIPELINE), *args], environ, cwd, timeout)
