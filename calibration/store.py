"""The versioned calibration file: JSON (`"version": 1`) plus an optional background npz.

Every problem on load is a CalibrationError with one line naming the file, the problem
and what to do. Bounds here are sanity limits of the format (a file outside them is
corrupt or hand-edited); placement advice (e.g. "mount it at hip height") is validate.py's.
World frame and units as in DESIGN.md: metres, degrees only in the readable pose fields.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from calibration.background import BackgroundModel, background_bytes, load_background
from calibration.describe import describe_validation_error
from calibration.errors import CalibrationError
from calibration.fileio import write_atomic
from calibration.floor import FloorFit
from calibration.model import Calibration
from calibration.zone import StationZone
from hardware.frame import Intrinsics
from hardware.geometry import CameraPose

FILE_VERSION: Literal[1] = 1
_RECALIBRATE = "run `hinge-kiosk calibrate` again"

Unit = Annotated[float, Field(ge=-1.0001, le=1.0001)]
Coord = Annotated[float, Field(ge=-20.0, le=20.0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IntrinsicsFile(_Strict):
    width: int = Field(ge=16, le=4096)
    height: int = Field(ge=16, le=4096)
    fx: float = Field(ge=10.0, le=10000.0)
    fy: float = Field(ge=10.0, le=10000.0)
    ppx: float = Field(ge=0.0, le=4096.0)
    ppy: float = Field(ge=0.0, le=4096.0)
    model: str = Field(max_length=40)
    coeffs: tuple[float, float, float, float, float]


class PoseFile(_Strict):
    """rotation/translation are authoritative (p_world = R p_cam + t); the camera_* fields
    are there for people reading the file and must agree with them."""

    rotation: tuple[tuple[Unit, Unit, Unit], tuple[Unit, Unit, Unit], tuple[Unit, Unit, Unit]]
    translation: tuple[Coord, Coord, Coord]
    camera_height_m: float = Field(ge=0.1, le=3.0)
    camera_pitch_deg: float = Field(ge=-45.0, le=90.0)
    camera_roll_deg: float = Field(ge=-45.0, le=45.0)

    @model_validator(mode="after")
    def _rigid_and_consistent(self) -> PoseFile:
        r = np.asarray(self.rotation, dtype=np.float64)
        if not np.allclose(r @ r.T, np.eye(3), atol=1e-4) or np.linalg.det(r) < 0:
            raise ValueError("pose.rotation is not a rotation matrix")
        pose = CameraPose.from_arrays(r, self.translation)
        if (abs(pose.height_m - self.camera_height_m) > 0.005
                or abs(pose.pitch_deg - self.camera_pitch_deg) > 0.1
                or abs(pose.roll_deg - self.camera_roll_deg) > 0.1):
            raise ValueError("pose.camera_height_m/pitch/roll disagree with pose.rotation/translation")
        return self


class FloorFile(_Strict):
    normal_cam: tuple[Unit, Unit, Unit]
    height_m: float = Field(ge=0.1, le=3.0)
    inliers: int = Field(ge=0, le=10_000_000)
    inlier_fraction: float = Field(ge=0.0, le=1.0)
    image_fraction: float = Field(ge=0.0, le=1.0)
    rms_mm: float = Field(ge=0.0, le=500.0)
    frames: int = Field(ge=1, le=100_000)
    # Absent in files written before it was measured (2026-12-07): loads as None.
    noise_m_per_m2: float | None = Field(default=None, ge=0.0, le=0.1)


class ZoneFile(_Strict):
    centre_x_m: float = Field(ge=-20.0, le=20.0)
    centre_z_m: float = Field(ge=-20.0, le=20.0)
    size_x_m: float = Field(ge=0.2, le=5.0)
    size_z_m: float = Field(ge=0.2, le=5.0)
    top_m: float = Field(ge=0.5, le=4.0)


class BackgroundRef(_Strict):
    file: str = Field(pattern=r"^[^/\\]+\.npz$", max_length=200)  # a name beside the JSON, no path
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    frames: int = Field(ge=1, le=100_000)


class CalibrationFile(_Strict):
    version: Literal[1]
    created_utc: str = Field(max_length=40)
    source: str = Field(max_length=300)
    intrinsics: IntrinsicsFile
    pose: PoseFile
    floor: FloorFile
    facing: Literal["left", "right", "auto"]
    zone: ZoneFile
    background: BackgroundRef | None

    @field_validator("created_utc")
    @classmethod
    def _iso_time(cls, v: str) -> str:
        datetime.fromisoformat(v.replace("Z", "+00:00"))  # ValueError names the bad text
        return v


def _to_file(cal: Calibration, background: BackgroundRef | None) -> CalibrationFile:
    """The file model of `cal`; validated as a whole, so errors name full keys."""
    i, f, z, pose = cal.intrinsics, cal.floor, cal.zone, cal.pose
    data: dict[str, Any] = {
        "version": FILE_VERSION, "created_utc": cal.created_utc, "source": cal.source[:300],
        "intrinsics": {"width": i.width, "height": i.height, "fx": i.fx, "fy": i.fy, "ppx": i.ppx,
                       "ppy": i.ppy, "model": i.model, "coeffs": i.coeffs},
        "pose": {"rotation": pose.rotation, "translation": pose.translation, "camera_height_m": pose.height_m,
                 "camera_pitch_deg": pose.pitch_deg, "camera_roll_deg": pose.roll_deg},
        "floor": {"normal_cam": f.normal_cam, "height_m": f.height_m, "inliers": f.inliers,
                  "inlier_fraction": f.inlier_fraction, "image_fraction": f.image_fraction,
                  "rms_mm": f.rms_mm, "frames": f.frames, "noise_m_per_m2": f.noise_m_per_m2},
        "facing": cal.facing,
        "zone": {"centre_x_m": z.centre_x_m, "centre_z_m": z.centre_z_m, "size_x_m": z.size_x_m,
                 "size_z_m": z.size_z_m, "top_m": z.top_m},
        "background": None if background is None else background.model_dump(),
    }
    return CalibrationFile.model_validate(data)


def _from_file(m: CalibrationFile, background: BackgroundModel | None) -> Calibration:
    i, f, z = m.intrinsics, m.floor, m.zone
    return Calibration(
        intrinsics=Intrinsics(width=i.width, height=i.height, fx=i.fx, fy=i.fy, ppx=i.ppx, ppy=i.ppy,
                              model=i.model, coeffs=i.coeffs),
        pose=CameraPose.from_arrays(m.pose.rotation, m.pose.translation),
        floor=FloorFit(normal_cam=f.normal_cam, height_m=f.height_m, inliers=f.inliers,
                       inlier_fraction=f.inlier_fraction, image_fraction=f.image_fraction, rms_mm=f.rms_mm,
                       frames=f.frames, noise_m_per_m2=f.noise_m_per_m2),
        facing=m.facing,
        zone=StationZone(centre_x_m=z.centre_x_m, centre_z_m=z.centre_z_m, size_x_m=z.size_x_m,
                         size_z_m=z.size_z_m, top_m=z.top_m),
        background=background,
        created_utc=m.created_utc,
        source=m.source,
    )


def default_calibration_path() -> Path:
    """The service's state directory when run under systemd, else the working directory."""
    state = os.environ.get("STATE_DIRECTORY")
    return (Path(state.split(":")[0]) if state else Path.cwd()) / "calibration.json"


