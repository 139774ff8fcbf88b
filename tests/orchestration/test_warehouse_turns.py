"""Turns at the warehouse (kpi_pipeline.orchestration.warehouse_turns): a holder of every
slot keeps a newcomer waiting, and the newcomer goes in as soon as one slot is let go."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from kpi_pipeline.orchestration.warehouse_turns import _try_lock, turn_file, warehouse_turn


def _enter_in_thread(folder: Path, slots: int | None) -> tuple[threading.Event, threading.Event]:
    """A thread that takes a turn and holds it until told: (entered, leave)."""
    entered, leave = threading.Event(), threading.Event()

    def take() -> None:
        with warehouse_turn(folder, slots):
            entered.set()
            leave.wait(30)

    threading.Thread(target=take, daemon=True).start()
    return entered, leave


@pytest.mark.parametrize("slots", [1, 3])
def test_a_newcomer_waits_while_every_slot_is_held_and_enters_when_one_is_let_go(
    tmp_path: Path, slots: int, caplog: pytest.LogCaptureFixture,
) -> None:
    held = [_try_lock(turn_file(tmp_path, slot)) for slot in range(slots)]
    assert all(fd is not None for fd in held)
    entered, leave = _enter_in_thread(tmp_path, slots)
    assert not entered.wait(1.0), "went in while every slot was held"
    os.close(held[-1])  # the last slot is let go (a run finished)
    assert entered.wait(20), "still waiting after a slot was let go"
    assert "waiting for another run to finish with the warehouse" in caplog.text
    assert _try_lock(turn_file(tmp_path, slots - 1)) is None  # the newcomer holds it now
    leave.set()
    for fd in held[:-1]:
        os.close(fd)


def test_a_free_slot_is_taken_without_waiting_and_given_back_after(tmp_path: Path) -> None:
    other = _try_lock(turn_file(tmp_path, 0))
    with warehouse_turn(tmp_path, 2):
        assert _try_lock(turn_file(tmp_path, 1)) is None  # slot 1 is ours
    fd = _try_lock(turn_file(tmp_path, 1))
    assert fd is not None  # given back when the block ended
    os.close(fd)
    os.close(other)


def test_without_a_pool_limit_nobody_waits(tmp_path: Path) -> None:
    entered, leave = _enter_in_thread(tmp_path / "instance", None)
    assert entered.wait(10)
    leave.set()
    assert not (tmp_path / "instance").exists()  # no lock files for an unlimited pool


def test_a_command_holding_its_turn_runs_its_several_runs_without_waiting_on_itself(
    tmp_path: Path,
) -> None:
    with warehouse_turn(tmp_path, 1):
        with warehouse_turn(tmp_path, 1):  # the ingest run inside the command's turn
            pass
        assert _try_lock(turn_file(tmp_path, 0)) is None  # still the command's
    fd = _try_lock(turn_file(tmp_path, 0))
    assert fd is not None
    os.close(fd)


def test_a_folder_where_no_turn_can_be_taken_lets_the_command_run_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    not_a_folder = tmp_path / "dagster.yaml"  # e.g. a DAGSTER_HOME nobody may write into
    not_a_folder.write_text("storage: {postgres: {}}\n")
    entered, leave = _enter_in_thread(not_a_folder / "home", 1)
    assert entered.wait(10)
    leave.set()
    assert "could not take a turn at the warehouse" in caplog.text
    assert "the warehouse pool alone keeps the writers apart" in caplog.text
