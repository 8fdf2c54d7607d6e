"""Self-orientation of a calibration from frames of the athlete: station, facing, heading.

`hinge-kiosk analyze` calibrates from frames sampled over the whole recording, walking in
and out included, so the calibration's station zone can sit off the athlete (an oblique
camera sees the walk cross the zone), its facing can come from ambiguous feet, and its +x
is the image axis rather than the athlete's forward (calibration/heading.py). Here the
sampled frames are segmented with the core, the station is where the feet dwell, and the
deepest hinge among the samples decides the facing; every hinged sample not too deep to
read (calibration.heading.readable_depth) measures the heading, and the median is taken.
When no hinge moves the head far enough to read (wall reps at near walls), every sample
leaning off upright is read by the head's travel against the buttocks'
(calibration.heading.heading_from_shallow_hinge) instead.

Frames: world of the calibration (metres). Pure compute: frames in, calibration out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from calibration.facing import detect_facing, facing_from_hinge
from calibration.heading import (
    HeadingReader,
    facing_from_lean,
    heading_from_hinge,
    heading_from_shallow_hinge,
    with_heading,
)
from calibration.model import Calibration
from calibration.pose import Facing
from hardware.frame import DepthFrame
from hardware.geometry import FloatArray, deproject
from kiosk.core.person import segment_person
from kiosk.core.thresholds import Profile
from kiosk.core.types import StationZone

_SEARCH_HALF_X_M = 1.6  # search box around the calibration's zone: its centre can be ~0.5 m off
_SEARCH_HALF_Z_M = 1.0
_FEET_TOP_M = 0.25
_DWELL_RADIUS_M = 0.15  # feet within this of each other: the same stance
_STANDING_FRAC = 0.97  # standing: body top at least this fraction of the tallest at the station
_UPPER_FRAC = 0.45  # the part of the body that stretches out front-to-back in a hinge
_HINGE_SPREAD_M = 0.12  # a hinge: the upper body this much longer (top view) than upright
# A sample the shallow-hinge heading reads: body top under this share of the tallest, and
# the upper body this much longer (top view) than upright; a step or an arm swinging
# behind the buttocks (+0.01 m) gave readings 13 deg off.
_LEANING_FRAC = 0.99
_LEANING_SPREAD_M = 0.03
_FEET_VOTES = 3  # standing samples whose feet must agree on the facing (and twice the others)


@dataclass(frozen=True)
class SampleBody:
    """The athlete in one sampled frame: points (N, 3) world, float64; feet top-view centre."""

    index: int
    points: FloatArray
    feet_xz: tuple[float, float]
    top_m: float
    spread_m: float


@dataclass(frozen=True)
class Orientation:
    """What self-orientation found. yaw_deg: heading turn applied (None: not measured)."""

    calibration: Calibration
    standing: int
    hinges: int
    yaw_deg: float | None
    facing_from_hinge: bool


def sample_bodies(cal: Calibration, frames: Sequence[DepthFrame], profile: Profile) -> list[SampleBody]:
    """The athlete in each frame (frames without one are left out), at roughly the
    measurement's density (full-resolution frames are strided by 2)."""
    z = cal.zone
    zone = StationZone(
        x_min_m=z.centre_x_m - _SEARCH_HALF_X_M,
        x_max_m=z.centre_x_m + _SEARCH_HALF_X_M,
        z_min_m=z.centre_z_m - _SEARCH_HALF_Z_M,
        z_max_m=z.centre_z_m + _SEARCH_HALF_Z_M,
        y_max_m=z.top_m,
    )
    out: list[SampleBody] = []
    for i, f in enumerate(frames):
        stride = 2 if f.intrinsics.width >= 640 else 1
        world = cal.pose.to_world(deproject(f.depth_m(), f.intrinsics, stride=stride))
        seg = segment_person(world, zone, profile.segmentation, camera_world=cal.pose.translation)
        if not seg.person:
            continue
        p = seg.points.astype(np.float64)
        feet = p[p[:, 1] < _FEET_TOP_M]
        if len(feet) < 20:
            continue
        top = float(np.percentile(p[:, 1], 99.5))
        out.append(
            SampleBody(
                index=i,
                points=p,
                feet_xz=(float(np.median(feet[:, 0])), float(np.median(feet[:, 2]))),
                top_m=top,
                spread_m=_spread_m(p[p[:, 1] > _UPPER_FRAC * top]),
            )
        )
    return out


def _spread_m(upper: FloatArray) -> float:
    """Top-view extent (5-95 %) of points along their principal axis: ~0.3 m for an
    upright body seen from the side, 0.6-1.2 m in a hinge."""
    if len(upper) < 30:
        return 0.0
    xz = upper[:, [0, 2]] - upper[:, [0, 2]].mean(axis=0)
    axis = np.linalg.eigh(xz.T @ xz)[1][:, 1]
    lo, hi = np.percentile(xz @ axis, [5.0, 95.0])
    return float(hi - lo)


