"""A results database with damaged pages (issue 12, item 5), damaged the way a failing SD
card does it: bytes changed inside the file. The command line says so in one line (exit 2)
before an export, a bundle or a sync, and leaves the file as it is; the kiosk shows the
problem, keeps the athletes' results in memory and in its pending file, and writes them
once the file is restored, even across a SIGKILL."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kiosk.app.results_writer import ResultsWriter
from kiosk.cli.root import main
from kiosk.core.drill import RepResult
from kiosk.results.store import ResultsStore

REPO = Path(__file__).resolve().parents[1]
LATER_S = 120.0


def rep(i: int) -> RepResult:
    return RepResult(index=i, start_s=2.0 * i, bottom_s=2.0 * i + 0.8, end_s=2.0 * i + 1.6,
                     wall_distance_in=6.0, min_hip_to_wall_mm=-4.0, max_knee_flexion_deg=14.0,
                     max_trunk_angle_deg=50.0, faults=(), passed=True, drill="wall")


def make_db(path: Path, sessions: int = 30) -> Path:
    with ResultsStore.open(path, station_id="kiosk-1") as s:
        with s.transaction() as c:
            c.execute("INSERT INTO athletes (id, name, imported_utc) VALUES ('A1', 'Ana', "
                      "'2024-05-01T10:00:00.000Z')")
        for i in range(sessions):
            sid = s.start_session("A1" if i % 2 else None, notes=f"n{i}")
            s.save_rep(sid, rep(0))
            s.save_session(sid)
        s.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def _page(db: Path, index: str) -> tuple[int, int, str]:
    c = sqlite3.connect(db)
    try:
        root = c.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (index,)).fetchone()[0]
        size = c.execute("PRAGMA page_size").fetchone()[0]
        first = c.execute("SELECT min(started_utc) FROM sessions").fetchone()[0]
    finally:
        c.close()
    return root, size, first


def damage_index_entry(db: Path) -> None:
    """One digit of one index entry changed: every query still runs, `quick_check` passes,
    only `integrity_check` sees it (what `list` and `export` used to read without a word)."""
    root, size, first = _page(db, "sessions_started")
    data = bytearray(db.read_bytes())
    at = (root - 1) * size + data[(root - 1) * size:root * size].find(first.encode()) + len(first) - 2
    data[at] = ord("9") if data[at] != ord("9") else ord("8")
    db.write_bytes(bytes(data))


def damage_page(db: Path) -> None:
    """A wrong byte in an index page's header (its count of fragmented bytes): reads still
    work, `quick_check` sees it."""
    root, size, _ = _page(db, "sessions_started")
    with open(db, "r+b") as f:
        f.seek((root - 1) * size + 7)
        f.write(b"\x21")


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_index_damage_is_named_before_export_bundle_sync_and_reports(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = make_db(tmp_path / "results.sqlite3")
    damage_index_entry(db)
    before = sha(db)
    out = tmp_path / "out"
    for argv in (["results", "export", str(out / "csv")],
                 ["results", "bundle-export", str(out / "a.hkb")],
                 ["results", "sync", "--to", "postgresql://kiosk@127.0.0.1:9/hinge"],
                 ["results", "report", "A1", "--out", str(tmp_path / "a1.png")]):
        assert main([*argv, "--db", str(db)]) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "the results database is damaged" in err, (argv, err)
        assert "row 1 missing from index sessions_started" in err and "kept as it is" in err
        assert sha(db) == before and not out.exists()  # the file is kept, nothing written
    # Merging into it is refused as well, and a damaged file is never merged from.
    good = make_db(tmp_path / "good.sqlite3", sessions=2)
    assert main(["results", "bundle-export", str(tmp_path / "g.hkb"), "--db", str(good)]) == 0
    capsys.readouterr()
    assert main(["results", "bundle-import", str(tmp_path / "g.hkb"), "--db", str(db)]) == 2
    assert "damaged" in capsys.readouterr().err and sha(db) == before


def test_page_damage_stops_list_and_show_in_one_line(tmp_path: Path) -> None:
    db = make_db(tmp_path / "results.sqlite3")
    damage_page(db)
    before = sha(db)
    for argv in (["results", "list"], ["results", "show", "0"], ["roster", "list"]):
        res = subprocess.run([sys.executable, "-m", "kiosk.cli", *argv, "--db", str(db)], cwd=REPO,
                             env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True)
        assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
        assert res.stderr.count("\n") == 1 and "damaged" in res.stderr
    assert sha(db) == before


def test_the_kiosk_shows_the_problem_keeps_results_and_writes_them_once_restored(tmp_path: Path) -> None:
    db = make_db(tmp_path / "results.sqlite3", sessions=4)
    backup = tmp_path / "backup.sqlite3"
    backup.write_bytes(db.read_bytes())
    damage_page(db)
    before = sha(db)
    w = ResultsWriter(lambda: ResultsStore.open(db, station_id="kiosk-1"))
    w.start()
    assert "damaged" in w.problem and (w.status() or "").startswith("Results NOT saved")
    for _ in range(2):
        w.begin()
        w.rep(rep(0))
        w.rep(rep(1))
        w.finish()
    w.poll(LATER_S)
    assert not w.current_saved and "damaged" in w.problem
    assert sha(db) == before  # never written to
    os.replace(backup, db)  # the operator restores the backup
    w.poll(2 * LATER_S)
    assert w.problem == "" and w.current_saved and w.saved_sessions == 2
    w.close()
    with ResultsStore.open(db, create=False) as s:
        assert s.integrity_check() == "ok"
        assert sorted(r.reps for r in s.sessions()) == [1, 1, 1, 1, 2, 2]


KIOSK = textwrap.dedent("""
    import sys, time
    from kiosk.app.results_writer import ResultsWriter
    from kiosk.core.drill import RepResult
    from kiosk.results.store import ResultsStore

    def rep(i):
        return RepResult(index=i, start_s=2.0 * i, bottom_s=2.0 * i + 0.8, end_s=2.0 * i + 1.6,
                         wall_distance_in=6.0, min_hip_to_wall_mm=-4.0, max_knee_flexion_deg=14.0,
                         max_trunk_angle_deg=50.0, faults=(), passed=True, drill="wall")

    w = ResultsWriter(lambda: ResultsStore.open(sys.argv[1], station_id="kiosk-1"))
    w.start()
    t = 0.0
    for n in (3, 2):
        w.begin()
        for i in range(n):
            w.rep(rep(i))
        w.finish()
        t += 10.0
        w.poll(t)
    w.begin()  # an athlete mid-session when the kiosk is killed
    w.rep(rep(0))
    w.poll(t + 10.0)
    print("held", w.problem, flush=True)
    time.sleep(600)
""")


def test_results_held_for_a_damaged_file_survive_sigkill_in_the_pending_file(tmp_path: Path) -> None:
    db = make_db(tmp_path / "results.sqlite3", sessions=1)
    backup = tmp_path / "backup.sqlite3"
    backup.write_bytes(db.read_bytes())
    damage_page(db)
    proc = subprocess.Popen([sys.executable, "-c", KIOSK, str(db)], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.stdout is not None
    line = proc.stdout.readline()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert line.startswith("held") and "damaged" in line, (line, proc.stderr.read() if proc.stderr else "")
    pending = list(tmp_path.glob("results.sqlite3.*.pending"))
    assert len(pending) == 1 and pending[0].stat().st_mode & 0o077 == 0
    os.replace(backup, db)
    w = ResultsWriter(lambda: ResultsStore.open(db, station_id="kiosk-1"))
    w.start()  # the next start writes what the killed one held
    w.close()
    with ResultsStore.open(db, create=False) as s:
        rows = sorted(s.sessions(), key=lambda r: r.started_utc)
        assert [(r.reps, r.status) for r in rows] == [(1, "finished"), (3, "finished"), (2, "finished"),
                                                       (1, "interrupted")]
    assert not pending[0].exists()
