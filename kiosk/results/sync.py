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
  never change, so a re-send is a no-op;
- deletions: an athlete deleted on a station becomes a tombstone on the server
  (pg.tombstone): their sessions from every station started before the deletion are removed
  and refused later. The other stations' files are not changed (sync only pushes).

`SyncWorker` runs it in a daemon thread with its own SQLite connection, so the kiosk loop
never waits on the network: every `interval_s`, or at once on `nudge()`, with exponential
backoff and jitter while the server cannot be reached.
"""

from __future__ import annotations

import collections
import contextlib
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.results import pg, pg_schema
from kiosk.results.model import StoreError, now_utc
from kiosk.results.store import ResultsStore

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
        return (f"synced to {self.server}: {what} in {self.seconds:.1f} s"
                + (f" ({self.pending} written meanwhile, next time)" if self.pending else ""))


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


def _push_batch(store: ResultsStore, cur: Any, entries: list[sqlite3.Row], db_id: str,
                report: SyncReport) -> None:
    """Send one batch of queue entries inside the caller's PostgreSQL transaction."""
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
        if table == "silhouettes":
            for p in params:
                p["data"] = bytes(p["data"])
        if params:
            cur.executemany(_UPSERT[table], params)
            report.sent[table] += len(params)


def sync_once(store: ResultsStore, dsn: str, *, batch: int = BATCH,
              connect_timeout_s: float = 10.0) -> SyncReport:
    """Push everything queued to the server at `dsn` (creating its schema if missing).
    StoreError (one line, no password) when the server cannot be reached or refuses; what was
    committed before the failure stays committed and dequeued, the rest stays queued."""
    import psycopg

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
                    _push_batch(store, cur, entries, db_id, report)
                # The server has committed: forget exactly these entries (a row re-written
                # meanwhile has a new seq and stays queued).
                seqs = [e["seq"] for e in entries]
                with store.transaction() as c:
                    c.executemany("DELETE FROM sync_outbox WHERE seq = ?", [(s,) for s in seqs])
                after = seqs[-1]
                report.batches += 1
        except psycopg.Error as err:
            raise StoreError(f"sync to {pg.redact(dsn)} failed: {pg.pg_message(err)}") from err
    finally:
        with contextlib.suppress(Exception):
            conn.close()
    report.pending = pending(store)
    report.seconds = time.monotonic() - t0
    return report


# --- the background worker ----------------------------------------------------------------------


@dataclass(frozen=True)
class SyncState:
    """A snapshot of a SyncWorker (status() is its one-line rendering)."""

    running: bool
    ok: bool | None  # None: no attempt finished yet
    last_success_s: float | None  # clock() of the last successful sync
    last_error: str | None
    offline: bool  # the last failure was the server being unreachable
    failures: int  # consecutive failed attempts
    next_attempt_s: float | None  # clock() of the next attempt
    last_report: SyncReport | None
    backoff_history_s: tuple[float, ...]  # the delays chosen after recent failures, oldest first


_UNREACHABLE = ("connection refused", "timed out", "unknown host", "no route", "unreachable",
                "could not connect", "server closed the connection", "connection failed",
                "terminating connection")


