"""ResultsStore: the screening results in one SQLite file (schema.py, docs/results.md).

Durability contract: every write method commits before it returns, in WAL mode with
`synchronous=FULL`, so the commit has been fsync'd to the write-ahead log: a result the
kiosk shows as saved survives the process being killed and the power being cut. A write
that did not return is either all there or not there at all (one transaction per call).

Idempotent by key: the kiosk makes a session's and each rep's UUID itself, so a retried
write whose first attempt did commit (its answer lost to a fault) is a no-op, never a
duplicate or a constraint error. A rep and the silhouette it brings are one transaction.

Kiosk loop (one store per station, opened at start; kiosk/app/results_writer.py):
    store.close_interrupted(...)                   # at start: sessions a kill left open
    store.start_session(athlete_id, session_id=sid)           # the drill starts
    store.save_rep(sid, rep, rep_id=rid, silhouette=sil)      # each judged rep, as it happens
    row = store.save_session(sid, notes)           # result screen: totals, hinge depth

Writes the database will never take (the athlete deleted meanwhile, a value out of
rows.py's bounds) raise WriteRefusedError (SessionGoneError, AthleteGoneError): a retry
cannot help, the caller decides. Other failures (disk full, read-only, locked) are
StoreError and a retry may succeed.

Other processes (the `results` CLI) may read and write the same file at the same time;
SQLite's locking serialises writers (busy timeout 5 s).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from kiosk.results import rows, verdicts
from kiosk.results.model import (
    INTERRUPTED,
    AthleteGoneError,
    Deleted,
    RepLike,
    SessionGoneError,
    SessionRow,
    SilhouetteLike,
    StoreError,
    WriteRefusedError,
    finite_or_none,
    new_id,
    now_utc,
)
from kiosk.results.store_file import StoreFile
from kiosk.results.store_reads import StoreReads, reps_in_force

MAX_SILHOUETTE_BYTES = 65536


def _after(utc: str) -> str:
    """The stored UTC time one millisecond after `utc` (a stored `...SS.mmmZ` time)."""
    try:
        t = datetime.strptime(utc, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC) + timedelta(milliseconds=1)
    except ValueError:
        return now_utc()
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _valid(table: str, rec: dict[str, Any]) -> None:
    """WriteRefusedError unless `rec` fits rows.py's model of `table` (the same bounds a
    bundle import applies)."""
    try:
        rows.parse_row(table, rec)
    except rows.RowError as err:
        raise WriteRefusedError(f"{table[:-1]} not saved: {err}") from None


class ResultsStore(StoreFile, StoreReads):
    """One open results database (opened, closed and transactions: store_file.py; reads:
    store_reads.py; the writes here). Not thread-safe: one store per thread."""

    # --- writes: each one transaction, committed (fsync'd) before returning ------------------

    def start_session(self, athlete_id: str | None = None, notes: str = "",
                      started_utc: str | None = None, session_id: str | None = None) -> str:
        """A new unfinished session (athlete_id None: walk-up, not on the roster); returns its
        id. started_utc: when it really started, for a write delayed by a storage fault.
        session_id: the caller's UUID; a session already there under it is left as it is (a
        retry). AthleteGoneError when the athlete is not on the roster."""
        sid = session_id or new_id()
        when = started_utc or now_utc()
        _valid("sessions", {"id": sid, "athlete_id": athlete_id, "station_id": self.station_id,
                            "started_utc": when, "ended_utc": None, "reps": 0, "passed": 0,
                            "hinge_depth_in": None, "faults": "{}", "notes": notes})
        with self.transaction() as c:
            if c.execute("SELECT 1 FROM sessions WHERE id = ?", (sid,)).fetchone() is not None:
                return sid
            if athlete_id is not None and c.execute(
                    "SELECT 1 FROM athletes WHERE id = ?", (athlete_id,)).fetchone() is None:
                raise AthleteGoneError(f"no athlete with id {athlete_id!r} on the roster")
            c.execute("INSERT INTO sessions (id, athlete_id, station_id, started_utc, notes) "
                      "VALUES (?, ?, ?, ?, ?)", (sid, athlete_id, self.station_id, when, notes))
        return sid

    def save_rep(self, session_id: str, rep: RepLike, *, rep_id: str | None = None,
                 silhouette: SilhouetteLike | None = None) -> str:
        """Store one completed rep of an unfinished session, and with it (same transaction)
        the session's new best-rep silhouette; returns the rep's id. rep_id: the caller's
        UUID; a rep already stored under it makes this a no-op (a retry). SessionGoneError
        when the session is not there; WriteRefusedError for a finished session, another rep
        with the same index, or a value out of bounds."""
        rid = rep_id or new_id()
        saved = now_utc()
        rec = {"id": rid, "session_id": session_id, "idx": rep.index, "drill": rep.drill,
               "start_s": float(rep.start_s), "bottom_s": float(rep.bottom_s), "end_s": float(rep.end_s),
               "wall_distance_in": float(rep.wall_distance_in),
               "min_hip_to_wall_mm": finite_or_none(rep.min_hip_to_wall_mm),
               "max_knee_flexion_deg": finite_or_none(rep.max_knee_flexion_deg),
               "max_trunk_angle_deg": finite_or_none(rep.max_trunk_angle_deg),
               "faults": json.dumps(list(rep.faults)), "passed": int(bool(rep.passed)), "saved_utc": saved}
        _valid("reps", rec)
        if silhouette is not None and len(silhouette.png) > MAX_SILHOUETTE_BYTES:
            raise WriteRefusedError(f"silhouette of {len(silhouette.png)} bytes is over the 64 KiB bound")
        with self.transaction() as c:
            if c.execute("SELECT 1 FROM reps WHERE id = ?", (rid,)).fetchone() is not None:
                return rid  # committed by an earlier attempt, silhouette and all
            s = c.execute("SELECT ended_utc FROM sessions WHERE id = ?", (session_id,)).fetchone()
            if s is None:
                raise SessionGoneError(f"no session {session_id}")
            if s["ended_utc"] is not None:
                raise WriteRefusedError(f"session {session_id} is finished; start a new one")
            if c.execute("SELECT 1 FROM reps WHERE session_id = ? AND idx = ?",
                         (session_id, rep.index)).fetchone() is not None:
                raise WriteRefusedError(f"session {session_id[:8]} already has a rep {rep.index}")
            c.execute(f"INSERT INTO reps ({', '.join(rec)}) VALUES ({', '.join('?' * len(rec))})",
                      tuple(rec.values()))
            if silhouette is not None:
                c.execute("INSERT OR REPLACE INTO silhouettes VALUES (?, ?, 'png', ?, ?, ?, ?, ?)",
                          (session_id, rid, silhouette.width_px, silhouette.height_px,
                           silhouette.mm_per_px, silhouette.png, saved))
        return rid

    @staticmethod
    def _totals(c: sqlite3.Connection, session_id: str) -> tuple[int, int, float | None, str, str | None]:
        """(reps, passed, hinge depth in, fault counts JSON, last rep's saved_utc) from the
        stored reps with the verdicts in force (verdicts.totals: a coach's override counts)."""
        reps = reps_in_force(c, [session_id]).get(session_id, [])
        t = verdicts.totals(reps)
        return (t.reps, t.passed, t.hinge_depth_in, json.dumps(t.faults),
                max((r.saved_utc for r in reps), default=None))

    @staticmethod
    def refresh_totals(c: sqlite3.Connection, session_ids: Iterable[str]) -> int:
        """Re-write the stored totals of those of `session_ids` that are finished from their
        reps with the verdicts in force (inside the caller's transaction); returns how many
        changed. An unfinished session gets its totals when it is finished (save_session)."""
        finished = [sid for sid in dict.fromkeys(session_ids) if c.execute(
            "SELECT 1 FROM sessions WHERE id = ? AND ended_utc IS NOT NULL", (sid,)).fetchone()]
        reps = reps_in_force(c, finished)
        changed = 0
        for sid in finished:
            cols = verdicts.stored_totals(verdicts.totals(reps.get(sid, [])))
            # Only a real change is written (an UPDATE re-queues the session for the sync).
            changed += c.execute(
                "UPDATE sessions SET reps = ?, passed = ?, hinge_depth_in = ?, faults = ? WHERE id = ? "
                "AND NOT (reps IS ? AND passed IS ? AND hinge_depth_in IS ? AND faults IS ?)",
                (*cols.values(), sid, *cols.values())).rowcount
        return changed

    def save_session(self, session_id: str, notes: str | None = None,
                     ended_utc: str | None = None) -> SessionRow:
        """Finish a session: totals, fault counts and hinge depth (the furthest wall distance
        passed) from its stored reps with the verdicts in force (verdicts.py; the kiosk's,
        unless a coach overrode a rep already). Calling it again updates them.
        SessionGoneError when the session is not there."""
        with self.transaction() as c:
            n, passed, depth, faults, _ = self._totals(c, session_id)
            cur = c.execute(
                "UPDATE sessions SET ended_utc = coalesce(ended_utc, ?), reps = ?, passed = ?, "
                "hinge_depth_in = ?, faults = ?, notes = coalesce(?, notes) WHERE id = ?",
                (ended_utc or now_utc(), n, passed, depth, faults, notes, session_id),
            )
            if cur.rowcount != 1:
                raise SessionGoneError(f"no session {session_id}")
        return self.session(session_id)

    def close_interrupted(self, keep_open: frozenset[str] = frozenset()) -> list[SessionRow]:
        """Close this station's unfinished sessions (a kill or power cut mid-session left
        them open) as interrupted: totals from their stored reps, ended at their last rep
        (or their start), a note starting "interrupted:". Sessions in `keep_open` (still
        being written by the caller) are left alone. Call it only while no other process of
        this station writes (kiosk/app/results_writer.py holds the station lock)."""
        closed: list[str] = []
        with self.transaction() as c:
            for r in c.execute("SELECT id, started_utc, notes FROM sessions WHERE ended_utc IS NULL "
                               "AND station_id = ?", (self.station_id,)).fetchall():
                if r["id"] in keep_open:
                    continue
                n, passed, depth, faults, last = self._totals(c, r["id"])
                note = (f"{INTERRUPTED} the kiosk stopped before the result screen; totals from "
                        f"its {n} stored rep{'s' if n != 1 else ''}")
                notes = f"{note}\n{r['notes']}" if r["notes"] else note
                c.execute("UPDATE sessions SET ended_utc = ?, reps = ?, passed = ?, hinge_depth_in = ?, "
                          "faults = ?, notes = ? WHERE id = ?",
                          (last or r["started_utc"], n, passed, depth, faults, notes, r["id"]))
                closed.append(r["id"])
        return [self.session(sid) for sid in closed]

    def save_silhouette(self, session_id: str, rep_id: str | None, png: bytes, *,
                        width_px: int, height_px: int, mm_per_px: float) -> None:
        """Keep `png` as the session's best-rep silhouette, replacing any (the kiosk's come
        with their rep: save_rep(..., silhouette=))."""
        if len(png) > MAX_SILHOUETTE_BYTES:
            raise WriteRefusedError(f"silhouette of {len(png)} bytes is over the 64 KiB bound")
        with self.transaction() as c:
            c.execute("INSERT OR REPLACE INTO silhouettes VALUES (?, ?, 'png', ?, ?, ?, ?, ?)",
                      (session_id, rep_id, width_px, height_px, mm_per_px, png, now_utc()))

    def override_rep(self, rep_id: str, passed: bool, faults: tuple[str, ...], coach: str,
                     reason: str) -> str:
        """Record a coach's verdict on a rep (who, why; when and where added here): it is in
        force from now on everywhere (verdicts.py), and a finished session's stored totals are
        re-computed in the same transaction (which queues the session for the sync). Earlier
        overrides are kept as history. `coach` (at most 200 characters) and `reason` (2000) are
        one line each, without control characters; WriteRefusedError otherwise, or for a rep
        that is not there."""
        coach, reason = coach.strip(), reason.strip()
        if not coach or not reason:
            raise WriteRefusedError("an override needs the coach's name and a reason")
        for what, text in (("coach", coach), ("reason", reason)):
            if len(text) > rows.MAX_LEN[what]:
                raise WriteRefusedError(f"override not saved: {what}: {len(text)} characters, at most "
                                        f"{rows.MAX_LEN[what]}")
            if rows.bad_chars(text):
                raise WriteRefusedError(f"override not saved: {what}: has control characters "
                                        "(a line break, a tab or an escape): write it on one line")
        rec = {"id": new_id(), "rep_id": rep_id, "passed": int(passed), "faults": json.dumps(list(faults)),
               "coach": coach, "reason": reason, "station_id": self.station_id, "created_utc": now_utc()}
        _valid("rep_overrides", rec)
        with self.transaction() as c:
            r = c.execute("SELECT session_id FROM reps WHERE id = ?", (rep_id,)).fetchone()
            if r is None:
                raise WriteRefusedError(f"no rep {rep_id[:40]!r}")
            last = c.execute("SELECT max(created_utc) FROM rep_overrides WHERE rep_id = ?",
                             (rep_id,)).fetchone()[0]
            if isinstance(last, str) and last >= str(rec["created_utc"]):
                # Two overrides in one millisecond (or a clock stepped back): the new one must
                # still be the latest, so it takes the next millisecond after the last one.
                rec["created_utc"] = _after(last)
            c.execute("INSERT INTO rep_overrides VALUES (?, ?, ?, ?, ?, ?, ?, ?)", tuple(rec.values()))
            self.refresh_totals(c, [r["session_id"]])
        return str(rec["id"])

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
