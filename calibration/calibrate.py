"""Compose the calibration from depth frames: floor -> pose -> person/facing -> zone -> background.

The CLI (`hinge-kiosk calibrate`) reads frames from a source and calls `calibrate`, then
`validate.check` and `calibration_summary_json`. Inputs are plain DepthFrame sequences so
any source (live, recording, simulator) works. Frames: camera and world as in DESIGN.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np

from calibration.background import build_background
from calibration.errors import CalibrationError
from calibration.facing import detect_facing
from calibration.floor import fit_floor
from calibration.model import Calibration, FacingSetting
from calibration.person import StandingPerson, find_standing_person
from calibration.pose import Facing, pose_from_floor
from calibration.ransac import D4XX_NOISE_M_PER_M2
from calibration.zone import DEFAULT_STATION_DISTANCE_M, zone_at, zone_on_axis
from hardware.frame import DepthFrame
from hardware.geometry import CameraPose, deproject

_FACING_FRAMES = 12  # frames pooled for the foot profile: averages stereo noise on small feet
_FACING_STRIDE = 2  # feet are ~25 cm long: a finer sampling than the floor fit's
_MIN_FOOT_HEIGHT_M = 0.012  # below this a point is floor whatever the noise
_PERSON_FRAMES = 5  # frames looked at for a standing person
_PERSON_STRIDE = 2  # every other pixel: ~4k points on an athlete 2.5 m away


def calibrate(
    frames: Sequence[DepthFrame],
    facing: str = "auto",
    empty_frames: Sequence[DepthFrame] | None = None,
    station_distance_m: float | None = None,
    source: str = "",
    background_if_empty: bool = False,
) -> Calibration:
    """Calibration from frames of a static camera (a person may stand in the station).

    facing: "left", "right" or "auto" (from the feet of a person standing in view; stays
    "auto" when there is none or the feet are ambiguous, to be decided at the first hinge).
    empty_frames: frames with nobody in view, for the background model (None: no model).
    background_if_empty: build the background model from `frames` themselves when nobody is
    found standing in them (the kiosk calibrates with the station clear; with somebody there
    a model would hide them later, so then there is none).
    station_distance_m: put the station this far along the optical axis (horizontal);
    default: where the person stood, else 2.0 m along the axis.
    Raises CalibrationError (one line) when the floor cannot be found or an input is wrong."""
    if facing not in ("left", "right", "auto"):
        raise CalibrationError(f"facing must be left, right or auto, not {facing!r}")
    if not frames:
        raise CalibrationError("No depth frames to calibrate from: check that the camera is streaming")
    intr = frames[0].intrinsics
    if any(f.intrinsics != intr for f in frames):
        raise CalibrationError("Calibration frames come from different stream settings: use one stream")
    if station_distance_m is not None and not 0.3 <= station_distance_m <= 6.0:
        raise CalibrationError(
            f"Station distance {station_distance_m} m is outside 0.3-6 m: give it in metres"
        )

    floor = fit_floor(frames)
    built_for: Facing = "left" if facing == "left" else "right"
    pose = pose_from_floor(floor, built_for)
    person = _find_person(frames, pose)

    setting: FacingSetting = built_for if facing != "auto" else "auto"
    if facing == "auto" and person is not None:
        setting = _facing_from_feet(frames, pose, person) or "auto"

    if station_distance_m is not None:
        zone = zone_on_axis(pose, station_distance_m)
    elif person is not None:
        zone = zone_at(person.centre_x_m, person.centre_z_m)
    else:
        zone = zone_on_axis(pose, DEFAULT_STATION_DISTANCE_M)

    background = None
    if background_if_empty and not empty_frames and person is None:
        empty_frames = frames
    if empty_frames:
        if any(f.intrinsics != intr for f in empty_frames):
            raise CalibrationError(
                "Empty-scene frames differ from the calibration frames' stream: use one stream"
            )
        background = build_background(empty_frames)

    created_utc = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    cal = Calibration(
        intrinsics=intr, pose=pose, floor=floor, facing="auto" if setting == "auto" else built_for, zone=zone,
        background=background, created_utc=created_utc, source=source,
    )
    # Everything above is in the frame built for `built_for`; turn it if the feet said otherwise.
    return cal if setting == "auto" else cal.with_facing(setting)


def _find_person(frames: Sequence[DepthFrame], pose: CameraPose) -> StandingPerson | None:
    """The athlete standing in the frames: looked for in up to _PERSON_FRAMES frames spread
    over them, one at a time (a person moving between frames would smear into a blob that
    is no longer person-shaped); of those found, the one standing where most were."""
    try:
        axis_point = zone_on_axis(pose, DEFAULT_STATION_DISTANCE_M)
    except CalibrationError:
        return None  # camera looking straight down: no person at the station to see anyway
    found: list[StandingPerson] = []
    for f in frames[:: max(1, len(frames) // _PERSON_FRAMES)][:_PERSON_FRAMES]:
        cam = deproject(f.depth_m(), f.intrinsics, stride=_PERSON_STRIDE).astype(np.float64)
        world = pose.to_world(cam).astype(np.float64)
        # The floor's own noise lifts floor points by ~z^2 * k (2.5 cm at 2.5 m for a D435):
        # kept, they join the feet to the floor around them in one wide cluster that is not
        # person-shaped, and a far athlete is not found at all.
        z = cam[:, 2]
        world = world[world[:, 1] > np.maximum(_MIN_FOOT_HEIGHT_M, 3.0 * D4XX_NOISE_M_PER_M2 * z * z)]
        person = find_standing_person(world, near_xz=(axis_point.centre_x_m, axis_point.centre_z_m),
                                      camera_xz=(float(pose.t[0]), float(pose.t[2])))
        if person is not None:
            found.append(person)
    if not found:
        return None
    mx = float(np.median([p.centre_x_m for p in found]))
    mz = float(np.median([p.centre_z_m for p in found]))
    return min(found, key=lambda p: (p.centre_x_m - mx) ** 2 + (p.centre_z_m - mz) ** 2)


def _facing_from_feet(
    frames: Sequence[DepthFrame], pose: CameraPose, person: StandingPerson
) -> Facing | None:
    # Average up to _FACING_FRAMES frames to cut stereo noise on the small feet, then drop
    # points that the floor's own noise could have lifted (3 sigma along the normal; on a
    # grazing floor the depth noise grows as 1/cos(incidence) and its normal part stays
    # ~ z^2 * k): at 2.5 m a D435's floor scatters ~2.5 cm, as much as a toe is high, and
    # three frames left only the instep above the cut (a 1.55 m athlete's too short to tell).
    chosen = frames[:: max(1, len(frames) // _FACING_FRAMES)][:_FACING_FRAMES]
    stack = np.stack([f.depth_m() for f in chosen], axis=0)
    # Per pixel, the mean over the frames where it is valid, if it is in at least half of them
    # (the feet stand still; an edge pixel that flickers is left out).
    valid = stack > 0
    n_valid = valid.sum(axis=0)
    mean_m = np.where(valid, stack, 0.0).sum(axis=0) / np.maximum(n_valid, 1)
    depth_m = np.where(2 * n_valid >= len(chosen), mean_m, 0.0)
    cam = deproject(depth_m, chosen[0].intrinsics, stride=_FACING_STRIDE).astype(np.float64)
    z = cam[:, 2]
    sigma_m = D4XX_NOISE_M_PER_M2 * z * z / np.sqrt(max(len(chosen) // 2, 1))
    world = pose.to_world(cam).astype(np.float64)
    keep = person.box_mask(world) & (world[:, 1] > np.maximum(_MIN_FOOT_HEIGHT_M, 3.0 * sigma_m))
    return detect_facing(world[keep], pose)


def calibration_summary_json(cal: Calibration, problems: Sequence[str]) -> dict[str, Any]:
    """The `hinge-kiosk calibrate --json` object: exactly camera_height_m, camera_pitch_deg
    (down is positive), camera_roll_deg, facing ("left", "right" or "auto") and problems."""
    return {
        "camera_height_m": round(cal.camera_height_m, 4),
        "camera_pitch_deg": round(cal.camera_pitch_deg, 2),
        "camera_roll_deg": round(cal.camera_roll_deg, 2),
        "facing": cal.facing,
        "problems": list(problems),
    }

