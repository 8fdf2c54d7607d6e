"""Rows read back from the results database, and what the store accepts as a rep.

Units as the column names say (in, mm, deg, s). A metric the rep did not measure is None.
"""

from __future__ import annotations

import json
import math
import sqlite3
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol


class StoreError(Exception):
    """The results database cannot do what was asked; str() is one line."""


class WriteRefusedError(StoreError):
    """The database will never take this write as it is (a retry cannot help)."""


class SessionGoneError(WriteRefusedError):
    """The session is no longer in the database (its athlete was deleted on request)."""


class AthleteGoneError(WriteRefusedError):
    """The athlete is not (or no longer) on the roster."""


class DamagedError(StoreError):
    """The database file fails SQLite's integrity check; it is left as it is."""


class RepLike(Protocol):
    """kiosk.core.drill.RepResult's fields (kept structural so the store does not import
    the measurement core, and a CLI listing results starts quickly)."""

    @property
    def index(self) -> int: ...
    @property
    def drill(self) -> str: ...
    @property
    def start_s(self) -> float: ...
    @property
    def bottom_s(self) -> float: ...
    @property
    def end_s(self) -> float: ...
    @property
    def wall_distance_in(self) -> float: ...
    @property
    def min_hip_to_wall_mm(self) -> float: ...
    @property
    def max_knee_flexion_deg(self) -> float: ...
    @property
    def max_trunk_angle_deg(self) -> float: ...
    @property
    def faults(self) -> tuple[str, ...]: ...
    @property
    def passed(self) -> bool: ...


# The note that starts a session closed at a later start (store.close_interrupted).
INTERRUPTED = "interrupted:"


class SilhouetteLike(Protocol):
    """silhouette.Silhouette's fields (structural: the store does not import numpy)."""

    @property
    def png(self) -> bytes: ...
    @property
    def width_px(self) -> int: ...
    @property
    def height_px(self) -> int: ...
    @property
    def mm_per_px(self) -> float: ...


def now_utc() -> str:
    """UTC now as `2024-05-01T14:03:22.123Z` (text order = time order)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_id() -> str:
    return uuid.uuid4().hex


def finite_or_none(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _cell(r: sqlite3.Row | Mapping[str, Any], col: str, kind: type | tuple[type, ...],
          nullable: bool = False) -> Any:
    """A column's value checked against the type it must have: a row altered behind the
    kiosk's back (a hand edit, a file from elsewhere) is one StoreError line, not a
    traceback in whatever prints it."""
    v = r[col]
    if v is None and nullable:
        return None
    if isinstance(v, bool) or not isinstance(v, kind):
        key = r["id"] if "id" in r.keys() else "?"  # noqa: SIM118 - sqlite3.Row has keys(), no __contains__
        raise StoreError(f"row {str(key)[:40]!r}: column {col} holds a {type(v).__name__}, not what the "
                         "kiosk writes: the database was altered (check it, or restore a backup)")
    return v


def _json(r: sqlite3.Row | Mapping[str, Any], col: str, kind: type) -> Any:
    try:
        v = json.loads(_cell(r, col, str))
    except ValueError:
        v = None
    if not isinstance(v, kind):
        key = r["id"] if "id" in r.keys() else "?"  # noqa: SIM118
        raise StoreError(f"row {str(key)[:40]!r}: column {col} is not a JSON {kind.__name__}: the "
                         "database was altered (check it, or restore a backup)")
    return v


_NUM = (int, float)


@dataclass(frozen=True)
class Override:
    """A coach's verdict on a rep, in force over the kiosk's."""

    id: str
    passed: bool
    faults: tuple[str, ...]
    coach: str
    reason: str
    station_id: str
    created_utc: str

    @staticmethod
    def from_row(r: sqlite3.Row | Mapping[str, Any]) -> Override:
        """An override from a rep_overrides row (SQLite's or the server's: the same columns)."""
        return Override(
            id=_cell(r, "id", str), passed=bool(_cell(r, "passed", int)),
            faults=tuple(str(f) for f in _json(r, "faults", list)), coach=_cell(r, "coach", str),
            reason=_cell(r, "reason", str), station_id=_cell(r, "station_id", str),
            created_utc=_cell(r, "created_utc", str),
        )


@dataclass(frozen=True)
class RepRow:
    id: str
    session_id: str
    index: int
    drill: str
    start_s: float
    bottom_s: float
    end_s: float
    wall_distance_in: float
    min_hip_to_wall_mm: float | None
    max_knee_flexion_deg: float | None
    max_trunk_angle_deg: float | None
    faults: tuple[str, ...]
    passed: bool
    saved_utc: str
    override: Override | None = None

    @property
    def verdict_passed(self) -> bool:
        """The verdict in force: the coach's override when there is one."""
        return self.override.passed if self.override else self.passed

    @property
    def faults_in_force(self) -> tuple[str, ...]:
        """The faults as judged last: the coach's (none for a PASS), else the kiosk's."""
        if self.override is not None:
            return () if self.override.passed else self.override.faults
        return self.faults

    def report_dict(self) -> dict[str, Any]:
        """The shape kiosk.results.words.reps_lines prints (unmeasured metrics as NaN)."""

        def f(x: float | None) -> float:
            return math.nan if x is None else x

        return {
            "index": self.index, "start_s": self.start_s, "bottom_s": self.bottom_s,
            "end_s": self.end_s, "wall_distance_in": self.wall_distance_in,
            "min_hip_to_wall_mm": f(self.min_hip_to_wall_mm),
            "max_knee_flexion_deg": f(self.max_knee_flexion_deg),
            "max_trunk_angle_deg": f(self.max_trunk_angle_deg),
            "faults": list(self.faults_in_force), "passed": self.verdict_passed,
            "drill": self.drill,
        }

    @staticmethod
    def from_row(r: sqlite3.Row | Mapping[str, Any], override: Override | None = None) -> RepRow:
        """A rep from a SQLite row or the server's (psycopg dict row): the same columns."""
        return RepRow(
            id=_cell(r, "id", str), session_id=_cell(r, "session_id", str), index=_cell(r, "idx", int),
            drill=_cell(r, "drill", str), start_s=_cell(r, "start_s", _NUM),
            bottom_s=_cell(r, "bottom_s", _NUM), end_s=_cell(r, "end_s", _NUM),
            wall_distance_in=_cell(r, "wall_distance_in", _NUM),
            min_hip_to_wall_mm=_cell(r, "min_hip_to_wall_mm", _NUM, True),
            max_knee_flexion_deg=_cell(r, "max_knee_flexion_deg", _NUM, True),
            max_trunk_angle_deg=_cell(r, "max_trunk_angle_deg", _NUM, True),
            faults=tuple(str(f) for f in _json(r, "faults", list)), passed=bool(_cell(r, "passed", int)),
            saved_utc=_cell(r, "saved_utc", str), override=override,
        )


