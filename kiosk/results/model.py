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


def now_utc() -> str:
    """UTC now as `2024-05-01T14:03:22.123Z` (text order = time order)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_id() -> str:
    return uuid.uuid4().hex


def finite_or_none(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


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

    def report_dict(self) -> dict[str, Any]:
        """The shape kiosk.report.reps_lines prints (unmeasured metrics as NaN)."""

        def f(x: float | None) -> float:
            return math.nan if x is None else x

        ov = self.override
        return {
            "index": self.index, "start_s": self.start_s, "bottom_s": self.bottom_s,
            "end_s": self.end_s, "wall_distance_in": self.wall_distance_in,
            "min_hip_to_wall_mm": f(self.min_hip_to_wall_mm),
            "max_knee_flexion_deg": f(self.max_knee_flexion_deg),
            "max_trunk_angle_deg": f(self.max_trunk_angle_deg),
            "faults": list(ov.faults if ov else self.faults), "passed": self.verdict_passed,
            "drill": self.drill,
        }

    @staticmethod
    def from_row(r: sqlite3.Row | Mapping[str, Any], override: Override | None = None) -> RepRow:
        """A rep from a SQLite row or the server's (psycopg dict row): the same columns."""
        return RepRow(
            id=r["id"], session_id=r["session_id"], index=r["idx"], drill=r["drill"],
            start_s=r["start_s"], bottom_s=r["bottom_s"], end_s=r["end_s"],
            wall_distance_in=r["wall_distance_in"], min_hip_to_wall_mm=r["min_hip_to_wall_mm"],
            max_knee_flexion_deg=r["max_knee_flexion_deg"], max_trunk_angle_deg=r["max_trunk_angle_deg"],
            faults=tuple(json.loads(r["faults"])), passed=bool(r["passed"]), saved_utc=r["saved_utc"],
            override=override,
        )


@dataclass(frozen=True)
class SessionRow:
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

    @property
    def finished(self) -> bool:
        return self.ended_utc is not None

    @staticmethod
    def from_row(r: sqlite3.Row) -> SessionRow:
        return SessionRow(
            id=r["id"], athlete_id=r["athlete_id"], name=r["name"], team=r["team"],
            position=r["position"], station_id=r["station_id"], started_utc=r["started_utc"],
            ended_utc=r["ended_utc"], reps=r["reps"], passed=r["passed"],
            hinge_depth_in=r["hinge_depth_in"], faults=dict(json.loads(r["faults"])), notes=r["notes"],
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
