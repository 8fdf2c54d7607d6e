"""The athlete's true forward direction (heading) from a hinge, for oblique cameras.

Calibration puts world +x along the camera's image x axis projected onto the floor, which is
the athlete's forward only for a camera square-on to their side. A camera swung up to 30 deg
behind the side leaves +x that far off, and every sagittal measure (x-y projection) then
mixes in the body's width. The motion of a hinge tells the true direction: a hinge (like
walking) is planar, every body point moves in its own sagittal plane, so the head's
displacement from standing to the bottom of a hinge (0.5-0.8 m forward and down) lies along
the forward direction. The head is seen from the same side in both frames, so the offset of
its visible surface toward the camera is common to both positions and cancels (~1 deg on
the simulator); body-shape cues (the top view's principal axis) are biased by 5-15 deg.

Frames: world of the calibration's pose (+y up, origin on the floor below the camera),
metres; yaw in degrees, positive from +x toward +z (atan2(z, x) of the forward direction).
Pure numpy; `orient_from_hinge` is what the live kiosk calls after the first hinge.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from calibration.facing import facing_from_hinge
from calibration.model import Calibration
from calibration.pose import Facing, image_facing_of_forward, rotate_about_vertical
from hardware.geometry import CameraPose, FloatArray

MAX_YAW_DEG = 45.0  # a camera up to 30 deg behind the side; beyond this the answer is wrong
_HEAD_DEPTH_M = 0.20  # top of a standing body taken as the head
_TOP_BAND_M = 0.3  # hinged head: in the body's highest band this deep
_FRONT_SLAB_M = 0.1  # ... and that band's front slab this deep along the forward
_MIN_TRAVEL_M = 0.15  # head travel below this is no hinge (sway, a dip)
# heading_from_shallow_hinge: head travel minus buttocks travel below this is unreadable
# (0.02-0.08 m on sway and the first few degrees of a hinge read 15-160 deg off).
_MIN_REL_TRAVEL_M = 0.12
# The buttocks: this band of the standing body's top, standing and (lower: the pelvis
# sinks a little) hinged.
_PELVIS_BAND_FRAC = (0.40, 0.60)
_PELVIS_HINGED_FRAC = (0.35, 0.60)
_REAR_SLAB_M = 0.05
_MIN_POINTS = 30
# A heading reader: (standing points, hinged points) -> yaw in degrees, or None.
HeadingReader = Callable[[FloatArray, FloatArray], float | None]
# A hinged body whose top is below this fraction of its standing top is too deep to read:
# the upper back rises to the head's height (trunk ~60 deg, or less with the head dropped),
# the highest band's front is then the shoulders, and their camera-side half pulls the
# reading toward the camera. On the tuning family (parametric athletes, every frame of 31
# sessions) 52 of 128 such frames were off by more than 10 deg (up to 50, mirrored about
# the true heading); above it 11 of 1539 were.
MIN_TOP_FRAC = 0.72
_LEAN_FRAC = 0.5  # facing_from_lean: points above this fraction of stature
_MIN_LEAN = 0.25  # dx/dy of a 15 deg lean; an upright body's points give < 0.1


def body_top_m(points: npt.NDArray[np.floating]) -> float:
    """Top of a body's points (N, 3), world +y metres: the 99.5th percentile of y, so a few
    stray points above the head do not count."""
    return float(np.percentile(points[:, 1], 99.5))


def _head_centre(visible: FloatArray) -> tuple[float, float]:
    """Top-view centroid (x, z) of a head's visible points. (Pushing it away from the camera
    by a sphere's visible-cap offset, 2/3 r, changed the simulator's headings by < 0.5 deg:
    the offsets of the two views nearly cancel.)"""
    c = visible.mean(axis=0)
    return float(c[0]), float(c[2])


def standing_head_xz(standing_world: FloatArray) -> tuple[float, float] | None:
    """Top-view centre (x, z) of the head of an upright body's points (N, 3), or None."""
    s = np.asarray(standing_world, dtype=np.float64)
    if len(s) < 3 * _MIN_POINTS:
        return None
    head = s[s[:, 1] > body_top_m(s) - _HEAD_DEPTH_M]
    if len(head) < _MIN_POINTS:
        return None
    return _head_centre(head)


def heading_from_hinge(
    standing_world: FloatArray, hinged_world: FloatArray, iterations: int = 3
) -> float | None:
    """Yaw (deg) of the athlete's forward direction in the world frame, or None.

    standing_world / hinged_world: (N, 3) points of the athlete alone, standing upright and
    hinged (not deeper than `readable_depth` allows: None then), in a world frame whose +x
    is already the athlete's forward within MAX_YAW_DEG (facing decided). The hinged head is
    the front slab, along the current estimate of the forward, of the body's highest band; a
    few iterations settle the slab."""
    return _heading(standing_world, hinged_world, iterations, _MIN_TRAVEL_M, against_buttocks=False)


