"""Which image direction the athlete faces: from the feet, or from a hinge.

Points are in a world frame (+y up, origin on the floor) built for either facing; the
answer is converted to the image direction through `pose`, so it does not depend on which
facing the pose was built with. Metres.
"""

from __future__ import annotations

import numpy as np

from calibration.pose import Facing, image_facing_of_forward
from hardware.geometry import CameraPose, FloatArray

_FOOT_TOP_M = 0.10  # docs/measurement.md: feet are the points with y <= 0.10 m
_FOOT_BOTTOM_M = 0.012  # below this the floor's own noise mixes in (callers drop noisier floor)
_LEG_BAND_M = (0.15, 0.40)  # shins: the column the foot hangs off
_MIN_FOOT_LEAD_M = 0.04  # toes lead the ankle by ~15 cm, the heel trails by ~5 cm
_MIN_HINGE_ASYMMETRY_M = 0.15  # head reach minus buttocks reach; standing: ~0


def _facing_from_sign(forward_sign: float, pose: CameraPose) -> Facing:
    """The image facing of an athlete whose toes point along `forward_sign` * world +x."""
    along_x = image_facing_of_forward(pose)
    if forward_sign > 0:
        return along_x
    return "left" if along_x == "right" else "right"


def detect_facing(person_world: FloatArray, pose: CameraPose) -> Facing | None:
    """Facing from a standing person's feet, or None when it cannot tell.

    person_world: (N, 3) points of the person only (no floor, no wall), in the world frame
    of `pose`. The foot profile extends further in front of the leg column than behind it
    (toes versus heel); the leg column is the shins' middle along x."""
    p = np.asarray(person_world, dtype=np.float64)
    feet = p[(p[:, 1] >= _FOOT_BOTTOM_M) & (p[:, 1] <= _FOOT_TOP_M)]
    legs = p[(p[:, 1] >= _LEG_BAND_M[0]) & (p[:, 1] <= _LEG_BAND_M[1])]
    if len(feet) < 20 or len(legs) < 20:
        return None
    leg_lo, leg_hi = np.percentile(legs[:, 0], [5.0, 95.0])
    leg_mid = 0.5 * (float(leg_lo) + float(leg_hi))
    foot_lo, foot_hi = np.percentile(feet[:, 0], [2.0, 98.0])
    ahead_plus_x = float(foot_hi) - leg_mid  # how far the foot reaches toward +x
    ahead_minus_x = leg_mid - float(foot_lo)
    if ahead_plus_x - ahead_minus_x >= _MIN_FOOT_LEAD_M:
        return _facing_from_sign(1.0, pose)
    if ahead_minus_x - ahead_plus_x >= _MIN_FOOT_LEAD_M:
        return _facing_from_sign(-1.0, pose)
    return None


def facing_from_hinge(
    standing_world: FloatArray, hinged_world: FloatArray, pose: CameraPose
) -> Facing | None:
    """Facing from a standing frame and a frame near the bottom of a hinge, or None.

    Both are (N, 3) person points in the world frame of `pose`. In a hinge the feet and
    shins stay, the buttocks go back 0.2-0.45 m behind the heels and, to keep the centre of
    mass over the feet, the longer trunk and head go further forward (~0.5-1.0 m): above
    the knees the body reaches much further to the front of the shins than behind them.
    (Hands hanging in front, as in a Romanian deadlift, only add to the front.)"""
    s = np.asarray(standing_world, dtype=np.float64)
    h = np.asarray(hinged_world, dtype=np.float64)
    if len(s) < 50 or len(h) < 50:
        return None
    stature_m = float(np.percentile(s[:, 1], 99.5))
    shins = s[(s[:, 1] >= 0.05 * stature_m) & (s[:, 1] <= 0.25 * stature_m), 0]
    upper = h[h[:, 1] >= 0.35 * stature_m, 0]
    if len(shins) < 10 or len(upper) < 10:
        return None
    shin_lo, shin_hi = np.percentile(shins, [5.0, 95.0])
    shin_mid = 0.5 * float(shin_lo + shin_hi)
    reach_lo, reach_hi = np.percentile(upper, [1.0, 99.0])
    reach_plus_x, reach_minus_x = float(reach_hi) - shin_mid, shin_mid - float(reach_lo)
    if reach_plus_x - reach_minus_x >= _MIN_HINGE_ASYMMETRY_M:
        return _facing_from_sign(1.0, pose)  # the head went to +x, the buttocks to -x
    if reach_minus_x - reach_plus_x >= _MIN_HINGE_ASYMMETRY_M:
        return _facing_from_sign(-1.0, pose)
    return None