class SyncWorker:
    """Sync a station's results file to `dsn` in a daemon thread (module docstring).

    worker = SyncWorker(db_path, dsn, station_id=store.station_id)
    worker.start()          # returns at once; the first attempt follows immediately
    worker.nudge()          # a session was saved: sync soon (respects a running backoff)
    worker.status()         # "synced 12 s ago" / "offline: connection refused, retry in 40 s"
    worker.stop(timeout=5)  # at exit; True when the thread ended

    Never raises into the caller: every failure becomes status() and a retry.
    """

    def __init__(self, db_path: Path | str, dsn: str, *, station_id: str | None = None,
                 interval_s: float = 30.0, backoff_initial_s: float = 5.0, backoff_max_s: float = 300.0,
                 connect_timeout_s: float = 5.0, batch: int = BATCH,
                 clock: Callable[[], float] = time.monotonic,
                 jitter: Callable[[], float] = random.random) -> None:
        self.db_path = Path(db_path)
        self.dsn = dsn
        self.station_id = station_id
        self.interval_s = float(interval_s)
        self.backoff_initial_s = float(backoff_initial_s)
        self.backoff_max_s = float(backoff_max_s)
        self.connect_timeout_s = connect_timeout_s
        self.batch = batch
        self._clock = clock
        self._jitter = jitter
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._ok: bool | None = None
        self._last_success: float | None = None
        self._last_error: str | None = None
        self._offline = False
        self._failures = 0
        self._next: float | None = None
        self._report: SyncReport | None = None
        self._history: collections.deque[float] = collections.deque(maxlen=16)

    # --- control -------------------------------------------------------------------------------

    def start(self) -> SyncWorker:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._next = self._clock()
                self._thread = threading.Thread(target=self._run, name="results-sync", daemon=True)
                self._thread.start()
        return self

    def nudge(self, force: bool = False) -> None:
        """Sync now (new results). During a backoff the retry time stands unless `force`."""
        with self._lock:
            if force or self._failures == 0:
                self._next = self._clock()
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> bool:
        """Ask the thread to end and wait up to `timeout` s (an attempt in flight may take up
        to the connect timeout); True when it has ended. The thread is a daemon either way."""
        self._stop.set()
        self._wake.set()
        t = self._thread
        if t is None:
            return True
        t.join(timeout)
        return not t.is_alive()

    # --- state ---------------------------------------------------------------------------------

    def state(self) -> SyncState:
        with self._lock:
            t = self._thread
            return SyncState(
                running=t is not None and t.is_alive(), ok=self._ok, last_success_s=self._last_success,
                last_error=self._last_error, offline=self._offline, failures=self._failures,
                next_attempt_s=self._next, last_report=self._report,
                backoff_history_s=tuple(self._history),
            )

    def status(self) -> str:
        """One line for the operator screen."""
        s = self.state()
        now = self._clock()
        retry = "" if s.next_attempt_s is None else f", retry in {max(0, round(s.next_attempt_s - now))} s"
        if s.ok is False:
            head = "offline" if s.offline else "sync failed"
            return f"{head}: {s.last_error}{retry}"
        if s.last_success_s is not None:
            ago = f"synced {max(0, round(now - s.last_success_s))} s ago"
            waiting = s.last_report.pending if s.last_report else 0
            return ago + (f", {waiting} waiting" if waiting else "")
        return "sync starting" if s.running else "sync stopped"

    # --- the thread ----------------------------------------------------------------------------

    def _delay_after_failure(self, failures: int) -> float:
        """Exponential, capped, with "equal jitter": half the step fixed, half random, so the
        delay never shrinks from one failure to the next below the cap."""
        base = min(self.backoff_max_s, self.backoff_initial_s * 2.0 ** (failures - 1))
        return base / 2 + base / 2 * self._jitter()

    def _run(self) -> None:
        store: ResultsStore | None = None
        try:
            while not self._stop.is_set():
                with self._lock:
                    due = self._next if self._next is not None else self._clock() + self.interval_s
                wait = due - self._clock()
                if wait > 0:
                    self._wake.wait(min(wait, 3600.0))
                    self._wake.clear()
                    continue
                store = self._attempt(store)
        finally:
            if store is not None:
                with contextlib.suppress(Exception):
                    store.close()

    def _attempt(self, store: ResultsStore | None) -> ResultsStore | None:
        try:
            if store is None:
                store = ResultsStore.open(self.db_path, station_id=self.station_id, create=False)
            report = sync_once(store, self.dsn, batch=self.batch, connect_timeout_s=self.connect_timeout_s)
        except Exception as err:  # never into the caller: a status line and a retry
            msg = str(err).splitlines()[0] if str(err) else type(err).__name__
            if msg.startswith("cannot reach "):
                msg = msg.split(": ", 1)[-1]
            elif msg.startswith("sync to "):
                msg = msg.split("failed: ", 1)[-1]
            offline = any(w in msg.lower() for w in _UNREACHABLE)
            if isinstance(err, StoreError) and store is None:
                offline = False  # the local file, not the network
            with self._lock:
                self._failures += 1
                delay = self._delay_after_failure(self._failures)
                self._history.append(delay)
                self._ok, self._last_error, self._offline = False, msg, offline
                self._next = self._clock() + delay
            if isinstance(err, sqlite3.Error) and store is not None:
                with contextlib.suppress(Exception):
                    store.close()
                store = None
            return store
        with self._lock:
            now = self._clock()
            self._failures = 0
            self._ok, self._last_error, self._offline = True, None, False
            self._last_success, self._report = now, report
            # Rows written during the sync: go again soon rather than after a full interval.
            self._next = now + (min(1.0, self.interval_s) if report.pending else self.interval_s)
        return store
