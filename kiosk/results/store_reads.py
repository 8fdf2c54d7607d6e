"""The results store's reads (ResultsStore inherits them): sessions newest first, one
session by id or prefix, a session's reps with the overrides in force, silhouettes, and
SQLite's integrity check. A session's reps, passed, hinge depth and faults are computed from
its reps and their overrides by verdicts.py (the one rule), not read from the columns stored
with it. Rows come back as model.py's typed rows; a value of the wrong type (a file altered
behind the kiosk's back) is one StoreError line, not a traceback."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from kiosk.results import verdicts
from kiosk.results.model import DamagedError, RepRow, SessionRow, StoreError

SESSION_SELECT = (
    "SELECT s.*, a.name AS name, a.team AS team, a.position AS position "
    "FROM sessions s LEFT JOIN athletes a ON a.id = s.athlete_id"
)
_CHUNK = 400  # ids per IN (...): under SQLite's oldest host-parameter limit (999)
# A team is matched whatever its case (`--team rowing` finds "Rowing"), non-ASCII letters
# included: SQLite's own lower() folds ASCII only, so ResultsStore.open registers FOLD_CASE,
# Python's str.lower, which matches PostgreSQL's lower() that pg.py uses.
FOLD_CASE = "fold_case"
TEAM_MATCH = f"{FOLD_CASE}(a.team) = {FOLD_CASE}(?)"


def fold_case(value: object) -> str | None:
    """FOLD_CASE in SQL: the value as text in lower case; NULL stays NULL."""
    return None if value is None else str(value).lower()


def reps_in_force(conn: sqlite3.Connection, session_ids: Sequence[str]) -> dict[str, list[RepRow]]:
    """session_id -> its reps by index, each with the override in force (verdicts.py); a
    session with no reps is absent. One read of each table per 400 sessions."""
    rep_rows: list[sqlite3.Row] = []
    override_rows: list[sqlite3.Row] = []
    ids = list(dict.fromkeys(session_ids))
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i:i + _CHUNK]
        marks = ",".join("?" * len(chunk))
        rep_rows += conn.execute(f"SELECT * FROM reps WHERE session_id IN ({marks})", chunk).fetchall()
        override_rows += conn.execute(
            f"SELECT o.* FROM rep_overrides o JOIN reps r ON r.id = o.rep_id WHERE r.session_id IN ({marks})",
            chunk).fetchall()
    return verdicts.reps_by_session(rep_rows, verdicts.overrides_in_force(override_rows))


def totals_in_force(conn: sqlite3.Connection, session_ids: Sequence[str]) -> dict[str, verdicts.Totals]:
    """session_id -> its totals in force (verdicts.totals), for rows that leave the file (the
    sync, bundles). A session one of whose reps or overrides cannot be read (altered behind
    the kiosk's back) is left out: its stored columns stand, and the bad row itself is held
    back or refused where it goes."""
    try:
        reps = reps_in_force(conn, session_ids)
        return {sid: verdicts.totals(reps.get(sid, [])) for sid in session_ids}
    except StoreError:
        out = {}
        for sid in session_ids:
            with contextlib.suppress(StoreError):
                out[sid] = verdicts.totals(reps_in_force(conn, [sid]).get(sid, []))
        return out


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
        """Newest first, with the totals in force (verdicts.py)."""
        where, args = [], []
        if athlete_id is not None:
            where.append("s.athlete_id = ?")
            args.append(athlete_id)
        if team is not None:
            where.append(TEAM_MATCH)
            args.append(team)
        sql = SESSION_SELECT + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY s.started_utc DESC, s.id" + (f" LIMIT {int(limit)}" if limit else "")
        rows = [SessionRow.from_row(r) for r in self.conn.execute(sql, args)]
        reps = reps_in_force(self.conn, [s.id for s in rows])
        return [verdicts.with_totals(s, reps.get(s.id, [])) for s in rows]

    def session(self, id_or_prefix: str) -> SessionRow:
        """A session by id or by a unique prefix of it (as `results list` shows), with the
        totals in force."""
        prefix = id_or_prefix.strip().lower().replace("-", "")
        if not prefix:
            raise StoreError("empty session id")
        rows = self.conn.execute(SESSION_SELECT + " WHERE s.id >= ? AND s.id < ? LIMIT 2",
                                 (prefix, prefix + "\x7f")).fetchall()
        if not rows:
            raise StoreError(f"no session {id_or_prefix!r}")
        if len(rows) > 1:
            raise StoreError(f"session id {id_or_prefix!r} is ambiguous: give more characters")
        s = SessionRow.from_row(rows[0])
        return verdicts.with_totals(s, self.reps(s.id))

    def reps(self, session_id: str) -> list[RepRow]:
        """A session's reps in order, each with the override in force, if any."""
        return reps_in_force(self.conn, [session_id]).get(session_id, [])

    def rep(self, id_or_prefix: str) -> RepRow:
        """A rep by id or a unique prefix, with the override in force."""
        prefix = id_or_prefix.strip().lower()
        rows = self.conn.execute("SELECT * FROM reps WHERE id >= ? AND id < ? LIMIT 2",
                                 (prefix, prefix + "\x7f")).fetchall()
        if len(rows) != 1 or not prefix:
            raise StoreError(f"{'ambiguous' if len(rows) > 1 else 'no'} rep id {id_or_prefix!r}")
        found = self.conn.execute("SELECT * FROM rep_overrides WHERE rep_id = ?", (rows[0]["id"],))
        return RepRow.from_row(rows[0], verdicts.overrides_in_force(found).get(rows[0]["id"]))

    def silhouette(self, session_id: str) -> bytes | None:
        r = self.conn.execute("SELECT data FROM silhouettes WHERE session_id = ?", (session_id,)).fetchone()
        return None if r is None or not isinstance(r[0], bytes) else bytes(r[0])

    def kept_silhouette(self, session_id: str) -> tuple[str | None, float, bytes] | None:
        """(rep_id, mm_per_px, PNG data) of the silhouette the kiosk kept for the session."""
        r = self.conn.execute("SELECT rep_id, mm_per_px, data FROM silhouettes WHERE session_id = ?",
                              (session_id,)).fetchone()
        if r is None or not isinstance(r["data"], bytes):
            return None
        return (None if r["rep_id"] is None else str(r["rep_id"])), float(r["mm_per_px"]), bytes(r["data"])

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
