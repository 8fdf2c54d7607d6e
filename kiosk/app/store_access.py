"""The results writer's access to the store (kiosk/app/results_writer.py keeps the
sessions and decides what to write; this keeps the store open, or says why it is not):

- the store is opened when first needed and again after a fault: a fault closes it, as
  the file may have been replaced or remounted meanwhile; `problem` is the fault's line;
- the first open claims the station: its lock beside the database (held while the kiosk
  runs) and the last run's pending file, whose sessions join the writer's pending list
  (pending.claim_station);
- a file is checked (quick_check) once per file identity; a damaged one is left as it is,
  nothing is written to it, and results stay pending;
- sessions a kill left unfinished are closed as interrupted, once, and only while this
  process holds the station's lock;
- the unwritten sessions are mirrored into the pending file (spill.py) while a fault
  lasts, at most every `spill_every_s`, and at close; the file goes once all is written.

Times in seconds on the loop's clock.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable
from pathlib import Path

from kiosk.results import paths, spill
from kiosk.results.model import DamagedError
from kiosk.results.pending import Pending, claim_station
from kiosk.results.store import ResultsStore

log = logging.getLogger("kiosk.app.results_writer")  # the kiosk's results lines in one place


class StoreAccess:
    """opener: makes the store (None: results are not kept); spill_every_s: how often the
    pending file is rewritten while a fault lasts."""

    def __init__(self, opener: Callable[[], ResultsStore] | None, spill_every_s: float) -> None:
        self.opener = opener
        self.spill_every_s = spill_every_s
        self.store: ResultsStore | None = None  # open and checked, or None
        self.problem = ""  # one line while something is not written
        self._claimed = False  # the station lock and the last run's pending file: taken
        self._started = False  # sessions a kill left unfinished: closed
        self._lock_fd: int | None = None
        self._checked: tuple[int, ...] | None = None  # the file identity that passed quick_check
        self._damaged: tuple[int, ...] | None = None  # ... and the one that failed it
        self._spill: Path | None = None
        self._spill_at_s = 0.0
        self._spilled = False  # the pending file may hold something

    def open(self, pending: list[Pending]) -> ResultsStore | None:
        """The store, opened (and the start-up work done) if it is not; None while it cannot
        be (the fault is in `problem`). The first open puts the last run's unwritten sessions
        at the front of `pending`."""
        if self.store is None and self.opener is not None:
            try:
                store = self.opener()
            except Exception as err:
                self.fault(str(err), pending)
                return None
            try:
                self.store = self._check(store, pending)
            except Exception as err:  # a damaged file, or a fault during the start-up work
                with contextlib.suppress(Exception):
                    store.close()
                self.fault(str(err), pending)
        return self.store

    def _check(self, store: ResultsStore, pending: list[Pending]) -> ResultsStore | None:
        """The store after the start-up work, once its file passed quick_check (once per
        file); None for a file known to be damaged (left as it is; results stay pending)."""
        if not self._claimed:
            # This station's lock and the last run's pending file (pending.claim_station):
            # before the check, so a damaged file's results are kept in that file too.
            self._lock_fd, self._spill, loaded = claim_station(store, {p.sid for p in pending})
            pending[:0] = loaded
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
            for row in store.close_interrupted(keep_open=frozenset(p.sid for p in pending)):
                log.warning("results: session %s (%s) was left unfinished by a stop; closed as "
                            "interrupted with %d reps, %d passed", row.id[:8],
                            row.athlete_id or "walk-up", row.reps, row.passed)
        self._started = True
        return store

    def fault(self, line: str, pending: list[Pending]) -> None:
        """Note a storage fault (logged once per new line) and close the store."""
        line = (line.splitlines() or ["storage error"])[0][:160]
        if line != self.problem:
            log.error("results: %s; %d sessions kept in memory, retrying", line, len(pending))
        self.problem = line
        if self.store is not None:  # reopen on retry: the file may have been replaced or remounted
            with contextlib.suppress(Exception):
                self.store.close()
            self.store = None

    def keep_pending(self, pending: list[Pending], now_s: float, changed: bool = True,
                     force: bool = False) -> None:
        """Mirror the unwritten sessions into the pending file while a fault lasts (at most
        every spill_every_s) and at close; remove the file once everything is written."""
        if self._spill is None:
            return
        todo = [p for p in pending if not (p.done or p.dropped)]
        if (not todo and not self._spilled) or (
                todo and not force and not (changed and now_s >= self._spill_at_s)):
            return
        self._spill_at_s = now_s + self.spill_every_s
        try:
            spill.save(self._spill, [spill.session_json(*p.lines_for_spill()) for p in todo])
            self._spilled = bool(todo)
        except (OSError, ValueError) as err:
            log.error("results: cannot keep %d unwritten session(s) in %s: %s", len(todo), self._spill, err)

    def close(self) -> None:
        """Close the store and let go of the station's lock."""
        if self.store is not None:
            self.store.close()
            self.store = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
