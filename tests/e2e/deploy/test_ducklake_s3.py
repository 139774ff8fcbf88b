"""The DuckLake warehouse with its Parquet files on S3-compatible storage
(``KPI_LAKE_DATA_PATH=s3://bucket/prefix/`` + ``KPI_LAKE_S3_ENDPOINT``): moto's S3 server on
loopback (tests/helpers/s3.py, signatures checked) and a real PostgreSQL catalog.

One week runs through the installed CLI on the lake and on the DuckDB file; the lake's data files
must be in the bucket and its marts equal the file's. The secret key never reaches the output;
a wrong secret or an unreachable endpoint stops with exit 2 naming the data path.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from helpers.cli import run_cli
from helpers.kpi_home import RanWeek, copy_home
from helpers.postgres import PostgresServer, running_postgres
from helpers.s3 import S3Server, free_port, running_s3
from test_ducklake import MARTS, RAW, WEEK, _tables

from kpi_pipeline.config.warehouse_location import WarehouseLocation, parse_location, scrub
from kpi_pipeline.warehouse import connect
from kpi_pipeline.warehouse.lake import _s3_secret, extension_directory

pytestmark = pytest.mark.slow

PREFIX = "lake/"


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    with running_postgres("lake_s3") as server:
        yield server


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    with running_s3() as server:
        yield server


def _catalog(server: PostgresServer, name: str) -> str:
    """``KPI_WAREHOUSE`` for a new, empty catalog database ``name``."""
    with closing(server.connect("postgres")) as con:
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
    return (f"ducklake:postgres:dbname={name} host={server.host} port={server.port} "
            f"user={server.user} password={server.password}")


def _location(warehouse: str, env: dict[str, str]) -> WarehouseLocation:
    s3 = {"endpoint": env["KPI_LAKE_S3_ENDPOINT"], "key_id": env["AWS_ACCESS_KEY_ID"],
          "secret": env["AWS_SECRET_ACCESS_KEY"], "region": env["AWS_REGION"]}
    return parse_location(warehouse, Path("."), env["KPI_LAKE_DATA_PATH"], s3=s3)


@dataclass(frozen=True)
class Built:
    file_home: Path
    lake_home: Path
    location: WarehouseLocation
    lake_out: str


@pytest.fixture(scope="module")
def built(postgres: PostgresServer, s3: S3Server, tmp_path_factory: pytest.TempPathFactory,
          ran_week_template: RanWeek) -> Built:
    """The same week run by `kpi-pipeline run` on the file and on the lake in the bucket."""
    cwd = tmp_path_factory.mktemp("cwd")
    # the file side is the session's run of the week (default settings), copied
    assert ran_week_template.result.args[1:] == ["run", "--week", WEEK]
    file_home = copy_home(ran_week_template.home, tmp_path_factory.mktemp("file") / "home")
    lake_home = tmp_path_factory.mktemp("lake_home")
    warehouse = _catalog(postgres, "lake_s3_run")
    env = {"KPI_WAREHOUSE": warehouse, **s3.env(PREFIX)}
    on_lake = run_cli("run", "--week", WEEK, home=lake_home, cwd=cwd, timeout=600, **env)
    lake_out = on_lake.stdout + on_lake.stderr
    assert on_lake.returncode == 0, scrub(lake_out[-3000:]).replace(s3.secret, "<secret>")
    return Built(file_home, lake_home, _location(warehouse, env), lake_out)


def test_the_lake_data_files_are_parquet_objects_in_the_bucket(built: Built, s3: S3Server) -> None:
    keys = s3.keys(PREFIX)
    parquet = [key for key in keys if key.endswith(".parquet")]
    assert parquet, keys
    assert all(key.startswith(PREFIX) for key in keys)
    # nothing of the warehouse went to the local disk: no DuckDB file, no Parquet under KPI_HOME
    assert not (built.lake_home / "warehouse.duckdb").exists()
    assert not list(built.lake_home.rglob("*.parquet"))


def test_a_week_on_the_s3_lake_has_the_same_raw_tables_and_marts_as_on_the_file(built: Built) -> None:
    with connect(built.file_home / "warehouse.duckdb", read_only=True) as con:
        on_file = _tables(con, RAW + MARTS)
    with connect(built.location, read_only=True) as con:
        on_lake = _tables(con, RAW + MARTS)
        files = con.execute("SELECT data_file FROM ducklake_list_files('wh', 'metrics_weekly', "
                            "schema => 'mart')").fetchall()
    assert all(on_file[t] for t in ("mart.metrics_weekly", "mart.kpi_progress", "raw.ga4_daily"))
    for table in RAW + MARTS:
        assert on_lake[table] == on_file[table], table
    # the rows were read back from the bucket
    assert files and all(path.startswith(f"s3://kpi-lake/{PREFIX}") for (path,) in files), files


def test_the_secret_key_never_reaches_the_output_or_the_run_records(built: Built, s3: S3Server) -> None:
    assert s3.secret not in built.lake_out
    assert "s3://kpi-lake/lake/" in built.lake_out  # the warehouse line names the data path
    for path in (built.lake_home / "dagster").rglob("*"):
        if path.is_file():
            assert s3.secret.encode() not in path.read_bytes(), path


@pytest.mark.parametrize("broken", ["wrong_secret", "unreachable_endpoint"])
def test_a_wrong_secret_or_an_unreachable_endpoint_stops_with_exit_2_naming_the_data_path(
    postgres: PostgresServer, s3: S3Server, tmp_path: Path, broken: str,
) -> None:
    env = {"KPI_WAREHOUSE": _catalog(postgres, f"lake_s3_{broken}"), **s3.env(f"{broken}/")}
    if broken == "wrong_secret":
        env["AWS_SECRET_ACCESS_KEY"] = "wrong-" + s3.secret[6:]
    else:
        env["KPI_LAKE_S3_ENDPOINT"] = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    result = run_cli("run", "--week", WEEK, home=tmp_path, cwd=tmp_path, **env)
    out = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 2, out
    assert f"cannot reach the DuckLake data path s3://kpi-lake/{broken}/" in out
    assert "AWS_SECRET_ACCESS_KEY" in out and "KPI_LAKE_S3_ENDPOINT" in out  # what to check
    assert env["AWS_SECRET_ACCESS_KEY"] not in out and s3.secret not in out
    assert postgres.password not in out
    assert not s3.keys(broken)  # nothing was written


def _secret_string(s3: dict[str, str]) -> str:
    """What DuckDB made of the S3 secret open_lake creates (its key redacted by DuckDB)."""
    con = duckdb.connect(":memory:", config={"extension_directory": str(extension_directory()),
                                            "autoinstall_known_extensions": False})
    with closing(con):
        con.execute("LOAD httpfs")
        _s3_secret(con, s3)
        return con.execute("SELECT secret_string FROM duckdb_secrets()").fetchone()[0]


@pytest.mark.parametrize(("endpoint", "host", "use_ssl"), [
    ("http://127.0.0.1:9000/", "127.0.0.1:9000", "false"),
    ("HTTP://minio.internal:9000", "minio.internal:9000", "false"),
    ("https://minio.internal", "minio.internal", "true"),
    ("minio.internal:9000", "minio.internal:9000", "true"),  # no scheme: TLS, as AWS
])
def test_the_s3_secret_for_a_compatible_endpoint_is_path_style_without_the_scheme(
    endpoint: str, host: str, use_ssl: str,
) -> None:
    text = _secret_string({"endpoint": endpoint, "key_id": "k", "secret": "s3cr3t-key",
                           "region": "eu-west-1"})
    options = dict(part.split("=", 1) for part in text.split(";"))
    assert (options["endpoint"], options["use_ssl"], options["url_style"]) == (host, use_ssl, "path")
    assert options["region"] == "eu-west-1"
    assert "s3cr3t-key" not in text


def test_without_an_endpoint_the_secret_is_for_aws_with_its_default_region() -> None:
    text = _secret_string({"key_id": "k", "secret": "s3cr3t-key"})
    options = dict(part.split("=", 1) for part in text.split(";"))
    assert options["region"] == "us-east-1"
    # DuckDB's defaults for AWS: its endpoint, virtual-host style, TLS
    assert not {"endpoint", "url_style", "use_ssl"} & options.keys(), options
    assert "s3cr3t-key" not in text
