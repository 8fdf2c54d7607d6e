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

from kiosk.core.head import neck_base_st, neck_flexion_deg
from kiosk.core.legs import despike
from kiosk.core.profile import F64, BinnedContour, bin_tops, binned_hi, contour_grid, median, window_median
from kiosk.core.spine import back_at, chord_turn_deg, lumbar_hollow_mm, ridge_t
from kiosk.core.thresholds import LandmarkConfig
from kiosk.core.types import Point2


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
    """The trunk contour's bins spine.ridge_t reads: centres from below_m under s_sh to 0.03 m
    over it (empty: slice(0, 0)). Cached: the same athlete's recur every frame."""
    centre = contour_grid(0.0, bin_m, n_bins)[0]
    i = np.flatnonzero((centre >= s_sh - below_m) & (centre <= s_sh + 0.03))
    return slice(int(i[0]), int(i[-1]) + 1) if i.size else slice(0, 0)


def _upper(x: F64, y: F64, hip: Point2, buttocks_x_m: float) -> npt.NDArray[np.bool_] | None:
    """The upper body's points (above the hip, in front of the buttocks); None under 50."""
    up = (y > hip[1] - 0.05) & (x > buttocks_x_m - 0.05)
    return up if np.count_nonzero(up) >= 50 else None


def _solve_axis(
    xu: F64, yu: F64, hip: Point2, dxy: tuple[F64, F64], stature_m: float, cfg: LandmarkConfig
) -> Point2 | None:
    """The unit trunk axis by the Newton steps of the module docstring from the upper
    body's points (xu, yu) and their offsets dxy from the hip joint; None without a ridge.
    A step needs only the ridge's bins: it bins only their points, and reads only `hi`."""
    c = (float(xu.mean()) - hip[0], float(yu.mean()) - hip[1])
    norm = math.hypot(*c)
    if norm < 1e-6:
        return None
    a = (c[0] / norm, c[1] / norm)
    s_sh, d_sh = cfg.trunk_frac * stature_m, cfg.shoulder_depth_frac * stature_m
    n_bins = math.ceil((s_sh + 0.25 * stature_m) / cfg.bin_m)
    below = cfg.shoulder_ridge_frac * stature_m
    win = _ridge_bins(cfg.bin_m, n_bins, s_sh, below)
    if win.stop == 0:
        return None
    dx, dy = dxy
    for _ in range(3):
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
    x: F64, y: F64, hip: Point2, buttocks_x_m: float, stature_m: float, cfg: LandmarkConfig
) -> tuple[Point2, npt.NDArray[np.bool_]] | None:
    """The unit trunk axis by the Newton steps of the module docstring, and the mask of the
    upper-body points it was solved on; None without enough upper body."""
    up = _upper(x, y, hip, buttocks_x_m)
    if up is None:
        return None
    xu, yu = x[up], y[up]
    a = _solve_axis(xu, yu, hip, (xu - hip[0], yu - hip[1]), stature_m, cfg)
    return None if a is None else (a, up)


def upper_body(
    x: F64, y: F64, hip: Point2, buttocks_x_m: float, stature_m: float, cfg: LandmarkConfig,
    z: F64 | None = None,
) -> UpperBody | None:
    """Trunk axis, shoulder joint and back landmarks; None without enough upper body.
    z: the points' lateral coordinate, for the back contour's noise model (robust_back);
    None: the plain contour."""
    up = _upper(x, y, hip, buttocks_x_m)
    if up is None:
        return None
    xu, yu = x[up], y[up]
    dx, dy = xu - hip[0], yu - hip[1]
    a = _solve_axis(xu, yu, hip, (dx, dy), stature_m, cfg)
    if a is None:
        return None
    s_sh, d_sh = cfg.trunk_frac * stature_m, cfg.shoulder_depth_frac * stature_m
    reach = s_sh + 0.25 * stature_m
    n_bins = math.ceil(reach / cfg.bin_m)
    s, t = dx * a[0] + dy * a[1], -dx * a[1] + dy * a[0]
    centre = contour_grid(0.0, cfg.bin_m, n_bins)[0]
    hi = binned_hi(s, t, 0.0, cfg.bin_m, n_bins, cfg.edge_rank)
    if z is not None:
        hi = _robust_hi(centre, hi, s, t, z[up], cfg)
    back_contour = despike(hi, 0.015)
    ridge_bins = _ridge_bins(cfg.bin_m, n_bins, s_sh, cfg.shoulder_ridge_frac * stature_m)
    ridge = ridge_t([v for v in hi[ridge_bins].tolist() if v == v])
    shoulder = _to_world(hip, a, s_sh, (ridge or d_sh) - d_sh)

    def contour_point(s_at: float) -> Point2 | None:
        t_at = back_at(centre, hi, s_at, 0.025)
        return None if t_at is None else _to_world(hip, a, s_at, t_at)

    sacrum = contour_point(cfg.sacrum_frac * stature_m)
    spine_mid = contour_point(0.5 * s_sh)
    thoracic = _max_in(centre, back_contour, cfg.thoracic_lo * s_sh, cfg.thoracic_hi * s_sh, hip, a)
    head_lo = s_sh + cfg.head_start_frac * stature_m
    head = _max_in(centre, back_contour, head_lo, reach, hip, a)
    neck_st = None if ridge is None else neck_base_st(s_sh, ridge, stature_m, cfg)
    neck_base = None if neck_st is None else _to_world(hip, a, *neck_st)
    neck_flex = None if neck_st is None else neck_flexion_deg(s, t, neck_st, s_sh, stature_m, cfg)
    in_head = s >= head_lo
    head_centroid = (
        (float(xu[in_head].mean()), float(yu[in_head].mean())) if np.count_nonzero(in_head) >= 20 else None
    )
    curve = chord_turn_deg(centre, back_contour, s_sh, cfg)
    hollow = lumbar_hollow_mm(centre, back_contour, s_sh, cfg)
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




