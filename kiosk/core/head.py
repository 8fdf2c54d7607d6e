"""The head's line against the trunk, in back.py's trunk frame (metres: s along the trunk
axis from the hip joint, t dorsal; see back.py).

Neck base: a body-model point neck_base_frac * stature along the axis past the shoulder
station and neck_depth_frac * stature ventral of the upper back's ridge (spine.ridge_t,
the same reading that places the shoulder joint). It is anchored on the ridge, not on the
contour at the station: on people whose shoulders sit lower than the model's station (the
simulator's MPFB2 people, 40-75 mm) that station lies on the slope into the hollow at the
base of the neck, where the contour moves 1-3 cm with a small change of station. The neck
base moved with it between standing and the bottom of a hinge, and turned a neutral
head's reading by 10-30 deg (docs/measurement.md, "Head").

Head line: from the neck base to the head's far end, the mean of the points beyond the
head_far_quantile of distance from the neck base, among the points past the shoulder
station and within head_reach_frac * stature of the neck base (a hand raised in front of
the face lies farther). The far end (crown, back of the skull) turns with the head about
the neck. The head's centroid above a station, which this replaces, turned less than half
as much as the head on those people, because the station cut away a dropped head's face.

The reading includes the head's shape (where the crown sits against the neck base differs
by person, some 10 deg), so a rep judges it against the athlete's own standing reading
(judge.py); nothing here is a constant fitted to one body's head.
"""

from __future__ import annotations

import math

import numpy as np

from kiosk.core.body_model import BodyModelConfig
from kiosk.core.profile import F64
from kiosk.core.thresholds import LandmarkConfig

# Fewer points than this past the shoulder station: no head in view (cut by the frame, or
# hidden), and no reading.
MIN_HEAD_POINTS = 20


def neck_base_st(
    s_shoulder_m: float, ridge_t_m: float, stature_m: float, body: BodyModelConfig
) -> tuple[float, float]:
    """(s, t) of the neck base in the trunk frame, metres, from the shoulder station and
    the upper back's ridge t there."""
    return s_shoulder_m + body.neck_base_frac * stature_m, ridge_t_m - body.neck_depth_frac * stature_m


def neck_flexion_deg(
    s: F64, t: F64, base: tuple[float, float], s_shoulder_m: float, stature_m: float, cfg: LandmarkConfig,
    body: BodyModelConfig,
) -> float | None:
    """Angle (deg) of the line neck base -> head's far end from the trunk axis, + = toward
    the front (head dropped, chin to chest), - = head raised. s, t: the upper body's points
    in the trunk frame (metres). None with fewer than MIN_HEAD_POINTS head points."""
    past = s >= s_shoulder_m  # the head's few hundred of the upper body's thousands
    ds, dt = s[past] - base[0], t[past] - base[1]
    r = np.hypot(ds, dt)
    near = r <= body.head_reach_frac * stature_m
    if int(near.sum()) < MIN_HEAD_POINTS:
        return None
    rs, ds, dt = r[near], ds[near], dt[near]
    far = rs >= _quantile(rs, cfg.head_far_quantile)
    return math.degrees(math.atan2(-float(dt[far].mean()), float(ds[far].mean())))


def _quantile(a: F64, q: float) -> float:
    """np.quantile(a, q) (its default, linear method) of values >= +0.0 (no -0.0 whose
    place among equal zeros would matter), 0 <= q <= 1, by a partition at the two ranks it
    interpolates between, with numpy's interpolation: np.quantile's own overhead is ~20 us,
    the most of this module's time."""
    v = (a.size - 1) * q
    lo = int(v)  # floor: v >= 0
    if v >= a.size - 1:
        return float(a.max())
    p = np.partition(a, (lo, lo + 1))
    a0, a1 = float(p[lo]), float(p[lo + 1])
    g, d = v - lo, a1 - a0
    return a1 - d * (1.0 - g) if g >= 0.5 else a0 + d * g
