"""Lower-body landmarks from the height profile: heel, toe, buttocks, knee, hip joint.

The height profile bins the athlete's sagittal points (x, y) by height. Per bin it keeps
a robust posterior edge (`lo`: the edge_rank-th smallest x) and the front of the limb
that starts at that edge (`run_hi`), so an arm or hand hanging in front of the legs in
a hinge does not widen the leg. The camera sees one side of the body; in a hinge both
legs move together, so their overlapping projections give the near leg's profile.

Leg model: the shank and thigh mid-lines are fitted to the bin mid-points; the ankle is
the shank line at ankle height, the knee is `shank_frac * stature` up the shank line and
the hip joint `thigh_frac * stature` up the thigh line from the knee. Segment lengths
come from stature because the joint centres themselves are invisible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from kiosk.core.body_model import BodyModelConfig
from kiosk.core.profile import F64, BinnedContour, binned_contour, fit_line, median, window_median
from kiosk.core.thresholds import LandmarkConfig
from kiosk.core.types import Point2


@dataclass(frozen=True)
class LowerBody:
    """heel/toe/buttocks: surface points; ankle/knee/hip: joint-centre estimates (None
    when the leg profile could not be fitted); *_dir: unit vectors up each segment."""

    heel: Point2
    toe: Point2
    buttocks: Point2
    ankle: Point2 | None = None
    knee: Point2 | None = None
    hip: Point2 | None = None
    shank_dir: Point2 | None = None
    thigh_dir: Point2 | None = None


def despike(a: F64, tol_m: float) -> F64:
    """Replace bins that differ from their 3-bin median by more than tol_m by that median
    (a lone noisy bin), keeping true extremes that neighbours support."""
    if a.size < 3:
        return a
    med = window_median(a, 3)
    with np.errstate(invalid="ignore"):
        return np.where(np.abs(a - med) > tol_m, med, a)


def height_profile(x: F64, y: F64, top_m: float, cfg: LandmarkConfig) -> BinnedContour:
    n_bins = max(math.ceil(top_m / cfg.bin_m), 1)
    return binned_contour(y, x, 0.0, cfg.bin_m, n_bins, cfg.edge_rank, cfg.run_gap_m)


def _extreme(prof: BinnedContour, y_lo: float, y_hi: float, values: F64, posterior: bool) -> Point2 | None:
    sel = (prof.centre >= y_lo) & (prof.centre <= y_hi) & ~np.isnan(values)
    if not sel.any():
        return None
    v = despike(values[sel], PROFILE_DESPIKE_M)
    c = prof.centre[sel]
    i = int(np.argmin(v) if posterior else np.argmax(v))  # no NaN left: values[sel] had none
    return float(v[i]), float(c[i])


# The heel band keeps at least this much height under foot_max_y_m: raised further by a
# noisy floor, it would read the heel on the ankle.
HEEL_BAND_MIN_SPAN_M = 0.03
PROFILE_DESPIKE_M = 0.01  # a height-profile bin this far off its 3-bin median is a lone noisy bin
MIN_LEG_BINS = 6  # fewer valid leg bins: no knee, ankle or angles (heel, toe, buttocks only)
MIN_THIGH_EDGE_BINS = 4  # fewer bins on the thigh's posterior edge: its line is not fitted
# A leg bin is trusted when its width is within these of the local (7-bin) median width
# (an arm merged with the leg is wider, a hole narrower) and wider than a leg can be thin.
LEG_WIDTH_LO_FRAC, LEG_WIDTH_HI_FRAC = 0.6, 1.5
MIN_LEG_WIDTH_M = 0.03
MIN_HEEL_BAND_POINTS_PER_RANK = 3  # the heel band needs this many points per rank read


def heel_band_bottom_m(cfg: LandmarkConfig, floor_noise_m: float = 0.0) -> float:
    """Height (m) the heel is read from. Stereo noise lifts floor points behind the heel
    about floor_noise_m (its RMS at the station) high, and the heel's rearmost point lies
    3-5 cm up: the band starts heel_noise_sigmas of the noise up, not lower than
    heel_noise_min_y_m, and keeps HEEL_BAND_MIN_SPAN_M below foot_max_y_m. With the noise unknown (0), at
    heel_min_y_m (docs/measurement.md, "heel")."""
    if floor_noise_m <= 0.0:
        return cfg.heel_min_y_m
    lo = max(cfg.heel_noise_min_y_m, cfg.heel_noise_sigmas * floor_noise_m)
    return min(lo, cfg.foot_max_y_m - HEEL_BAND_MIN_SPAN_M)


def heel_edge(x: F64, y: F64, cfg: LandmarkConfig, floor_noise_m: float = 0.0) -> Point2 | None:
    """The heel: the posterior edge of the feet, world (x, y) metres, or None with too few
    foot points. The foot_rank-th smallest x (the athlete faces +x) of the points between
    heel_band_bottom_m (above the floor's noise fuzz) and foot_max_y_m, within
    heel_window_m of their median x (a stray point far behind is not a heel). Measured,
    not modelled: a heel placed a body-model offset behind the ankle sits 20 mm off on
    bodies whose feet are shorter for their stature than the model's (docs/accuracy.md,
    MPFB2 women); the observed edge reads within a few mm on both body families. A low
    rank, not the extreme: one flying pixel behind the heel must not move the wall."""
    sel = (y >= heel_band_bottom_m(cfg, floor_noise_m)) & (y <= cfg.foot_max_y_m) & np.isfinite(x)
    if np.count_nonzero(sel) < MIN_HEEL_BAND_POINTS_PER_RANK * (cfg.foot_rank + 1):
        return None
    xs, ys = x[sel], y[sel]
    near = np.abs(xs - median(xs)) <= cfg.heel_window_m
    xs, ys = xs[near], ys[near]
    if xs.size <= cfg.foot_rank:
        return None
    i = int(np.argpartition(xs, cfg.foot_rank)[cfg.foot_rank])
    return float(xs[i]), float(ys[i])


def lower_body(
    prof: BinnedContour,
    heel: Point2 | None,
    stature_m: float,
    cfg: LandmarkConfig,
    body: BodyModelConfig,
    heel_offset_m: float | None = None,
) -> LowerBody | None:
    """Lower-body landmarks from the height profile and the observed heel (heel_edge);
    None when the feet or the buttocks are not seen. heel_offset_m: the athlete's learnt
    heel offset behind the ankle joint, metres; the heel is then placed that far behind
    this frame's ankle (None: the observed edge)."""
    butt = _extreme(prof, cfg.hip_min_y_m, np.inf, prof.lo, posterior=True)
    if heel is None or butt is None:
        return None
    butt = (butt[0] - cfg.silhouette_bias_m, butt[1])
    base = LowerBody(heel=heel, toe=_toe(heel, stature_m, body), buttocks=butt)
    mid, ok = _leg_midline(prof, stature_m, cfg, body)
    if ok.sum() < MIN_LEG_BINS:
        return base
    y = prof.centre
    ankle_y = body.ankle_height_frac * stature_m
    knee_y = ankle_y + body.shank_frac * stature_m  # first guess: vertical shank
    margin = body.knee_margin_frac * stature_m
    top = body.leg_top_frac * stature_m
    shank = thigh = None
    for _ in range(2):  # refit once with the knee height implied by the fitted shank
        shank = fit_line(y[ok & (y < knee_y - margin)], mid[ok & (y < knee_y - margin)])
        thigh = fit_line(
            y[ok & (y > knee_y + margin) & (y < top)], mid[ok & (y > knee_y + margin) & (y < top)]
        )
        if shank is None or thigh is None:
            return base
        ushank = _turn_forward(_unit_up(shank[1]), body.calf_tilt_deg)
        knee_y = ankle_y + body.shank_frac * stature_m * ushank[1]
    assert shank is not None and thigh is not None
    # The shank's silhouette mid-line leans back against the bone (the calf bulges behind
    # its upper part): turned forward by calf_tilt_deg.
    ushank = _turn_forward(_unit_up(shank[1]), body.calf_tilt_deg)
    uthigh = _thigh_axis(prof, y, knee_y + margin, top, thigh, stature_m, body)
    # The shank's silhouette mid-line passes behind the ankle joint (the Achilles tendon
    # and the heel bulge behind it at that height): the joint is ankle_offset_frac forward.
    ankle = (shank[0] + shank[1] * ankle_y + body.ankle_offset_frac * stature_m, ankle_y)
    if heel_offset_m is not None:
        # The edge's own points are a handful inside the floor's noise and jitter 10-40 mm
        # from frame to frame; the ankle comes from the shank fitted on hundreds. The
        # athlete's own offset between the two, learnt while they stand, carries the
        # edge's position with the ankle's steadiness.
        heel = (ankle[0] - heel_offset_m, heel[1])
    knee_chain = (
        ankle[0] + body.shank_frac * stature_m * ushank[0],
        ankle[1] + body.shank_frac * stature_m * ushank[1],
    )
    # The knee at the end of the shank chain, the hip joint up the thigh's axis from it.
    knee = knee_chain
    lt = body.thigh_frac * stature_m
    hip = (knee[0] + lt * uthigh[0], knee[1] + lt * uthigh[1])
    return LowerBody(
        heel=heel,
        toe=(ankle[0] + body.toe_ankle_frac * stature_m, heel[1]),
        buttocks=butt,
        ankle=ankle,
        knee=knee,
        hip=hip,
        shank_dir=ushank,
        thigh_dir=uthigh,
    )


