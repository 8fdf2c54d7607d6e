"""The club-server sync in the background: `SyncWorker` runs `sync.sync_once` in a daemon
thread with its own SQLite connection (ResultsStore is one-thread), so the kiosk loop never
waits on the network: every `interval_s`, or at once on `nudge()`, with exponential backoff
and jitter while the server cannot be reached. Never raises into its caller; `status()` is
one line for the kiosk's status corner. docs/results.md "Sync" has the guarantees.
"""

from __future__ import annotations

import collections
import contextlib
import random
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiosk.results.model import DamagedError, StoreError
from kiosk.results.pg import scrub
from kiosk.results.store import ResultsStore
from kiosk.results.sync import BATCH, SyncReport, sync_once


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
            held = len(s.last_report.held_back) if s.last_report else 0
            return (ago + (f", {waiting} waiting" if waiting else "")
                    + (f", {held} invalid row(s) held back (see `results sync`)" if held else ""))
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
            fresh = store is None
            if store is None:
                store = ResultsStore.open(self.db_path, station_id=self.station_id, create=False)
            report = sync_once(store, self.dsn, batch=self.batch, connect_timeout_s=self.connect_timeout_s,
                               check=fresh)
        except Exception as err:  # never into the caller: a status line and a retry
            msg = scrub(str(err).splitlines()[0] if str(err) else type(err).__name__, self.dsn)
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
            if isinstance(err, sqlite3.Error | DamagedError) and store is not None:
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
