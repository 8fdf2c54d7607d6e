"""A rep's start and end are the times the trunk crossed motion_deg off the standing angle,
interpolated between the frames either side (kiosk/core/timing.py), not the frames' own
times: those are up to a frame period off (0.17 s at 6 fps, 0.01 s at 90), so durations
read longer at low rates and `min_rep_s` dropped short hinges more often at high ones.

Ground truth: the crossing times of the scripted movement itself (a cosine way down and
up, test_core_reps_reference._movement), at every D4xx rate with +-20 % jitter on the
frame period, 10 % of frames dropped and sensor noise."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
from test_core_reps_reference import RATES_FPS, _movement

from kiosk.core.reps import RepRecord, RepState, rep_step, settle
from kiosk.core.thresholds import Profile
from kiosk.core.timing import crossing_s, fell_back, rose_past_s

CFG = Profile().reps


def _reps(fps: float, seed: int, down_s: float, hold_s: float, trunk_deg: float) -> list[RepRecord]:
    state, reps = RepState(), []
    for s in _movement(fps, seed, down_s, hold_s, 0.08, trunk_deg):
        state, rec = rep_step(state, s, CFG)
        if rec is not None:
            reps.append(rec)
    last = settle(state, CFG)
    return reps + ([last] if last is not None else [])


def _true_duration_s(down_s: float, hold_s: float, trunk_deg: float) -> float:
    """Time the scripted trunk spends more than motion_deg past standing: the cosine
    w = (1 - cos(pi t / down_s)) / 2 reaches motion_deg / trunk_deg at the same phase on
    the way down and up."""
    phase = math.acos(1.0 - 2.0 * CFG.motion_deg / trunk_deg) / math.pi
    return down_s * (1.0 - phase) + hold_s + down_s * (1.0 - phase)


@pytest.mark.parametrize("fps", RATES_FPS)
@pytest.mark.parametrize(("down_s", "hold_s", "trunk_deg"), [(1.0, 0.3, 29.0), (1.5, 0.5, 60.0)])
def test_a_reps_duration_is_the_movements_at_every_rate(
    fps: float, down_s: float, hold_s: float, trunk_deg: float
) -> None:
    """Within 0.2 s of the script over 10 runs at every rate (measured: 6 fps -0.05 to
    +0.16 s, 90 fps -0.07 to -0.04); with the frames' own times, 6 fps read up to 0.36 s
    long."""
    truth_s = _true_duration_s(down_s, hold_s, trunk_deg)
    for seed in range(10):
        reps = _reps(fps, seed, down_s, hold_s, trunk_deg)
        assert len(reps) == 1
        measured_s = reps[0].end_s - reps[0].start_s
        assert abs(measured_s - truth_s) < 0.2, (seed, measured_s, truth_s)


def _f(t_s: float, deg: float | None) -> SimpleNamespace:
    return SimpleNamespace(t_s=t_s, trunk_angle_deg=deg)


def test_crossings_interpolate_between_frames_and_refuse_what_does_not_straddle() -> None:
    assert crossing_s(_f(1.0, 4.0), _f(1.5, 8.0), 6.0) == pytest.approx(1.25)
    assert crossing_s(_f(1.0, 8.0), _f(2.0, 4.0), 7.0) == pytest.approx(1.25)
    assert crossing_s(_f(1.0, 4.0), _f(1.5, 5.0), 6.0) is None  # both under
    assert crossing_s(_f(1.0, None), _f(1.5, 8.0), 6.0) is None
    frames = [_f(0.0, 1.0), _f(0.1, 7.0), _f(0.2, 5.0), _f(0.3, 9.0), _f(0.4, 12.0)]
    # the last rise past 6 deg: between 0.2 (5) and 0.3 (9)
    assert rose_past_s(frames, 6.0) == pytest.approx(0.225)
    assert rose_past_s([_f(0.0, 8.0), _f(0.1, 9.0)], 6.0) is None
    down = [_f(0.0, 20.0), _f(0.1, 12.0), _f(0.2, 8.0), _f(0.3, 4.0), _f(0.4, 2.0)]
    assert fell_back(down, 0.15, 6.0) == pytest.approx((3, 0.25))
    assert fell_back(down, 0.35, 6.0) == pytest.approx((4, 0.4))  # already under: its own time
    assert fell_back(down, 0.5, 6.0) is None
