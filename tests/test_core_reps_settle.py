"""A rep in progress when the stream ends or the athlete leaves is settled, never dropped
(issue 11, item 5): judged when they had stood up again, incomplete otherwise."""

from __future__ import annotations

import pytest

from kiosk.core.drill import DrillState, drill_finish, drill_step
from kiosk.core.thresholds import DrillConfig, Profile
from tests.test_core_reps import FPS, Series, frame

PROFILE = Profile(drill=DrillConfig(dowel_reps=3))


def _ends_after_standing(extra_s: float, **rep: float) -> Series:
    """One rep whose stream ends extra_s after the trunk is back within the standing
    threshold (stand_max_trunk_deg) on the way up."""
    s = Series().hold(1.0).rep(stand_s=1.0, **rep)
    limit = PROFILE.reps.stand_max_trunk_deg
    deepest = max(range(len(s.frames)), key=lambda i: s.frames[i].trunk_angle_deg or 0.0)
    up = next(i for i in range(deepest, len(s.frames)) if (s.frames[i].trunk_angle_deg or 0.0) < limit)
    s.frames = s.frames[: up + 1 + round(extra_s * FPS)]
    s.t = s.frames[-1].t_s + 1 / FPS
    return s


def _run(frames: list, finish: bool = True) -> tuple[DrillState, list]:
    state = DrillState.start(PROFILE)
    done = []
    for m in frames:
        state, out = drill_step(state, m, PROFILE)
        if out.completed is not None:
            done.append(out.completed)
    if finish:
        state, last = drill_finish(state, PROFILE)
        if last is not None:
            done.append(last)
    return state, done


@pytest.mark.parametrize("extra_s", [0.0, 1 / FPS, 0.1, 0.14])
def test_stream_ending_just_after_standing_up_judges_the_rep(extra_s: float) -> None:
    frames = _ends_after_standing(extra_s).frames
    _, without = _run(frames, finish=False)
    assert without == []  # the rep machine alone has not confirmed standing yet
    state, reps = _run(frames)
    assert len(reps) == 1 and reps[0].passed and reps[0].complete
    assert state.incomplete == ()


def test_stream_ending_at_the_bottom_reports_an_incomplete_rep() -> None:
    s = Series().hold(1.0).rep(stand_s=1.0)
    # Stands (1 s + the rep's own 1 s), descends (1 s), then half the 0.3 s hold.
    n_bottom = int(1.0 * FPS) + int(1.0 * FPS) + int(1.0 * FPS) + int(0.15 * FPS)
    state, reps = _run(s.frames[:n_bottom])
    assert reps == []
    assert len(state.incomplete) == 1
    inc = state.incomplete[0]
    assert not inc.complete and not inc.passed and inc.faults == ()
    assert inc.max_trunk_angle_deg == pytest.approx(60.0, abs=1.0)


def test_walking_off_right_after_standing_up_keeps_the_rep() -> None:
    s = _ends_after_standing(0.07)
    for i in range(int(1.5 * FPS)):  # walks off forward: the heel leaves the reference
        x = 0.6 * i / (1.5 * FPS)
        s.frames.append(frame(s.t, heel=-0.07 + x, butt=-0.16 + x))
        s.t += 1 / FPS
    state, reps = _run(s.frames, finish=False)
    assert len(reps) == 1 and reps[0].passed
    assert state.incomplete == ()


def test_vanishing_right_after_standing_up_keeps_the_rep() -> None:
    s = _ends_after_standing(0.07)
    s.hold(1.0, person=False)
    _state, reps = _run(s.frames, finish=False)
    assert len(reps) == 1 and reps[0].passed


def test_a_settled_rep_counts_in_the_wall_progression() -> None:
    profile = Profile(drill=DrillConfig(dowel_reps=0))
    s = _ends_after_standing(0.05, depth_m=0.4)
    state = DrillState.start(profile)
    for m in s.frames:
        state, _ = drill_step(state, m, profile)
    state, last = drill_finish(state, profile)
    assert last is not None and last.passed and last.drill == "wall"
    assert state.wall_distance_in == profile.drill.wall_start_in + profile.drill.step_in
