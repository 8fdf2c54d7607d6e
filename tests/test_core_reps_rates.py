"""Every time rule in seconds (issue 11, item 1): the rep machine and the smoothing give the
same reps and verdicts at every D4xx depth frame rate (6, 15, 30, 60, 90 fps), with
timestamp jitter and 10 % of the frames dropped.

Input: the simulator's exact per-frame truth of a scripted session (hardware/sim: the
scripted reps and their faults are the ground truth), sampled at each rate, with sensor-
like noise added, through the core's smoothing (smoothing.smooth_values) and the drill
(drill.drill_step / drill_finish). No rendering: this isolates the timing rules from the
depth measurement, which tests/test_e2e_sim.py covers end to end.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import pytest

from hardware.sim.body import Athlete
from hardware.sim.motion import Script, make_script
from hardware.sim.truth import frame_truth
from kiosk.core.drill import DrillState, RepResult, drill_finish, drill_step
from kiosk.core.smoothing import SmootherState, smooth_values
from kiosk.core.thresholds import DrillConfig, Profile
from kiosk.core.types import DowelGaps, FrameMetrics

RATES_FPS = (6, 15, 30, 60, 90)
DROP_FRACTION = 0.10
JITTER_FRACTION = 0.2  # timestamps jitter up to +-20 % of a frame period
BRISK = {"walk_s": 1.5, "absent_s": 0.3}
# Sensor-like noise on the raw per-frame values (1 sigma), in each value's unit.
NOISE = {"x_m": 0.006, "deg": 1.5, "gap_mm": 4.0, "com": 0.02}


TABLE_HZ = 60.0  # the truth is tabulated at this rate and interpolated (the motion is smooth)
KEYS = ("heel_x_m", "toe_x_m", "buttocks_x_m", "knee_x_m", "knee_flexion_deg", "trunk_angle_deg",
        "neck_flexion_deg", "spinal_curve_deg", "gap_head_mm", "gap_thoracic_mm", "gap_sacrum_mm",
        "com_over_foot")
UNIT = ("x_m",) * 4 + ("deg",) * 4 + ("gap_mm",) * 3 + ("com",)


@lru_cache(maxsize=8)
def _script(name: str) -> Script:
    return make_script(name, Athlete(height_m=1.78), **BRISK)


@lru_cache(maxsize=8)
def _truth_table(name: str) -> tuple[np.ndarray, np.ndarray]:
    """(times, values): the simulator's exact truth of the script at TABLE_HZ; a row of NaN
    where nobody is in view."""
    script = _script(name)
    times = np.arange(0.0, script.duration_s + 1.0 / TABLE_HZ, 1.0 / TABLE_HZ)
    rows = []
    for t in times:
        pose = script.sample(float(t)).pose
        if pose is None:
            rows.append([np.nan] * len(KEYS))
            continue
        tr = frame_truth(script.athlete, pose, None)
        assert tr.dowel_gaps_mm is not None
        g = tr.dowel_gaps_mm
        rows.append([tr.heel_x_m, tr.toe_x_m, tr.buttocks_x_m, tr.knee_x_m, tr.knee_flexion_deg,
                     tr.trunk_angle_deg, tr.neck_flexion_deg, tr.spinal_flexion_deg, g["head"],
                     g["thoracic"], g["sacrum"], tr.com_over_foot])
    return times, np.asarray(rows, dtype=np.float64)


def _raw(name: str, t_s: float, rng: np.random.Generator) -> dict[str, float | None] | None:
    """One frame's raw (unsmoothed) values from the simulator's truth, with noise."""
    times, values = _truth_table(name)
    i = min(max(int(t_s * TABLE_HZ), 0), len(times) - 2)
    w = min(max((t_s - times[i]) * TABLE_HZ, 0.0), 1.0)
    row = values[i] * (1.0 - w) + values[i + 1] * w
    if np.isnan(row).any():
        return None
    out: dict[str, float | None] = {}
    for key, unit, v in zip(KEYS, UNIT, row, strict=True):
        noisy = float(v) + float(rng.normal(0.0, NOISE[unit]))
        out[key] = max(noisy, 0.0) if unit == "gap_mm" else noisy
    return out


def frame_times(duration_s: float, fps: float, rng: np.random.Generator) -> list[float]:
    """Arrival times of the frames kept: nominal period, jittered, 10 % dropped."""
    n = int(duration_s * fps)
    t = np.arange(n) / fps + rng.uniform(-JITTER_FRACTION, JITTER_FRACTION, n) / fps
    keep = rng.random(n) >= DROP_FRACTION
    return [float(x) for x in np.sort(t[keep]) if x >= 0.0]


def run_script(name: str, fps: float, seed: int, profile: Profile) -> tuple[list[RepResult], DrillState]:
    script = _script(name)
    rng = np.random.default_rng(seed)
    state = DrillState.start(profile)
    smoother = SmootherState()
    reps: list[RepResult] = []
    for t in frame_times(script.duration_s, fps, rng):
        raw = _raw(name, t, rng)
        if raw is None:
            m = FrameMetrics(t_s=t, person=False, second_person=False)
        else:
            sm, smoother = smooth_values(smoother, raw, t, profile.smoothing)
            m = _metrics(t, sm)
        state, out = drill_step(state, m, profile)
        if out.completed is not None:
            reps.append(out.completed)
    state, last = drill_finish(state, profile)
    if last is not None:
        reps.append(last)
    return reps, state


def _metrics(t: float, sm: dict[str, Any]) -> FrameMetrics:
    return FrameMetrics(
        t_s=t, person=True, second_person=False, heel_x_m=sm["heel_x_m"], toe_x_m=sm["toe_x_m"],
        buttocks_x_m=sm["buttocks_x_m"], knee_x_m=sm["knee_x_m"], knee_flexion_deg=sm["knee_flexion_deg"],
        trunk_angle_deg=sm["trunk_angle_deg"],
        dowel_gaps=DowelGaps(sm["gap_head_mm"], sm["gap_thoracic_mm"], sm["gap_sacrum_mm"],
                             ("head", "thoracic")),
        neck_flexion_deg=sm["neck_flexion_deg"], spinal_curve_deg=sm["spinal_curve_deg"],
        com_over_foot=sm["com_over_foot"],
    )


def _expected(name: str) -> list[tuple[str, ...]]:
    return [r.expected_faults for r in _script(name).reps]


def _profile(name: str) -> Profile:
    """The drill as an operator sets it for the script: its first wall, its dowel stage."""
    script = _script(name)
    walls = [r.wall_distance_in for r in script.reps if r.wall_distance_in is not None]
    dowel = sum(1 for r in script.reps if r.drill == "dowel")
    return Profile(drill=DrillConfig(dowel_reps=dowel, wall_start_in=walls[0] if walls else 6.0))


@pytest.mark.parametrize("fps", RATES_FPS)
@pytest.mark.parametrize("name", ["session", "squat_pattern", "rounded_back", "head_up", "weight_on_toes"])
def test_same_reps_and_verdicts_at_every_frame_rate(name: str, fps: int) -> None:
    reps, state = run_script(name, fps, seed=fps, profile=_profile(name))
    assert [r.faults for r in reps] == _expected(name)
    assert state.incomplete == ()
    for rep, plan in zip(reps, _script(name).reps, strict=True):
        # Each judged rep lies on its scripted rep (within a frame period plus the lag).
        assert plan.start_s - 0.4 <= rep.bottom_s <= plan.end_s + 0.4
        if plan.wall_distance_in is not None:
            assert rep.wall_distance_in == plan.wall_distance_in


def test_the_still_window_spans_its_seconds_at_low_rates() -> None:
    """The standing reference needs still_window_s of standing: at 15 fps the old window
    (samples within the window only) spanned at most 0.467 s of 0.5 and no rep ever started."""
    for fps in (6, 15):
        reps, _ = run_script("dowel_reps", fps, seed=1, profile=Profile(drill=DrillConfig(dowel_reps=3)))
        assert len(reps) == 3, fps


def test_hinge_depth_is_the_same_at_every_rate() -> None:
    depths = set()
    for fps in RATES_FPS:
        reps, _ = run_script("session", fps, seed=100 + fps, profile=_profile("session"))
        passed = [r.wall_distance_in for r in reps if r.passed and r.drill == "wall"]
        depths.add(max(passed))
    assert depths == {_script("session").hinge_depth_in}