def at_station(bodies: list[SampleBody]) -> list[SampleBody]:
    """The bodies whose feet are in the most visited stance (walking frames drop out)."""
    if not bodies:
        return []
    xz = np.array([b.feet_xz for b in bodies])
    near = np.linalg.norm(xz[:, None, :] - xz[None, :, :], axis=2) <= _DWELL_RADIUS_M
    best = int(np.argmax(near.sum(axis=1)))
    return [b for b, keep in zip(bodies, near[best], strict=True) if keep]


def _to_frame(points: FloatArray, old: Calibration, new: Calibration) -> FloatArray:
    return np.asarray(new.pose.to_world(old.pose.to_camera(points)), dtype=np.float64)


def orient_calibration(
    cal: Calibration, frames: Sequence[DepthFrame], profile: Profile, decide_facing: bool
) -> Orientation:
    """Re-centre the zone on the athlete's stance; with a hinge among `frames`, decide the
    facing (when `decide_facing`) and turn world +x onto the athlete's forward. Without a
    hinge that tells, a still-"auto" facing is decided by the standing samples' feet."""
    bodies = at_station(sample_bodies(cal, frames, profile))
    if not bodies:
        return Orientation(cal, 0, 0, None, False)
    stature = max(b.top_m for b in bodies)
    standing = [b for b in bodies if b.top_m >= _STANDING_FRAC * stature]
    upright_m = float(np.median([b.spread_m for b in standing])) if standing else 0.0
    hinged = sorted(
        (
            b
            for b in bodies
            if b.top_m < _STANDING_FRAC * stature and b.spread_m >= upright_m + _HINGE_SPREAD_M
        ),
        key=lambda b: -b.spread_m,
    )
    out, yaw, decided = cal, None, False
    if standing and hinged and decide_facing:
        stand = _nearest_before(standing, hinged[0].index)
        facing = facing_from_hinge(stand.points, hinged[0].points, cal.pose) or facing_from_lean(
            stand.points, hinged[0].points, cal.pose
        )
        if facing is not None:
            out, decided = cal.with_facing(facing), True
    if decide_facing and out.facing == "auto":
        # No hinge to tell (e.g. a stand-only recording) and the calibration's own look at
        # the feet found no standing person (its frames pool the walk in and out): the
        # feet of the samples standing at the station vote.
        facing = _facing_from_feet(standing, cal)
        if facing is not None:
            out = cal.with_facing(facing)
    if standing and hinged and out.facing != "auto":
        yaw = _median_heading(cal, out, standing, hinged, heading_from_hinge)
    if yaw is None and standing and out.facing != "auto":
        # No hinge moved the head far enough (wall reps at a near wall, a heavy build):
        # the head's travel against the buttocks' over every sample leaning off upright.
        leaning = [b for b in bodies
                   if b.top_m < _LEANING_FRAC * stature and b.spread_m >= upright_m + _LEANING_SPREAD_M]
        yaw = _median_heading(cal, out, standing, leaning, heading_from_shallow_hinge)
    if yaw is not None:
        out = with_heading(out, yaw)
    feet = np.array([b.feet_xz for b in bodies])
    centre = np.array([[float(np.median(feet[:, 0])), 0.0, float(np.median(feet[:, 1]))]])
    cx, _, cz = _to_frame(centre, cal, out)[0]
    out = replace(out, zone=replace(out.zone, centre_x_m=float(cx), centre_z_m=float(cz)))
    return Orientation(out, len(standing), len(hinged), yaw, decided)


def _facing_from_feet(standing: list[SampleBody], cal: Calibration) -> Facing | None:
    """The facing most of the standing samples' feet show (calibration.facing.detect_facing
    on each), None without a clear majority: at least _FEET_VOTES and twice the other side."""
    votes = [detect_facing(b.points, cal.pose) for b in standing]
    left, right = votes.count("left"), votes.count("right")
    if left >= max(_FEET_VOTES, 2 * right):
        return "left"
    if right >= max(_FEET_VOTES, 2 * left):
        return "right"
    return None


def _nearest_before(standing: list[SampleBody], index: int) -> SampleBody:
    before = [b for b in standing if b.index < index]
    return max(before, key=lambda b: b.index) if before else min(standing, key=lambda b: abs(b.index - index))


def _median_heading(
    cal: Calibration, out: Calibration, standing: list[SampleBody], hinged: list[SampleBody],
    read: HeadingReader,
) -> float | None:
    """Median heading over every hinged sample that `read` (heading_from_hinge or
    heading_from_shallow_hinge) can read, each against the standing sample before it
    (both refuse the deepest, where the back is as high as the head), in `out`'s frame."""
    yaws: list[float] = []
    for h in hinged:
        s = _nearest_before(standing, h.index)
        yaw = read(_to_frame(s.points, cal, out), _to_frame(h.points, cal, out))
        if yaw is not None:
            yaws.append(yaw)
    return float(np.median(yaws)) if yaws else None
