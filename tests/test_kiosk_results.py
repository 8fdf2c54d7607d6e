"""The kiosk's results writer over a real SQLite file: sessions and reps written as they
happen, a full database (SQLite's own SQLITE_FULL through `max_page_count`, the same error
a full disk gives) kept in memory and written once there is room, check-in by typed id or
badge, and the one-line answers the screen shows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kiosk.app.checkin import IDLE_S, CheckIn
from kiosk.app.results_writer import MAX_RETRY_S, RETRY_S, ResultsWriter
from kiosk.core.drill import RepResult
from kiosk.results.store import ResultsStore


def rep(i: int, passed: bool = True, wall_in: float = 6.0) -> RepResult:
    return RepResult(index=i, start_s=2.0 * i, bottom_s=2.0 * i + 0.8, end_s=2.0 * i + 1.6,
                     wall_distance_in=wall_in, min_hip_to_wall_mm=-4.0 if passed else 55.0,
                     max_knee_flexion_deg=14.0, max_trunk_angle_deg=50.0,
                     faults=() if passed else ("wall_not_reached",), passed=passed, drill="wall")


def body(depth_m: float) -> np.ndarray:
    """A crude side-view blob (x, y world metres) whose rear reaches back to -depth_m."""
    ys = np.linspace(0.0, 1.7, 60)
    xs = np.linspace(-depth_m, 0.1, 12)
    return np.array([(x, y) for x in xs for y in ys], dtype=np.float32)


def roster(db: Path) -> None:
    with ResultsStore.open(db) as s, s.transaction() as c:
        c.execute("INSERT INTO athletes (id, name, team, barcode, imported_utc) VALUES "
                  "('A7', 'Ana Lima', 'Rowing', 'QR-0007', 'x')")


def run_session(w: ResultsWriter, reps: list[RepResult]) -> None:
    w.begin()
    for r in reps:
        w.frame(body(0.3), r.min_hip_to_wall_mm, 50.0)
        w.rep(r)
    w.finish()


def test_a_session_is_written_as_it_happens_and_saved_means_on_disk(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite3"
    roster(db)
    w = ResultsWriter(lambda: ResultsStore.open(db))
    ok, said = w.check_in("QR-0007")
    assert ok and said.startswith("Checked in: Ana Lima")
    w.begin()
    w.frame(body(0.3), -4.0, 50.0)
    w.rep(rep(0))
    # Before the session ends its rep is already in the file (another connection sees it).
    with ResultsStore.open(db, create=False) as other:
        (row,) = other.sessions()
        assert row.athlete_id == "A7" and not row.finished and len(other.reps(row.id)) == 1
    assert not w.current_saved
    w.rep(rep(1, passed=False, wall_in=8.0))
    w.finish()
    assert w.current_saved and w.problem == ""
    w.close()
    with ResultsStore.open(db, create=False) as s:
        (row,) = s.sessions()
        assert row.finished and row.reps == 2 and row.passed == 1 and row.hinge_depth_in == 6.0
        assert [r.passed for r in s.reps(row.id)] == [True, False]
        assert s.silhouette(row.id) is not None  # the best rep's side view


def test_a_full_database_keeps_results_in_memory_and_writes_them_later(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite3"
    roster(db)
    pages = {"max": 0}

    def opener() -> ResultsStore:
        s = ResultsStore.open(db)
        if pages["max"]:  # the file may not grow past this: SQLITE_FULL, as on a full disk
            s.conn.execute(f"PRAGMA max_page_count = {pages['max']}")
        return s

    w = ResultsWriter(opener)
    run_session(w, [rep(0)])
    with ResultsStore.open(db, create=False) as s:
        pages["max"] = s.conn.execute("PRAGMA page_count").fetchone()[0]
    w.close()  # reopen with the cap
    reps = [rep(i, passed=i % 2 == 0) for i in range(40)]
    run_session(w, reps)
    run_session(w, [rep(0), rep(1)])
    assert w.problem and "full" in w.problem, w.problem
    assert not w.current_saved
    warning = w.status() or ""
    assert warning.startswith("Results NOT saved (") and warning.endswith("kept in memory, retrying")
    pages["max"] = 0  # room again (the operator freed space)
    w.poll(MAX_RETRY_S)  # each session's backoff has run out by then
    assert w.problem == "" and w.current_saved
    w.close()
    with ResultsStore.open(db, create=False) as s:
        rows = sorted(s.sessions(), key=lambda r: r.started_utc)
        assert [r.reps for r in rows] == [1, 40, 2]  # nothing lost, nothing twice
        assert all(r.finished for r in rows)
        assert s.integrity_check() == "ok"


def test_retries_wait_for_the_retry_period(tmp_path: Path) -> None:
    calls = {"n": 0}

    def broken() -> ResultsStore:
        calls["n"] += 1
        raise OSError("read-only file system")

    w = ResultsWriter(broken)
    w.begin()
    w.finish()
    n = calls["n"]
    assert "read-only" in w.problem
    w.poll(100.0)
    w.poll(100.0 + RETRY_S / 2)
    assert calls["n"] == n + 1  # one retry per period, not one per frame


def test_unknown_badge_and_walk_up(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite3"
    roster(db)
    w = ResultsWriter(lambda: ResultsStore.open(db))
    assert w.check_in("nobody") == (False, "Not on the roster: 'nobody' - ask your coach")
    run_session(w, [rep(0)])  # nobody checked in: a walk-up
    w.close()
    with ResultsStore.open(db, create=False) as s:
        (row,) = s.sessions()
        assert row.athlete_id is None and row.finished


def test_no_store_keeps_nothing_and_says_so() -> None:
    w = ResultsWriter(None)
    run_session(w, [rep(0)])
    assert not w.enabled and not w.current_saved and w.status() is None
    ok, said = w.check_in("A7")
    assert not ok and said.startswith("Cannot check in now")


@pytest.mark.parametrize("keys, code", [
    (["A", "7", "enter"], "A7"),
    (["Q", "R", "-", "0", "0", "0", "7", "enter"], "QR-0007"),
    (["A", "8", "backspace", "7", "enter"], "A7"),
])
def test_checkin_line_editor(keys: list[str], code: str) -> None:
    c = CheckIn()
    got = None
    for i, k in enumerate(keys):
        taken, out = c.key(k, 10.0 + 0.01 * i)
        assert taken
        got = out or got
    assert got == code


def test_checkin_leaves_the_operator_keys_alone_and_forgets_stray_keys() -> None:
    c = CheckIn()
    assert c.key("menu", 0.0) == (False, None)
    assert c.key("enter", 0.0) == (False, None)  # nothing typed: Enter is not ours
    assert c.key("5", 1.0) == (True, None)
    line, alert = c.notice(1.5)
    assert line.startswith("Check in: 5_") and not alert
    assert c.key("enter", 1.0 + IDLE_S + 0.1) == (False, None)  # the stray 5 was dropped
    assert c.notice(1.0 + IDLE_S + 0.2) == ("", False)
    c.said((False, "Not on the roster: 'A77' - ask your coach"), 2.0)
    assert c.notice(2.1) == ("Not on the roster: 'A77' - ask your coach", True)  # a refusal is a problem


def test_a_read_only_database_keeps_results_until_it_is_writable(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite3"
    roster(db)
    mode = {"ro": True}

    def opener() -> ResultsStore:
        s = ResultsStore.open(db)
        if mode["ro"]:  # SQLite's own read-only refusal, as on a file system remounted read-only
            s.conn.execute("PRAGMA query_only = ON")
        return s

    w = ResultsWriter(opener)
    run_session(w, [rep(0), rep(1, passed=False)])
    assert "readonly" in w.problem.replace("-", "").replace(" ", "") or "read" in w.problem, w.problem
    assert not w.current_saved
    mode["ro"] = False
    w.poll(1e9)
    assert w.current_saved and w.problem == ""
    w.close()
    with ResultsStore.open(db, create=False) as s:
        (row,) = s.sessions()
        assert row.reps == 2 and row.finished
