"""A warm ``kpi-pipeline`` for the tests: each command is a new process forked from one that
has already imported the package (Dagster, pandas, matplotlib, the GA4 client).

Started by :mod:`helpers.cli` once per test process, as ``python cli_server.py SOCKET``.
A process of ours pays ~3 s of imports before a command starts; a forked one starts with them
done and runs the same ``kpi_pipeline.cli.main`` the console script runs, with its own
environment, working folder, stdout/stderr files, process group and interpreter exit (exit
handlers included).

One request per connection: a JSON line ``{"argv", "env", "cwd", "stdout", "stderr"}``.
The answer: ``pid N`` when the command has started, ``exit CODE`` when it has ended (``CODE``
as :attr:`subprocess.CompletedProcess.returncode` has it: negative for a signal).
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import select
import socket
import sys
import threading
import time

# Run as a script (never imported by a command), it would pull in WeasyPrint for nothing.
NOT_PRELOADED = {"kpi_pipeline.delivery.pdf_worker"}


def _preload() -> None:
    """Import every module of the package, as the commands would: later forks start warm."""
    import kpi_pipeline

    for module in pkgutil.walk_packages(kpi_pipeline.__path__, "kpi_pipeline."):
        if module.name not in NOT_PRELOADED:
            importlib.import_module(module.name)
    importlib.import_module("kpi_pipeline.cli.app")._register_commands()
    # Threads do not survive a fork. Importing duckdb opens its default connection, whose
    # worker thread a command would find missing when that connection is destroyed at exit
    # (``terminate called without an active exception``): close it; the commands never use it,
    # and it would be opened again if one did. The native threads left (OpenBLAS's, jemalloc's
    # in pyarrow) are rebuilt by those libraries' own fork handlers.
    import duckdb

    duckdb.default_connection().close()
    assert threading.active_count() == 1, threading.enumerate()


def _command(request: dict, conn: socket.socket) -> None:
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
    watcher never returns to the server's loop, not even when the test has hung up."""
    with conn.makefile("r", encoding="utf-8") as lines:
        request = json.loads(lines.readline())
    pid = os.fork()
    if pid == 0:
        _command(request, conn)  # outside the try below: the command exits its own way
    try:
        conn.sendall(f"pid {pid}\n".encode())
        _, status = os.waitpid(pid, 0)
        conn.sendall(f"exit {os.waitstatus_to_exitcode(status)}\n".encode())
    finally:
        os._exit(0)


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


def _reap() -> None:
    """Collect the watchers that have answered (no zombies are left behind)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


if __name__ == "__main__":
    main(sys.argv[1])
