"""The results store: durability settings, private files, schema migrations, reads and
writes of sessions and reps, deleting an athlete's data, silhouettes."""

from __future__ import annotations

import math
import os
import sqlite3
import stat
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from kiosk.core.drill import RepResult
from kiosk.results import paths, schema
from kiosk.results.model import StoreError
from kiosk.results.silhouette import MAX_BYTES, BestRepKeeper, decode, encode
from kiosk.results.store import ResultsStore


def rep(i: int, wall_in: float = 6.0, faults: tuple[str, ...] = (), drill: str = "wall",
        h2w_mm: float = -3.0) -> RepResult:
    return RepResult(index=i, start_s=1.0 * i, bottom_s=1.0 * i + 0.5, end_s=1.0 * i + 1.2,
                     wall_distance_in=wall_in, min_hip_to_wall_mm=h2w_mm, max_knee_flexion_deg=12.5,
                     max_trunk_angle_deg=48.0, faults=faults, passed=not faults,
                     drill=drill)  # type: ignore[arg-type]


def add_athlete(store: ResultsStore, aid: str, name: str, team: str = "Rowing") -> None:
    with store.transaction() as c:
        c.execute("INSERT INTO athletes (id, name, team, imported_utc) VALUES (?, ?, ?, 'x')",
                  (aid, name, team))


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ResultsStore]:
    s = ResultsStore.open(tmp_path / "results.sqlite3", station_id="kiosk-test")
    yield s
    s.close()


def test_open_creates_private_dirs_and_files_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        db = tmp_path / "a" / "b" / "results.sqlite3"
        with ResultsStore.open(db) as s:
            sid = s.start_session()
            s.save_rep(sid, rep(0))
            # While a connection is open in WAL mode the -wal and -shm files exist: same mode.
            for f in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
                assert mode(f) == 0o600, f
        assert mode(tmp_path / "a") == 0o700 and mode(tmp_path / "a" / "b") == 0o700
    finally:
        os.umask(old)


