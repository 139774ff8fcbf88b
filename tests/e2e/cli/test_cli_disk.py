"""KPI_HOME on a disk that is full or mounted read-only, as ops meet it: the console script in a
private mount namespace (``unshare``) over a real tmpfs, so the file system itself refuses the
writes, as a full or read-only disk does. Each says one plain sentence naming the folder."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.cli import KPI_PIPELINE, user_environment

pytestmark = pytest.mark.slow


def _on_tmpfs(home: Path, options: str, *args: str, prepare: str = "",
              after: str = "") -> subprocess.CompletedProcess[str]:
    """``kpi-pipeline ARGS`` with KPI_HOME on a fresh tmpfs mounted with ``options``, in a mount
    namespace of its own (nothing is mounted for the rest of the machine, and the tmpfs goes
    with the namespace: ``prepare`` and ``after`` run inside it, before and after the command,
    which then prints its exit code as ``exit N``)."""
    home.mkdir(exist_ok=True)
    command = " ".join(shlex.quote(a) for a in (str(KPI_PIPELINE), *args))
    run = f"{command}; echo exit $?; {after}" if after else f"exec {command}"
    script = f"mount -t tmpfs -o {options} tmpfs {shlex.quote(str(home))} && {prepare} {run}"
    return subprocess.run(
        ["unshare", "--mount", "--map-root-user", "sh", "-c", script], cwd=home.parent,
        capture_output=True, text=True, timeout=600,
        env=user_environment(KPI_HOME=str(home), COLUMNS="250"),
    )


def test_a_full_disk_is_named_with_what_to_free_and_exit_1(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = _on_tmpfs(home, "size=2m", "backfill", "--from", "2026-W40", "--to", "2026-W47")

    said = " ".join(done.stderr.split())
    assert done.returncode == 1, done.stderr
    assert f"error: the disk holding {home} is full" in said
    assert "free space there (old week folders under reports/" in said
    assert "this is a bug" not in said and "Traceback" not in said


def test_a_full_disk_keeps_the_warehouse_as_it_was(tmp_path: Path) -> None:
    """A week that fits, then the disk filled up to its last megabyte, then a backfill that cannot
    fit: the backfill fails plainly and the warehouse still opens with the rows it had."""
    home = tmp_path / "home"
    q = shlex.quote
    count = (f"{q(sys.executable)} -c \"import duckdb; con = duckdb.connect("
             f"'{home}/warehouse.duckdb', read_only=True); print('rows', con.sql("
             "'SELECT count(*) FROM mart.kpi_progress').fetchone()[0])\"")
    prepare = (f"{q(str(KPI_PIPELINE))} run --week 2026-W47 >/dev/null 2>&1 && {count} && "
               f"(dd if=/dev/zero of={q(str(home))}/ballast bs=1M 2>/dev/null || true) && "
               f"truncate -s -1M {q(str(home))}/ballast && ")
    done = _on_tmpfs(home, "size=64m", "backfill", "--from", "2025-W01", "--to", "2026-W46",
                     prepare=prepare, after=count)

    said = " ".join(done.stderr.split())
    assert "exit 1" in done.stdout, done.stdout + done.stderr
    assert f"the disk holding {home} is full" in said
    rows = [line for line in done.stdout.splitlines() if line.startswith("rows ")]
    assert len(rows) == 2 and rows[0] == rows[1] and rows[0] != "rows 0", done.stdout


def test_a_read_only_kpi_home_is_named_with_exit_2(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = _on_tmpfs(home, "ro,size=1m", "run", "--week", "2026-W47")

    assert done.returncode == 2, done.stderr
    assert f"error: {home}/dagster: Read-only file system" in done.stderr
    assert "this is a bug" not in done.stderr and "Traceback" not in done.stderr
