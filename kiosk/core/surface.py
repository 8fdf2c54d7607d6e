"""Surface edges that stereo noise along the camera's rays does not bias: the buttocks'
rear edge (landmarks.rear_surface_x) and the back contour seen from behind the side
(robust_back). Pure numpy; metres; v, u, z and (s, t) as the callers' frames say.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from kiosk.core.profile import F64, BinnedContour, median, window_median
from kiosk.core.thresholds import LandmarkConfig


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
    return robust_hi(prof.centre, prof.hi, s, t, z, cfg)


def robust_hi(centre: F64, hi: F64, s: F64, t: F64, z: F64, cfg: LandmarkConfig) -> F64:
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
