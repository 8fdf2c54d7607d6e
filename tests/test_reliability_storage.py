"""The kiosk's results writer on a real, really full file system (issue 12, item 1): a small
tmpfs filled to every few KiB of free space between the steps of a session, then freed.
Everything judged is written, and written once.

Needs root (mount); CI runs as root. Each full-disk failure is the kernel's ENOSPC as
SQLite meets it (SQLITE_FULL, or SQLITE_IOERR on the WAL), not a simulation.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from kiosk.app.results_writer import ResultsWriter
from kiosk.core.drill import RepResult
from kiosk.results.store import ResultsStore

LATER_S = 120.0  # past any retry backoff

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("mount") is None,
    reason="mounts a small tmpfs: needs root (CI runs as root)")


def rep(i: int, passed: bool = True, wall_in: float = 6.0, drill: str = "wall") -> RepResult:
    return RepResult(index=i, start_s=2.0 * i, bottom_s=2.0 * i + 0.8, end_s=2.0 * i + 1.6,
                     wall_distance_in=wall_in, min_hip_to_wall_mm=-4.0 if passed else 55.0,
                     max_knee_flexion_deg=14.0, max_trunk_angle_deg=50.0,
                     faults=() if passed else ("wall_not_reached",), passed=passed,
                     drill=drill)  # type: ignore[arg-type]


def body(depth_m: float, seed: int) -> np.ndarray:
    """A noisy side-view blob (x, y world metres): a silhouette PNG of a few KiB."""
    rng = np.random.default_rng(seed)
    pts = rng.uniform((-depth_m, 0.0), (0.3, 1.7), size=(4000, 2))
    return pts.astype(np.float32)


@pytest.fixture
def small_fs() -> Iterator[Path]:
    """A 16 MiB tmpfs, unmounted afterwards."""
    mnt = Path(tempfile.mkdtemp(prefix="hk-tmpfs-"))
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m,mode=0700", "tmpfs", str(mnt)],
                         capture_output=True, text=True)
    if res.returncode != 0:
        mnt.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {res.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)
        mnt.rmdir()


def fill_leaving(mnt: Path, free_bytes: int) -> Path:
    """Fill the file system until `free_bytes` are left (rounded to its pages)."""
    filler = mnt / "filler"
    st = os.statvfs(mnt)
    with open(filler, "ab") as f:
        f.write(b"\0" * max(0, st.f_bavail * st.f_frsize - free_bytes))
    return filler


def add_athletes(db: Path, ids: list[str]) -> None:
    with ResultsStore.open(db, station_id="fs-test") as s, s.transaction() as c:
        c.executemany("INSERT INTO athletes (id, name, team, imported_utc) VALUES (?, ?, 'T', "
                      "'2024-05-01T10:00:00.000Z')", [(a, f"Athlete {a}") for a in ids])


def check_written_once(db: Path, expected: list[tuple[str | None, int]]) -> None:
    """Every session (athlete, reps) is in the file once, finished, with each rep once, the
    totals from its reps and a silhouette; nothing else is there."""
    with ResultsStore.open(db, create=False, station_id="fs-test") as s:
        assert s.integrity_check() == "ok"
        rows = sorted(s.sessions(), key=lambda r: r.started_utc)
        assert [(r.athlete_id, r.reps) for r in rows] == expected
        for r in rows:
            reps = s.reps(r.id)
            assert [x.index for x in reps] == list(range(len(reps))), r
            assert r.finished and r.passed == sum(x.passed for x in reps)
            assert s.silhouette(r.id) is not None
        n = s.conn.execute("SELECT count(*) FROM reps").fetchone()[0]
        assert n == sum(k for _, k in expected)


def test_full_disk_at_every_few_kib_loses_nothing_and_writes_nothing_twice(small_fs: Path) -> None:
    db = small_fs / "results.sqlite3"
    add_athletes(db, ["A1", "A2"])
    w = ResultsWriter(lambda: ResultsStore.open(db, station_id="fs-test"))
    expected: list[tuple[str | None, int]] = []
    t_s, faults_seen = 0.0, 0
    # Free space left: 0 to 96 KiB in 2 KiB steps, at each of the steps of a session.
    for n, free_kib in enumerate(range(0, 96, 2)):
        stage = n % 4
        athlete = ["A1", "A2", None][n % 3]
        if athlete:
            assert w.check_in(athlete)[0]
        filler = fill_leaving(small_fs, free_kib * 1024) if stage == 0 else None
        w.begin()
        for i in range(3):
            if stage == i + 1:
                filler = fill_leaving(small_fs, free_kib * 1024)
            w.frame(body(0.25 + 0.05 * i, n * 10 + i), -4.0, 50.0 + i)
            w.rep(rep(i, passed=i != 1, wall_in=6.0 + 2 * i))
        w.finish()
        faults_seen += bool(w.problem)
        assert filler is not None
        filler.unlink()  # the operator frees space
        t_s += LATER_S
        w.poll(t_s)
        expected.append((athlete, 3))
    for _ in range(5):  # a few more retry periods for what a fault still holds
        t_s += LATER_S
        w.poll(t_s)
    assert faults_seen > 10  # the disk really was full at many of these steps
    assert w.problem == "" and w.status() is None and w.saved_sessions == len(expected)
    w.close()
    check_written_once(db, expected)