@dataclass(frozen=True)
class SessionRow:
    """A session as readers see it: reps, passed, hinge_depth_in and faults are the totals
    in force (verdicts.py: a coach's override counts), `overridden` the reps a coach set."""

    id: str
    athlete_id: str | None
    name: str | None
    team: str | None
    position: str | None
    station_id: str
    started_utc: str
    ended_utc: str | None
    reps: int
    passed: int
    hinge_depth_in: float | None
    faults: dict[str, int]
    notes: str
    overridden: int = 0

    @property
    def pass_rate(self) -> float | None:
        """passed / reps; None for a session with no reps."""
        return self.passed / self.reps if self.reps else None

    @property
    def finished(self) -> bool:
        return self.ended_utc is not None

    @property
    def interrupted(self) -> bool:
        """Closed at a later start of the kiosk, not by the kiosk's result screen."""
        return self.finished and self.notes.startswith(INTERRUPTED)

    @property
    def status(self) -> str:
        """'finished', 'interrupted' (the kiosk stopped mid-session; totals from its stored
        reps) or 'unfinished' (still running, or not yet closed)."""
        return "interrupted" if self.interrupted else "finished" if self.finished else "unfinished"

    @staticmethod
    def from_row(r: sqlite3.Row | Mapping[str, Any]) -> SessionRow:
        return SessionRow(
            id=_cell(r, "id", str), athlete_id=_cell(r, "athlete_id", str, True),
            name=_cell(r, "name", str, True), team=_cell(r, "team", str, True),
            position=_cell(r, "position", str, True), station_id=_cell(r, "station_id", str),
            started_utc=_cell(r, "started_utc", str), ended_utc=_cell(r, "ended_utc", str, True),
            reps=_cell(r, "reps", int), passed=_cell(r, "passed", int),
            hinge_depth_in=_cell(r, "hinge_depth_in", _NUM, True),
            faults={str(k): v for k, v in _json(r, "faults", dict).items() if isinstance(v, int)},
            notes=_cell(r, "notes", str),
        )


@dataclass(frozen=True)
class Athlete:
    id: str
    name: str
    team: str
    position: str
    barcode: str | None


@dataclass(frozen=True)
class Deleted:
    """What delete_athlete removed."""

    athlete: bool
    sessions: int
    reps: int