def background_path(path: Path) -> Path:
    """Where the background npz of calibration file `path` goes: beside it."""
    return path.with_name(f"{path.stem}.background.npz")


def save(cal: Calibration, path: str | Path) -> None:
    """Write `cal` to `path` (JSON) and its background (npz beside it), each atomically.
    Everything is validated before anything is written, and the npz goes first so the JSON
    never references a file that is not there yet. CalibrationError if `cal` is invalid."""
    path = Path(path)
    ref, npz = None, b""
    if cal.background is not None:
        npz = background_bytes(cal.background)
        ref = BackgroundRef(file=background_path(path).name, sha256=hashlib.sha256(npz).hexdigest(),
                            frames=cal.background.frames)
    try:
        model = _to_file(cal, ref)
    except ValidationError as err:  # e.g. a NaN from a degenerate fit: never write a bad file
        why = describe_validation_error(err, CalibrationFile)
        raise CalibrationError(f"Calibration not saved to {path}: {why}: {_RECALIBRATE}") from None
    text = json.dumps(model.model_dump(mode="json"), indent=2, allow_nan=False) + "\n"
    if ref is not None:
        write_atomic(background_path(path), npz)
    write_atomic(path, text.encode("utf-8"))


def load(path: str | Path) -> Calibration:
    """Read and validate a calibration file. Raises CalibrationError (one line) for a
    missing file, not JSON, a wrong version, unknown or missing keys, values out of range,
    and a missing or altered background file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CalibrationError(f"Calibration file {path} not found: {_RECALIBRATE} --out {path}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise CalibrationError(f"Calibration file {path} cannot be read ({type(err).__name__}): "
                               f"{_RECALIBRATE}") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as err:
        raise CalibrationError(f"Calibration file {path} is not JSON (line {err.lineno} column {err.colno}): "
                               f"{_RECALIBRATE}") from None
    if not isinstance(raw, dict):
        raise CalibrationError(f"Calibration file {path} is not a calibration (JSON {type(raw).__name__}, "
                               f"expected an object): {_RECALIBRATE}")
    version = raw.get("version")
    if version != FILE_VERSION:
        said = "has no version" if version is None else f"is version {json.dumps(version)}"
        raise CalibrationError(f"Calibration file {path} {said}; this kiosk reads version {FILE_VERSION}: "
                               f"{_RECALIBRATE}")
    try:
        model = CalibrationFile.model_validate(raw)
    except ValidationError as err:
        why = describe_validation_error(err, CalibrationFile)
        raise CalibrationError(f"Calibration file {path}: {why}: {_RECALIBRATE}") from None
    background = None
    if model.background is not None:
        background = load_background(path.parent / model.background.file, model.background.sha256,
                                     (model.intrinsics.height, model.intrinsics.width))
    return _from_file(model, background)


