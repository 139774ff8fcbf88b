"""Reading the CRM export CSV: good files load, bad ones say file, line and column."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import numpy as np
import pytest
from helpers.paths import FIXTURES

from kpi_pipeline.sources.base import CRM_DAILY_COLUMNS
from kpi_pipeline.sources.crm import CrmCsvError, read_crm_csv

EXAMPLE = FIXTURES / "crm" / "crm_example.csv"
HEADER = "date,leads,appointments,deals,orders,revenue"


def _write(tmp_path: Path, text: str, name: str = "crm.csv", bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def _problems(path: Path) -> list[str]:
    with pytest.raises(CrmCsvError) as caught:
        read_crm_csv(path, "demo")
    assert str(caught.value) == "\n".join(caught.value.problems)
    return caught.value.problems


def test_the_example_csv_reads_into_crm_daily_rows() -> None:
    frame = read_crm_csv(EXAMPLE, "site-a")
    assert tuple(frame.columns) == CRM_DAILY_COLUMNS
    assert len(frame) == 21
    assert (frame["site_id"] == "site-a").all()
    assert frame["date"].iloc[0] == date(2026, 10, 1)
    assert frame["date"].map(type).eq(date).all()
    assert all(frame[c].dtype == np.int64 for c in ("leads", "appointments", "deals", "orders"))
    assert frame["revenue"].dtype == np.float64
    assert frame["revenue"].sum() == 4_060_000


def test_a_byte_order_mark_extra_columns_and_any_column_order_are_accepted(tmp_path: Path) -> None:
    text = (
        "Revenue, Date ,orders,deals,appointments,leads,owner\r\n"
        "1200000,2026-11-02,1,2,3,30,佐藤\r\n"
        "\r\n"
        "0,2026-11-01,0,0,1,12,鈴木\r\n"
    )
    frame = read_crm_csv(_write(tmp_path, text, bom=True), "demo")
    assert list(frame["date"]) == [date(2026, 11, 1), date(2026, 11, 2)], "sorted by date"
    assert frame.iloc[1][["leads", "appointments", "deals", "orders", "revenue"]].tolist() == [
        30,
        3,
        2,
        1,
        1_200_000.0,
    ]


def test_a_header_only_file_gives_no_rows(tmp_path: Path) -> None:
    frame = read_crm_csv(_write(tmp_path, HEADER + "\n"), "demo")
    assert frame.empty and tuple(frame.columns) == CRM_DAILY_COLUMNS


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("2026-11-01,10,1,abc,0,0", ":2: deals: 'abc' is not a whole number"),
        ("2026-11-01,10,1,1.5,0,0", ":2: deals: '1.5' is not a whole number"),
        ("2026-11-01,-3,1,1,0,0", ":2: leads: '-3' is negative; counts are 0 or more"),
        ("2026/11/01,10,1,1,0,0", ":2: date: '2026/11/01' is not a date (expected YYYY-MM-DD)"),
        ("2026-02-30,10,1,1,0,0", ":2: date: '2026-02-30' is not a calendar date"),
        ("2026-11-01,10,1,1,0,lots", ":2: revenue: 'lots' is not a number"),
        ("2026-11-01,10,1,1,0,-5", ":2: revenue: '-5' is negative; revenue is 0 or more"),
        ("2026-11-01,10,,1,0,0", ":2: appointments: is empty"),
        ("2026-11-01,10,1", ":2: has 3 fields, the header has 6 or more"),
    ],
)
def test_a_bad_value_is_reported_with_file_line_and_column(
    tmp_path: Path, row: str, expected: str
) -> None:
    path = _write(tmp_path, f"{HEADER}\n{row}\n")
    problems = _problems(path)
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}{expected}")


def test_the_line_number_counts_from_the_top_of_the_file(tmp_path: Path) -> None:
    good = "\n".join(f"2026-10-{d:02d},10,1,1,0,0" for d in range(1, 13))
    path = _write(tmp_path, f"{HEADER}\n{good}\n2026-10-13,10,1,abc,0,0\n")
    assert _problems(path) == [f"{path}:14: deals: 'abc' is not a whole number"]


def test_a_duplicate_date_names_both_lines(tmp_path: Path) -> None:
    path = _write(
        tmp_path, f"{HEADER}\n2026-11-01,1,0,0,0,0\n2026-11-02,1,0,0,0,0\n2026-11-01,2,0,0,0,0\n"
    )
    assert _problems(path) == [f"{path}:4: date: 2026-11-01 already appears on line 2"]


def test_missing_columns_are_named(tmp_path: Path) -> None:
    path = _write(tmp_path, "date,leads,appointments,revenue\n2026-11-01,1,0,0\n")
    (problem,) = _problems(path)
    assert problem.startswith(f"{path}:1: missing columns deals, orders")


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = _write(tmp_path, f"{HEADER}\n2026-11-01,x,0,0,0,0\n2026-11-02,1,y,0,0,0\n")
    assert _problems(path) == [
        f"{path}:2: leads: 'x' is not a whole number",
        f"{path}:3: appointments: 'y' is not a whole number",
    ]


def test_a_long_list_of_problems_is_cut_short(tmp_path: Path) -> None:
    rows = "\n".join(f"2026-10-{d:02d},x,0,0,0,0" for d in range(1, 31))
    with pytest.raises(CrmCsvError) as caught:
        read_crm_csv(_write(tmp_path, f"{HEADER}\n{rows}\n"), "demo")
    assert len(caught.value.problems) == 30
    assert str(caught.value).splitlines()[-1] == "... and 10 more problems"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", ": file is empty; expected a header line"),
        (
            HEADER.encode() + b"\n2026-11-01,1,0,0,0,0\n2026-11-02,\x93,0,0,0,0\n",
            ":3: not UTF-8 text",
        ),
    ],
)
def test_an_unreadable_file_is_reported(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "crm.csv"
    path.write_bytes(content)
    (problem,) = _problems(path)
    assert problem.startswith(f"{path}{expected}")


def test_a_missing_file_says_which_setting_to_fix(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    assert _problems(path) == [f"{path}: file not found (set CRM_CSV to an existing file)"]


def test_csv_rows_insert_into_raw_crm_daily(tmp_path: Path) -> None:
    from kpi_pipeline.warehouse import connect, ensure_schema, replace_rows

    con = connect(tmp_path / "warehouse.duckdb")
    ensure_schema(con)
    frame = read_crm_csv(EXAMPLE, "demo").assign(loaded_at=datetime(2026, 11, 25))
    replace_rows(con, "raw.crm_daily", frame, "site_id = ?", ["demo"])
    assert con.execute("SELECT count(*), sum(orders), min(date) FROM raw.crm_daily").fetchone() == (
        21,
        4,
        date(2026, 10, 1),
    )
