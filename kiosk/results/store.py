"""ResultsStore: the screening results in one SQLite file (schema.py, docs/results.md).

Durability contract: every write method commits before it returns, in WAL mode with
`synchronous=FULL`, so the commit has been fsync'd to the write-ahead log: a result the
kiosk shows as saved survives the process being killed and the power being cut. A write
that did not return is either all there or not there at all (one transaction per call).

Kiosk loop (one store per station, opened at start):
    sid = store.start_session(athlete_id)          # athlete picked / scanned, drill starts
    store.save_rep(sid, frame.completed)           # each completed RepResult, as it completes
    store.save_silhouette(sid, rep_id, png)        # when a rep beats the session's best
    row = store.save_session(sid, notes)           # result screen: totals, hinge depth

Other processes (the `results` CLI) may read and write the same file at the same time;
SQLite's locking serialises writers (busy timeout 5 s).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from kiosk.results import paths
from kiosk.results.model import (
    Deleted,
    Override,
    RepLike,
    RepRow,
    SessionRow,
    StoreError,
    finite_or_none,
    new_id,
    now_utc,
)
from kiosk.results.schema import SchemaError, migrate

BUSY_TIMEOUT_S = 5.0
_SESSION_SELECT = (
    "SELECT s.*, a.name AS name, a.team AS team, a.position AS position "
    "FROM sessions s LEFT JOIN athletes a ON a.id = s.athlete_id"
)


def default_station_id() -> str:
    """$HINGE_KIOSK_STATION, else the host name (each Pi on a screening day has its own)."""
    return (os.environ.get("HINGE_KIOSK_STATION") or socket.gethostname() or "station")[:64]


class ResultsStore:
    """One open results database. Not thread-safe: one store per thread."""

    def __init__(self, conn: sqlite3.Connection, path: Path, station_id: str) -> None:
        self.conn = conn
        self.path = path
        self.station_id = station_id

    @classmethod
    def open(cls, path: Path | str, *, station_id: str | None = None, create: bool = True) -> ResultsStore:
        """Open (and with create, make: directories 0700, file 0600) and migrate the database.
        Raises StoreError with a one-line reason for a missing/unusable/foreign file."""
        path = Path(path)
        try:
            if create:
                paths.ensure_private_dir(path.parent)
                paths.ensure_private_file(path)
            elif not path.is_file():
                raise StoreError(f"no results database at {path} (nothing saved yet? choose one with --db)")
            for suffix in ("", "-wal", "-shm"):
                paths.tighten(Path(f"{path}{suffix}"))
        except OSError as err:
            raise StoreError(f"cannot use {path}: {err.strerror or err}") from err
        try:
            conn = sqlite3.connect(str(path), isolation_level=None, timeout=BUSY_TIMEOUT_S)
        except sqlite3.Error as err:
            raise StoreError(f"cannot open {path}: {err}") from err
        try:
            conn.row_factory = sqlite3.Row
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(f"{path}: the file system does not support SQLite's WAL mode ({mode})")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            # Deleted rows (an athlete's data removed on request) are overwritten, not just freed.
            conn.execute("PRAGMA secure_delete=ON")
            migrate(conn, now_utc())
            # Once per file (a read-only command then takes no write lock): which database a
            # merged export came from.
            if conn.execute("SELECT count(*) FROM meta WHERE key = 'db_id'").fetchone()[0] == 0:
                conn.execute("INSERT OR IGNORE INTO meta VALUES ('db_id', ?), ('created_utc', ?)",
                             (new_id(), now_utc()))
        except SchemaError as err:
            conn.close()
            raise StoreError(f"{path}: {err}") from err
        except sqlite3.Error as err:
            conn.close()
            raise StoreError(f"{path}: {err}") from err
        except BaseException:
            conn.close()
            raise
        return cls(conn, path, (station_id or default_station_id())[:64])

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on any exception); sqlite3.Error -> StoreError."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as err:
            raise StoreError(f"{self.path}: {err}") from err
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException as err:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            if isinstance(err, sqlite3.Error):
                raise StoreError(f"{self.path}: {err}") from err
            raise

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("SELECT max(version) FROM schema_version").fetchone()[0])

    # --- writes: each one transaction, committed (fsync'd) before returning ------------------

    def start_session(self, athlete_id: str | None = None, notes: str = "",
                      started_utc: str | None = None) -> str:
        """A new unfinished session (athlete_id None: walk-up, not on the roster).
        started_utc: when it really started, for a write delayed by a storage fault."""
        if athlete_id is not None and self.athlete_name(athlete_id) is None:
            raise StoreError(f"no athlete with id {athlete_id!r} on the roster")
        sid = new_id()
        with self.transaction() as c:
            c.execute("INSERT INTO sessions (id, athlete_id, station_id, started_utc, notes) "
                      "VALUES (?, ?, ?, ?, ?)",
                      (sid, athlete_id, self.station_id, started_utc or now_utc(), notes))
        return sid

    def save_rep(self, session_id: str, rep: RepLike) -> str:
        """Store one completed rep of an unfinished session; returns its id."""
        rid = new_id()
        with self.transaction() as c:
            s = c.execute("SELECT ended_utc FROM sessions WHERE id = ?", (session_id,)).fetchone()
            if s is None:
                raise StoreError(f"no session {session_id}")
            if s["ended_utc"] is not None:
                raise StoreError(f"session {session_id} is finished; start a new one")
            c.execute(
                "INSERT INTO reps VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (rid, session_id, rep.index, rep.drill, rep.start_s, rep.bottom_s, rep.end_s,
                 rep.wall_distance_in, finite_or_none(rep.min_hip_to_wall_mm),
                 finite_or_none(rep.max_knee_flexion_deg), finite_or_none(rep.max_trunk_angle_deg),
                 json.dumps(list(rep.faults)), int(bool(rep.passed)), now_utc()),
            )
        return rid

    def save_session(self, session_id: str, notes: str | None = None,
                     ended_utc: str | None = None) -> SessionRow:
        """Finish a session: totals, fault counts and hinge depth (the furthest wall distance
        passed, as judged by the kiosk) from its stored reps. Calling it again updates them."""
        with self.transaction() as c:
            reps = [RepRow.from_row(r) for r in c.execute("SELECT * FROM reps WHERE session_id = ?",
                                                           (session_id,))]
            passed_wall = [r.wall_distance_in for r in reps if r.passed and r.drill == "wall"]
            faults = Counter(f for r in reps for f in r.faults)
            cur = c.execute(
                "UPDATE sessions SET ended_utc = coalesce(ended_utc, ?), reps = ?, passed = ?, "
                "hinge_depth_in = ?, faults = ?, notes = coalesce(?, notes) WHERE id = ?",
                (ended_utc or now_utc(), len(reps), sum(r.passed for r in reps),
                 max(passed_wall) if passed_wall else None,
                 json.dumps(dict(faults.most_common())), notes, session_id),
            )
            if cur.rowcount != 1:
                raise StoreError(f"no session {session_id}")
        return self.session(session_id)

    def save_silhouette(self, session_id: str, rep_id: str | None, png: bytes, *,
                        width_px: int, height_px: int, mm_per_px: float) -> None:
        """Keep `png` (silhouette.encode) as the session's best-rep silhouette, replacing any."""
        if len(png) > 65536:
            raise StoreError(f"silhouette of {len(png)} bytes is over the 64 KiB bound")
        with self.transaction() as c:
            c.execute("INSERT OR REPLACE INTO silhouettes VALUES (?, ?, 'png', ?, ?, ?, ?, ?)",
                      (session_id, rep_id, width_px, height_px, mm_per_px, png, now_utc()))

    def override_rep(self, rep_id: str, passed: bool, faults: tuple[str, ...], coach: str,
                     reason: str) -> str:
        """Record a coach's verdict on a rep (who, why; when and where added here)."""
        if not coach.strip() or not reason.strip():
            raise StoreError("an override needs the coach's name and a reason")
        oid = new_id()
        with self.transaction() as c:
            c.execute("INSERT INTO rep_overrides VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                      (oid, rep_id, int(passed), json.dumps(list(faults)), coach.strip(),
                       reason.strip(), self.station_id, now_utc()))
        return oid

    def delete_athlete(self, athlete_id: str) -> Deleted:
        """Remove an athlete and every session, rep, silhouette and override of theirs, then
        checkpoint the WAL so the removed rows do not linger there (secure_delete zeroes them
        in the main file)."""
        with self.transaction() as c:
            n_reps = c.execute("SELECT count(*) FROM reps WHERE session_id IN "
                               "(SELECT id FROM sessions WHERE athlete_id = ?)", (athlete_id,)).fetchone()[0]
            n_sessions = c.execute("DELETE FROM sessions WHERE athlete_id = ?", (athlete_id,)).rowcount
            athlete = c.execute("DELETE FROM athletes WHERE id = ?", (athlete_id,)).rowcount == 1
        if not athlete and not n_sessions:
            raise StoreError(f"no athlete with id {athlete_id!r}")
        with contextlib.suppress(sqlite3.Error):
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return Deleted(athlete=athlete, sessions=n_sessions, reps=int(n_reps))

    # --- reads --------------------------------------------------------------------------------

    def athlete_name(self, athlete_id: str) -> str | None:
        r = self.conn.execute("SELECT name FROM athletes WHERE id = ?", (athlete_id,)).fetchone()
        return None if r is None else str(r[0])

    def sessions(self, athlete_id: str | None = None, team: str | None = None,
                 limit: int | None = None) -> list[SessionRow]:
        """Newest first."""
        where, args = [], []
        if athlete_id is not None:
            where.append("s.athlete_id = ?")
            args.append(athlete_id)
        if team is not None:
            where.append("a.team = ?")
            args.append(team)
        sql = _SESSION_SELECT + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY s.started_utc DESC, s.id" + (f" LIMIT {int(limit)}" if limit else "")
        return [SessionRow.from_row(r) for r in self.conn.execute(sql, args)]

    def session(self, id_or_prefix: str) -> SessionRow:
        """A session by id or by a unique prefix of it (as `results list` shows)."""
        prefix = id_or_prefix.strip().lower().replace("-", "")
        if not prefix:
            raise StoreError("empty session id")
        rows = self.conn.execute(_SESSION_SELECT + " WHERE s.id >= ? AND s.id < ? LIMIT 2",
                                 (prefix, prefix + "\x7f")).fetchall()
        if not rows:
            raise StoreError(f"no session {id_or_prefix!r}")
        if len(rows) > 1:
            raise StoreError(f"session id {id_or_prefix!r} is ambiguous: give more characters")
        return SessionRow.from_row(rows[0])

    def reps(self, session_id: str) -> list[RepRow]:
        """A session's reps in order, each with the override in force (the latest), if any."""
        overrides: dict[str, Override] = {}
        for o in self.conn.execute(
            "SELECT o.* FROM rep_overrides o JOIN reps r ON r.id = o.rep_id WHERE r.session_id = ? "
            "ORDER BY o.created_utc, o.rowid", (session_id,)
        ):
            overrides[o["rep_id"]] = Override(o["id"], bool(o["passed"]), tuple(json.loads(o["faults"])),
                                              o["coach"], o["reason"], o["station_id"], o["created_utc"])
        rows = self.conn.execute("SELECT * FROM reps WHERE session_id = ? ORDER BY idx", (session_id,))
        return [RepRow.from_row(r, overrides.get(r["id"])) for r in rows]

    def rep(self, id_or_prefix: str) -> RepRow:
        prefix = id_or_prefix.strip().lower()
        rows = self.conn.execute("SELECT * FROM reps WHERE id >= ? AND id < ? LIMIT 2",
                                 (prefix, prefix + "\x7f")).fetchall()
        if len(rows) != 1 or not prefix:
            raise StoreError(f"{'ambiguous' if len(rows) > 1 else 'no'} rep id {id_or_prefix!r}")
        return RepRow.from_row(rows[0])

    def silhouette(self, session_id: str) -> bytes | None:
        r = self.conn.execute("SELECT data FROM silhouettes WHERE session_id = ?", (session_id,)).fetchone()
        return None if r is None else bytes(r[0])

    def integrity_check(self) -> str:
        """'ok' or SQLite's first problem."""
        return str(self.conn.execute("PRAGMA integrity_check").fetchone()[0])
