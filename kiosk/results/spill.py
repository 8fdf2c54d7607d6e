"""Results the kiosk judged but could not yet write to its database, kept in a file beside
it so they outlive the process: `results.sqlite3.pending` (JSON lines, one session each,
mode 0600, replaced atomically).

The kiosk's ResultsWriter saves what is unwritten there while a storage fault lasts and
when it stops (SIGTERM from systemd included), and at its next start loads the file and
writes it like any other pending session. Writes are idempotent by the session's and
each rep's own UUID (store.py), so a session that was partly written before is completed,
never duplicated. On a full disk this file may not fit either: then the results are in
memory only ("as far as possible"); a separate tmpfs or a disk that frees up keeps them.

The file comes from outside the process, so it is read like a bundle: bounded size, every
session and rep checked with rows.py's types and bounds. A file that does not pass is
renamed `*.unreadable` (kept for a person to look at) and nothing of it is written.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kiosk.results import paths, rows
from kiosk.results.model import RepLike, SilhouetteLike, StoreError, finite_or_none

MAX_FILE_BYTES = 256 * 1024 * 1024
SUFFIX = ".pending"


class SpillError(StoreError):
    """A spill file that cannot be read back; str() is one line."""


@dataclass(frozen=True)
class SpilledSilhouette:
    png: bytes
    width_px: int
    height_px: int
    mm_per_px: float


@dataclass(frozen=True)
class SpilledRep:
    """A judged rep (RepLike) with the UUID the kiosk gave it."""

    rid: str
    index: int
    drill: str
    start_s: float
    bottom_s: float
    end_s: float
    wall_distance_in: float
    min_hip_to_wall_mm: float
    max_knee_flexion_deg: float
    max_trunk_angle_deg: float
    faults: tuple[str, ...]
    passed: bool
    silhouette: SpilledSilhouette | None = None


@dataclass(frozen=True)
class SpilledSession:
    sid: str
    athlete_id: str | None
    started_utc: str
    ended_utc: str | None
    notes: str | None
    reps: tuple[SpilledRep, ...]


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class _Sil(_M):
    png: Annotated[str, Field(max_length=90_000)]
    width_px: rows.Px
    height_px: rows.Px
    mm_per_px: rows.MmPerPx


class _Rep(_M):
    rid: rows.Uuid
    index: Annotated[int, Field(ge=0, le=rows.MAX_REPS_PER_SESSION)]
    drill: Literal["dowel", "wall"]
    start_s: rows.Seconds
    bottom_s: rows.Seconds
    end_s: rows.Seconds
    wall_distance_in: rows.WallIn
    min_hip_to_wall_mm: rows.Mm | None
    max_knee_flexion_deg: rows.Deg | None
    max_trunk_angle_deg: rows.Deg | None
    faults: Annotated[list[rows.FaultName], Field(max_length=20)]
    passed: bool
    silhouette: _Sil | None


class _Session(_M):
    sid: rows.Uuid
    athlete_id: rows.AthleteId | None
    started_utc: rows.Utc
    ended_utc: rows.Utc | None
    notes: rows.Notes | None
    reps: Annotated[list[_Rep], Field(max_length=rows.MAX_REPS_PER_SESSION)]


def spill_path(db: Path) -> Path:
    return Path(f"{db}{SUFFIX}")


def _nan(x: float | None) -> float:
    return float("nan") if x is None else float(x)


def _rep_json(r: RepLike, rid: str, sil: SilhouetteLike | None) -> dict[str, Any]:
    return {
        "rid": rid, "index": int(r.index), "drill": r.drill, "start_s": float(r.start_s),
        "bottom_s": float(r.bottom_s), "end_s": float(r.end_s), "wall_distance_in": float(r.wall_distance_in),
        "min_hip_to_wall_mm": finite_or_none(r.min_hip_to_wall_mm),
        "max_knee_flexion_deg": finite_or_none(r.max_knee_flexion_deg),
        "max_trunk_angle_deg": finite_or_none(r.max_trunk_angle_deg), "faults": list(r.faults),
        "passed": bool(r.passed),
        "silhouette": None if sil is None else {
            "png": base64.b64encode(sil.png).decode(), "width_px": sil.width_px,
            "height_px": sil.height_px, "mm_per_px": float(sil.mm_per_px)},
    }


def session_json(sid: str, athlete_id: str | None, started_utc: str, ended_utc: str | None,
                 notes: str | None, reps: list[tuple[str, RepLike, SilhouetteLike | None]]) -> str:
    """One line of the spill file."""
    return json.dumps({"sid": sid, "athlete_id": athlete_id, "started_utc": started_utc,
                       "ended_utc": ended_utc, "notes": notes,
                       "reps": [_rep_json(r, rid, sil) for rid, r, sil in reps]}, allow_nan=False)


def save(path: Path, lines: list[str]) -> None:
    """Replace the spill file with these sessions (atomically, 0600); none: remove it."""
    if not lines:
        path.unlink(missing_ok=True)
        return
    paths.write_private(path, "".join(line + "\n" for line in lines).encode())


def _session(line: str) -> SpilledSession:
    m = _Session.model_validate(json.loads(line))
    reps = []
    for r in m.reps:
        sil = None
        if r.silhouette is not None:
            png = base64.b64decode(r.silhouette.png, validate=True)
            if len(png) > 65536 or not png.startswith(b"\x89PNG\r\n\x1a\n"):
                raise ValueError("silhouette is not a PNG of at most 64 KiB")
            sil = SpilledSilhouette(png, r.silhouette.width_px, r.silhouette.height_px,
                                    float(r.silhouette.mm_per_px))
        reps.append(SpilledRep(r.rid, r.index, r.drill, float(r.start_s), float(r.bottom_s), float(r.end_s),
                               float(r.wall_distance_in), _nan(r.min_hip_to_wall_mm),
                               _nan(r.max_knee_flexion_deg), _nan(r.max_trunk_angle_deg),
                               tuple(r.faults), r.passed, sil))
    return SpilledSession(m.sid, m.athlete_id, m.started_utc, m.ended_utc, m.notes, tuple(reps))


def load(path: Path) -> list[SpilledSession]:
    """The sessions in the spill file ([] when there is none). SpillError (one line) for a
    file that does not pass; it is renamed `*.unreadable` first, so it is not read again."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return []
    except OSError as err:
        raise SpillError(f"cannot read {path}: {err.strerror or err}") from err
    with os.fdopen(fd, "rb") as f:
        data = f.read(MAX_FILE_BYTES + 1)
    out: list[SpilledSession] = []
    problem = ""
    if len(data) > MAX_FILE_BYTES:
        problem = f"over {MAX_FILE_BYTES >> 20} MB"
    else:
        for n, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
            try:
                out.append(_session(line))
            except ValidationError as err:
                problem = f"line {n}: {rows.first_error(err)}"
            except (ValueError, binascii.Error) as err:
                problem = f"line {n}: {str(err).splitlines()[0][:80]}"
            if problem:
                break
    if problem:
        aside = Path(f"{path}.unreadable")
        os.replace(path, aside)
        raise SpillError(f"{path}: not a pending-results file ({problem}); kept as {aside}")
    return out
