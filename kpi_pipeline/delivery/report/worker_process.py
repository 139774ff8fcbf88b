"""Child processes that answer one JSON line per job: the report's PDF worker and the site
report workers use them.

A worker is a fresh ``python -P …`` (never a fork: the parent may be a Dagster run with
threads and open database connections), reused by the next job of the same process and
stopped at its exit. Only paths cross the pipes: a job's data is in a file the parent wrote.
This module imports nothing of ours, so a worker script may use it without importing the
package (whose ``__init__`` files import DuckDB and pandas).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import subprocess
import tempfile
import threading
from collections.abc import Sequence
from typing import Any


class WorkerDied(RuntimeError):
    """The worker exited before answering; the message is its last stderr line."""


class WorkerProcess:
    """One worker process and its pipes; used by one job at a time."""

    def __init__(self, argv: Sequence[str], name: str = "worker") -> None:
        self.name = name  # how errors name it: "PDF worker", "report worker"
        self.owner = os.getpid()  # a forked copy of a parent must not talk to its workers
        # stderr (a failed import, warnings, tracebacks) goes to a file nobody must drain
        # (appended to: reading it back never moves where the worker writes)
        self._stderr = tempfile.TemporaryFile(mode="a+b")  # noqa: SIM115 (lives as long as the worker)
        self._said = 0  # bytes of stderr before the current job
        self.process = subprocess.Popen(
            list(argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
            text=True, encoding="utf-8",
        )

    def usable(self) -> bool:
        return self.owner == os.getpid() and self.process.poll() is None

    def ask(self, job: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self._said = os.fstat(self._stderr.fileno()).st_size
        with contextlib.suppress(BrokenPipeError):  # died already (its import failed): see answer
            self.process.stdin.write(json.dumps(job) + "\n")
            self.process.stdin.flush()

    def answer(self) -> dict[str, Any]:
        """The worker's answer to the last job; :class:`WorkerDied` if it exited instead."""
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if line:
            return json.loads(line)
        self.process.wait()  # the worker died (a failed import, killed): last words on stderr
        self._stderr.seek(self._said)
        lines = self._stderr.read().decode(errors="replace").strip().splitlines()
        self.stop()
        raise WorkerDied(lines[-1] if lines else f"the {self.name} exited with {self.process.returncode}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout, self._stderr):
            with contextlib.suppress(OSError):
                pipe.close()  # type: ignore[union-attr]


class IdleWorkers:
    """Idle workers of one command in this process, reused by the next job; stopped at exit."""

    def __init__(self, argv: Sequence[str], name: str = "worker") -> None:
        self.argv, self.name = list(argv), name
        self._idle: list[WorkerProcess] = []
        self._lock = threading.Lock()
        atexit.register(self.close)

    def take(self) -> WorkerProcess:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.usable():
                    return worker
        return WorkerProcess(self.argv, self.name)

    def give_back(self, worker: WorkerProcess) -> None:
        if worker.usable():
            with self._lock:
                self._idle.append(worker)

    def start(self, count: int) -> None:
        """Have ``count`` workers idle (new ones start importing now, while the caller works)."""
        with self._lock:
            self._idle = [w for w in self._idle if w.usable()]
            missing = count - len(self._idle)
        for _ in range(missing):
            self.give_back(WorkerProcess(self.argv, self.name))

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            if worker.owner == os.getpid():
                with contextlib.suppress(OSError):
                    assert worker.process.stdin is not None
                    worker.process.stdin.close()  # end of input: the worker exits
                try:
                    worker.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    worker.stop()
