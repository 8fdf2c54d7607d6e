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
station's sessions a kill left unfinished as interrupted (store_access.py: the store, the
lock and the pending file). `check_in(id)` queues a roster athlete for the next drill;
with nobody checked in a session is a walk-up.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from kiosk.app.store_access import StoreAccess
from kiosk.results.model import RepLike, new_id, now_utc
from kiosk.results.pending import STOP_NOTE, Pending, PendingRep, forget_silhouettes, write
from kiosk.results.silhouette import BestRepKeeper
from kiosk.results.store import ResultsStore

RETRY_S = 5.0
MAX_RETRY_S = 60.0
MAX_FAILURES_PER_FLUSH = 2  # a long queue on a full disk must not stall the loop's frame
KEEP_SILHOUETTES = 200  # unwritten sessions beyond this keep their reps, not their pictures


class ResultsWriter:
    """opener: makes the store (None: results are not kept, e.g. a demo without --db).
    on_saved: called after each session's end is on disk (must not raise)."""

    def __init__(self, opener: Callable[[], ResultsStore] | None,
                 on_saved: Callable[[], None] | None = None) -> None:
        self._on_saved = on_saved  # e.g. the club-server sync worker's nudge
        self._access = StoreAccess(opener, spill_every_s=RETRY_S)
        self._pending: list[Pending] = []
        self._current: Pending | None = None
        self._keeper = BestRepKeeper()
        self._now_s = 0.0
        self._retry_at_s = 0.0
        self.queue: deque[str] = deque()  # checked-in athlete ids, next first
        self.saved_sessions = 0

    @property
    def enabled(self) -> bool:
        return self._access.opener is not None

    @property
    def problem(self) -> str:
        """One line while something is not written ("" when everything is)."""
        return self._access.problem

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
        store = self._access.store
        if not self.queue or store is None:
            return None
        try:
            return store.athlete_name(self.queue[0])
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
                self._access.fault(str(err) if str(err) else type(err).__name__, self._pending)
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
            self._access.problem = ""
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
        self._access.close()

    # --- the store -------------------------------------------------------------------------

    def _open(self) -> ResultsStore | None:
        """The store, opened if need be (store_access.py); None while it cannot be."""
        return self._access.open(self._pending)

    def _keep_pending(self, changed: bool = True, force: bool = False) -> None:
        """The unwritten sessions into the pending file while a fault lasts, and at close."""
        self._access.keep_pending(self._pending, self._now_s, changed, force)
