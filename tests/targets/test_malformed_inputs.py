"""Property: whatever a person gets wrong in a targets file, a sites file or a CRM export, the
command exits 2 with ``file:line`` in the message, and never prints a traceback.

Generated through the CLI (typer's runner against the real app); each strategy is seeded with
the cases that once crashed (``@example``). Small ``max_examples`` keep the suite fast.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

from helpers.paths import FIXTURES
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from kpi_pipeline.catalog import METRICS_BY_ID
from kpi_pipeline.cli.app import _register_commands, app
from kpi_pipeline.config.settings import EXAMPLE_TARGETS

_register_commands()
TARGETS = (FIXTURES / "targets" / "valid_minimal.yaml").read_text(encoding="utf-8")
FAST = settings(max_examples=25, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])


@contextmanager
def _invoke(args: list[str], content: bytes, name: str, **env: str) -> Iterator[tuple[Result, Path]]:
    """Write ``content`` to a fresh folder as ``name`` and run the command on it ({file})."""
    with tempfile.TemporaryDirectory(prefix="malformed-") as tmp:
        folder = Path(tmp)
        path = folder / name
        path.write_bytes(content)
        env = {k: v.replace("{file}", str(path)) for k, v in env.items()}
        args = [a.replace("{file}", str(path)) for a in args]
        yield CliRunner().invoke(app, args, env={"KPI_HOME": str(folder / "home"), **env}), path


def assert_located_user_error(result: Result, path: Path) -> None:
    """Exit 2, a ``file:line`` in the message, no traceback and no "this is a bug" line."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output and "this is a bug" not in result.output
    assert re.search(re.escape(str(path)) + r":\d+", result.stderr), result.stderr


# --- targets file --------------------------------------------------------------------------

def _replace_value(text: str, key: str, occurrence: int, value: str) -> str:
    """``key: old`` → ``key: value`` at the ``occurrence``-th such key (inline maps too)."""
    spots = [m for m in re.finditer(rf"\b{key}: ([^,}}\n]+)", text)]
    spot = spots[occurrence % len(spots)]
    return text[: spot.start(1)] + value + text[spot.end(1):]


BAD_NUMBERS = st.one_of(
    st.floats(max_value=0, allow_nan=False, allow_infinity=False).map(repr),
    st.floats(min_value=1e15, exclude_min=True, allow_infinity=False).map(repr),
    st.sampled_from([".nan", ".inf", "-.inf", "abc", "[1, 2]", "{a: 1}", "''", "1e400", "!!int abc"]),
)
BAD_DATES = st.one_of(
    st.sampled_from(["2026-02-30", "2026-13-01", "2026/10/01", "tomorrow", "''", "[2026]", "!!timestamp x"]),
    st.text(alphabet="abcxyz-/ ", min_size=1, max_size=12).map(lambda s: f"'{s}'"),
)
BAD_WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12).filter(
    lambda w: w not in METRICS_BY_ID and w != "orders_fy")
BROKEN_YAML = st.sampled_from(["[unclosed", "{a: ", "\"unterminated", "*undefined", "a: b: c",
                               "\t- tab", "- [", "&a [*a]", "!!python/object:os.system x"])


@st.composite
def bad_targets(draw: st.DrawFn) -> str:
    """The minimal valid file with one field made wrong (its type, range, reference or syntax)."""
    kind = draw(st.sampled_from(["number", "date", "metric", "kgi", "syntax", "unknown_key"]))
    n = draw(st.integers(0, 5))
    if kind == "number":
        return _replace_value(TARGETS, draw(st.sampled_from(["value", "multiplier"])), n, draw(BAD_NUMBERS))
    if kind == "date":
        key = draw(st.sampled_from(["start", "end", "deadline", "from", "to"]))
        return _replace_value(TARGETS, key, n, draw(BAD_DATES))
    if kind == "metric":
        return _replace_value(TARGETS, "metric", n, draw(BAD_WORDS))
    if kind == "kgi":
        return _replace_value(TARGETS, "kgi", 0, draw(BAD_WORDS))
    if kind == "syntax":
        return _replace_value(TARGETS, draw(st.sampled_from(["name", "id", "target"])), n, draw(BROKEN_YAML))
    return TARGETS.replace("    target: {value: 100}", f"    target: {{value: 100}}\n    {draw(BAD_WORDS)}x: 1")


MERGED = TARGETS.replace("kpis:\n  - id", "kpis:\n  - &kpi\n    id") + (
    "  - <<: *kpi\n    id: sessions_b\n    start: 2026-12-01\n")


@FAST
@given(text=bad_targets())
@example(text=MERGED)
@example(text=TARGETS.replace("target: {multiplier: 1.25}", "target: {multiplier: 1e306}\n    pacing: compound"))
@example(text=TARGETS.replace("target: {value: 100}",
                              "target: {value: 1e308}\n    funnel:\n      - {stage: deals, rate: 0.5}"))
@example(text=TARGETS.replace("target: {value: 100}", "target: {value: -100}"))
@example(text=TARGETS.replace("target: {value: 100}", "target: {value: 0}"))
@example(text="timezone: Asia/Tokyo\nkgis: []\n")
def test_a_wrong_targets_file_is_located_never_a_traceback(text: str) -> None:
    with _invoke(["targets", "check", "{file}"], text.encode(), "kpi_targets.yaml") as (result, path):
        assert_located_user_error(result, path)


