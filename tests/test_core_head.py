"""The head's line against the trunk (kiosk/core/head.py) on synthetic trunk-frame points:
a head (a filled ellipse of points, crown away from the neck) turned about the neck base."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kiosk.core.body_model import BODY_MODEL as BODY
from kiosk.core.head import MIN_HEAD_POINTS, neck_base_st, neck_flexion_deg
from kiosk.core.thresholds import LandmarkConfig

CFG = LandmarkConfig()
STATURE_M = 1.75
S_SHOULDER_M = BODY.trunk_frac * STATURE_M
RIDGE_T_M = 0.02
BASE = neck_base_st(S_SHOULDER_M, RIDGE_T_M, STATURE_M, BODY)


def head_points(
    turn_deg: float, face_deg: float = 15.0, step_m: float = 0.008
) -> tuple[np.ndarray, np.ndarray]:
    """Trunk-frame (s, t) of a head whose long axis leans face_deg toward the front from the
    neck base's line, turned turn_deg about the neck base (+ = dropped: toward -t)."""
    g = np.arange(-0.12, 0.12 + 1e-9, step_m)
    u, v = np.meshgrid(g, g)
    inside = (u / 0.115) ** 2 + (v / 0.09) ** 2 <= 1.0
    u, v = u[inside] + 0.16, v[inside]  # u along the head's axis from the neck base, v dorsal
    a = math.radians(face_deg + turn_deg)
    s = u * math.cos(a) + v * math.sin(a)
    t = -u * math.sin(a) + v * math.cos(a)
    return BASE[0] + s, BASE[1] + t


@pytest.mark.parametrize("face_deg", [-10.0, 0.0, 20.0])
@pytest.mark.parametrize("turn_deg", [-40.0, -20.0, 20.0, 40.0])
def test_the_reading_turns_with_the_head_whatever_its_shape(face_deg: float, turn_deg: float) -> None:
    """The reading carries the head's shape (face_deg), and its change follows the head's
    turn about the neck within 2 deg."""
    neutral = neck_flexion_deg(*head_points(0.0, face_deg), BASE, S_SHOULDER_M, STATURE_M, CFG, BODY)
    turned = neck_flexion_deg(*head_points(turn_deg, face_deg), BASE, S_SHOULDER_M, STATURE_M, CFG, BODY)
    assert neutral is not None and turned is not None
    assert neutral == pytest.approx(face_deg, abs=3.0)
    assert turned - neutral == pytest.approx(turn_deg, abs=2.0)


def test_a_hand_in_front_of_the_face_is_not_the_head() -> None:
    s, t = head_points(0.0)
    alone = neck_flexion_deg(s, t, BASE, S_SHOULDER_M, STATURE_M, CFG, BODY)
    # A fist 0.45 m from the neck base, ahead of the face: farther than any head point.
    hs, ht = np.meshgrid(np.linspace(0.0, 0.08, 10), np.linspace(-0.08, 0.0, 10))
    hand_s, hand_t = BASE[0] + 0.25 + hs.ravel(), BASE[1] - 0.37 + ht.ravel()
    with_hand = neck_flexion_deg(np.r_[s, hand_s], np.r_[t, hand_t], BASE, S_SHOULDER_M, STATURE_M, CFG, BODY)
    assert alone is not None and with_hand is not None
    assert with_hand == pytest.approx(alone, abs=0.5)


def test_no_head_in_view_gives_no_reading() -> None:
    s, t = head_points(0.0, step_m=0.05)
    assert s.size < MIN_HEAD_POINTS
    assert neck_flexion_deg(s, t, BASE, S_SHOULDER_M, STATURE_M, CFG, BODY) is None
    # Points below the shoulder's station (the upper back, an arm) are not the head.
    low_s = np.full(200, S_SHOULDER_M - 0.05)
    assert neck_flexion_deg(low_s, np.zeros(200), BASE, S_SHOULDER_M, STATURE_M, CFG, BODY) is None
