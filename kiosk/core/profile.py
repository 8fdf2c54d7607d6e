"""Binned contours of a 2-D point set: the sagittal profile's building block.

Points are binned along one coordinate `u` (height for the legs, distance along the trunk
axis for the back) and, per bin, an order statistic of the other coordinate `v` is taken:
the `rank`-th smallest/largest rather than the extreme, so a single noisy or flying
point does not move the contour (D4xx edge noise is several mm). One integer sort does
all bins at once (no Python loop over points).

Hot: back.py and legs.py call these ~10 (contours), ~9 (line fits) and ~5 (running
medians) times per frame on a few hundred to a few thousand points, so each is written
to a handful of whole-array numpy calls (a numpy call costs ~1 us whatever its size
here); the results are those of the plain formulations (np.polyfit, np.median), which
tests/test_core_equivalence.py pins down.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Keys = npt.NDArray[np.signedinteger[Any]]  # contour sort keys: int32 or int64
_Q = 1.0e4  # quantum of v in the sort key: 0.1 mm
_V_OFFSET = 8.0  # metres, keeps quantised v positive
_BIN_SHIFT = 24
_Q_MAX = float((1 << _BIN_SHIFT) - 1)
_V_MASK = (1 << _BIN_SHIFT) - 1
_KEY32_BINS = 1 << (31 - _BIN_SHIFT)  # bins whose keys (up to n_bins << _BIN_SHIFT) fit int32


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
def contour_grid(u0: float, bin_m: float, n_bins: int) -> tuple[F64, Keys]:
    """Bin centres and the sort keys of each bin's first possible point (0..n_bins), in
    _contour_keys' dtype for n_bins; cached (the same few grids recur every frame) and
    read-only."""
    centre = u0 + (np.arange(n_bins, dtype=np.float64) + 0.5) * bin_m
    keys = np.arange(n_bins + 1, dtype=_key_dtype(n_bins)) << _BIN_SHIFT
    centre.setflags(write=False)
    keys.setflags(write=False)
    return centre, keys


def _key_dtype(n_bins: int) -> type[np.signedinteger[Any]]:
    """int32 keys while bin n_bins << _BIN_SHIFT fits (a body's ~100 bins): an int32 sort
    costs half an int64 one here, and the keys sort in the same order."""
    return np.int32 if n_bins < _KEY32_BINS else np.int64


def _contour_keys(
    u: npt.NDArray[np.floating], v: npt.NDArray[np.floating], u0: float, bin_m: float, n_bins: int
) -> Keys:
    """The sorted keys (bin << _BIN_SHIFT | v quantised to 0.1 mm) of the points (u, v) in
    bins [u0 + i*bin_m, u0 + (i+1)*bin_m), i < n_bins; contour_grid's keys i and i + 1
    bound bin i's points. Points outside the bins have no key."""
    # b >= 0 and b < n_bins hold for floor(b) exactly when they hold for b, and truncation
    # is floor for b >= 0: no separate floor pass.
    if u0 == 0.0:  # u - 0.0 is u: one pass fewer for the trunk frame's and the height profile
        b = np.true_divide(u, bin_m, dtype=np.float64)
    else:
        b = np.subtract(u, u0, dtype=np.float64)
        b /= bin_m
    dtype = _key_dtype(n_bins)
    vv = np.asarray(v)
    # Usually every point is in the bins (the height profile's, the trunk band's): two
    # reductions instead of the mask and its two copies. A NaN fails both tests.
    key: Keys
    if b.size and b.min() >= 0 and b.max() < n_bins:
        key = b.astype(dtype)
    else:
        ok = b >= 0
        ok &= b < n_bins
        key, vv = b[ok].astype(dtype), vv[ok]
    if key.size == 0:
        return key
    key <<= _BIN_SHIFT
    key |= _quantised(vv).astype(dtype)
    key.sort()
    return key


def _quantised(v: npt.NDArray[np.floating]) -> F64:
    """v in the keys' units: 0.1 mm steps from -8 m, as whole numbers (float64)."""
    q: F64 = np.add(v, _V_OFFSET, dtype=np.float64)
    q *= _Q
    np.rint(q, out=q)
    np.minimum(q, _Q_MAX, out=q)  # v beyond +-8 m: never on a body, but kept in range
    np.maximum(q, 0.0, out=q)
    return q


@lru_cache(maxsize=64)
def _span_keys(start: int, stop: int) -> Keys:
    """The sort keys of bins start..stop's first possible points, in _key_dtype(stop)."""
    keys = np.arange(start, stop + 1, dtype=_key_dtype(stop)) << _BIN_SHIFT
    keys.setflags(write=False)
    return keys


def bin_tops(b: F64, v: F64, bins: slice, rank: int = 1) -> list[float]:
    """binned_contour's `hi` over `bins` (a slice of step 1) of the bins that have one, in
    bin order, from the points' bin coordinates b = (u - u0) / bin_m, all in those bins
    (bins.start <= b < bins.stop), and their v: what a reading of a few bins needs, at a
    third of binned_hi's numpy calls. The keys and values are binned_contour's."""
    dtype = _key_dtype(bins.stop)
    key = b.astype(dtype)
    key <<= _BIN_SHIFT
    key |= _quantised(v).astype(dtype)
    key.sort()
    bounds = np.searchsorted(key, _span_keys(bins.start, bins.stop))
    end = bounds[1:]
    top = key[end[end - bounds[:-1] > rank] - (1 + rank)]
    return [(k & _V_MASK) / _Q - _V_OFFSET for k in top.tolist()]  # as numpy computes them


def binned_hi(
    u: npt.NDArray[np.floating],
    v: npt.NDArray[np.floating],
    u0: float,
    bin_m: float,
    n_bins: int,
    rank: int = 1,
    bins: slice = slice(None),
) -> F64:
    """binned_contour(u, v, u0, bin_m, n_bins, rank).hi[bins] (`bins` a slice of step 1):
    the back contour's only need, at a third of the numpy calls or fewer."""
    start, stop, _ = bins.indices(n_bins)
    key = _contour_keys(u, v, u0, bin_m, n_bins)
    # Bin i's points are key[bounds[i]:bounds[i + 1]]; the hi is rank from its end.
    bounds = np.searchsorted(key, contour_grid(u0, bin_m, n_bins)[1][start : stop + 1])
    end = bounds[1:]
    has = end - bounds[:-1] > rank
    hi = np.full(end.size, np.nan)
    top = key[end[has] - (1 + rank)]
    top &= _V_MASK
    h = np.true_divide(top, _Q, dtype=np.float64)
    h -= _V_OFFSET
    hi[has] = h
    return hi


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
    centre, bin_keys = contour_grid(u0, bin_m, n_bins)
    key = _contour_keys(u, v, u0, bin_m, n_bins)
    nk = key.size
    if nk == 0:
        nan = np.full(n_bins, np.nan)
        return BinnedContour(centre, nan, nan.copy(), nan.copy(), np.zeros(n_bins, dtype=np.int64))
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


def _line(u: F64, v: F64, u_sum: float | None = None, v_sum: float | None = None) -> tuple[float, float]:
    """Least-squares v = a + b*u on centred data (np.polyfit(u, v, 1) to rounding).
    u_sum/v_sum: u.sum() and v.sum() when the caller has them."""
    n = u.size
    um = (np.add.reduce(u) if u_sum is None else u_sum) / n
    vm = (np.add.reduce(v) if v_sum is None else v_sum) / n
    du = u - um
    b = float(du @ (v - vm)) / float(du @ du)
    return float(vm) - b * float(um), b


def fit_line(u: F64, v: F64, trim_m: float = 0.02) -> tuple[float, float] | None:
    """Least-squares v = a + b*u with one pass of trimming residuals > trim_m.
    None for fewer than 3 usable points."""
    # np.add.reduce is u.sum() without its Python wrapper; the sums are the fit's as well.
    u_sum, v_sum = np.add.reduce(u), np.add.reduce(v)
    if np.isnan(u_sum + v_sum):  # one reduction each instead of two masks when clean
        ok = ~(np.isnan(u) | np.isnan(v))
        u, v = u[ok], v[ok]
        u_sum, v_sum = np.add.reduce(u), np.add.reduce(v)
    if u.size < 3 or not np.maximum.reduce(u) > np.minimum.reduce(u):
        return None
    a, b = _line(u, v, u_sum, v_sum)
    res = u * b
    res += a
    np.subtract(v, res, out=res)
    np.abs(res, out=res)
    keep = res <= max(trim_m, 2.5 * median(res))
    n_keep = int(np.count_nonzero(keep))
    if 3 <= n_keep < u.size:
        uk = u[keep]
        if np.maximum.reduce(uk) > np.minimum.reduce(uk):
            a, b = _line(uk, v[keep])
    return a, b
