"""The kiosk's unwritten results and how they are written (kiosk/app/results_writer.py
drives it): one `Pending` per athlete's session, written piece by piece under UUIDs made
when the athlete did it, so any piece can be written again without effect.

    p = Pending(athlete_id, started_utc); p.reps.append(PendingRep(new_id(), rep, silhouette))
    write(store, p)   # what is not yet written, in order; StoreError: retry later

A write the database will never take ends the retrying: a session whose athlete was
deleted meanwhile is dropped (`dropped`, one log line); a rep out of bounds is logged and
skipped. A session that vanished otherwise (the file replaced) is written again whole.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.results import paths, spill
from kiosk.results.model import (
    INTERRUPTED,
    AthleteGoneError,
    RepLike,
    SessionGoneError,
    SilhouetteLike,
    WriteRefusedError,
    new_id,
    now_utc,
)
from kiosk.results.spill import SpilledSession
from kiosk.results.store import ResultsStore

log = logging.getLogger("kiosk.app.results_writer")  # the kiosk's results lines in one place

STOP_NOTE = f"{INTERRUPTED} the kiosk was stopped during this session"


@dataclass
class PendingRep:
    rid: str
    rep: RepLike
    sil: SilhouetteLike | None
    done: bool = False


@dataclass
class Pending:
    """One athlete's session, written piece by piece under its own UUID."""

    athlete_id: str | None
    started_utc: str
    sid: str = field(default_factory=new_id)
    reps: list[PendingRep] = field(default_factory=list)
    started: bool = False
    ended_utc: str | None = None
    notes: str | None = None
    done: bool = False
    dropped: bool = False
    attempts: int = 0
    retry_at_s: float = 0.0

    def lines_for_spill(self) -> tuple[str, str | None, str, str | None, str | None,
                                       list[tuple[str, RepLike, SilhouetteLike | None]]]:
        return (self.sid, self.athlete_id, self.started_utc, self.ended_utc, self.notes,
                [(r.rid, r.rep, r.sil) for r in self.reps])


def claim_station(store: ResultsStore, known: set[str]) -> tuple[int | None, Path | None, list[Pending]]:
    """This station's lock beside the database (its descriptor: hold it while the kiosk
    runs; None when another process of the station holds it, or the folder refuses a lock
    file), the pending file's path (None without the lock: not ours) and the sessions the
    last run left in it (those not in `known`)."""
    tag = hashlib.sha256(store.station_id.encode()).hexdigest()[:12]
    lock_fd = None
    try:
        lock_fd = paths.try_lock(Path(f"{store.path}.{tag}.lock"))
    except OSError as err:
        log.warning("results: no station lock beside %s (%s)", store.path, err.strerror or err)
    if lock_fd is None:
        log.warning("results: another kiosk process of station %s may be running on %s (or no lock): "
                    "unfinished sessions are left open", store.station_id, store.path)
        return None, None, []
    path = Path(f"{store.path}.{tag}{spill.SUFFIX}")
    try:
        loaded = [from_spill(s) for s in spill.load(path) if s.sid not in known]
    except spill.SpillError as err:
        log.error("results: %s", err)
        loaded = []
    if loaded:
        log.info("results: %d unwritten session(s) from the last run, writing them", len(loaded))
    return lock_fd, path, loaded


def forget_silhouettes(pending: list[Pending], keep: int) -> None:
    """Bound memory on a long outage: only the newest `keep` unwritten sessions keep their
    unwritten silhouettes (each up to 64 KiB); every rep is kept."""
    for p in pending[:-keep] if keep else pending:
        for r in p.reps:
            if not r.done:
                r.sil = None


def from_spill(s: SpilledSession) -> Pending:
    """A session from the last run's pending file; one it never ended is closed as stopped."""
    return Pending(s.athlete_id, s.started_utc, sid=s.sid, ended_utc=s.ended_utc or now_utc(),
                   notes=s.notes if s.ended_utc else STOP_NOTE,
                   reps=[PendingRep(r.rid, r, r.silhouette) for r in s.reps])


def write(store: ResultsStore, p: Pending) -> None:
    """Write what of `p` is not yet written, in order; each piece is marked done as its call
    returns (and each is a no-op if an earlier attempt committed it)."""
    if not p.started:
        try:
            store.start_session(p.athlete_id, started_utc=p.started_utc, session_id=p.sid)
        except AthleteGoneError:
            return _drop(p, f"athlete {p.athlete_id} is no longer on the roster")
        p.started = True
    for r in p.reps:
        if r.done:
            continue
        try:
            store.save_rep(p.sid, r.rep, rep_id=r.rid, silhouette=r.sil)
        except SessionGoneError:
            return _gone(store, p)
        except WriteRefusedError as err:  # never storable as it is: a retry cannot help
            log.error("results: rep %d of session %s not saved: %s", r.rep.index, p.sid[:8], err)
        r.done = True
    if p.ended_utc is not None and not p.done:
        try:
            store.save_session(p.sid, notes=p.notes, ended_utc=p.ended_utc)
        except SessionGoneError:
            return _gone(store, p)
        p.done = True
    return None


def _gone(store: ResultsStore, p: Pending) -> None:
    """The session is no longer in the database: its athlete was deleted on request (drop
    it), or the file was replaced (write it all again, idempotently)."""
    if p.athlete_id is not None and store.athlete_name(p.athlete_id) is None:
        return _drop(p, f"athlete {p.athlete_id} was deleted during it")
    p.started = False
    for r in p.reps:
        r.done = False
    raise WriteRefusedError(f"session {p.sid[:8]} is no longer in the database; writing it again")


def _drop(p: Pending, why: str) -> None:
    p.dropped = True
    log.warning("results: session %s dropped (%s): %d rep(s) not kept", p.sid[:8], why, len(p.reps))