@FAST
@given(line=st.integers(0, TARGETS.count("\n")), junk=st.text(max_size=30))
@example(line=3, junk="<<: *nowhere")
@example(line=3, junk="?")  # a complex key holding the KGI list: once a TypeError
@example(line=0, junk="\x00")
def test_any_text_in_a_targets_file_is_accepted_or_located(line: int, junk: str) -> None:
    lines = TARGETS.splitlines()
    text = "\n".join([*lines[:line], junk, *lines[line:]])
    with _invoke(["targets", "check", "{file}"], text.encode("utf-8", "surrogatepass"),
                 "kpi_targets.yaml") as (result, path):
        if result.exit_code != 0:
            assert_located_user_error(result, path)
        assert result.exception is None or isinstance(result.exception, SystemExit)


# --- sites file ----------------------------------------------------------------------------

SITES = ("sites:\n"
         "  - id: shop\n"
         "    name: 本店\n"
         "    source: demo\n"
         "    report_lang: ja\n"
         "    report_to: team@example.jp\n")


@st.composite
def bad_sites(draw: st.DrawFn) -> bytes:
    """The valid sites file with one field made wrong, or saved in the wrong encoding."""
    kind = draw(st.sampled_from(["id", "source", "lang", "property", "to", "unknown", "syntax", "encoding"]))
    if kind == "id":
        bad = draw(st.sampled_from(["../../evil", "''", "a b", "x" * 80, "[shop]", "-lead"]))
        return _replace_value(SITES, "id", 0, bad).encode()
    if kind == "source":
        return _replace_value(SITES, "source", 0, draw(BAD_WORDS.filter(lambda w: w not in ("demo", "ga4")))).encode()
    if kind == "lang":
        return _replace_value(SITES, "report_lang", 0, draw(BAD_WORDS.filter(lambda w: w not in ("ja", "en")))).encode()
    if kind == "property":
        text = _replace_value(SITES, "source", 0, "ga4") + f"    ga4_property_id: {draw(BAD_WORDS)}\n"
        return text.encode()
    if kind == "to":
        return _replace_value(SITES, "report_to", 0, '"team@example.jp\\nBcc: thief@evil.example"').encode()
    if kind == "unknown":
        return (SITES + f"    {draw(BAD_WORDS)}x: 1\n").encode()
    if kind == "syntax":
        return _replace_value(SITES, draw(st.sampled_from(["name", "id"])), 0, draw(BROKEN_YAML)).encode()
    return SITES.encode(draw(st.sampled_from(["shift_jis", "euc_jp", "utf-16"])))


@FAST
@given(content=bad_sites())
@example(content=SITES.encode("shift_jis"))
@example(content=SITES.replace("id: shop", "id: ../../evil").encode())
@example(content=(SITES + "  - id: shop\n").encode())
def test_a_wrong_sites_file_is_located_never_a_traceback(content: bytes) -> None:
    with _invoke(["report", "--week", "2026-W47"], content, "kpi_sites.yaml",
                 KPI_SITES="{file}", KPI_TARGETS=str(EXAMPLE_TARGETS)) as (result, path):
        assert_located_user_error(result, path)


# --- CRM export ----------------------------------------------------------------------------

HEADER = ["date", "leads", "appointments", "deals", "orders", "revenue"]
BAD_CELLS = {
    "date": st.sampled_from(["2026-02-30", "2026/11/16", "16.11.2026", "x", "", "2026-11-1"]),
    "count": st.one_of(
        st.integers(max_value=-1).map(str),
        st.integers(min_value=10**15 + 1).map(str),
        st.sampled_from(["1.5", "abc", "", "1e3", "NaN", '"1,000"']),
    ),
    "revenue": st.one_of(
        st.floats(max_value=-0.01, allow_nan=False, allow_infinity=False).map(repr),
        st.sampled_from(["nan", "inf", "-inf", "1e400", "1e16", "¥100", ""]),
    ),
}


@st.composite
def bad_crm_csv(draw: st.DrawFn) -> bytes:
    """A week of valid rows with at least one cell (or the header, or the encoding) wrong."""
    rows = [[str(date(2026, 11, 16) + timedelta(days=i)), *(str(draw(st.integers(0, 50))) for _ in range(4)),
             str(draw(st.integers(0, 10**6)))] for i in range(7)]
    kind = draw(st.sampled_from(["cell", "cell", "cell", "short_row", "duplicate", "header", "encoding"]))
    if kind == "cell":
        row, column = draw(st.integers(0, 6)), draw(st.integers(0, 5))
        key = "date" if column == 0 else "revenue" if column == 5 else "count"
        rows[row][column] = draw(BAD_CELLS[key])
    elif kind == "short_row":
        rows[draw(st.integers(0, 6))] = rows[0][: draw(st.integers(1, 5))]
    elif kind == "duplicate":
        rows.append(list(rows[draw(st.integers(0, 6))]))
    header = list(HEADER)
    if kind == "header":
        header[draw(st.integers(0, 5))] = draw(BAD_WORDS)
    text = "\n".join(",".join(r) for r in [header, *rows]) + "\n"
    if kind == "encoding":
        return ("# 受注データ\n" + text).encode("shift_jis")
    return text.encode()


@FAST
@given(content=bad_crm_csv())
@example(content=b"date,leads,appointments,deals,orders,revenue\n"
                 b"2026-11-16,99999999999999999999,0,0,0,0\n")
@example(content="date,leads,appointments,deals,orders,revenue\n2026-11-16,１,0,0,0,0\n".encode("shift_jis"))
def test_a_wrong_crm_export_stops_run_at_its_line(content: bytes) -> None:
    with _invoke(["run", "--week", "2026-W47"], content, "crm.csv", CRM_CSV="{file}",
                 KPI_TARGETS=str(EXAMPLE_TARGETS)) as (result, path):
        assert_located_user_error(result, path)