def _heading(
    standing_world: FloatArray, hinged_world: FloatArray, iterations: int, min_travel_m: float,
    against_buttocks: bool,
) -> float | None:
    """The two readers' shared iteration: the hinged head's front slab is picked along the
    current estimate of the forward, its travel from the standing head gives the next
    estimate; with `against_buttocks` the buttocks' travel is taken off the head's first.
    None: too few points, too deep to read, travel under `min_travel_m`, or a yaw beyond
    MAX_YAW_DEG."""
    head_s = standing_head_xz(standing_world)
    h = np.asarray(hinged_world, dtype=np.float64)
    if head_s is None or len(h) < 3 * _MIN_POINTS:
        return None
    top_s = body_top_m(standing_world)
    if not readable_depth(top_s, h):
        return None
    # Shallow hinge: the head is the top; deep hinge: the back is as high, the head in
    # front: the head is where forward + up is greatest, the shoulders behind and below it.
    upper = _upper_band(h)
    if upper is None:
        return None
    s = np.asarray(standing_world, dtype=np.float64)
    yaw, travel = 0.0, 0.0
    for _ in range(iterations):
        head_h = _front_head_xz(upper, yaw)
        if head_h is None:
            return None
        dx, dz = head_h[0] - head_s[0], head_h[1] - head_s[1]
        if against_buttocks:
            shift = _buttocks_shift_xz(s, h, top_s, yaw)
            if shift is None:
                return None
            dx, dz = dx - shift[0], dz - shift[1]
        travel, yaw = math.hypot(dx, dz), math.atan2(dz, dx)
    yaw_deg = math.degrees(yaw)
    if travel < min_travel_m or abs(yaw_deg) > MAX_YAW_DEG:
        return None
    return yaw_deg


def _upper_band(hinged: FloatArray) -> FloatArray | None:
    """The hinged body's highest band (_TOP_BAND_M deep), None with too few points."""
    upper = hinged[hinged[:, 1] > float(np.percentile(hinged[:, 1], 99.5)) - _TOP_BAND_M]
    return upper if len(upper) >= 3 * _MIN_POINTS else None


def _front_head_xz(upper: FloatArray, yaw: float) -> tuple[float, float] | None:
    """The hinged head's top-view centre: the front slab, along the forward at `yaw`
    (radians), of the highest band, where forward + up is greatest; None if too few."""
    score = upper[:, 0] * math.cos(yaw) + upper[:, 2] * math.sin(yaw) + upper[:, 1]
    front = upper[score >= float(np.percentile(score, 99.0)) - _FRONT_SLAB_M]
    return _head_centre(front) if len(front) >= _MIN_POINTS else None


def _rear_xz(points: FloatArray, yaw: float, y_lo_m: float, y_hi_m: float) -> tuple[float, float] | None:
    """Top-view centre of the rear slab (_REAR_SLAB_M deep along the forward at `yaw`,
    radians) of the points between heights y_lo_m and y_hi_m: the buttocks; None if too few."""
    band = points[(points[:, 1] > y_lo_m) & (points[:, 1] < y_hi_m)]
    if len(band) < 3 * _MIN_POINTS:
        return None
    score = -(band[:, 0] * math.cos(yaw) + band[:, 2] * math.sin(yaw))
    rear = band[score >= float(np.percentile(score, 99.0)) - _REAR_SLAB_M]
    return _head_centre(rear) if len(rear) >= _MIN_POINTS else None


def _buttocks_shift_xz(
    standing: FloatArray, hinged: FloatArray, standing_top_m: float, yaw: float
) -> tuple[float, float] | None:
    """Top-view travel of the buttocks (the pelvis band's rear slab) from standing to
    hinged, along the forward at `yaw` (radians); None if either slab has too few points."""
    lo_s, hi_s = (f * standing_top_m for f in _PELVIS_BAND_FRAC)
    lo_h, hi_h = (f * standing_top_m for f in _PELVIS_HINGED_FRAC)
    butt_s, butt_h = _rear_xz(standing, yaw, lo_s, hi_s), _rear_xz(hinged, yaw, lo_h, hi_h)
    if butt_s is None or butt_h is None:
        return None
    return butt_h[0] - butt_s[0], butt_h[1] - butt_s[1]


