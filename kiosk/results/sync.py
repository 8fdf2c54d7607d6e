"""Sync a station's results to the club's central PostgreSQL server (docs/results.md "Sync").

The station keeps writing its own SQLite file (offline is normal); triggers (schema v3)
queue every written row in `sync_outbox`. `sync_once` pushes what is queued, parents first,
in batches, each batch one PostgreSQL transaction of `INSERT ... ON CONFLICT` keyed by the
rows' own UUIDs, and only after that transaction commits removes exactly the queue entries
it read. So:

- idempotent: a batch sent twice (a crash or a lost connection between the server's commit
  and the station's dequeue) changes nothing the second time;
- nothing lost: a row written while a sync runs is queued again under a new seq and goes in
  the next batch or the next sync; a child row always takes its parent along (a rep its
  session, an override its rep), so a partial sync never strands one;
- updates: sessions (finished later, totals re-computed), silhouettes (a better rep) and
  athletes (roster re-import) are replaced by the station's current row; reps and overrides
  never change, so a re-send is a no-op. A session's reps, passed, hinge_depth_in and faults
  are sent as verdicts.py computes them from its reps and their overrides in force, and an
  override takes its rep and session along: the server's row counts a coach's verdict as
  the station does (the server's readers compute them the same way again);
- deletions: an athlete deleted on a station becomes a tombstone on the server
  (pg.tombstone): their sessions from every station started before the deletion are removed
  and refused later. The other stations' files are not changed (sync only pushes).

`sync_worker.SyncWorker` runs it in a daemon thread with its own SQLite connection, so the
kiosk loop never waits on the network.
"""

from __future__ import annotations

import collections
import contextlib
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kiosk.results import pg, pg_schema, verdicts
from kiosk.results import rows as rows_model
from kiosk.results.model import StoreError, now_utc
from kiosk.results.store import ResultsStore
from kiosk.results.store_reads import totals_in_force

BATCH = 500
SERVER_KEY = "sync_server_db_id"  # meta key: the server db_id this file's queue was emptied to

_ORDER = ("athletes", "sessions", "reps", "silhouettes", "rep_overrides")


@dataclass
class SyncReport:
    """What one sync_once sent (rows per table; re-sent parents included) and removed."""

    server: str
    sent: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_ORDER, 0))
    deleted_sessions: int = 0
    tombstones: int = 0
    batches: int = 0
    requeued_all: bool = False
    pending: int = 0  # queue entries left (written during the sync): the next sync sends them
    seconds: float = 0.0
    held_back: list[str] = field(default_factory=list)  # "table key: why": invalid rows kept queued

    @property
    def rows(self) -> int:
        return sum(self.sent.values())

    def line(self) -> str:
        parts = [f"{n} {t}" for t, n in self.sent.items() if n]
        if self.deleted_sessions:
            parts.append(f"{self.deleted_sessions} deleted sessions")
        if self.tombstones:
            parts.append(f"{self.tombstones} deleted athletes")
        what = ", ".join(parts) if parts else "nothing new"
        held = (f"; {len(self.held_back)} row(s) held back as invalid, first: {self.held_back[0]}"
                if self.held_back else "")
        return (f"synced to {self.server}: {what} in {self.seconds:.1f} s"
                + (f" ({self.pending} written meanwhile, next time)" if self.pending else "") + held)


def pending(store: ResultsStore) -> int:
    """Queue entries not yet acknowledged by a server."""
    return int(store.conn.execute("SELECT count(*) FROM sync_outbox").fetchone()[0])


def requeue_all(store: ResultsStore) -> None:
    """Queue every row again (a new server; `sync --all`). Idempotent on the server."""
    with store.transaction() as c:
        for table, key in (("athletes", "id"), ("sessions", "id"), ("reps", "id"),
                           ("silhouettes", "session_id"), ("rep_overrides", "id")):
            c.execute(f"INSERT OR IGNORE INTO sync_outbox (tbl, key, changed_utc) "
                      f"SELECT '{table}', {key}, ? FROM {table}", (now_utc(),))


def _meta(store: ResultsStore, key: str) -> str | None:
    r = store.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if r is None else str(r[0])


def _fetch(conn: sqlite3.Connection, table: str, key: str, ids: Iterable[str]) -> dict[str, sqlite3.Row]:
    out: dict[str, sqlite3.Row] = {}
    ids = list(dict.fromkeys(ids))
    for i in range(0, len(ids), 400):
        chunk = ids[i:i + 400]
        marks = ",".join("?" * len(chunk))
        for r in conn.execute(f"SELECT * FROM {table} WHERE {key} IN ({marks})", chunk):
            out[str(r[key])] = r
    return out


