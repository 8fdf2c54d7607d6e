"""The wall is decided once, in the core (issue 13): each DrillFrame carries the wall's x
and whether the hips touch it, from the same rule (types.touches_wall) the judge uses
for `wall_not_reached`; the flow's touch sound, the scene's green wall and the readout
read those, not a tolerance of their own. Ground truth: the scripted hip travel against
the wall the script places (test_core_reps.Series), near misses and touches within a
few mm of the 25 mm tolerance."""

from __future__ import annotations

import pytest
from test_core_reps import DOWEL0, HEEL_X, Series, depth_to_reach, wall_x

from kiosk.core.drill import DrillFrame, DrillState, drill_step

TOL_M = DOWEL0.faults.wall_tolerance_mm / 1000.0


def _frames(s: Series) -> list[DrillFrame]:
    state, out = DrillState.start(DOWEL0), []
    for m in s.frames:
        state, f = drill_step(state, m, DOWEL0)
        out.append(f)
    return out


@pytest.mark.parametrize("short_of_tolerance_mm", [-8.0, -3.0, 3.0, 8.0])
def test_a_rep_touches_the_wall_on_a_frame_exactly_when_it_is_judged_to_reach_it(
    short_of_tolerance_mm: float
) -> None:
    """Hips that stop short_of_tolerance_mm outside the tolerance (negative: inside it):
    frames touching iff the rep is not `wall_not_reached`, and the script decides which."""
    depth = depth_to_reach(6.0, margin_m=0.0) - TOL_M - short_of_tolerance_mm / 1000.0
    frames = _frames(Series().hold(1.0).rep(depth_m=depth))
    reps = [f.completed for f in frames if f.completed is not None]
    assert len(reps) == 1
    touched = any(f.touching_wall for f in frames)
    assert touched == (short_of_tolerance_mm < 0)
    assert ("wall_not_reached" in reps[0].faults) == (not touched)


def test_the_wall_drawn_is_the_next_reps_wall_from_the_standing_heel() -> None:
    """Before the first rep the wall stands wall_start_in (6 in) behind the standing heel;
    the frame that judges a pass already shows the wall one step (2 in) further back."""
    frames = _frames(Series().hold(1.0).rep(depth_m=depth_to_reach(6.0)))
    standing = frames[40]
    assert standing.wall_x_m == pytest.approx(wall_x(6.0), abs=1e-9)
    done = next(f for f in frames if f.completed is not None)
    assert done.completed is not None and done.completed.passed
    assert done.wall_x_m == pytest.approx(wall_x(8.0), abs=1e-9)
    assert HEEL_X - done.wall_x_m == pytest.approx(8.0 * 0.0254)