def heading_from_shallow_hinge(
    standing_world: FloatArray, hinged_world: FloatArray, iterations: int = 3
) -> float | None:
    """Yaw (deg) of the forward direction from a hinge too shallow for `heading_from_hinge`
    (the head travels under _MIN_TRAVEL_M: a wall rep at a near wall), or None.

    In a hinge the head goes forward and the buttocks back, both along the forward; the
    head's travel minus the buttocks' (the rear slab of the pelvis band) is about twice
    the head's alone, and a step of the whole body cancels out of it. Each slab is seen
    from the same side standing and hinged, so its offset toward the camera cancels as
    the head's does. On the tuning family's two wall sessions whose hinges the head alone
    never read (heavy builds at 6-8 in walls, 20 and 30 deg behind the side), the
    readings with a relative travel of at least _MIN_REL_TRAVEL_M were within 5 deg
    (under it, up to 160 deg off). Same frames, arguments and refusals (too deep, too few
    points, beyond MAX_YAW_DEG) as `heading_from_hinge`."""
    return _heading(standing_world, hinged_world, iterations, _MIN_REL_TRAVEL_M, against_buttocks=True)


def readable_depth(standing_top_m: float, hinged_world: npt.NDArray[np.floating]) -> bool:
    """True when the hinged body (N, 3) is not too deep for `heading_from_hinge`: its top
    at least MIN_TOP_FRAC of the standing body's top (`body_top_m` of the standing points;
    world frame, metres). The standing top is passed in so a caller checking many hinged
    frames against one standing body works it out once."""
    h = np.asarray(hinged_world)
    if len(h) == 0:
        return False
    return body_top_m(h) >= MIN_TOP_FRAC * standing_top_m


def facing_from_lean(standing_world: FloatArray, hinged_world: FloatArray, pose: CameraPose) -> Facing | None:
    """Facing from the lean of a hinged body's upper part, or None: whatever the depth of
    the hinge (or a squat), the trunk tips forward, so above mid-height the body's points
    lie further forward the higher they are (x against y slope >= _MIN_LEAN). The cue for
    shallow hinges, where `facing_from_hinge`'s reach asymmetry is too small to tell.
    Points (N, 3) of the athlete in `pose`'s world frame."""
    s = np.asarray(standing_world, dtype=np.float64)
    h = np.asarray(hinged_world, dtype=np.float64)
    if len(s) < 3 * _MIN_POINTS or len(h) < 3 * _MIN_POINTS:
        return None
    upper = h[h[:, 1] > _LEAN_FRAC * body_top_m(s)]
    if len(upper) < 3 * _MIN_POINTS or float(np.ptp(upper[:, 1])) < 0.1:
        return None
    y = upper[:, 1] - upper[:, 1].mean()
    slope = float(y @ (upper[:, 0] - upper[:, 0].mean())) / float(y @ y)
    if abs(slope) < _MIN_LEAN:
        return None
    along_x = image_facing_of_forward(pose)
    if slope > 0:
        return along_x
    return "left" if along_x == "right" else "right"


def with_heading(cal: Calibration, yaw_deg: float) -> Calibration:
    """The calibration with world +x turned onto the direction at `yaw_deg` (from
    `heading_from_hinge`): the pose turned about the vertical and the zone's centre moved
    with it (its box stays axis-aligned in the new frame)."""
    pose = rotate_about_vertical(cal.pose, -yaw_deg)
    a = math.radians(yaw_deg)
    c, s = math.cos(a), math.sin(a)
    x, z = cal.zone.centre_x_m, cal.zone.centre_z_m
    zone = replace(cal.zone, centre_x_m=c * x + s * z, centre_z_m=-s * x + c * z)
    return replace(cal, pose=pose, zone=zone)


def _to_world_of(points: FloatArray, old: Calibration, new: Calibration) -> FloatArray:
    """Points (N, 3) in `old`'s world frame re-expressed in `new`'s (same camera)."""
    cam = old.pose.to_camera(points)
    return np.asarray(new.pose.to_world(cam), dtype=np.float64)


def orient_from_hinge(
    cal: Calibration, standing_world: FloatArray, hinged_world: FloatArray, decide_facing: bool = True,
    read: HeadingReader = heading_from_hinge,
) -> tuple[Calibration, float | None]:
    """The calibration oriented by a hinge: facing decided from it (when `decide_facing`,
    e.g. the calibration's facing is "auto" or came from ambiguous feet), then world +x
    turned onto the athlete's measured forward. Points are (N, 3) athlete points in `cal`'s
    world frame. `read`: heading_from_hinge, or heading_from_shallow_hinge for a hinge too
    shallow for the head's travel alone. Returns (calibration, yaw applied in deg, None when
    none could be measured; the calibration is then unchanged apart from the facing)."""
    s = np.asarray(standing_world, dtype=np.float64)
    h = np.asarray(hinged_world, dtype=np.float64)
    out = cal
    if decide_facing:
        facing = facing_from_hinge(s, h, cal.pose) or facing_from_lean(s, h, cal.pose)
        if facing is not None:
            out = cal.with_facing(facing)
    if out is not cal:
        s, h = _to_world_of(s, cal, out), _to_world_of(h, cal, out)
    if out.facing == "auto":
        return out, None
    yaw = read(s, h)
    if yaw is None:
        return out, None
    return with_heading(out, yaw), yaw
