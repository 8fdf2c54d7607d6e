"""Upper-body landmarks in the trunk frame: shoulder joint, back contour, head.

Trunk frame: origin at the hip joint H, `a` = unit trunk axis (H -> shoulder joint),
`n` = (-a_y, a_x), the dorsal normal (out of the back; -x when upright, +y when the
trunk is horizontal). Points have s = (p - H).a along the trunk and t = (p - H).n.
The back contour is the per-s-bin robust max of t: it stays the back whether the athlete
stands or hinges, and an arm hanging in a hinge lies on the ventral side. Seen from behind
the side, stereo noise along the rays scatters points behind the back: robust_back replaces
the extreme there by noise-free cell edges (the approach of landmarks.rear_surface_x).

Shoulder joint model: `shoulder_depth_frac * stature` ventral of the upper back's ridge
(spine.ridge_t: up to `shoulder_ridge_frac * stature` below) at `trunk_frac * stature` along
the axis. The axis is solved for by a few Newton steps:
rotate `a` until that point lies on it (the step is exact to first order, so 3
iterations converge from the initial guess of H -> upper-body centroid).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from kiosk.core.body_model import BodyModelConfig
from kiosk.core.head import neck_base_st, neck_flexion_deg
from kiosk.core.legs import despike
from kiosk.core.profile import F64, bin_tops, binned_hi, contour_grid
from kiosk.core.spine import back_at, chord_turn_deg, lumbar_hollow_mm, ridge_t
from kiosk.core.surface import robust_hi
from kiosk.core.thresholds import LandmarkConfig
from kiosk.core.types import Point2

# Fixed geometry of the reading, not body-model fractions (BodyModelConfig) nor settings
# (LandmarkConfig): metres in the trunk frame unless named otherwise.
RIDGE_ABOVE_SHOULDER_M = 0.03  # the ridge bins reach this far past the shoulder station
UPPER_MARGIN_M = 0.05  # upper body: above the hip joint and in front of the buttocks, less this
MIN_UPPER_POINTS = 50  # fewer upper-body points: no trunk axis
HEAD_REACH_FRAC = 0.25  # the back contour reaches this x stature past the shoulder station
BACK_DESPIKE_M = 0.015  # a back-contour bin this far off its 3-bin median is a lone noisy bin
CONTOUR_POINT_WINDOW_M = 0.025  # a landmark on the back is the contour's median within this of its station
MIN_HEAD_CENTROID_POINTS = 20  # fewer points past the head's start: no head centroid
NEWTON_STEPS = 3  # the axis's Newton steps (module docstring: exact to first order)


@dataclass(frozen=True)
class UpperBody:
    """Trunk axis and back landmarks, world (x, y) metres. spinal_curve_deg: turn of the
    back contour between the sacrum->mid-back and mid-back->upper-back chords, + =
    flexion (rounding). neck_flexion_deg: head.neck_flexion_deg, + = head dropped.
    lumbar_hollow_mm: depth of the hollow of the lower back under a straight line laid
    from the buttocks to the upper back (see lumbar_hollow_mm())."""

    axis: Point2
    dorsal: Point2
    shoulder: Point2
    sacrum: Point2 | None
    thoracic: Point2 | None
    spine_mid: Point2 | None
    head: Point2 | None
    neck_base: Point2 | None
    head_centroid: Point2 | None
    spinal_curve_deg: float | None
    neck_flexion_deg: float | None
    lumbar_hollow_mm: float | None = None


def _to_world(hip: Point2, a: Point2, s: float, t: float) -> Point2:
    return hip[0] + s * a[0] - t * a[1], hip[1] + s * a[1] + t * a[0]


@lru_cache(maxsize=64)
def _ridge_bins(bin_m: float, n_bins: int, s_sh: float, below_m: float) -> slice:
    """The trunk contour's bins spine.ridge_t reads: centres from below_m under s_sh to
    RIDGE_ABOVE_SHOULDER_M over it (empty: slice(0, 0)). Cached: the same athlete's recur
    every frame."""
    centre = contour_grid(0.0, bin_m, n_bins)[0]
    i = np.flatnonzero((centre >= s_sh - below_m) & (centre <= s_sh + RIDGE_ABOVE_SHOULDER_M))
    return slice(int(i[0]), int(i[-1]) + 1) if i.size else slice(0, 0)


def _upper(x: F64, y: F64, hip: Point2, buttocks_x_m: float) -> npt.NDArray[np.bool_] | None:
    """The upper body's points (above the hip, in front of the buttocks); None under
    MIN_UPPER_POINTS."""
    up = (y > hip[1] - UPPER_MARGIN_M) & (x > buttocks_x_m - UPPER_MARGIN_M)
    return up if np.count_nonzero(up) >= MIN_UPPER_POINTS else None


def _solve_axis(
    xu: F64, yu: F64, hip: Point2, dxy: tuple[F64, F64], stature_m: float, cfg: LandmarkConfig,
    body: BodyModelConfig,
) -> Point2 | None:
    """The unit trunk axis by the Newton steps of the module docstring from the upper
    body's points (xu, yu) and their offsets dxy from the hip joint; None without a ridge.
    A step needs only the ridge's bins: it bins only their points, and reads only `hi`."""
    c = (float(xu.mean()) - hip[0], float(yu.mean()) - hip[1])
    norm = math.hypot(*c)
    if norm < 1e-6:
        return None
    a = (c[0] / norm, c[1] / norm)
    s_sh, d_sh = body.trunk_frac * stature_m, body.shoulder_depth_frac * stature_m
    n_bins = math.ceil((s_sh + HEAD_REACH_FRAC * stature_m) / cfg.bin_m)
    below = body.shoulder_ridge_frac * stature_m
    win = _ridge_bins(cfg.bin_m, n_bins, s_sh, below)
    if win.stop == 0:
        return None
    dx, dy = dxy
    for _ in range(NEWTON_STEPS):
        b = dx * a[0] + dy * a[1]  # s, then its bin coordinate (binned_contour's, for u0 = 0)
        b /= cfg.bin_m
        band = b >= win.start
        band &= b < win.stop
        t = -dx[band] * a[1] + dy[band] * a[0]
        back = ridge_t(bin_tops(b[band], t, win, cfg.edge_rank))
        if back is None:
            return None
        ang = math.atan2(back - d_sh, s_sh)  # rotate a dorsally by this angle
        ca, sa = math.cos(ang), math.sin(ang)
        a = (a[0] * ca - a[1] * sa, a[1] * ca + a[0] * sa)  # n = (-a_y, a_x): +ang turns a toward n
    return a


