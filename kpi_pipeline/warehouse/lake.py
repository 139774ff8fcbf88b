"""Open a DuckLake warehouse: in-memory DuckDB, the extensions from their pip packages, the
catalog ATTACHed with its data path and ``USE``d, so ``raw.*``, ``mart.*`` and ``meta.*``
resolve exactly as in the DuckDB file.

The extensions come from the ``duckdb-ext-*`` wheels (``duckdb_ext/extensions/v<version>/
<platform>/``), found through the installed package: nothing is downloaded at run time.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

from kpi_pipeline.config.warehouse_location import WarehouseLocation, scrub
from kpi_pipeline.errors import UserError

LAKE_ALIAS = "wh"
# Commits that race another writer's commit are retried by DuckLake itself (new snapshot id);
# ten attempts (its default) were not always enough with several sites writing at once.
MAX_RETRY_COUNT = 100
RETRY_WAIT_MS = 50
# A new catalog is created by the first ATTACH; several processes attaching a fresh catalog at
# once (site runs started together) all try, and all but one fail on PostgreSQL's unique
# indexes. The catalog exists once the winner has committed: attach again.
INIT_RACE_ATTEMPTS = 5
INIT_RACE_WAIT_SECONDS = 0.5


class LakeError(UserError):
    """The DuckLake catalog or data path cannot be opened (the message holds no password)."""


def extension_directory() -> Path:
    """The folder laid out as DuckDB's extension directory by the ``duckdb-ext-*`` wheels."""
    try:
        import duckdb_ext  # a namespace package shared by the duckdb-ext-* wheels
    except ImportError:
        raise LakeError("the DuckLake extension is not installed: `pip install "
                        "duckdb-ext-ducklake duckdb-ext-postgres` (see pyproject.toml)") from None
    version = f"v{duckdb.__version__}"
    for root in duckdb_ext.__path__:
        candidate = Path(root) / "extensions"
        if (candidate / version).is_dir():
            return candidate
    raise LakeError(f"no DuckDB extensions for {version} in the duckdb-ext packages: their "
                    "version must match duckdb's (see the pins in pyproject.toml)")


def _literal(text: str) -> str:
    # ATTACH and CREATE SECRET take no bound parameters; the text is quoted safely
    return "'" + text.replace("'", "''") + "'"


def _s3_secret(con: duckdb.DuckDBPyConnection, s3: dict[str, str]) -> None:
    """A temporary S3 secret for the data path. With ``endpoint`` (an S3-compatible server such
    as MinIO or moto): path-style URLs, as those servers do not resolve buckets as host names,
    and plain HTTP when the endpoint says ``http://``; the scheme is not part of DuckDB's
    ENDPOINT."""
    options = ["TYPE s3"]
    if "key_id" in s3:
        options.append(f"KEY_ID {_literal(s3['key_id'])}")
    if "secret" in s3:
        options.append(f"SECRET {_literal(s3['secret'])}")
    options.append(f"REGION {_literal(s3.get('region', 'us-east-1'))}")
    if "endpoint" in s3:
        endpoint = s3["endpoint"].strip()
        host = endpoint.split("://", 1)[-1].rstrip("/")
        options.append(f"ENDPOINT {_literal(host)}")
        options.append("URL_STYLE 'path'")
        options.append(f"USE_SSL {'false' if endpoint.lower().startswith('http://') else 'true'}")
    con.execute(f"CREATE TEMPORARY SECRET kpi_lake_s3 ({', '.join(options)})")


def _hidden(text: str, s3: dict[str, str]) -> str:
    """``text`` on one line, without a conninfo password or the S3 secret key."""
    text = scrub(" ".join(text.split()))
    secret = s3.get("secret")
    return text.replace(secret, "***") if secret else text


def _check_data_path(con: duckdb.DuckDBPyConnection, data_path: str, s3: dict[str, str]) -> None:
    """List the data path once, so a wrong key, region or endpoint stops here, naming the data
    path, and not in the middle of a run when the first Parquet file is written."""
    try:
        con.execute("SELECT count(*) FROM glob(?)", [data_path.rstrip("/") + "/*"]).fetchall()
    except duckdb.Error as exc:
        endpoint = f" at {s3['endpoint']}" if "endpoint" in s3 else ""
        reason = str(exc).split("\nLINE ")[0]  # not the probe's SQL, which says nothing to a user
        raise LakeError(
            f"cannot reach the DuckLake data path {data_path}{endpoint} (KPI_LAKE_DATA_PATH): "
            f"{_hidden(reason, s3)} — check KPI_LAKE_S3_ENDPOINT, AWS_ACCESS_KEY_ID, "
            "AWS_SECRET_ACCESS_KEY and AWS_REGION") from None


def _lost_init_race(exc: duckdb.Error) -> bool:
    """Another process created the same new catalog at the same moment, and won."""
    text = str(exc)
    return "Failed to initialize DuckLake" in text and ("already exists" in text
                                                        or "duplicate key" in text)


def _attach(con: duckdb.DuckDBPyConnection, attach: str) -> None:
    """Run ``attach``; when creating a new catalog lost the race to another process, attach the
    catalog that process created."""
    for attempt in range(INIT_RACE_ATTEMPTS):
        try:
            con.execute(attach)
            return
        except duckdb.Error as exc:
            if not _lost_init_race(exc) or attempt == INIT_RACE_ATTEMPTS - 1:
                raise
            time.sleep(INIT_RACE_WAIT_SECONDS * (attempt + 1))


def open_lake(location: WarehouseLocation, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the lake attached as ``wh`` and in use."""
    con = duckdb.connect(":memory:", config={
        "extension_directory": str(extension_directory()),
        "autoinstall_known_extensions": False,  # offline: only the files from the wheels
    })
    try:
        s3 = dict(location.s3)
        con.execute("LOAD ducklake")
        con.execute("LOAD postgres_scanner")
        remote = "://" in location.data_path
        if remote:
            con.execute("LOAD httpfs")
            _s3_secret(con, s3)
            _check_data_path(con, location.data_path, s3)
        con.execute(f"SET ducklake_max_retry_count = {MAX_RETRY_COUNT}")
        con.execute(f"SET ducklake_retry_wait_ms = {RETRY_WAIT_MS}")
        if not remote and not read_only:
            Path(location.data_path).mkdir(parents=True, exist_ok=True)
        options = [f"DATA_PATH {_literal(location.data_path)}"]
        if read_only:
            options.append("READ_ONLY")
        _attach(con, f"ATTACH {_literal('ducklake:postgres:' + location.catalog)} AS {LAKE_ALIAS} "
                     f"({', '.join(options)})")
        con.execute(f"USE {LAKE_ALIAS}")
    except duckdb.Error as exc:
        con.close()
        raise LakeError(f"cannot open the warehouse {location.label()}: "
                        f"{_hidden(str(exc), dict(location.s3))}") from None
    except BaseException:
        con.close()
        raise
    return con
