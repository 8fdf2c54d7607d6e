"""The back's fast readings give exactly what the general ones give (docs/performance.md):
profile.binned_hi and profile.bin_tops against binned_contour's `hi`, head._quantile
against np.quantile, and the trunk axis solved on the ridge's bins only against the
axis solved on the whole contour (the formulation it replaced)."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest

from kiosk.core.back import trunk_axis
from kiosk.core.body_model import BODY_MODEL as BODY
from kiosk.core.head import _quantile
from kiosk.core.profile import bin_tops, binned_contour, binned_hi
from kiosk.core.spine import ridge_t
from kiosk.core.thresholds import LandmarkConfig

F64 = npt.NDArray[np.float64]
CFG = LandmarkConfig()


def _cloud(rng: np.random.Generator, n: int) -> tuple[F64, F64]:
    """Points (u, v) with ties (rounded v), gaps, NaNs and points outside the bins."""
    u = rng.uniform(-0.2, 1.2, n)
    v = np.round(rng.normal(0.0, 0.1, n), int(rng.integers(2, 5)))
    if n and rng.random() < 0.2:
        u[rng.integers(0, n)] = np.nan
    return u, v


def test_binned_hi_and_bin_tops_equal_the_contour_hi() -> None:
    rng = np.random.default_rng(3)
    for _ in range(400):
        u, v = _cloud(rng, int(rng.integers(0, 400)))
        bin_m = float(rng.choice([0.02, 0.013]))
        n_bins = int(rng.integers(1, 200))  # int32 keys up to 127 bins, int64 beyond
        rank = int(rng.integers(0, 3))
        want = binned_contour(u, v, 0.0, bin_m, n_bins, rank).hi
        assert np.array_equal(binned_hi(u, v, 0.0, bin_m, n_bins, rank), want, equal_nan=True)
        start = int(rng.integers(0, n_bins))
        stop = int(rng.integers(start, n_bins)) + 1
        b = u / bin_m
        inside = (b >= start) & (b < stop)
        got = bin_tops(b[inside], v[inside], slice(start, stop), rank)
        window = want[start:stop]
        assert got == window[~np.isnan(window)].tolist()


@pytest.mark.parametrize("q", [0.5, 0.9, 0.99])
def test_quantile_equals_numpy(q: float) -> None:
    rng = np.random.default_rng(4)
    for _ in range(2000):
        a = np.abs(rng.normal(0.0, 0.1, int(rng.integers(1, 300))))
        if rng.random() < 0.5:
            a = np.round(a, int(rng.integers(1, 4)))  # ties, zeros
        got, want = _quantile(a, q), float(np.quantile(a, q))
        assert got == want and math.copysign(1.0, got) == math.copysign(1.0, want)


def _axis_on_whole_contour(x: F64, y: F64, hip: tuple[float, float], bx: float, st: float) -> object:
    """The Newton steps on the whole trunk contour (binned_contour + the ridge over its
    bins): the formulation back._solve_axis reads only the ridge's bins of."""
    up = (y > hip[1] - 0.05) & (x > bx - 0.05)
    if up.sum() < 50:
        return None
    xu, yu = x[up], y[up]
    c = (float(xu.mean()) - hip[0], float(yu.mean()) - hip[1])
    norm = math.hypot(*c)
    if norm < 1e-6:
        return None
    a = (c[0] / norm, c[1] / norm)
    s_sh, d_sh = BODY.trunk_frac * st, BODY.shoulder_depth_frac * st
    n_bins = math.ceil((s_sh + 0.25 * st) / CFG.bin_m)
    below = BODY.shoulder_ridge_frac * st
    for _ in range(3):
        dx, dy = xu - hip[0], yu - hip[1]
        s, t = dx * a[0] + dy * a[1], -dx * a[1] + dy * a[0]
        prof = binned_contour(s, t, 0.0, CFG.bin_m, n_bins, CFG.edge_rank, CFG.run_gap_m)
        sel = (prof.centre >= s_sh - below) & (prof.centre <= s_sh + 0.03) & ~np.isnan(prof.hi)
        back = ridge_t(prof.hi[sel].tolist())
        if back is None:
            return None
        ang = math.atan2(back - d_sh, s_sh)
        ca, sa = math.cos(ang), math.sin(ang)
        a = (a[0] * ca - a[1] * sa, a[1] * ca + a[0] * sa)
    return a


def test_trunk_axis_equals_the_whole_contour_solve() -> None:
    rng = np.random.default_rng(5)
    for _ in range(300):
        st = float(rng.uniform(1.3, 2.1))
        lean = math.radians(float(rng.uniform(-5.0, 80.0)))
        n = int(rng.integers(30, 3000))
        # A slab of a trunk leaning from the hip at (0, 0.9 st / 1.7), plus a few strays.
        s = rng.uniform(-0.1, 0.6 * st, n)
        t = rng.normal(-0.05, 0.06, n)
        hip = (0.0, 0.9 * st / 1.7)
        x = hip[0] + s * math.sin(lean) - t * math.cos(lean)
        y = hip[1] + s * math.cos(lean) + t * math.sin(lean)
        x, y = np.round(x, 4), np.round(y, 4)
        bx = float(rng.uniform(-0.3, 0.0))
        solved = trunk_axis(x, y, hip, bx, st, CFG, BODY)
        assert (None if solved is None else solved[0]) == _axis_on_whole_contour(x, y, hip, bx, st)
