"""A wall near the standing hips (reps._start_travel_m): a short athlete's first wall can
stand 40 mm behind their standing buttocks, so reaching it travels the hips about the
fixed start travel (35 mm) and the rep went uncounted (validation family: a 1.55 m woman
at a 4 in wall, docs/accuracy.md). The ground truth is the script below: one hinge that
reaches the wall, sampled at every D4xx rate with jitter and 10 % of frames dropped."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kiosk.core.reps import RepRecord, RepSample, RepState, rep_step, settle
from kiosk.core.thresholds import Profile

CFG = Profile().reps
HEEL_X_M = 0.0
STAND_BUTT_X_M = -0.06  # buttocks 60 mm behind the heel, facing +x


def _run(
    gap_mm: float, travel_mm: float, fps: float, seed: int = 0, trunk_peak_deg: float = 16.0
) -> list[RepRecord]:
    """1.5 s standing still, a 2.4 s hinge whose hips travel `travel_mm` back (trunk from
    3 deg to `trunk_peak_deg`, cosine-shaped), 1.5 s standing; the wall `gap_mm` behind the
    standing hips."""
    rng = np.random.default_rng(seed)
    period = 1.0 / fps
    wall_x = STAND_BUTT_X_M - gap_mm / 1000.0
    t, state, reps = 0.0, RepState(), []
    while t < 5.4:
        phase = min(max((t - 1.5) / 2.4, 0.0), 1.0)
        w = 0.5 - 0.5 * math.cos(2.0 * math.pi * phase)
        butt = STAND_BUTT_X_M - w * travel_mm / 1000.0
        s = RepSample(
            t_s=t, person=True, heel_x_m=HEEL_X_M, buttocks_x_m=butt,
            trunk_angle_deg=3.0 + (trunk_peak_deg - 3.0) * w, knee_flexion_deg=5.0 + 12.0 * w,
            hip_to_wall_mm=(butt - wall_x) * 1000.0,
        )
        if rng.random() >= 0.1:  # 10 % of frames dropped
            state, rec = rep_step(state, s, CFG)
            if rec is not None:
                reps.append(rec)
        t += period * (1.0 + rng.uniform(-0.2, 0.2))
    last = settle(state, CFG)
    return reps + ([last] if last is not None else [])


@pytest.mark.parametrize("fps", [6.0, 15.0, 30.0, 60.0, 90.0])
def test_reaching_a_near_wall_is_a_rep_at_every_frame_rate(fps: float) -> None:
    """Wall 40 mm behind the standing hips, hips travel 34 mm to reach it: one rep."""
    reps = _run(gap_mm=40.0, travel_mm=34.0, fps=fps)
    assert len(reps) == 1 and reps[0].complete
    assert 1.5 <= reps[0].start_s <= 2.6 and 2.9 <= reps[0].end_s <= 4.6


@pytest.mark.parametrize("fps", [6.0, 15.0, 30.0, 60.0, 90.0])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_a_short_hinge_toward_the_wall_is_a_rep_at_every_frame_rate(fps: float, seed: int) -> None:
    """A near miss at a 6 in wall (78 mm behind the standing hips): the hips travel 38 mm,
    the trunk peaks at 11 deg. Past both start thresholds, so it is a rep to judge (wall not
    reached), not a dip to drop: with a second, higher trunk minimum (12 deg) the parametric
    wall_near session of docs/accuracy-rates.md counted it only where noise lifted the
    peak, so the reps differed between rates."""
    reps = _run(gap_mm=78.0, travel_mm=38.0, fps=fps, seed=seed, trunk_peak_deg=11.0)
    assert len(reps) == 1 and reps[0].complete
    assert min(s.hip_to_wall_mm for s in reps[0].samples if s.hip_to_wall_mm is not None) > 25.0


@pytest.mark.parametrize("fps", [6.0, 30.0, 90.0])
def test_the_same_small_dip_far_from_the_wall_is_not_a_rep(fps: float) -> None:
    """The same 34 mm, 16 deg dip with the wall 300 mm away: under the start travel, as
    before (a near wall lowers the travel; it never raises it)."""
    assert _run(gap_mm=300.0, travel_mm=34.0, fps=fps) == []


def test_a_wall_the_athlete_already_touches_needs_the_full_travel() -> None:
    """Hips at or past the wall standing (gap <= 0): the fixed start travel applies, so a
    lean against it is no rep."""
    assert _run(gap_mm=-5.0, travel_mm=30.0, fps=30.0) == []
