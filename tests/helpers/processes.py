"""Run helper scripts in real subprocesses and wait for the lines they print."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HELPERS = Path(__file__).resolve().parent
TIMEOUT = 120.0


@contextmanager
def running(name: str, *args: str, env: dict[str, str] | None = None,
            merge_stderr: bool = False) -> Iterator[subprocess.Popen[str]]:
    """Run ``tests/helpers/<name>.py`` with this interpreter; killed on exit if still running.

    stdout is a text pipe (with stderr in it if ``merge_stderr``: log lines, e.g. Dagster's,
    arrive there)."""
    process = subprocess.Popen(
        [sys.executable, str(HELPERS / f"{name}.py"), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        for stream in (process.stdout, process.stderr):
            if stream:
                stream.close()


def lines_until(process: subprocess.Popen[str], marker: str, *, contains: bool = False,
                timeout: float = TIMEOUT) -> list[str]:
    """Read stdout up to and including the first line starting with (or containing) ``marker``.

    Fails with what the process printed if it exits first; kills it after ``timeout`` seconds.
    """
    assert process.stdout is not None
    watchdog = threading.Timer(timeout, process.kill)
    watchdog.start()
    seen: list[str] = []
    try:
        for line in process.stdout:
            seen.append(line.strip())
            if line.startswith(marker) or (contains and marker in line):
                return seen
    finally:
        watchdog.cancel()
    process.wait()
    stderr = process.stderr.read() if process.stderr else ""
    printed = "\n".join(seen[-30:])
    raise AssertionError(f"no {marker!r} line from the subprocess (exit {process.returncode}):\n"
                         f"{printed}\n{stderr}")


def wait_for_line(process: subprocess.Popen[str], marker: str, *, contains: bool = False,
                  timeout: float = TIMEOUT) -> str:
    """The first stdout line starting with (or containing) ``marker``; see :func:`lines_until`."""
    return lines_until(process, marker, contains=contains, timeout=timeout)[-1]


def finish(process: subprocess.Popen[str], timeout: float = TIMEOUT) -> str:
    """Wait for a clean exit; return the rest of stdout. Fails with the output otherwise."""
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, f"exit {process.returncode}:\n{out}{err or ''}"
    return out