def cell_edges(
    group: npt.NDArray[np.int64],
    v: F64,
    u: F64,
    z: F64,
    n_groups: int,
    cell_m: float,
    min_points: int,
    quantile: float,
) -> F64:
    """Per group (0 <= group < n_groups): an outer edge of the points' v that stereo noise
    along the rays does not bias. The points are cut into cells (cell_m square in u and z);
    each cell holding min_points or more gives its `quantile` of v counted from its
    outermost (largest) v, interpolated; the group's edge is the outermost cell's. NaN for
    a group without such a cell. The extreme of many points scattered along rays that
    cross the surface reads behind it; one cell's quantile sits on the surface."""
    out = np.full(n_groups, np.nan)
    if v.size == 0:
        return out
    iu = np.floor(u / cell_m).astype(np.int64)
    iz = np.floor(z / cell_m).astype(np.int64)
    iu -= iu.min()
    iz -= iz.min()
    nu, nz = int(iu.max()) + 1, int(iz.max()) + 1
    key = (group * nu + iu) * nz + iz
    order = np.lexsort((-v, key))  # by cell, then outermost first within the cell
    k, vo = key[order], -v[order]
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    counts = np.diff(np.r_[starts, k.size])
    ok = counts >= min_points
    if not ok.any():
        return out
    pos = starts[ok] + quantile * (counts[ok] - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, starts[ok] + counts[ok] - 1)
    cell_v = -(vo[lo] + (pos - lo) * (vo[hi] - vo[lo]))
    cell_group = k[starts[ok]] // (nu * nz)
    best = np.full(n_groups, -np.inf)
    np.maximum.at(best, cell_group, cell_v)
    out[np.isfinite(best)] = best[np.isfinite(best)]
    return out


def spread_weight(z_std_m: float, lo_m: float, full_m: float) -> float:
    """Blend weight of the cells' edge over the extreme from the z spread (std) of the points
    near an edge: 0 up to lo_m (a side seen at grazing incidence: the noise runs along z and
    the extreme is right), 1 from full_m (a surface seen across its width)."""
    return min(max((z_std_m - lo_m) / max(full_m - lo_m, 1e-6), 0.0), 1.0)


def robust_back(prof: BinnedContour, s: F64, t: F64, z: F64, cfg: LandmarkConfig) -> F64:
    """The back contour `prof.hi` made robust to stereo noise along the rays, per bin as
    landmarks.rear_surface_x does for the buttocks. Seen from behind the side (an oblique
    camera), the camera sees the back across its width and the noise along the rays has a
    dorsal part: a bin's extreme of those points reads 10-25 mm behind the surface, and the
    landmarks taken as the contour's max over a range (thoracic apex, head) more. The
    points within rear_patch_m of a bin's contour are cut into z cells (cell_edges). The
    view decides the blend: the median over the bins of those points' z spread (std), ~30 mm
    square-on, 50-70 mm from 20-30 deg behind the side, blends the extreme
    (back_spread_min_m) into the cells' edge (back_spread_full_m)."""
    return _robust_hi(prof.centre, prof.hi, s, t, z, cfg)


def _robust_hi(centre: F64, hi: F64, s: F64, t: F64, z: F64, cfg: LandmarkConfig) -> F64:
    """robust_back of the contour (centre, hi)."""
    if cfg.back_spread_full_m <= 0.0 or z.size == 0:
        return hi
    n = hi.size
    b = np.floor((s - (centre[0] - 0.5 * cfg.bin_m)) / cfg.bin_m).astype(np.int64)
    # The points within rear_patch_m of their bin's contour, by one lookup of each point's
    # limit: bins padded by a NaN on each side take the points outside the bins (clipped
    # onto them) and NaN bins; a comparison with NaN is False.
    limit = np.full(n + 2, np.nan)
    np.subtract(hi, cfg.rear_patch_m, out=limit[1:-1])
    lb = np.minimum(b, n)
    np.maximum(lb, -1, out=lb)
    lb += 1
    ok = t > limit[lb]
    bg, tg, zg = b[ok], t[ok], z[ok]
    cnt = np.bincount(bg, minlength=n).astype(np.float64)
    many = cnt >= 2 * cfg.rear_cell_min_points
    if not many.any():
        return hi
    zs = np.bincount(bg, weights=zg, minlength=n)[many] / cnt[many]
    zz = np.bincount(bg, weights=zg * zg, minlength=n)[many] / cnt[many]
    spread = median(np.sqrt(np.maximum(zz - zs * zs, 0.0)))
    w = spread_weight(spread, cfg.back_spread_min_m, cfg.back_spread_full_m)
    if w == 0.0:
        return hi
    cell = cell_edges(
        bg, tg, np.zeros_like(tg), zg, n, cfg.rear_cell_m, cfg.rear_cell_min_points, cfg.rear_cell_quantile
    )
    if cfg.back_smooth_bins > 1:
        # The cells' edges still scatter ~10 mm from bin to bin: a max over a range of bins
        # (thoracic apex, head) would read that much behind the back.
        cell = np.where(np.isnan(hi), np.nan, window_median(cell, cfg.back_smooth_bins))
    use = ~np.isnan(cell)
    out = hi.copy()
    out[use] = hi[use] + w * (cell[use] - hi[use])
    return out