def _toe(heel: Point2, stature_m: float, body: BodyModelConfig) -> Point2:
    """The toe without a fitted ankle: a body-model point foot_frac of stature ahead of the
    heel. The front of the foot is under 3 cm high, inside the floor's noise (2 cm at 2.5 m
    for a D435), so its points read 6-10 cm short; with the ankle, lower_body puts the toe
    toe_ankle_frac ahead of the ankle instead (the ankle is fitted on hundreds of points)."""
    return heel[0] + body.foot_frac * stature_m, heel[1]


def _thigh_axis(
    prof: BinnedContour,
    y: F64,
    lo_m: float,
    hi_m: float,
    mid_fit: tuple[float, float],
    stature_m: float,
    body: BodyModelConfig,
) -> Point2:
    """Unit vector up the thigh. From its posterior edge (the hamstrings' line), turned
    forward by the thigh's taper: the mid-line is pulled forward by the hands resting on
    the front of the thighs in a hinge. Falls back to the mid-line fit."""
    if body.thigh_taper_deg < 0:
        return _unit_up(mid_fit[1])
    sel = (y >= lo_m) & (y <= min(hi_m, body.thigh_edge_top_frac * stature_m)) & ~np.isnan(prof.lo)
    edge = fit_line(y[sel], prof.lo[sel]) if sel.sum() >= MIN_THIGH_EDGE_BINS else None
    if edge is None:
        return _unit_up(mid_fit[1])
    return _turn_forward(_unit_up(edge[1]), body.thigh_taper_deg)


