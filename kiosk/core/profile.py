"""Binned contours of a 2-D point set: the sagittal profile's building block.

Points are binned along one coordinate `u` (height for the legs, distance along the trunk
axis for the back) and, per bin, an order statistic of the other coordinate `v` is taken:
the `rank`-th smallest/largest rather than the extreme, so a single noisy or flying
point does not move the contour (D4xx edge noise is several mm). One int64 sort does all
bins at once (no Python loop over points).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
_Q = 1.0e4  # quantum of v in the sort key: 0.1 mm
_V_OFFSET = 8.0  # metres, keeps quantised v positive
_BIN_SHIFT = 24


@dataclass(frozen=True, eq=False)
class BinnedContour:
    """Per-bin contours, arrays of n_bins (NaN where a bin has <= rank points).

    centre: bin centres along u. lo/hi: rank-th smallest/largest v. run_hi: end of the
    run of v starting at lo with no gap wider than the run gap (the near limb's front,
    ignoring an arm hanging in front of it). count: points per bin.
    """

    centre: F64
    lo: F64
    hi: F64
    run_hi: F64
    count: npt.NDArray[np.int64]


def binned_contour(
    u: npt.NDArray[np.floating],
    v: npt.NDArray[np.floating],
    u0: float,
    bin_m: float,
    n_bins: int,
    rank: int = 1,
    run_gap_m: float = 0.05,
) -> BinnedContour:
    """Contours of points (u, v) in bins [u0 + i*bin_m, u0 + (i+1)*bin_m), i < n_bins."""
    centre: F64 = u0 + (np.arange(n_bins, dtype=np.float64) + 0.5) * bin_m
    nan = np.full(n_bins, np.nan)
    b = np.floor((np.asarray(u, dtype=np.float64) - u0) / bin_m)
    ok = (b >= 0) & (b < n_bins)
    if not ok.any():
        return BinnedContour(centre, nan, nan.copy(), nan.copy(), np.zeros(n_bins, dtype=np.int64))
    bi = b[ok].astype(np.int64)
    q = np.clip(np.rint((np.asarray(v, dtype=np.float64)[ok] + _V_OFFSET) * _Q), 0, (1 << _BIN_SHIFT) - 1)
    key = np.sort((bi << _BIN_SHIFT) | q.astype(np.int64))
    kb = key >> _BIN_SHIFT
    kv = (key & ((1 << _BIN_SHIFT) - 1)).astype(np.float64) / _Q - _V_OFFSET
    count = np.bincount(kb, minlength=n_bins)[:n_bins]
    start = np.zeros(n_bins, dtype=np.int64)
    start[1:] = np.cumsum(count)[:-1]
    end = start + count
    has = count > rank
    lo, hi, run_hi = nan.copy(), nan.copy(), nan.copy()
    lo[has] = kv[start[has] + rank]
    hi[has] = kv[end[has] - 1 - rank]
    # First gap at or after the lo point within each bin ends the run.
    gap_pos = np.flatnonzero((np.diff(kv) > run_gap_m) & (kb[1:] == kb[:-1]))
    first = start + rank
    gapped = np.zeros(n_bins, dtype=bool)
    gp = first
    if gap_pos.size:
        j = np.searchsorted(gap_pos, first)
        gp = gap_pos[np.minimum(j, gap_pos.size - 1)]
        gapped = has & (j < gap_pos.size) & (gp < end - 1)
    run_hi[has] = hi[has]
    run_hi[gapped] = kv[gp[gapped]]
    return BinnedContour(centre, lo, hi, run_hi, count)


def window_median(a: F64, k: int = 3) -> F64:
    """Centred running median over k (odd) bins, ignoring NaNs (NaN where the whole
    window is NaN). Sort-based: np.nanmedian goes through masked arrays and is ~50x slower."""
    half = k // 2
    pad = np.concatenate([np.full(half, np.nan), a, np.full(half, np.nan)])
    win = np.lib.stride_tricks.sliding_window_view(pad, k)
    s = np.sort(win, axis=1)  # NaNs sort last
    n = k - np.isnan(win).sum(axis=1)
    lo = np.maximum((n - 1) // 2, 0)
    hi = np.maximum(n // 2, 0)
    rows = np.arange(a.size)
    out = 0.5 * (s[rows, lo] + s[rows, hi])
    return np.where(n > 0, out, np.nan)


def fit_line(u: F64, v: F64, trim_m: float = 0.02) -> tuple[float, float] | None:
    """Least-squares v = a + b*u with one pass of trimming residuals > trim_m.
    None for fewer than 3 usable points."""
    ok = ~(np.isnan(u) | np.isnan(v))
    u, v = u[ok], v[ok]
    if u.size < 3 or np.ptp(u) <= 0:
        return None
    b, a = np.polyfit(u, v, 1)
    res = np.abs(v - (a + b * u))
    keep = res <= max(trim_m, 2.5 * float(np.median(res)))
    if 3 <= keep.sum() < u.size and np.ptp(u[keep]) > 0:
        b, a = np.polyfit(u[keep], v[keep], 1)
    return float(a), float(b)