def test_existing_world_readable_file_is_tightened(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite3"
    ResultsStore.open(db).close()
    os.chmod(db, 0o644)
    ResultsStore.open(db, create=False).close()
    assert mode(db) == 0o600


def test_durability_pragmas(store: ResultsStore) -> None:
    c = store.conn
    assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert c.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert c.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store.schema_version == schema.SCHEMA_VERSION == 3
    assert store.integrity_check() == "ok"


def test_session_and_reps_round_trip(store: ResultsStore) -> None:
    add_athlete(store, "A1", "Jane")
    sid = store.start_session("A1")
    reps = [rep(0, drill="dowel", h2w_mm=math.nan), rep(1, drill="dowel", faults=("back_rounded",)),
            rep(2, 6.0), rep(3, 8.0), rep(4, 10.0, faults=("knees_bent", "back_rounded")), rep(5, 10.0)]
    ids = [store.save_rep(sid, r) for r in reps]
    assert all(uuid.UUID(hex=i).version == 4 for i in [sid, *ids])
    row = store.save_session(sid, notes="tight hamstrings")
    assert (row.reps, row.passed, row.hinge_depth_in) == (6, 4, 10.0)
    assert row.faults == {"back_rounded": 2, "knees_bent": 1}
    assert row.station_id == "kiosk-test" and row.finished and row.name == "Jane"
    for ts in (row.started_utc, row.ended_utc):
        assert ts is not None and ts.endswith("Z")
        assert datetime.fromisoformat(ts.replace("Z", "+00:00")).utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    back = store.reps(sid)
    assert [r.id for r in back] == ids
    assert back[0].min_hip_to_wall_mm is None  # NaN is stored as NULL, not as a number
    assert back[4].faults == ("knees_bent", "back_rounded") and not back[4].passed
    b3 = back[3]
    assert (b3.wall_distance_in, b3.min_hip_to_wall_mm, b3.max_knee_flexion_deg) == (8.0, -3.0, 12.5)
    assert store.session(sid[:6]).id == sid  # a unique prefix finds it


def test_writes_are_rejected_whole(store: ResultsStore) -> None:
    with pytest.raises(StoreError, match="no athlete"):
        store.start_session("nobody")
    sid = store.start_session()
    store.save_rep(sid, rep(0))
    with pytest.raises(StoreError, match="already has a rep 0"):
        store.save_rep(sid, rep(0))  # another rep (a new id) with the same index
    with pytest.raises(StoreError, match="no session"):
        store.save_rep("f" * 32, rep(1))
    store.save_session(sid)
    with pytest.raises(StoreError, match="finished"):
        store.save_rep(sid, rep(1))
    assert len(store.reps(sid)) == 1 and not store.conn.in_transaction


def test_override_latest_wins_and_original_kept(store: ResultsStore) -> None:
    sid = store.start_session()
    rid = store.save_rep(sid, rep(0, faults=("knees_bent",)))
    with pytest.raises(StoreError, match="coach"):
        store.override_rep(rid, True, (), " ", "why")
    store.override_rep(rid, True, (), "Coach A", "camera glitch")
    store.override_rep(rid, False, ("back_rounded",), "Coach B", "rewatched")
    (r,) = store.reps(sid)
    assert not r.passed and r.faults == ("knees_bent",)
    assert r.override is not None and r.override.coach == "Coach B" and not r.verdict_passed
    assert r.report_dict()["faults"] == ["back_rounded"]


def _v1_database(db: Path) -> None:
    conn = sqlite3.connect(db, isolation_level=None)
    assert schema.migrate(conn, "2024-01-01T00:00:00.000Z", target=1) == (0, 1)
    conn.execute("INSERT INTO athletes VALUES ('A1', 'Old Timer', 'Track', '', '42', 'x')")
    conn.execute("INSERT INTO sessions (id, athlete_id, station_id, started_utc) "
                 "VALUES ('s1', 'A1', 'st', 't')")
    conn.execute("INSERT INTO reps VALUES ('r1', 's1', 0, 'wall', 0, 1, 2, 6, -1, 10, 40, '[]', 1, 't')")
    conn.close()


def test_migrates_an_older_database_keeping_its_data(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"
    _v1_database(db)
    with ResultsStore.open(db) as s:
        assert s.schema_version == schema.SCHEMA_VERSION
        assert [r[0] for r in s.conn.execute("SELECT version FROM schema_version ORDER BY 1")] == list(
            range(1, schema.SCHEMA_VERSION + 1))
        assert s.session("s1").name == "Old Timer" and s.reps("s1")[0].id == "r1"
        # v3 queues the rows that were already there for the first sync
        queued = {(r[0], r[1]) for r in s.conn.execute("SELECT tbl, key FROM sync_outbox")}
        assert queued == {("athletes", "A1"), ("sessions", "s1"), ("reps", "r1")}
        s.override_rep("r1", False, ("knees_bent",), "Coach", "new table works")


def test_failed_migration_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"
    _v1_database(db)
    conn = sqlite3.connect(db, isolation_level=None)
    bad = (schema.MIGRATIONS[0], ("CREATE TABLE half (a)", "THIS IS NOT SQL"))
    with pytest.raises(sqlite3.OperationalError):
        schema.migrate(conn, "t", target=2, migrations=bad)
    assert schema.current_version(conn) == 1
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'half'").fetchone()[0] == 0
    conn.close()


def test_newer_or_foreign_databases_are_refused(tmp_path: Path) -> None:
    db = tmp_path / "new.sqlite3"
    ResultsStore.open(db).close()
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO schema_version VALUES (99, 'future')")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer than this kiosk"):
        ResultsStore.open(db)
    other = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE photos (x)")
    conn.close()
    with pytest.raises(StoreError, match="not a hinge-kiosk results database"):
        ResultsStore.open(other)
    text = tmp_path / "notes.txt"
    text.write_text("hello " * 1000)
    with pytest.raises(StoreError, match="not a database"):
        ResultsStore.open(text)
    with pytest.raises(StoreError, match="no results database"):
        ResultsStore.open(tmp_path / "missing.sqlite3", create=False)
    assert not (tmp_path / "missing.sqlite3").exists()


def test_delete_athlete_removes_every_row_and_the_bytes(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite3"
    with ResultsStore.open(db) as s:
        add_athlete(s, "A1", "Zebediah Quux")
        add_athlete(s, "B2", "Keep Me")
        for aid in ("A1", "A1", "B2"):
            sid = s.start_session(aid, notes=f"notes about {aid}")
            rid = s.save_rep(sid, rep(0))
            s.save_rep(sid, rep(1))
            s.save_silhouette(sid, rid, b"\x89PNG" + b"0" * 100, width_px=1, height_px=1, mm_per_px=10)
            s.override_rep(rid, False, (), "Coach", "test")
            s.save_session(sid)
        d = s.delete_athlete("A1")
        assert (d.athlete, d.sessions, d.reps) == (True, 2, 4)
        counts = {t: s.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                  for t in ("athletes", "sessions", "reps", "silhouettes", "rep_overrides")}
        assert counts == {"athletes": 1, "sessions": 1, "reps": 2, "silhouettes": 1, "rep_overrides": 1}
        assert s.sessions(athlete_id="A1") == [] and s.sessions(athlete_id="B2")[0].name == "Keep Me"
        # secure_delete + WAL checkpoint: the name is gone from the files, not just unlinked.
        raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("r.sqlite3"))
        assert b"Zebediah" not in raw and b"notes about A1" not in raw and b"Keep Me" in raw
        with pytest.raises(StoreError, match="no athlete"):
            s.delete_athlete("A1")
        assert s.integrity_check() == "ok"


def test_default_db_path_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert paths.default_db_path(env={"STATE_DIRECTORY": "/srv/a:/srv/b"}) == Path("/srv/a/results.sqlite3")
    assert paths.default_db_path("/data", env={}) == Path("/data/results.sqlite3")
    monkeypatch.setattr(paths, "SYSTEM_STATE_DIR", tmp_path / "absent")
    assert paths.default_db_path(env={"HOME": "/home/coach"}) == Path(
        "/home/coach/.local/state/hinge-kiosk/results.sqlite3")
    assert paths.default_db_path(env={"XDG_STATE_HOME": "/x"}) == Path("/x/hinge-kiosk/results.sqlite3")
    monkeypatch.setattr(paths, "SYSTEM_STATE_DIR", tmp_path)
    assert paths.default_db_path(env={}) == tmp_path / "results.sqlite3"


def test_silhouette_is_a_bounded_png_even_for_noise() -> None:
    rng = np.random.default_rng(0)
    body = rng.normal([0.0, 1.0, 0.0], [0.15, 0.45, 0.1], size=(20000, 3))
    sil = encode(body)
    assert sil is not None and len(sil.png) <= MAX_BYTES
    img = decode(sil.png)
    assert img.shape == (sil.height_px, sil.width_px) and img.any()
    # The worst case for compression: uniform noise over the largest area kept.
    noise = rng.uniform([-1.5, 0.0, -0.3], [1.5, 2.6, 0.3], size=(200000, 3))
    big = encode(noise, max_bytes=8000)
    assert big is not None and len(big.png) <= 8000 and big.mm_per_px > 10
    import pygame  # a real PNG reader agrees

    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import io

    surf = pygame.image.load(io.BytesIO(sil.png), "s.png")
    assert surf.get_size() == (sil.width_px, sil.height_px)
    assert encode(np.zeros((0, 2))) is None


def test_best_rep_keeper_keeps_the_deepest_frame_of_the_best_rep() -> None:
    k = BestRepKeeper()
    shallow = np.array([[0.0, 0.5], [0.1, 1.0]])
    deep = np.array([[0.0, 0.5], [-0.4, 0.9], [0.1, 1.0]])
    k.observe(shallow, 80.0, 30.0)
    k.observe(deep, -5.0, 60.0)
    k.observe(shallow, 120.0, 10.0)
    first = k.complete(rep(0, 6.0))
    assert first is not None and decode(first.png).astype(bool).sum() == 3
    k.observe(shallow, 50.0, 30.0)
    assert k.complete(rep(1, 8.0, faults=("knees_bent",))) is None  # a failed rep is not better
    k.observe(shallow, 0.0, 30.0)
    assert k.complete(rep(2, 8.0)) is not None  # passed further back: better
