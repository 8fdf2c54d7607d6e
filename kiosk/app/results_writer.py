"""The kiosk's side of the results store: what the athlete did, written as it happens,
and never an exception into the loop. A session is reported `saved` only after the store's
`save_session` returned (WAL + synchronous=FULL: on disk).

Nothing judged is lost while the process lives, and nothing is written twice:
- each piece (a session's start, each rep with its silhouette, the end) has a UUID made
  here, so retrying a write that did commit is a no-op (store.py, pending.py);
- a storage fault (disk full, read-only, locked, damaged) is a state: the unwritten stays
  in memory, the corner status says so, each session is retried on its own with backoff
  (RETRY_S doubling to MAX_RETRY_S), in order within the session; one failing session never
  holds up another;
- the unwritten is also kept in a file beside the database (spill.py) while a fault lasts
  and when the kiosk stops, and written at the next start;
- a session whose athlete was deleted meanwhile is dropped with one log line; a rep out of
  rows.py's bounds is logged and skipped (a retry could never write them).

At the first open (`start()`) the writer takes this station's lock, checks the file
(quick_check: a damaged file is left as it is, nothing is written to it), and closes the
station's sessions a kill left unfinished as interrupted. `check_in(id)` queues a roster
athlete for the next drill; with nobody checked in a session is a walk-up.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections import deque
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt

from kiosk.results import paths, spill
from kiosk.results.model import DamagedError, RepLike, new_id, now_utc
from kiosk.results.pending import STOP_NOTE, Pending, PendingRep, claim_station, forget_silhouettes, write
from kiosk.results.silhouette import BestRepKeeper
from kiosk.results.store import ResultsStore

log = logging.getLogger(__name__)

RETRY_S = 5.0
MAX_RETRY_S = 60.0
MAX_FAILURES_PER_FLUSH = 2  # a long queue on a full disk must not stall the loop's frame
KEEP_SILHOUETTES = 200  # unwritten sessions beyond this keep their reps, not their pictures


class ResultsWriter:
    """opener: makes the store (None: results are not kept, e.g. a demo without --db).
    on_saved: called after each session's end is on disk (must not raise)."""

    def __init__(self, opener: Callable[[], ResultsStore] | None,
                 on_saved: Callable[[], None] | None = None) -> None:
        self._opener = opener
        self._on_saved = on_saved  # e.g. the club-server sync worker's nudge
        self._store: ResultsStore | None = None
        self._pending: list[Pending] = []
        self._current: Pending | None = None
        self._keeper = BestRepKeeper()
        self._now_s = 0.0
        self._retry_at_s = 0.0
        self._claimed = False  # the station lock and the last run's pending file: taken
        self._started = False  # sessions a kill left unfinished: closed
        self._lock_fd: int | None = None
        self._checked: tuple[int, ...] | None = None  # the file identity that passed quick_check
        self._damaged: tuple[int, ...] | None = None  # ... and the one that failed it
        self._spill: Path | None = None
        self._spill_at_s = 0.0
        self._spilled = False  # the pending file may hold something
        self.queue: deque[str] = deque()  # checked-in athlete ids, next first
        self.problem = ""  # one line while something is not written
        self.saved_sessions = 0

    @property
    def enabled(self) -> bool:
        return self._opener is not None

    def start(self) -> None:
        """At the kiosk's start: open the store now, so a damaged file shows at once, the
        last run's unwritten results are written and its interrupted sessions closed."""
        if self.enabled and self._open() is not None and self._pending:
            self.flush()

    # --- athletes --------------------------------------------------------------------------

    def check_in(self, code: str) -> tuple[bool, str]:
        """Queue the athlete with this roster id or badge code: (checked in, a line for the
        screen)."""
        store = self._open()
        if store is None:
            return False, f"Cannot check in now: {self.problem or 'results are not kept on this kiosk'}"
        from kiosk.results.roster import lookup

        try:
            athlete = lookup(store, code.strip())
        except Exception as err:  # sqlite3.Error from a damaged or locked file
            return False, f"Cannot check in: {(str(err).splitlines() or ['storage error'])[0][:80]}"
        if athlete is None:
            return False, f"Not on the roster: {code.strip()!r} - ask your coach"
        if athlete.id not in self.queue:
            self.queue.append(athlete.id)
        return True, f"Checked in: {athlete.name} ({len(self.queue)} in the queue)"

    def next_name(self) -> str | None:
        """Who is up next (for the attract screen), or None: walk-up."""
        if not self.queue or self._store is None:
            return None
        try:
            return self._store.athlete_name(self.queue[0])
        except Exception:  # a display nicety: a store fault must not cost the frame
            return None

    # --- one athlete's session -------------------------------------------------------------

    def begin(self) -> None:
        """A drill starts: a new session for the next checked-in athlete (or a walk-up)."""
        if not self.enabled:
            return
        if self._open_session() is not None:
            self.finish("ended early: a new drill started")
        athlete = self.queue.popleft() if self.queue else None
        self._current = Pending(athlete_id=athlete, started_utc=now_utc())
        self._pending.append(self._current)
        self._keeper.reset()
        forget_silhouettes(self._pending, KEEP_SILHOUETTES)
        self.flush(urgent=self._current)

    def frame(self, body_xy_m: npt.NDArray[np.float32], hip_to_wall_mm: float | None,
              trunk_angle_deg: float | None) -> None:
        """Every drill frame: keep the deepest pose of the rep in progress (side-view points)."""
        if self._open_session() is not None:
            self._keeper.observe(body_xy_m, hip_to_wall_mm, trunk_angle_deg)

    def rep(self, rep: RepLike) -> None:
        p = self._open_session()
        if p is None:
            return
        p.reps.append(PendingRep(new_id(), rep, self._keeper.complete(rep)))
        self.flush(urgent=p)

    def finish(self, notes: str | None = None) -> None:
        """The athlete's result is on screen (or the session was cut short: notes say why)."""
        p = self._open_session()
        if p is None:
            return
        p.ended_utc, p.notes = now_utc(), notes
        self.flush(urgent=p)

    @property
    def current_saved(self) -> bool:
        """The current session's end has been written (the result screen may say 'saved')."""
        return self._current is not None and self._current.done

    @property
    def current_dropped(self) -> bool:
        """The current session was dropped, never to be written: its athlete was deleted
        (`results delete-athlete`) during it (kiosk/results/pending.py)."""
        return self._current is not None and self._current.dropped

    def _open_session(self) -> Pending | None:
        p = self._current
        return p if p is not None and p.ended_utc is None and not p.dropped else None

    # --- writing ---------------------------------------------------------------------------

    def poll(self, now_s: float) -> None:
        """Each loop iteration: retry pending writes every RETRY_S (cheap otherwise)."""
        self._now_s = now_s
        if self._pending and now_s >= self._retry_at_s:
            self._retry_at_s = now_s + RETRY_S
            self.flush()

    def flush(self, urgent: Pending | None = None) -> None:
        """Write what is pending whose retry time has come (and `urgent`, the session that
        just changed), each session on its own; on a fault keep it and note the problem."""
        store = self._open()
        if store is None:
            self._keep_pending()
            return
        failures = 0
        for p in list(self._pending):
            if p is not urgent and p.retry_at_s > self._now_s:
                continue
            # Reopened lazily after a fault (it closes the store): the file may have changed.
            store = store if store is not None else self._open()
            if store is None:
                break
            try:
                write(store, p)
            except Exception as err:  # StoreError, or sqlite3/OSError surfacing through it
                p.attempts += 1
                p.retry_at_s = self._now_s + min(MAX_RETRY_S, RETRY_S * 2.0 ** (p.attempts - 1))
                self._fault(str(err) if str(err) else type(err).__name__)
                store, failures = None, failures + 1
                if failures >= MAX_FAILURES_PER_FLUSH:
                    break
                continue
            p.attempts = 0
            if p.done or p.dropped:
                self._pending.remove(p)
                if p.done:
                    self.saved_sessions += 1
                    if self._on_saved is not None:
                        self._on_saved()
        if not any(p.attempts for p in self._pending):
            self.problem = ""
        self._keep_pending(failures > 0)

    def status(self) -> str | None:
        """The screen's warning line while something is not written, else None."""
        if not self.problem:
            return None
        waiting = sum(1 for p in self._pending if p.ended_utc is not None)
        return f"Results NOT saved ({waiting} waiting): {self.problem} - kept in memory, retrying"

    def close(self) -> None:
        """The kiosk stops: a session in progress is closed as interrupted (its reps are kept),
        everything is written if it can be, and what cannot goes to the pending file."""
        if self._open_session() is not None:
            self.finish(STOP_NOTE)
        self._retry_at_s = 0.0
        for p in self._pending:
            p.retry_at_s = 0.0
        self.flush()
        self._keep_pending(force=True)
        if self._store is not None:
            self._store.close()
            self._store = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    # --- the store -------------------------------------------------------------------------

    def _open(self) -> ResultsStore | None:
        if self._store is None and self._opener is not None:
            try:
                store = self._opener()
            except Exception as err:
                self._fault(str(err))
                return None
            try:
                self._store = self._check(store)
            except Exception as err:  # a damaged file, or a fault during the start-up work
                with contextlib.suppress(Exception):
                    store.close()
                self._fault(str(err))
        return self._store

    def _check(self, store: ResultsStore) -> ResultsStore | None:
        """The store after the start-up work, once its file passed quick_check (once per
        file); None for a file known to be damaged (left as it is; results stay pending)."""
        if not self._claimed:
            # This station's lock and the last run's pending file (pending.claim_station):
            # before the check, so a damaged file's results are kept in that file too.
            self._lock_fd, self._spill, loaded = claim_station(store, {p.sid for p in self._pending})
            self._pending[:0] = loaded
            self._claimed = self._spilled = True  # (an empty pending file is removed too)
        ident = paths.file_identity(store.path)
        if ident != self._checked:
            if ident == self._damaged:
                store.close()
                return None
            try:
                store.check_integrity(quick=True)
            except DamagedError:
                self._damaged = ident
                raise
            self._checked = ident
        if not self._started and self._lock_fd is not None:
            # Sessions a kill left unfinished: closed as interrupted, only while no other
            # process of this station runs (we hold its lock). A fault here: next open.
            for row in store.close_interrupted(keep_open=frozenset(p.sid for p in self._pending)):
                log.warning("results: session %s (%s) was left unfinished by a stop; closed as "
                            "interrupted with %d reps, %d passed", row.id[:8],
                            row.athlete_id or "walk-up", row.reps, row.passed)
        self._started = True
        return store

    def _fault(self, line: str) -> None:
        line = (line.splitlines() or ["storage error"])[0][:160]
        if line != self.problem:
            log.error("results: %s; %d sessions kept in memory, retrying", line, len(self._pending))
        self.problem = line
        if self._store is not None:  # reopen on retry: the file may have been replaced or remounted
            with contextlib.suppress(Exception):
                self._store.close()
            self._store = None

    def _keep_pending(self, changed: bool = True, force: bool = False) -> None:
        """Mirror the unwritten sessions into the pending file while a fault lasts (at most
        every RETRY_S) and at close; remove the file once everything is written."""
        if self._spill is None:
            return
        todo = [p for p in self._pending if not (p.done or p.dropped)]
        if (not todo and not self._spilled) or (
                todo and not force and not (changed and self._now_s >= self._spill_at_s)):
            return
        self._spill_at_s = self._now_s + RETRY_S
        try:
            spill.save(self._spill, [spill.session_json(*p.lines_for_spill()) for p in todo])
            self._spilled = bool(todo)
        except (OSError, ValueError) as err:
            log.error("results: cannot keep %d unwritten session(s) in %s: %s", len(todo), self._spill, err)

