"""A warm ``kpi-pipeline`` for the tests: each command is a new process forked from one that
has already imported the package (Dagster, pandas, matplotlib, the GA4 client).

Started by :mod:`helpers.cli` once per test process, as ``python -P cli_server.py SOCKET``.
A process of ours pays ~3 s of imports before a command starts; a forked one starts with them
done and runs the same ``kpi_pipeline.cli.main`` the console script runs, with its own
environment, working folder, stdout/stderr files, process group and interpreter exit (exit
handlers included).

One request per connection: a JSON line ``{"argv", "env", "cwd", "stdout", "stderr"}``.
The answer: ``pid N`` when the command has started, ``exit CODE`` when it has ended (``CODE``
as :attr:`subprocess.CompletedProcess.returncode` has it: negative for a signal). A test that
hangs up, or a watcher interrupted (Ctrl-C reaches the test's process group, not the
command's), kills the command's process group.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import pkgutil
import select
import signal
import socket
import sys
import threading
import time
from typing import TypedDict


class Request(TypedDict):
    argv: list[str]
    env: dict[str, str]
    cwd: str
    stdout: str
    stderr: str


def _preload() -> None:
    """Import every module of the package, as the commands would: later forks start warm."""
    import kpi_pipeline

    for module in pkgutil.walk_packages(kpi_pipeline.__path__, "kpi_pipeline."):
        importlib.import_module(module.name)
    importlib.import_module("kpi_pipeline.cli.app")._register_commands()
    # Threads do not survive a fork. Importing duckdb opens its default connection, whose
    # worker thread a command would find missing when that connection is destroyed at exit
    # (``terminate called without an active exception``): close it; the commands never use it,
    # and it would be opened again if one did. Two native threads remain, handled by their
    # libraries' fork handlers: OpenBLAS starts its pool again, jemalloc (pyarrow) turns its
    # background thread off in the child.
    import duckdb

    duckdb.default_connection().close()
    assert threading.active_count() == 1, threading.enumerate()


def _command(request: Request, conn: socket.socket) -> None:
    """Become the command (in the forked child): never returns, exits as the console script."""
    conn.close()
    os.setpgid(0, 0)  # its own group: a timeout kills it and the PDF worker it started
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    time.tzset()
    for fd, path, flags in ((0, os.devnull, os.O_RDONLY), (1, request["stdout"], os.O_WRONLY),
                            (2, request["stderr"], os.O_WRONLY)):
        opened = os.open(path, flags)
        os.dup2(opened, fd)
        os.close(opened)
    sys.argv = request["argv"]
    from kpi_pipeline.cli import main

    sys.exit(main())


def _serve_one(conn: socket.socket) -> None:
    """In a forked watcher: fork the command, report its pid and how it ended, exit. The
    watcher never returns to the server's loop, and never leaves its command running."""
    with conn.makefile("r", encoding="utf-8") as lines:
        request: Request = json.loads(lines.readline())
    pid = os.fork()
    if pid == 0:
        _command(request, conn)  # outside the try below: the command exits its own way
    ended = False
    try:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.setpgid(pid, pid)  # the group exists before the test can be told the pid
        conn.sendall(f"pid {pid}\n".encode())
        pidfd = os.pidfd_open(pid)
        while not ended:
            ready, _, _ = select.select([conn, pidfd], [], [])
            if pidfd in ready:
                ended = True
            elif not conn.recv(1):  # the test hung up: nobody waits for this command
                break
        if ended:
            _, status = os.waitpid(pid, 0)
            conn.sendall(f"exit {os.waitstatus_to_exitcode(status)}\n".encode())
    finally:
        if not ended:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        os._exit(0)


def _reap() -> None:
    """Collect the watchers that have answered (no zombies are left behind)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def main(socket_path: str) -> None:
    _preload()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(socket_path)
    server.listen(16)
    print("ready", flush=True)
    parent = os.getppid()
    while os.getppid() == parent:  # a test process killed outright leaves no server behind
        if select.select([server], [], [], 1.0)[0]:
            conn, _ = server.accept()
            if os.fork() == 0:
                server.close()
                _serve_one(conn)
            conn.close()
        _reap()


if __name__ == "__main__":
    main(sys.argv[1])
