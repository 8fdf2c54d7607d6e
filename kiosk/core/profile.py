"""Binned contours of a 2-D point set: the sagittal profile's building block.

Points are binned along one coordinate `u` (height for the legs, distance along the trunk
axis for the back) and, per bin, an order statistic of the other coordinate `v` is taken:
the `rank`-th smallest/largest rather than the extreme, so a single noisy or flying
point does not move the contour (D4xx edge noise is several mm). One int64 sort does all
bins at once (no Python loop over points).

Hot: back.py and legs.py call these ~10 (contours), ~9 (line fits) and ~5 (running
medians) times per frame on a few hundred to a few thousand points, so each is written
to a handful of whole-array numpy calls (a numpy call costs ~1 us whatever its size
here); the results are those of the plain formulations (np.polyfit, np.median), which
tests/test_core_equivalence.py pins down.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
_Q = 1.0e4  # quantum of v in the sort key: 0.1 mm
_V_OFFSET = 8.0  # metres, keeps quantised v positive
_BIN_SHIFT = 24
_Q_MAX = float((1 << _BIN_SHIFT) - 1)
_V_MASK = (1 << _BIN_SHIFT) - 1


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


@lru_cache(maxsize=64)
def _bins(u0: float, bin_m: float, n_bins: int) -> tuple[F64, I64]:
    """Bin centres and the sort keys of each bin's first possible point (0..n_bins);
    cached (the same few grids recur every frame) and read-only."""
    centre = u0 + (np.arange(n_bins, dtype=np.float64) + 0.5) * bin_m
    keys = np.arange(n_bins + 1, dtype=np.int64) << _BIN_SHIFT
    centre.setflags(write=False)
    keys.setflags(write=False)
    return centre, keys


def binned_contour(
    u: npt.NDArray[np.floating],
    v: npt.NDArray[np.floating],
    u0: float,
    bin_m: float,
    n_bins: int,
    rank: int = 1,
    run_gap_m: float = 0.05,
) -> BinnedContour:
    """Contours of points (u, v) in bins [u0 + i*bin_m, u0 + (i+1)*bin_m), i < n_bins.
    `centre` is shared between calls with the same grid: read-only."""
    centre, bin_keys = _bins(u0, bin_m, n_bins)
    # b >= 0 and b < n_bins hold for floor(b) exactly when they hold for b, and truncation
    # is floor for b >= 0: no separate floor pass.
    if u0 == 0.0:  # u - 0.0 is u: one pass fewer for the trunk frame's and the height profile
        b = np.true_divide(u, bin_m, dtype=np.float64)
    else:
        b = np.subtract(u, u0, dtype=np.float64)
        b /= bin_m
    ok = b >= 0
    ok &= b < n_bins
    key = b[ok].astype(np.int64)
    nk = key.size
    if nk == 0:
        nan = np.full(n_bins, np.nan)
        return BinnedContour(centre, nan, nan.copy(), nan.copy(), np.zeros(n_bins, dtype=np.int64))
    q = np.add(np.asarray(v)[ok], _V_OFFSET, dtype=np.float64)
    q *= _Q
    np.rint(q, out=q)
    np.minimum(q, _Q_MAX, out=q)  # v beyond +-8 m: never on a body, but kept in range
    np.maximum(q, 0.0, out=q)
    key <<= _BIN_SHIFT
    key |= q.astype(np.int64)
    key.sort()
    # Each bin's points are key[start:end]; kv is their v, sorted within the bin, with one
    # NaN after the last point that bins holding <= rank points read their contours from.
    bounds = np.searchsorted(key, bin_keys)
    start, end = bounds[:-1], bounds[1:]
    count = end - start
    key &= _V_MASK
    kv = np.empty(nk + 1)
    np.true_divide(key, _Q, out=kv[:nk])
    kv[nk] = np.nan
    kv -= _V_OFFSET
    has = count > rank
    first = np.where(has, start + rank, nk)
    lo, hi = kv[first], kv[np.where(has, end - (1 + rank), nk)]
    # First gap at or after the lo point within each bin ends the run. A gap across two
    # bins (at a bin's last point) is never inside a bin's [first, end - 1) and is found
    # only for a bin with no gap of its own before it: it needs no excluding. Bins
    # without a contour have first = nk, after every gap.
    gap_pos = ((kv[1:nk] - kv[: nk - 1]) > run_gap_m).nonzero()[0]
    if gap_pos.size == 0:
        return BinnedContour(centre, lo, hi, hi.copy(), count)
    j = np.searchsorted(gap_pos, first)
    gp = gap_pos[np.minimum(j, gap_pos.size - 1)]
    gapped = j < gap_pos.size
    gapped &= gp < end - 1
    return BinnedContour(centre, lo, hi, np.where(gapped, kv[gp], hi), count)


@lru_cache(maxsize=64)
def _window_index(n: int, k: int) -> tuple[I64, I64]:
    """For a running window of k over n values padded by k // 2 NaNs on each side: the
    (n, k) flat indices of each window into the padded array, and each row's offset
    (row * k) into the flattened (n, k) windows. Cached, read-only."""
    win = np.arange(n, dtype=np.int64)[:, None] + np.arange(k, dtype=np.int64)[None, :]
    rows = np.arange(n, dtype=np.int64) * k
    win.setflags(write=False)
    rows.setflags(write=False)
    return win, rows


def window_median(a: F64, k: int = 3) -> F64:
    """Centred running median over k (odd) bins, ignoring NaNs (NaN where the whole
    window is NaN): the middle value, or the mean of the two middle values of an even
    count. Sort-based: np.nanmedian goes through masked arrays and is ~50x slower."""
    half = k // 2
    pad = np.full(a.size + 2 * half, np.nan)
    pad[half : half + a.size] = a
    if k == 3:
        return _median3(pad[:-2], pad[1:-1], pad[2:])
    idx, rows = _window_index(a.size, k)
    s = pad[idx]
    n = k - np.isnan(s).sum(axis=1)
    s.sort(axis=1)  # NaNs sort last
    flat = s.reshape(-1)
    lo = np.maximum((n - 1) // 2, 0)
    hi = np.maximum(n // 2, 0)
    out: F64 = flat[rows + lo]
    out += flat[rows + hi]
    out *= 0.5
    out[n == 0] = np.nan
    return out


def _median3(a: F64, b: F64, c: F64) -> F64:
    """window_median's k = 3 by a min/max network (despike's, several times a frame):
    three values give their middle one (NaN from the network when any is NaN), fewer give
    the mean of their smallest and largest (fmin/fmax skip NaNs), as the sort does."""
    mid = np.maximum(np.minimum(a, b), np.minimum(np.maximum(a, b), c))
    lo, hi = np.fmin(np.fmin(a, b), c), np.fmax(np.fmax(a, b), c)
    lo += hi
    lo *= 0.5
    out: F64 = np.where(np.isnan(mid), lo, mid)
    return out


def median(a: F64) -> float:
    """np.median of a 1-D array without NaNs (the same value: the mean of the two middle
    values for an even size), at a fraction of its call overhead for the tens to hundreds
    of values a contour or a fit has. NaN for an empty array."""
    n = a.size
    if n == 0:
        return float("nan")
    s = np.sort(a)
    m = n // 2
    return float(s[m]) if n % 2 else float((s[m - 1] + s[m]) / 2.0)


def _line(u: F64, v: F64) -> tuple[float, float]:
    """Least-squares v = a + b*u on centred data (np.polyfit(u, v, 1) to rounding)."""
    n = u.size
    um, vm = u.sum() / n, v.sum() / n
    du = u - um
    b = float(du @ (v - vm)) / float(du @ du)
    return float(vm) - b * float(um), b


def fit_line(u: F64, v: F64, trim_m: float = 0.02) -> tuple[float, float] | None:
    """Least-squares v = a + b*u with one pass of trimming residuals > trim_m.
    None for fewer than 3 usable points."""
    if np.isnan(u.sum() + v.sum()):  # one reduction each instead of two masks when clean
        ok = ~(np.isnan(u) | np.isnan(v))
        u, v = u[ok], v[ok]
    if u.size < 3 or not u.max() > u.min():
        return None
    a, b = _line(u, v)
    res = np.abs(v - (a + b * u))
    keep = res <= max(trim_m, 2.5 * median(res))
    n_keep = int(np.count_nonzero(keep))
    if 3 <= n_keep < u.size:
        uk = u[keep]
        if uk.max() > uk.min():
            a, b = _line(uk, v[keep])
    return a, b