def trunk_axis(
    x: F64, y: F64, hip: Point2, buttocks_x_m: float, stature_m: float, cfg: LandmarkConfig,
    body: BodyModelConfig,
) -> tuple[Point2, npt.NDArray[np.bool_]] | None:
    """The unit trunk axis by the Newton steps of the module docstring, and the mask of the
    upper-body points it was solved on; None without enough upper body."""
    up = _upper(x, y, hip, buttocks_x_m)
    if up is None:
        return None
    xu, yu = x[up], y[up]
    a = _solve_axis(xu, yu, hip, (xu - hip[0], yu - hip[1]), stature_m, cfg, body)
    return None if a is None else (a, up)


def upper_body(
    x: F64, y: F64, hip: Point2, buttocks_x_m: float, stature_m: float, cfg: LandmarkConfig,
    body: BodyModelConfig, z: F64 | None = None,
) -> UpperBody | None:
    """Trunk axis, shoulder joint and back landmarks; None without enough upper body.
    z: the points' lateral coordinate, for the back contour's noise model (robust_back);
    None: the plain contour."""
    up = _upper(x, y, hip, buttocks_x_m)
    if up is None:
        return None
    xu, yu = x[up], y[up]
    dx, dy = xu - hip[0], yu - hip[1]
    a = _solve_axis(xu, yu, hip, (dx, dy), stature_m, cfg, body)
    if a is None:
        return None
    s_sh, d_sh = body.trunk_frac * stature_m, body.shoulder_depth_frac * stature_m
    reach = s_sh + HEAD_REACH_FRAC * stature_m
    n_bins = math.ceil(reach / cfg.bin_m)
    s, t = dx * a[0] + dy * a[1], -dx * a[1] + dy * a[0]
    centre = contour_grid(0.0, cfg.bin_m, n_bins)[0]
    hi = binned_hi(s, t, 0.0, cfg.bin_m, n_bins, cfg.edge_rank)
    if z is not None:
        hi = robust_hi(centre, hi, s, t, z[up], cfg)
    back_contour = despike(hi, BACK_DESPIKE_M)
    ridge_bins = _ridge_bins(cfg.bin_m, n_bins, s_sh, body.shoulder_ridge_frac * stature_m)
    ridge = ridge_t([v for v in hi[ridge_bins].tolist() if v == v])
    shoulder = _to_world(hip, a, s_sh, (ridge or d_sh) - d_sh)

    def contour_point(s_at: float) -> Point2 | None:
        t_at = back_at(centre, hi, s_at, CONTOUR_POINT_WINDOW_M)
        return None if t_at is None else _to_world(hip, a, s_at, t_at)

    sacrum = contour_point(body.sacrum_frac * stature_m)
    spine_mid = contour_point(0.5 * s_sh)
    thoracic_lo_m, thoracic_hi_m = body.thoracic_lo_frac * s_sh, body.thoracic_hi_frac * s_sh
    thoracic = _max_in(centre, back_contour, thoracic_lo_m, thoracic_hi_m, hip, a)
    head_lo = s_sh + body.head_start_frac * stature_m
    head = _max_in(centre, back_contour, head_lo, reach, hip, a)
    neck_st = None if ridge is None else neck_base_st(s_sh, ridge, stature_m, body)
    neck_base = None if neck_st is None else _to_world(hip, a, *neck_st)
    neck_flex = None if neck_st is None else neck_flexion_deg(s, t, neck_st, s_sh, stature_m, cfg, body)
    in_head = s >= head_lo
    enough = np.count_nonzero(in_head) >= MIN_HEAD_CENTROID_POINTS
    head_centroid = (float(xu[in_head].mean()), float(yu[in_head].mean())) if enough else None
    curve = chord_turn_deg(centre, back_contour, s_sh, body)
    hollow = lumbar_hollow_mm(centre, back_contour, s_sh, body)
    # The curve reads off the contour's view-dependent shape: on the simulator a neutral
    # spine reads ~+12 deg at the bottom of a 65 deg hinge, none upright; the bias grows
    # with the trunk's lean, as sin^2 (= a_x^2 for the unit axis).
    if curve is not None:
        curve -= cfg.curve_hinge_bias_deg * a[0] * a[0]
    return UpperBody(
        axis=a,
        dorsal=(-a[1], a[0]),
        shoulder=shoulder,
        sacrum=sacrum,
        thoracic=thoracic,
        spine_mid=spine_mid,
        head=head,
        neck_base=neck_base,
        head_centroid=head_centroid,
        spinal_curve_deg=curve,
        neck_flexion_deg=neck_flex,
        lumbar_hollow_mm=hollow,
    )


def _max_in(centre: F64, back: F64, s_lo: float, s_hi: float, hip: Point2, a: Point2) -> Point2 | None:
    """World point of the back contour's max t over s in [s_lo, s_hi]."""
    sel = (centre >= s_lo) & (centre <= s_hi) & ~np.isnan(back)
    if not sel.any():
        return None
    i = int(np.argmax(np.where(sel, back, -np.inf)))
    return _to_world(hip, a, float(centre[i]), float(back[i]))
