"""The results store's reads (ResultsStore inherits them): sessions newest first, one
session by id or prefix, a session's reps with the overrides in force, silhouettes, and
SQLite's integrity check. Rows come back as model.py's typed rows; a value of the wrong type
(a file altered behind the kiosk's back) is one StoreError line, not a traceback."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from kiosk.results.model import DamagedError, Override, RepRow, SessionRow, StoreError

SESSION_SELECT = (
    "SELECT s.*, a.name AS name, a.team AS team, a.position AS position "
    "FROM sessions s LEFT JOIN athletes a ON a.id = s.athlete_id"
)
DAMAGED_HINT = ("the file is kept as it is: stop the kiosk, copy it aside, and restore a backup or a "
                "bundle (sqlite3 FILE .recover saves what it can)")


class StoreReads:
    conn: sqlite3.Connection
    path: Path

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
        sql = SESSION_SELECT + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY s.started_utc DESC, s.id" + (f" LIMIT {int(limit)}" if limit else "")
        return [SessionRow.from_row(r) for r in self.conn.execute(sql, args)]

    def session(self, id_or_prefix: str) -> SessionRow:
        """A session by id or by a unique prefix of it (as `results list` shows)."""
        prefix = id_or_prefix.strip().lower().replace("-", "")
        if not prefix:
            raise StoreError("empty session id")
        rows = self.conn.execute(SESSION_SELECT + " WHERE s.id >= ? AND s.id < ? LIMIT 2",
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
            try:
                faults = tuple(str(f) for f in json.loads(o["faults"]))
            except (ValueError, TypeError) as err:
                raise StoreError(f"override {str(o['id'])[:40]!r}: faults is not a JSON list: the "
                                 "database was altered (check it, or restore a backup)") from err
            overrides[o["rep_id"]] = Override(o["id"], bool(o["passed"]), faults, str(o["coach"]),
                                              str(o["reason"]), str(o["station_id"]), str(o["created_utc"]))
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
        return None if r is None or not isinstance(r[0], bytes) else bytes(r[0])

    def integrity_check(self) -> str:
        """'ok' or SQLite's first problem."""
        return str(self.conn.execute("PRAGMA integrity_check").fetchone()[0])

    def check_integrity(self, quick: bool = False) -> None:
        """DamagedError (one line: the file, SQLite's first problem, what to do) unless SQLite's
        integrity check passes. quick: `PRAGMA quick_check` (no index cross-check; for the
        kiosk's start), else the full `integrity_check` (before an export, a bundle, a sync).
        Never changes the file."""
        pragma = "quick_check" if quick else "integrity_check"
        try:
            first = str(self.conn.execute(f"PRAGMA {pragma}(1)").fetchone()[0])
        except sqlite3.DatabaseError as err:  # "database disk image is malformed" at the header
            first = str(err)
        if first != "ok":
            line = " ".join(first.split())[:120]
            raise DamagedError(f"{self.path}: the results database is damaged ({line}); {DAMAGED_HINT}")