_UPSERT = {
    "athletes": (
        "INSERT INTO athletes (id, name, team, position, barcode, imported_utc, station_id, synced_utc) "
        "SELECT %(id)s, %(name)s, %(team)s, %(position)s, %(barcode)s, %(imported_utc)s, %(st)s, %(now)s "
        "WHERE NOT EXISTS (SELECT 1 FROM athlete_deletions d WHERE d.athlete_id = %(id)s "
        "AND d.deleted_utc >= %(imported_utc)s) "
        "ON CONFLICT (id) DO UPDATE SET name = excluded.name, team = excluded.team, "
        "position = excluded.position, barcode = excluded.barcode, imported_utc = excluded.imported_utc, "
        "station_id = excluded.station_id, synced_utc = excluded.synced_utc "
        "WHERE athletes.imported_utc <= excluded.imported_utc"
    ),
    "sessions": (
        "INSERT INTO sessions (id, athlete_id, station_id, started_utc, ended_utc, reps, passed, "
        "hinge_depth_in, faults, notes, source_db, synced_utc) "
        "SELECT %(id)s, %(athlete_id)s, %(station_id)s, %(started_utc)s, %(ended_utc)s, %(reps)s, "
        "%(passed)s, %(hinge_depth_in)s, %(faults)s, %(notes)s, %(db)s, %(now)s "
        "WHERE NOT EXISTS (SELECT 1 FROM athlete_deletions d WHERE d.athlete_id = %(athlete_id)s "
        "AND d.deleted_utc >= %(started_utc)s) "
        "ON CONFLICT (id) DO UPDATE SET athlete_id = excluded.athlete_id, ended_utc = excluded.ended_utc, "
        "reps = excluded.reps, passed = excluded.passed, hinge_depth_in = excluded.hinge_depth_in, "
        "faults = excluded.faults, notes = excluded.notes, synced_utc = excluded.synced_utc"
    ),
    "reps": (
        "INSERT INTO reps (id, session_id, idx, drill, start_s, bottom_s, end_s, wall_distance_in, "
        "min_hip_to_wall_mm, max_knee_flexion_deg, max_trunk_angle_deg, faults, passed, saved_utc, "
        "station_id, synced_utc) "
        "SELECT %(id)s, %(session_id)s, %(idx)s, %(drill)s, %(start_s)s, %(bottom_s)s, %(end_s)s, "
        "%(wall_distance_in)s, %(min_hip_to_wall_mm)s, %(max_knee_flexion_deg)s, "
        "%(max_trunk_angle_deg)s, %(faults)s, %(passed)s, %(saved_utc)s, %(st)s, %(now)s "
        "WHERE EXISTS (SELECT 1 FROM sessions WHERE id = %(session_id)s) ON CONFLICT DO NOTHING"
    ),
    "silhouettes": (
        "INSERT INTO silhouettes (session_id, rep_id, format, width_px, height_px, mm_per_px, data, "
        "saved_utc, station_id, synced_utc) "
        "SELECT %(session_id)s, r.id, %(format)s, %(width_px)s, %(height_px)s, %(mm_per_px)s, %(data)s, "
        "%(saved_utc)s, %(st)s, %(now)s FROM (SELECT 1) one LEFT JOIN reps r ON r.id = %(rep_id)s "
        "WHERE EXISTS (SELECT 1 FROM sessions WHERE id = %(session_id)s) "
        "ON CONFLICT (session_id) DO UPDATE SET rep_id = excluded.rep_id, format = excluded.format, "
        "width_px = excluded.width_px, height_px = excluded.height_px, mm_per_px = excluded.mm_per_px, "
        "data = excluded.data, saved_utc = excluded.saved_utc, station_id = excluded.station_id, "
        "synced_utc = excluded.synced_utc"
    ),
    "rep_overrides": (
        "INSERT INTO rep_overrides (id, rep_id, passed, faults, coach, reason, station_id, created_utc, "
        "synced_utc) "
        "SELECT %(id)s, %(rep_id)s, %(passed)s, %(faults)s, %(coach)s, %(reason)s, %(station_id)s, "
        "%(created_utc)s, %(now)s WHERE EXISTS (SELECT 1 FROM reps WHERE id = %(rep_id)s) "
        "ON CONFLICT DO NOTHING"
    ),
}
_KEYS = {"athletes": "id", "sessions": "id", "reps": "id", "silhouettes": "session_id", "rep_overrides": "id"}


def _hold_back(rows: dict[str, dict[str, sqlite3.Row]]) -> list[tuple[str, str, str]]:
    """Take out of `rows` (and return as (table, key, why)) every row that does not fit
    rows.py's models, and the children of such a row: a row altered behind the kiosk's back
    would fail the server's batch on every run and hold up every row queued behind it. Held
    rows stay queued and are named in the report."""
    held: list[tuple[str, str, str]] = []
    for table in _ORDER:
        for key, r in list(rows[table].items()):
            rec = {k: r[k] for k in r.keys() if k != "data"}  # noqa: SIM118 - sqlite3.Row
            try:
                rows_model.parse_row(table, rec)
            except rows_model.RowError as err:
                held.append((table, key, str(err)))
                del rows[table][key]
    gone = {k for _, k, _ in held}
    for table, parent in (("reps", "session_id"), ("silhouettes", "session_id"), ("silhouettes", "rep_id"),
                          ("rep_overrides", "rep_id")):
        for key, r in list(rows[table].items()):
            if r[parent] in gone:
                held.append((table, key, f"its {parent[:-3]} is held back"))
                gone.add(key)
                del rows[table][key]
    return held


