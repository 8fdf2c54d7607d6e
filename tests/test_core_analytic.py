"""Measurement core on analytic clouds with exact answers (no renderer, no noise).

- A cylinder standing for the trunk at a known lean: kiosk/core/back.py's trunk axis and
  metrics.trunk_angle_deg. The shoulder-joint model puts the joint `shoulder_depth_frac *
  stature` ventral of the back contour at `trunk_frac * stature` along the axis, so a
  cylinder of exactly that radius through the hip joint reads its own lean, and a thicker
  one reads less lean by atan(extra radius / that distance).
- A known sagittal contour: the buttocks are the most posterior point at least
  `hip_min_y_m` (0.3 m) above the floor (docs/measurement.md), whatever sticks out
  further back below that height.

The floor plane at known tilts is tested through calibrate() in test_calibration_accuracy.py
(analytic planes of test_calibration_scene.py: height, pitch and roll).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest

from kiosk.core.back import upper_body
from kiosk.core.body_model import BODY_MODEL as BODY
from kiosk.core.landmarks import find_landmarks
from kiosk.core.metrics import trunk_angle_deg
from kiosk.core.thresholds import LandmarkConfig

CFG = LandmarkConfig()
STATURE_M = 1.78
HIP = (0.0, 0.95)
F = npt.NDArray[np.float64]


def cylinder(lean_deg: float, radius_m: float, length_m: float = 0.8, n: int = 40_000) -> F:
    """Surface points (N, 3) of a cylinder whose axis starts at the hip joint and leans
    `lean_deg` from vertical toward +x (the athlete's forward)."""
    rng = np.random.default_rng(7)
    a = np.array([math.sin(math.radians(lean_deg)), math.cos(math.radians(lean_deg)), 0.0])
    e1 = np.array([-a[1], a[0], 0.0])  # in the sagittal plane
    e2 = np.array([0.0, 0.0, 1.0])
    s = rng.random(n) * length_m
    phi = rng.random(n) * 2.0 * math.pi
    hip = np.array([HIP[0], HIP[1], 0.0])
    return hip + np.outer(s, a) + radius_m * (np.outer(np.cos(phi), e1) + np.outer(np.sin(phi), e2))


@pytest.mark.parametrize("lean_deg", [0.0, 20.0, 45.0, 70.0, 85.0])
def test_cylinder_of_model_radius_reads_its_lean(lean_deg: float) -> None:
    pts = cylinder(lean_deg, BODY.shoulder_depth_frac * STATURE_M)
    up = upper_body(pts[:, 0], pts[:, 1], HIP, -1.0, STATURE_M, CFG, BODY)
    assert up is not None
    assert trunk_angle_deg(up.axis) == pytest.approx(lean_deg, abs=1.0)
    assert up.dorsal[0] * math.cos(math.radians(lean_deg)) <= 1e-9  # out of the back: -x when upright


@pytest.mark.parametrize("lean_deg", [30.0, 60.0])
def test_thicker_cylinder_reads_the_shoulder_model_offset(lean_deg: float) -> None:
    extra_m = 0.03
    pts = cylinder(lean_deg, BODY.shoulder_depth_frac * STATURE_M + extra_m)
    up = upper_body(pts[:, 0], pts[:, 1], HIP, -1.0, STATURE_M, CFG, BODY)
    assert up is not None
    # The joint sits extra_m dorsal of the cylinder's axis at trunk_frac * stature: the
    # line from the hip through it leans back by atan(extra / distance).
    expected = lean_deg - math.degrees(math.atan2(extra_m, BODY.trunk_frac * STATURE_M))
    assert trunk_angle_deg(up.axis) == pytest.approx(expected, abs=1.0)


def silhouette(extra_box: tuple[float, float, float, float] | None, step_m: float = 0.003) -> F:
    """A filled side-view silhouette (points on z = 0): feet, legs, a buttock disc whose
    rearmost point is (-0.15, 0.85), trunk and head; plus an optional box
    (x0, x1, y0, y1) sticking out behind the legs."""
    xs = np.arange(-0.35, 0.30, step_m)
    ys = np.arange(step_m / 2, 1.72, step_m)
    x, y = (g.ravel() for g in np.meshgrid(xs, ys))
    inside = (
        ((x >= -0.06) & (x <= 0.20) & (y <= 0.08))  # foot
        | ((x >= -0.07) & (x <= 0.07) & (y <= 0.85))  # legs
        | (np.hypot(x + 0.02, y - 0.85) <= 0.13)  # buttocks: rearmost x = -0.15 at y = 0.85
        | ((x >= -0.12) & (x <= 0.10) & (y >= 0.85) & (y <= 1.45))  # trunk
        | (np.hypot(x, y - 1.58) <= 0.12)  # head
    )
    if extra_box is not None:
        x0, x1, y0, y1 = extra_box
        inside |= (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
    return np.column_stack([x[inside], y[inside], np.zeros(int(inside.sum()))])


@pytest.mark.parametrize(
    "below",
    [None, (-0.30, -0.05, 0.12, 0.27)],  # a box further back than the buttocks, under 0.3 m
    ids=["plain", "box-below-0.3m"],
)
def test_buttocks_are_the_rearmost_point_above_0_3_m(below: tuple[float, float, float, float] | None) -> None:
    lm, reason = find_landmarks(silhouette(below).astype(np.float32), CFG, STATURE_M)
    assert lm is not None, reason
    bx, by = lm.buttocks
    assert bx == pytest.approx(-0.15, abs=0.005)
    assert by == pytest.approx(0.85, abs=0.03)


def test_anything_behind_above_0_3_m_is_the_buttocks() -> None:
    """The rule is a height, not an anatomy: a box behind the legs from 0.32 m up is the
    most posterior point above 0.3 m, so it is what the wall is measured to."""
    lm, reason = find_landmarks(silhouette((-0.30, -0.05, 0.32, 0.40)).astype(np.float32), CFG, STATURE_M)
    assert lm is not None, reason
    bx, by = lm.buttocks
    assert bx == pytest.approx(-0.30, abs=0.005)
    assert 0.32 <= by <= 0.40
