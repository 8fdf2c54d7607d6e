"""The kiosk's side of the results store: what the athlete did, written as it happens,
and never an exception into the loop.

Contract with the screen: a session is reported `saved` only after the store's
`save_session` returned (WAL + synchronous=FULL: on disk). Storage faults (disk full, a
read-only file system, the database locked or unusable) are states: the sessions not yet
written stay in memory, in order, the corner status says so, and every RETRY_S the writer
tries again, replaying each pending session from where it stopped (its own start and end
times kept, not the replay's). Nothing already written is written twice: a session's
start, each rep and its end are marked done as each store call returns.

Athletes: `check_in(id)` queues an athlete from the roster (typed id, badge scan or
`--athlete`); the next drill that starts is theirs. With nobody checked in a session is
a walk-up (no athlete id).
"""

from __future__ import annotations

import contextlib
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from kiosk.core import RepResult
from kiosk.results.model import StoreError, now_utc
from kiosk.results.silhouette import BestRepKeeper, Silhouette
from kiosk.results.store import ResultsStore

log = logging.getLogger(__name__)

RETRY_S = 5.0
MAX_PENDING_SESSIONS = 500  # ~a week of walk-ups held in memory while the disk is full


@dataclass
class _Pending:
    """One athlete's session, written piece by piece; `sid` once the store has it."""

    athlete_id: str | None
    started_utc: str
    reps: list[tuple[RepResult, Silhouette | None]] = field(default_factory=list)
    sid: str | None = None
    reps_done: int = 0
    ended_utc: str | None = None
    notes: str | None = None
    done: bool = False


class ResultsWriter:
    """opener: makes the store (None: results are not kept, e.g. a demo without --db).
    on_saved: called after each session's end is on disk (must not raise)."""

    def __init__(self, opener: Callable[[], ResultsStore] | None,
                 on_saved: Callable[[], None] | None = None) -> None:
        self._opener = opener
        self._on_saved = on_saved  # e.g. the club-server sync worker's nudge
        self._store: ResultsStore | None = None
        self._pending: deque[_Pending] = deque()
        self._current: _Pending | None = None
        self._keeper = BestRepKeeper()
        self._retry_at_s = 0.0
        self.queue: deque[str] = deque()  # checked-in athlete ids, next first
        self.problem = ""  # one line while something is not written
        self.saved_sessions = 0

    @property
    def enabled(self) -> bool:
        return self._opener is not None

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
        if self._current is not None and not self._current.done and self._current.ended_utc is None:
            self.finish("ended early: a new drill started")
        athlete = self.queue.popleft() if self.queue else None
        self._current = _Pending(athlete_id=athlete, started_utc=now_utc())
        self._pending.append(self._current)
        self._keeper.reset()
        if len(self._pending) > MAX_PENDING_SESSIONS:
            dropped = self._pending.popleft()
            log.error("results: %d sessions unwritten; dropping the oldest (%s)", MAX_PENDING_SESSIONS,
                      dropped.started_utc)
        self.flush()

    def frame(self, body_xy_m: npt.NDArray[np.float32], hip_to_wall_mm: float | None,
              trunk_angle_deg: float | None) -> None:
        """Every drill frame: keep the deepest pose of the rep in progress (side-view points)."""
        if self._current is not None and self._current.ended_utc is None:
            self._keeper.observe(body_xy_m, hip_to_wall_mm, trunk_angle_deg)

    def rep(self, rep: RepResult) -> None:
        if self._current is None or self._current.ended_utc is not None:
            return
        self._current.reps.append((rep, self._keeper.complete(rep)))
        self.flush()

    def finish(self, notes: str | None = None) -> None:
        """The athlete's result is on screen (or the session was cut short: notes say why)."""
        if self._current is None or self._current.ended_utc is not None:
            return
        self._current.ended_utc, self._current.notes = now_utc(), notes
        self.flush()

    @property
    def current_saved(self) -> bool:
        """The current session's end has been written (the result screen may say 'saved')."""
        return self._current is not None and self._current.done

    # --- writing ---------------------------------------------------------------------------

    def poll(self, now_s: float) -> None:
        """Each loop iteration: retry pending writes every RETRY_S (cheap otherwise)."""
        if self._pending and now_s >= self._retry_at_s:
            self._retry_at_s = now_s + RETRY_S
            self.flush()

    def flush(self) -> None:
        """Write what is pending, oldest first; on a fault keep it and note the problem."""
        store = self._open()
        if store is None:
            return
        while self._pending:
            p = self._pending[0]
            try:
                _write(store, p)
            except StoreError as err:
                self._fault(str(err))
                return
            except Exception as err:  # sqlite3/OSError surfacing through the store
                self._fault(f"{type(err).__name__}: {err}")
                return
            if not p.done:
                break  # in progress: more to come
            self._pending.popleft()
            self.saved_sessions += 1
            if self._on_saved is not None:
                self._on_saved()
        self.problem = ""

    def status(self) -> str | None:
        """The screen's warning line while something is not written, else None."""
        if not self.problem:
            return None
        waiting = sum(1 for p in self._pending if p.ended_utc is not None)
        return f"Results NOT saved ({waiting} waiting): {self.problem} - kept in memory, retrying"

    def close(self) -> None:
        self.flush()
        if self._store is not None:
            self._store.close()
            self._store = None

    def _open(self) -> ResultsStore | None:
        if self._store is None and self._opener is not None:
            try:
                self._store = self._opener()
            except Exception as err:
                self._fault(str(err))
        return self._store

    def _fault(self, line: str) -> None:
        line = (line.splitlines() or ["storage error"])[0][:100]
        if line != self.problem:
            log.error("results: %s; %d sessions kept in memory, retrying every %.0f s", line,
                      len(self._pending), RETRY_S)
        self.problem = line
        if self._store is not None:  # reopen on retry: the file may have been replaced or remounted
            with contextlib.suppress(Exception):
                self._store.close()
            self._store = None


def _write(store: ResultsStore, p: _Pending) -> None:
    """Write what of `p` is not yet written; marks each piece done as its call returns."""
    if p.sid is None:
        if p.athlete_id is not None and store.athlete_name(p.athlete_id) is None:
            # Removed from the roster (a delete on request) after checking in: keep the
            # session as a walk-up rather than hold every later one behind it.
            p.notes = f"athlete {p.athlete_id} left the roster before this was written; {p.notes or ''}"
            p.athlete_id = None
        p.sid = store.start_session(p.athlete_id, started_utc=p.started_utc)
    while p.reps_done < len(p.reps):
        rep, sil = p.reps[p.reps_done]
        rid = store.save_rep(p.sid, rep)
        if sil is not None:
            store.save_silhouette(p.sid, rid, sil.png, width_px=sil.width_px, height_px=sil.height_px,
                                  mm_per_px=sil.mm_per_px)
        p.reps_done += 1
    if p.ended_utc is not None and not p.done:
        store.save_session(p.sid, notes=p.notes, ended_utc=p.ended_utc)
        p.done = True
