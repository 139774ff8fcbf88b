"""Run ``kpi-pipeline`` as a user would: a clean environment, its own KPI_HOME, its own process.

The process is forked from a warm copy of the CLI (:mod:`helpers.cli_server`), one per test
process, instead of started from scratch: the same ``main`` with the same arguments,
environment, working folder and exit, without the ~3 s of imports each command would pay
again. The console script itself, started from scratch, is run by ``test_cli_light``,
``test_targets_cli`` and ``test_wheel``.
"""

from __future__ import annotations

import atexit
import json
import locale
import os
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from helpers.processes import HELPERS

KPI_PIPELINE = Path(sys.executable).parent / "kpi-pipeline"
_OURS = ("KPI_", "GA4_", "SMTP_", "REPORT_", "CRM_", "DAGSTER_", "ALERT_", "SLACK_", "TEAMS_")


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
                [sys.executable, str(HELPERS / "cli_server.py"), str(self.socket)],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log, text=True,
                env=user_environment(),
            )
        assert self._server.stdout is not None
        if self._server.stdout.readline().strip() != "ready":
            self._server.wait()
            raise RuntimeError(f"the CLI fork server did not start:\n{self._log.read_text()}")
        self._owner = os.getpid()
        atexit.register(self.stop)

    @property
    def pid(self) -> int:
        return self._server.pid

    def stop(self) -> None:
        if os.getpid() == self._owner and self._server.poll() is None:
            self._server.kill()
            self._server.wait()

    def run(self, argv: list[str], env: dict[str, str], cwd: Path,
            timeout: float) -> subprocess.CompletedProcess[str]:
        """``argv`` as a forked command; its output as ``subprocess.run(text=True)`` gives it."""
        out_dir = Path(tempfile.mkdtemp(dir=self._folder))
        stdout, stderr = out_dir / "stdout", out_dir / "stderr"
        stdout.touch()
        stderr.touch()
        request = {"argv": argv, "env": env, "cwd": str(cwd), "stdout": str(stdout),
                   "stderr": str(stderr)}
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.connect(str(self.socket))
            conn.sendall((json.dumps(request) + "\n").encode())
            conn.settimeout(timeout)
            answers = conn.makefile("r", encoding="utf-8")
            pid = int(_answer(answers, "pid", self._log))
            try:
                code = int(_answer(answers, "exit", self._log))
            except TimeoutError:
                os.killpg(pid, signal.SIGKILL)
                raise subprocess.TimeoutExpired(argv, timeout, _read(stdout), _read(stderr)) from None
        return subprocess.CompletedProcess(argv, code, _read(stdout), _read(stderr))


def _answer(lines, key: str, log: Path) -> str:
    line = lines.readline()
    if not line.startswith(f"{key} "):
        raise RuntimeError(f"the CLI fork server broke off ({line!r}):\n{log.read_text()}")
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
    # a wide console, so rich does not wrap messages and paths in the middle
    environ = user_environment(KPI_HOME=str(home), COLUMNS="250", **env)
    return warm_cli().run([str(KPI_PIPELINE), *args], environ, cwd, timeout)
