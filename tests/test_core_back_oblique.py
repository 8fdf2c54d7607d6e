"""Back contour seen from behind the side (surface.robust_back), and the facing of an athlete
who never hinges (kiosk/analysis/orient.py's vote of the standing feet).

Ground truth: an analytic back surface (its midline's t is known exactly) sampled along
rays from a rear-oblique camera with depth noise along the rays; and the simulator's
placement for the facing."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kiosk.core.profile import binned_contour
from kiosk.core.profile_loader import load_profile
from kiosk.core.surface import cell_edges, robust_back
from kiosk.core.thresholds import LandmarkConfig
from kiosk.evaluation.accuracy_cases import Case
from kiosk.evaluation.accuracy_frames import render_samples

CFG = LandmarkConfig()
BACK_T_M = 0.10  # the back's midline, metres dorsal of the trunk axis
HALF_WIDTH_M = 0.16
CURVE_PER_M = 6.0  # the surface falls away ventrally as CURVE_PER_M * z^2 off the midline
S_RANGE_M = (0.0, 0.6)


def _back_cloud(view_deg: float, noise_m: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(s, t, z) points of the analytic back t = BACK_T_M - CURVE_PER_M z^2, seen along rays
    `view_deg` behind the side (0: square-on, the rays along -z; 30: 30 deg toward the back)
    with depth noise `noise_m` (std) along each ray. Only the surface facing the camera is
    kept (its normal against the ray)."""
    rng = np.random.default_rng(seed)
    th = math.radians(view_deg)
    ray = np.array([-math.sin(th), -math.cos(th)])  # (t, z) direction from the camera into the body
    n = 6000
    s = rng.uniform(*S_RANGE_M, n)
    z = rng.uniform(-HALF_WIDTH_M, HALF_WIDTH_M, n)
    t = BACK_T_M - CURVE_PER_M * z * z
    normal = np.stack([np.ones(n), 2.0 * CURVE_PER_M * z], axis=1)  # outward: +t, and +z on the z > 0 flank
    seen = normal @ ray < -0.05
    s, t, z = s[seen], t[seen], z[seen]
    e = rng.normal(0.0, noise_m, s.size)
    return s, t + e * ray[0], z + e * ray[1]


def _contours(view_deg: float, noise_m: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    s, t, z = _back_cloud(view_deg, noise_m, seed)
    n_bins = round((S_RANGE_M[1] - S_RANGE_M[0]) / CFG.bin_m)
    prof = binned_contour(s, t, 0.0, CFG.bin_m, n_bins, CFG.edge_rank, CFG.run_gap_m)
    return prof.hi, robust_back(prof, s, t, z, CFG)


def test_oblique_back_contour_is_on_the_surface() -> None:
    """30 deg behind the side with 12 mm depth noise: the per-bin extreme reads well behind
    the midline (and its max over bins, as the thoracic apex is taken, more so); the robust
    contour stays within a few mm of it."""
    hi, robust = _contours(30.0, 0.012)
    plain_bias = float(np.nanmedian(hi)) - BACK_T_M
    assert plain_bias > 0.006  # the effect the fix removes
    robust_bias = float(np.nanmedian(robust)) - BACK_T_M
    assert abs(robust_bias) < 0.005
    assert abs(robust_bias) < 0.5 * plain_bias
    assert float(np.nanmax(robust)) - BACK_T_M < 0.5 * (float(np.nanmax(hi)) - BACK_T_M)
    assert float(np.nanmax(robust)) - BACK_T_M < 0.010


def test_square_on_back_contour_is_unchanged() -> None:
    """Square-on the points near the back's edge span little z: the extreme is kept."""
    hi, robust = _contours(0.0, 0.012)
    np.testing.assert_array_equal(np.isnan(hi), np.isnan(robust))
    ok = ~np.isnan(hi)
    np.testing.assert_allclose(robust[ok], hi[ok])


def test_cell_edges_groups_and_quantile() -> None:
    """Per group, the outermost qualifying cell's quantile from the top; NaN without one."""
    v = np.array([5.0, 4.0, 3.0, 2.0, 1.0, 9.0, 8.0, 7.0, 6.0, 0.5])
    group = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
    z = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5])  # the last point alone in a cell
    out = cell_edges(group, v, np.zeros_like(v), z, 3, 0.1, 4, 0.25)
    assert out[0] == pytest.approx(4.0)  # quantile 0.25 of 5 points from the top: the 2nd
    assert out[1] == pytest.approx(8.25)  # of 4 points: between the 1st and 2nd
    assert np.isnan(out[2])


def test_stand_only_facing_from_the_feet() -> None:
    """A short heavy athlete walks in and stands (no hinge): the calibration's pooled frames
    show no standing person, so the standing samples' feet decide the facing. Truth: the
    simulator's placement."""
    from calibration.calibrate import calibrate
    from kiosk.analysis.orient import orient_calibration

    case = Case("walk_in_stand", 1.55, "heavy", "D435", 2.0, 1.10, 3.0, "left", 0.0)
    samples = render_samples(case)
    cal = calibrate(samples, facing="auto", source="test")
    oriented = orient_calibration(cal, samples, load_profile(None), decide_facing=True)
    assert oriented.hinges == 0
    assert oriented.calibration.facing == case.sim_config().placement.facing
