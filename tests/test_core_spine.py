"""Back shape measures on synthetic contours with known geometry (kiosk/core/spine.py)."""

from __future__ import annotations

import numpy as np
import pytest

from kiosk.core.body_model import BODY_MODEL
from kiosk.core.spine import chord_turn_deg, lumbar_hollow_mm

CFG = BODY_MODEL
S_SH_M = 0.5
CENTRE = np.arange(0.0, 0.6, 0.01) + 0.005


def _hollow_back(depth_m: float, tilt: float = 0.0) -> np.ndarray:
    """Buttocks bulge low, a hollow of `depth_m` below the line from buttocks to upper back,
    a rounded upper back; `tilt` adds a straight lean (dt/ds), which a chord ignores."""
    s = CENTRE
    butt = 0.10 - 2.0 * (s - 0.04) ** 2
    hollow = 0.10 - depth_m * np.sin(np.pi * np.clip((s - 0.04) / (0.32 - 0.04), 0.0, 1.0))
    upper = 0.10 - 2.0 * (s - 0.32) ** 2
    back = np.where(s < 0.04, butt, np.where(s <= 0.32, hollow, upper))
    return back + tilt * s


@pytest.mark.parametrize("depth_m", [0.0, 0.015, 0.04])
@pytest.mark.parametrize("tilt", [0.0, 0.05, -0.05])
def test_hollow_is_the_gap_under_a_dowel_from_buttocks_to_upper_back(depth_m: float, tilt: float) -> None:
    got = lumbar_hollow_mm(CENTRE, _hollow_back(depth_m, tilt), S_SH_M, CFG)
    assert got is not None
    assert got == pytest.approx(depth_m * 1000.0, abs=2.0)


def test_hollow_needs_both_ends_of_the_dowel() -> None:
    back = _hollow_back(0.03)
    back[CENTRE > 0.2] = np.nan  # upper back not seen
    assert lumbar_hollow_mm(CENTRE, back, S_SH_M, CFG) is None


def test_chord_turn_reads_a_bend_between_lumbar_and_upper_back() -> None:
    s = CENTRE
    bend_s = 0.55 * S_SH_M
    for bend_deg in (0.0, 20.0):
        # straight lumbar line, upper back turned ventrally by bend_deg beyond the bend
        back = 0.1 + np.where(s < bend_s, 0.0, -np.tan(np.radians(bend_deg)) * (s - bend_s))
        got = chord_turn_deg(s, back, S_SH_M, CFG)
        assert got == pytest.approx(bend_deg, abs=0.5)
