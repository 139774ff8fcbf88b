"""A real PostgreSQL server for tests: initdb + pg_ctl in a temporary directory, loopback only.

Debian's ``postgresql`` package provides the binaries (``scripts/system-deps.sh`` installs it).
PostgreSQL refuses to run as root, so when the tests run as root the server runs as the
``postgres`` OS user (``runuser``) in a directory handed over to it. Clients connect over TCP
on 127.0.0.1 with a password (scram-sha-256), as Dagster does in a deployment.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg2

SERVER_USER = "postgres"  # OS user that runs the server when we are root
START_ATTEMPTS = 3  # a free port can be taken between choosing and binding it


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    password: str
    db_name: str

    def dagster_env(self) -> dict[str, str]:
        """The variables deploy/postgres/dagster.yaml reads."""
        return {
            "DAGSTER_PG_HOST": self.host,
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_USER": self.user,
            "DAGSTER_PG_PASSWORD": self.password,
            "DAGSTER_PG_DB": self.db_name,
        }

    def connect(self, db_name: str | None = None):
        return psycopg2.connect(host=self.host, port=self.port, user=self.user,
                                password=self.password, dbname=db_name or self.db_name)

    def create_database(self, name: str) -> None:
        """An empty database ``name`` (e.g. a DuckLake catalog)."""
        with closing(self.connect("postgres")) as con:
            con.autocommit = True
            with con.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{name}"')

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Rows of one read-only query on a fresh connection."""
        with closing(self.connect()) as con, con.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()


def postgres_bin_dir() -> Path:
    """The newest installed PostgreSQL's bin directory (Debian layout, else PATH)."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: int(Path(p).parent.parent.name))
    if candidates:
        return Path(candidates[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) not found: "
                       "run `make system-deps` or `apt-get install postgresql`")


def _free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_server_user(args: list[str]) -> list[str]:
    return ["runuser", "-u", SERVER_USER, "--", *args] if os.geteuid() == 0 else args


def _run(args: list[str]) -> None:
    result = subprocess.run(_as_server_user(args), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}):\n"
                           f"{result.stdout}\n{result.stderr}")


@contextmanager
def running_postgres(db_name: str = "dagster") -> Iterator[PostgresServer]:
    """Start a throw-away server with one empty database ``db_name``; stop and delete it after."""
    bin_dir = postgres_bin_dir()
    # not under pytest's tmp_path: its parents are private to root, the server user must enter
    root = Path(tempfile.mkdtemp(prefix="kpi-pg-"))
    try:
        if os.geteuid() == 0:
            shutil.chown(root, user=SERVER_USER)
        user, password = "kpi", secrets.token_hex(16)
        pwfile = root / "pwfile"
        pwfile.write_text(password + "\n")
        if os.geteuid() == 0:
            shutil.chown(pwfile, user=SERVER_USER)
        data = root / "data"
        _run([str(bin_dir / "initdb"), "-D", str(data), "-U", user, f"--pwfile={pwfile}",
              "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale",
              "--no-sync"])
        pwfile.unlink()
        port = _start(bin_dir, root, data)
        server = PostgresServer(host="127.0.0.1", port=port, user=user, password=password,
                                db_name=db_name)
        try:
            with closing(server.connect("postgres")) as con:
                con.autocommit = True
                with con.cursor() as cur:
                    cur.execute(f'CREATE DATABASE "{db_name}"')
            yield server
        finally:
            _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _start(bin_dir: Path, root: Path, data: Path) -> int:
    last_error: RuntimeError | None = None
    for _ in range(START_ATTEMPTS):
        port = _free_port()
        options = (f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={root} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   "-c max_connections=50")
        try:
            _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"),
                  "-o", options, "-w", "-t", "30", "start"])
            return port
        except RuntimeError as error:
            log = root / "server.log"
            last_error = RuntimeError(f"{error}\n{log.read_text() if log.exists() else ''}")
    raise last_error or RuntimeError("PostgreSQL did not start")