def _turn_forward(u: Point2, deg: float) -> Point2:
    """Up-pointing unit vector u turned by `deg` toward its anterior normal (uy, -ux)."""
    t = math.radians(deg)
    c, s = math.cos(t), math.sin(t)
    return c * u[0] + s * u[1], c * u[1] - s * u[0]


def _unit_up(slope_dx_dy: float) -> Point2:
    """Unit vector (dx, dy) with dy > 0 along a line x = a + slope * y."""
    n = math.hypot(slope_dx_dy, 1.0)
    return slope_dx_dy / n, 1.0 / n


def _leg_midline(
    prof: BinnedContour, stature_m: float, cfg: LandmarkConfig, body: BodyModelConfig
) -> tuple[F64, np.ndarray]:
    """Per-bin leg mid x and a validity mask over the leg's height range. Bins whose
    width strays from the local median width (an arm merged with the leg, a hole) are
    dropped rather than trusted."""
    y = prof.centre
    in_leg = (y >= cfg.leg_bottom_m) & (y <= body.leg_top_frac * stature_m)
    width = np.where(in_leg, prof.run_hi - prof.lo, np.nan)
    local = window_median(width, 7)
    with np.errstate(invalid="ignore"):
        ok = (in_leg & (width > LEG_WIDTH_LO_FRAC * local) & (width < LEG_WIDTH_HI_FRAC * local)
              & (width > MIN_LEG_WIDTH_M))
    mid = 0.5 * (prof.lo + prof.run_hi)
    return mid, ok & ~np.isnan(mid)
