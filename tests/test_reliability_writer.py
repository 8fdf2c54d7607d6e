"""The kiosk's results writer against what happens around it (issue 12, items 1-3): a rep
the database can never take, an athlete deleted from a shell during their own session,
and a kiosk killed with SIGKILL mid-session (a real process), then started again.
Real SQLite files, real processes, the real `hinge-kiosk results` command line."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from kiosk.app.results_writer import ResultsWriter
from kiosk.app.session import saved_line
from kiosk.core.drill import RepResult
from kiosk.results.store import ResultsStore

REPO = Path(__file__).resolve().parents[1]
LATER_S = 120.0  # past any retry backoff
ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def rep(i: int, passed: bool = True, wall_in: float = 6.0, drill: str = "wall") -> RepResult:
    return RepResult(index=i, start_s=2.0 * i, bottom_s=2.0 * i + 0.8, end_s=2.0 * i + 1.6,
                     wall_distance_in=wall_in, min_hip_to_wall_mm=-4.0 if passed else 55.0,
                     max_knee_flexion_deg=14.0, max_trunk_angle_deg=50.0,
                     faults=() if passed else ("wall_not_reached",), passed=passed,
                     drill=drill)  # type: ignore[arg-type]


def body() -> np.ndarray:
    ys, xs = np.linspace(0.0, 1.7, 60), np.linspace(-0.3, 0.1, 12)
    return np.array([(x, y) for x in xs for y in ys], dtype=np.float32)


def roster(db: Path, ids: list[str]) -> None:
    with ResultsStore.open(db, station_id="kiosk-1") as s, s.transaction() as c:
        c.executemany("INSERT INTO athletes (id, name, team, imported_utc) VALUES (?, ?, 'T', "
                      "'2024-05-01T10:00:00.000Z')", [(a, f"Athlete {a}") for a in ids])


def session(w: ResultsWriter, reps: list[RepResult], athlete: str | None = None) -> None:
    if athlete:
        assert w.check_in(athlete)[0]
    w.begin()
    for r in reps:
        w.frame(body(), r.min_hip_to_wall_mm, 50.0)
        w.rep(r)
    w.finish()


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], cwd=REPO, env=ENV,
                          capture_output=True, text=True, timeout=60)


def test_a_rep_the_database_refuses_does_not_hold_up_what_follows(tmp_path: Path) -> None:
    """A judged rep the database can never take (here a drill name its CHECK refuses): it
    is logged and skipped, its session and every later one are written."""
    db = tmp_path / "results.sqlite3"
    w = ResultsWriter(lambda: ResultsStore.open(db, station_id="kiosk-1"))
    session(w, [rep(0), rep(1, drill="squat"), rep(2, wall_in=8.0)])
    for _ in range(3):
        session(w, [rep(0), rep(1, passed=False)])
    w.poll(LATER_S)
    w.close()
    with ResultsStore.open(db, create=False) as s:
        rows = sorted(s.sessions(), key=lambda r: r.started_utc)
        assert [(r.reps, r.finished) for r in rows] == [(2, True)] * 4
        assert [x.index for x in s.reps(rows[0].id)] == [0, 2] and rows[0].hinge_depth_in == 8.0


def test_deleting_an_athlete_during_their_session_drops_it_and_saves_the_next(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """`results delete-athlete` (another process) while the athlete is mid-session: that
    session is dropped with one log line, the next athlete's 9 reps are all saved."""
    db = tmp_path / "results.sqlite3"
    roster(db, ["A7", "A8"])
    w = ResultsWriter(lambda: ResultsStore.open(db, station_id="kiosk-1"))
    assert w.check_in("A7")[0]
    w.begin()
    w.frame(body(), -4.0, 50.0)
    w.rep(rep(0))
    res = cli("results", "delete-athlete", "A7", "--yes", "--db", str(db))
    assert res.returncode == 0, res.stderr
    caplog.set_level(logging.INFO, logger="kiosk.app.results_writer")
    for i in range(1, 4):
        w.frame(body(), -4.0, 50.0)
        w.rep(rep(i))
    w.finish()
    w.poll(LATER_S)
    # The result screen says plainly why, not "Not saved yet (writing)".
    assert w.current_dropped and not w.current_saved
    assert saved_line(w) == "Not saved: this athlete was deleted during the session"
    session(w, [rep(i, passed=i % 3 != 2, wall_in=6.0 + 2 * (i // 3)) for i in range(9)], athlete="A8")
    w.poll(LATER_S)
    assert w.problem == "" and w.current_saved and not w.current_dropped
    assert saved_line(w) == "Saved on this kiosk"
    w.close()
    with ResultsStore.open(db, create=False) as s:
        (row,) = s.sessions()
        assert (row.athlete_id, row.reps, row.finished) == ("A8", 9, True)
    dropped = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
    assert len(dropped) == 1 and "A7" in dropped[0] and "deleted" in dropped[0], dropped


KIOSK = textwrap.dedent("""
    import sys, time
    import numpy as np
    from kiosk.app.results_writer import ResultsWriter
    from kiosk.core.drill import RepResult
    from kiosk.results.store import ResultsStore

    def rep(i, passed, wall_in):
        return RepResult(index=i, start_s=2.0 * i, bottom_s=2.0 * i + 0.8, end_s=2.0 * i + 1.6,
                         wall_distance_in=wall_in, min_hip_to_wall_mm=-4.0 if passed else 55.0,
                         max_knee_flexion_deg=14.0, max_trunk_angle_deg=50.0,
                         faults=() if passed else ("wall_not_reached",), passed=passed, drill="wall")

    db, athlete = sys.argv[1], sys.argv[2]
    w = ResultsWriter(lambda: ResultsStore.open(db, station_id="kiosk-1"))
    w.start()
    assert w.check_in(athlete)[0]
    w.begin()
    pts = np.array([(x, y) for x in np.linspace(-0.3, 0.1, 12) for y in np.linspace(0, 1.7, 60)],
                   dtype=np.float32)
    for i, (ok, wall) in enumerate([(True, 6.0), (False, 8.0), (True, 8.0)]):
        w.frame(pts, -4.0, 50.0)
        w.rep(rep(i, ok, wall))
    print("mid-session", w.problem, flush=True)
    time.sleep(600)
""")


def start_kiosk(db: Path, athlete: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", KIOSK, str(db), athlete], cwd=REPO, env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("mid-session"):
        proc.kill()
        raise AssertionError(f"the kiosk process did not start: {line!r} {proc.communicate()[1]}")
    return proc


def kill(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL


def test_sigkill_mid_session_then_start_closes_it_as_interrupted_with_its_totals(tmp_path: Path) -> None:
    db = tmp_path / "results.sqlite3"
    roster(db, ["A1", "A2"])
    kill(start_kiosk(db, "A1"))
    with ResultsStore.open(db, create=False) as s:
        (row,) = s.sessions()
        assert row.status == "unfinished" and len(s.reps(row.id)) == 3

    w = ResultsWriter(lambda: ResultsStore.open(db, station_id="kiosk-1"))
    w.start()  # what `hinge-kiosk run` does as it starts
    w.close()
    with ResultsStore.open(db, create=False) as s:
        (row,) = s.sessions()
        assert (row.status, row.reps, row.passed, row.hinge_depth_in) == ("interrupted", 3, 2, 8.0)
        assert row.ended_utc == max(r.saved_utc for r in s.reps(row.id))
    listed = cli("results", "list", "--db", str(db))
    assert listed.returncode == 0, listed.stderr
    line = next(ln for ln in listed.stdout.splitlines() if row.id[:8] in ln)
    assert line.split()[-4:] == ["3", "2", "8", "interrupted"], line
    shown = cli("results", "show", row.id[:8], "--db", str(db))
    assert shown.returncode == 0 and "interrupted" in shown.stdout.splitlines()[1], shown.stdout


def test_a_running_kiosk_of_the_station_keeps_its_session_open(tmp_path: Path) -> None:
    """Another kiosk process of this station is alive mid-session (it holds the station's
    lock): a second start leaves its session alone; once it is killed, the next start
    closes it."""
    db = tmp_path / "results.sqlite3"
    roster(db, ["A1"])
    live = start_kiosk(db, "A1")
    try:
        w = ResultsWriter(lambda: ResultsStore.open(db, station_id="kiosk-1"))
        w.start()
        w.close()
        with ResultsStore.open(db, create=False) as s:
            assert [r.status for r in s.sessions()] == ["unfinished"]
    finally:
        kill(live)
    w = ResultsWriter(lambda: ResultsStore.open(db, station_id="kiosk-1"))
    w.start()
    w.close()
    with ResultsStore.open(db, create=False) as s:
        assert [(r.status, r.reps) for r in s.sessions()] == [("interrupted", 3)]


def test_sigterm_mid_session_closes_it_as_interrupted_with_its_reps(tmp_path: Path) -> None:
    """systemd stops the kiosk with SIGTERM: the real `hinge-kiosk run` (simulated athlete,
    paced like a camera) is stopped once its first rep is on disk; the session is closed as
    interrupted with that rep (before: the loop ended, SDL turns SIGTERM into a quit, but the
    session was left "unfinished", 0 reps)."""
    import sqlite3
    import time

    db = tmp_path / "results.sqlite3"
    env = {**ENV, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "run", "--source", "sim", "--script",
                             "wall_pass", "--db", str(db)], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        reps = 0
        while reps == 0 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.5)
            if db.exists():
                c = sqlite3.connect(db)
                try:
                    reps = c.execute("SELECT count(*) FROM reps").fetchone()[0]
                except sqlite3.Error:
                    reps = 0
                finally:
                    c.close()
        assert reps > 0, "no rep within 60 s"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and "Traceback" not in err, err[-2000:]
    with ResultsStore.open(db, create=False) as s:
        (row,) = s.sessions()
        assert row.status == "interrupted" and row.reps == len(s.reps(row.id)) >= 1, row
