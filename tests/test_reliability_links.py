"""Planted symbolic links (issue 12, item 6): someone who can write the folder an export,
report or bundle goes to, or the results folder, plants links to a file of the user running
the command (root on a kiosk: /etc/shadow). Real links, the real command line; the victim
must keep its bytes and its mode, and the command says what it refused in one line."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pytest

from kiosk.cli.root import main
from kiosk.core.drill import RepResult
from kiosk.results.silhouette import encode
from kiosk.results.store import ResultsStore

PRECIOUS = b"root:precious:19000:0:99999:7:::\n"


def rep(i: int) -> RepResult:
    return RepResult(index=i, start_s=2.0 * i, bottom_s=2.0 * i + 0.8, end_s=2.0 * i + 1.6,
                     wall_distance_in=6.0, min_hip_to_wall_mm=-4.0, max_knee_flexion_deg=14.0,
                     max_trunk_angle_deg=50.0, faults=(), passed=True, drill="wall")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "state" / "results.sqlite3"
    with ResultsStore.open(path, station_id="kiosk-1") as s:
        with s.transaction() as c:
            c.execute("INSERT INTO athletes (id, name, team, imported_utc) VALUES ('A1', 'Ana', 'Row', "
                      "'2024-05-01T10:00:00.000Z')")
        sid = s.start_session("A1")
        sil = encode(np.array([[0.0, 0.2], [0.1, 1.5], [-0.3, 1.0]]))
        assert sil is not None
        rid = s.save_rep(sid, rep(0))
        s.save_silhouette(sid, rid, sil.png, width_px=sil.width_px, height_px=sil.height_px,
                          mm_per_px=sil.mm_per_px)
        s.save_session(sid)
    return path


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    """A file of this user, readable by others (as /etc/passwd is): what a link points at."""
    v = tmp_path / "etc" / "shadow"
    v.parent.mkdir()
    v.write_bytes(PRECIOUS)
    v.chmod(0o644)
    return v


def untouched(v: Path) -> bool:
    return v.read_bytes() == PRECIOUS and stat.S_IMODE(v.stat().st_mode) == 0o644


def test_a_link_planted_under_the_temporary_name_is_never_written_through(
        db: Path, victim: Path, tmp_path: Path) -> None:
    """The old temporary name was `.NAME.PID.tmp`: predictable. Plant it for this process."""
    out = tmp_path / "export"
    out.mkdir()
    for name in ("sessions.csv", "reps.csv"):
        (out / f".{name}.{os.getpid()}.tmp").symlink_to(victim)
    assert main(["results", "export", str(out), "--db", str(db)]) == 0
    assert untouched(victim)
    assert (out / "sessions.csv").read_bytes().startswith(b"\xef\xbb\xbfsession_id")
    assert stat.S_IMODE((out / "sessions.csv").stat().st_mode) == 0o600


@pytest.mark.parametrize("verb", ["export", "silhouette", "report", "bundle-export"])
def test_a_link_at_the_file_the_user_named_is_refused(
        db: Path, victim: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], verb: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    target = {"export": out / "sessions.csv", "silhouette": out / "best.png",
              "report": out / "a1.png", "bundle-export": out / "a.hkb"}[verb]
    target.symlink_to(victim)
    argv = {"export": ["results", "export", str(out)],
            "silhouette": ["results", "show", "0", "--silhouette", str(target)],
            "report": ["results", "report", "A1", "--out", str(target)],
            "bundle-export": ["results", "bundle-export", str(target)]}[verb]
    if verb == "silhouette":
        with ResultsStore.open(db, create=False) as s:
            argv[2] = s.sessions()[0].id[:8]
    rc = main([*argv, "--db", str(db)])
    assert untouched(victim)
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "symbolic link" in err and str(target) in err, err
    assert target.is_symlink()


@pytest.mark.parametrize("which", ["", "-wal", "-shm"])
def test_a_database_or_its_wal_planted_as_a_link_is_refused_and_never_chmod_ed(
        db: Path, victim: Path, capsys: pytest.CaptureFixture[str], which: str) -> None:
    if which:
        target = Path(f"{db}{which}")
        target.unlink(missing_ok=True)
        target.symlink_to(victim)
        path = db
    else:
        path = db.parent / "linked.sqlite3"
        path.symlink_to(victim)
    rc = main(["results", "list", "--db", str(path)])
    assert untouched(victim)
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "symbolic link" in err, err