def _push_batch(store: ResultsStore, cur: Any, entries: list[sqlite3.Row], db_id: str,
                report: SyncReport) -> set[tuple[str, str]]:
    """Send one batch of queue entries inside the caller's PostgreSQL transaction; returns
    the (table, key) held back (not sent: they stay queued)."""
    conn = store.conn
    queued: dict[str, list[sqlite3.Row]] = collections.defaultdict(list)
    for e in entries:
        queued[e["tbl"]].append(e)
    rows = {t: _fetch(conn, t, _KEYS[t], [e["key"] for e in queued.get(t, [])]) for t in _ORDER}
    # Parents along with their children (module docstring): override -> rep -> session.
    rows["reps"].update(_fetch(conn, "reps", "id",
                               [r["rep_id"] for r in rows["rep_overrides"].values()]
                               + [r["rep_id"] for r in rows["silhouettes"].values() if r["rep_id"]]))
    rows["sessions"].update(_fetch(conn, "sessions", "id",
                                   [r["session_id"] for r in rows["reps"].values()]
                                   + list(rows["silhouettes"])))
    held = _hold_back(rows)
    report.held_back += [f"{t} {k[:8]}: {why}" for t, k, why in held]
    now, st = now_utc(), store.station_id
    # Deletions first: a tombstone, then sessions deleted here (by id).
    for e in queued.get("athletes", []):
        if e["key"] not in rows["athletes"]:
            pg.tombstone(cur, e["key"], e["changed_utc"], st)
            report.tombstones += 1
    gone = [e["key"] for e in queued.get("sessions", []) if e["key"] not in rows["sessions"]]
    if gone:
        cur.execute("DELETE FROM sessions WHERE id = ANY(%s)", (gone,))
        report.deleted_sessions += len(gone)
    for table in _ORDER:
        params = [{**dict(r), "st": st, "now": now, "db": db_id} for r in rows[table].values()]
        if table == "sessions":  # the totals in force (module docstring)
            in_force = totals_in_force(conn, list(rows["sessions"]))
            for p in params:
                if p["id"] in in_force:
                    p.update(verdicts.stored_totals(in_force[p["id"]]))
        if table == "silhouettes":
            for p in params:
                p["data"] = bytes(p["data"])
        if params:
            cur.executemany(_UPSERT[table], params)
            report.sent[table] += len(params)
    return {(t, k) for t, k, _ in held}


def sync_once(store: ResultsStore, dsn: str, *, batch: int = BATCH,
              connect_timeout_s: float = 10.0, check: bool = True) -> SyncReport:
    """Push everything queued to the server at `dsn` (creating its schema if missing).
    StoreError (one line, no password) when the server cannot be reached or refuses; what was
    committed before the failure stays committed and dequeued, the rest stays queued.
    check: first `PRAGMA integrity_check` the file (DamagedError: nothing is sent from a
    damaged file); the worker checks once per opened file, not every 30 s."""
    psycopg = pg.require_psycopg()

    if check:
        store.check_integrity()
    t0 = time.monotonic()
    report = SyncReport(server=pg.redact(dsn))
    db_id = _meta(store, "db_id") or ""
    conn = pg.connect(dsn, timeout_s=connect_timeout_s)
    try:
        try:
            server_id = pg_schema.ensure_schema(conn, now_utc())
            if _meta(store, SERVER_KEY) != server_id:
                # First sync, or a different server: send everything (idempotent if it has it).
                requeue_all(store)
                with store.transaction() as c:
                    c.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (SERVER_KEY, server_id))
                report.requeued_all = True
            top = int(store.conn.execute("SELECT coalesce(max(seq), 0) FROM sync_outbox").fetchone()[0])
            after = 0
            while True:
                entries = store.conn.execute(
                    "SELECT seq, tbl, key, changed_utc FROM sync_outbox WHERE seq > ? AND seq <= ? "
                    "ORDER BY seq LIMIT ?", (after, top, batch)).fetchall()
                if not entries:
                    break
                with conn.transaction(), conn.cursor() as cur:
                    held = _push_batch(store, cur, entries, db_id, report)
                # The server has committed: forget exactly these entries (a row re-written
                # meanwhile has a new seq and stays queued), except those held back.
                seqs = [e["seq"] for e in entries if (e["tbl"], e["key"]) not in held]
                with store.transaction() as c:
                    c.executemany("DELETE FROM sync_outbox WHERE seq = ?", [(s,) for s in seqs])
                after = entries[-1]["seq"]
                report.batches += 1
        except psycopg.Error as err:
            line = f"sync to {pg.redact(dsn)} failed: {pg.pg_message(err)}"
            raise StoreError(pg.scrub(line, dsn)) from None
    finally:
        with contextlib.suppress(Exception):
            conn.close()
    report.pending = pending(store)
    report.seconds = time.monotonic() - t0
    return report
