"""Kill the writer mid-session with SIGKILL: every rep it reported saved is in the database
afterwards and the database passes PRAGMA integrity_check.

The writer is a real process running the store as the kiosk would: one session, reps saved
in a loop, each rep id printed (and flushed) only after save_rep returned. It is killed at
an arbitrary moment of that loop, so usually inside a transaction or its fsync.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk.results.store import ResultsStore

REPO = Path(__file__).resolve().parents[1]

WRITER = r"""
import sys
from dataclasses import dataclass
from kiosk.results.store import ResultsStore

@dataclass(frozen=True)
class Rep:
    index: int
    drill: str = "wall"
    start_s: float = 0.0
    bottom_s: float = 0.5
    end_s: float = 1.0
    wall_distance_in: float = 6.0
    min_hip_to_wall_mm: float = -2.0
    max_knee_flexion_deg: float = 12.0
    max_trunk_angle_deg: float = 50.0
    faults: tuple = ()
    passed: bool = True

store = ResultsStore.open(sys.argv[1], station_id="crash-test")
sid = store.start_session(notes="x" * 2000)
print("session", sid, flush=True)
i = 0
while True:
    rid = store.save_rep(sid, Rep(i, faults=("knees_bent",) * (i % 3), passed=i % 3 == 0))
    # Printed only once save_rep has returned: the claim under test is that it is on disk.
    print("rep", rid, flush=True)
    i += 1
"""


def run_and_kill(db: Path, min_reps: int, extra_delay_s: float) -> tuple[str, list[str]]:
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(db)], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.stdout is not None
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 60
        while sum(ln.startswith("rep ") for ln in lines) < min_reps:
            line = proc.stdout.readline()
            assert line, f"writer ended early: {proc.stderr.read() if proc.stderr else ''}"
            lines.append(line.strip())
            assert time.monotonic() < deadline, "writer too slow"
        time.sleep(extra_delay_s)
        proc.send_signal(signal.SIGKILL)
        rest, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    lines += [ln.strip() for ln in rest.splitlines() if ln.strip()]
    session = lines[0].split()[1]
    # A last line cut mid-write by the kill would be shorter than an id: not a claim of a save.
    reps = [ln.split()[1] for ln in lines[1:] if ln.startswith("rep ") and len(ln.split()[-1]) == 32]
    return session, reps


@pytest.mark.parametrize("extra_delay_s", [0.0, 0.013, 0.047])
def test_sigkill_mid_session_loses_no_saved_rep(tmp_path: Path, extra_delay_s: float) -> None:
    db = tmp_path / "state" / "results.sqlite3"
    session, printed = run_and_kill(db, min_reps=25, extra_delay_s=extra_delay_s)
    assert len(printed) >= 25
    with ResultsStore.open(db, create=False) as store:
        assert store.integrity_check() == "ok"
        assert store.conn.execute("PRAGMA foreign_key_check").fetchall() == []
        stored = [r.id for r in store.reps(session)]
        missing = set(printed) - set(stored)
        assert not missing, f"{len(missing)} reps reported saved are gone"
        # At most the one rep whose commit finished before its id could be printed is extra.
        assert len(stored) - len(printed) in (0, 1)
        assert [r.index for r in store.reps(session)] == list(range(len(stored)))
        s = store.session(session)
        assert not s.finished and s.station_id == "crash-test"
        # The next run carries on: a new session in the same file works.
        sid = store.start_session()
        assert store.save_session(sid).finished
