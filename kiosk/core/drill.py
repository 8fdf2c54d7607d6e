"""The drill: dowel reps, then the wall progression; per-frame output and the summary.

Stages: "dowel" (`dowel_reps` reps judged without the wall), "wall" (from
`wall_start_in`; a passed rep moves the wall `step_in` further back; two failed attempts
at one distance end the drill), "done". Hinge depth = the furthest wall distance passed.

Pure: `drill_step(state, metrics, profile)` -> (state, DrillFrame); `drill_finish(state,
profile)` when the stream ends settles a rep in progress (judged if the athlete stood up
again, else kept apart in `DrillState.incomplete` with no verdict). The wall is the
vertical plane x = heel_x - wall_distance with heel_x from the current rep reference
(standing still), so it does not move with the athlete's sway during a rep.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from kiosk.core.judge import judge_rep
from kiosk.core.reps import Phase, RepRecord, RepSample, RepState, rep_step, settle
from kiosk.core.thresholds import Profile
from kiosk.core.types import DowelGaps, FrameMetrics, hip_to_wall_mm, touches_wall

INCH_M = 0.0254
Stage = Literal["dowel", "wall", "done"]


@dataclass(frozen=True)
class RepResult:
    """One judged rep (DESIGN.md `reps` entry). index counts from 0 over the session."""

    index: int
    start_s: float
    bottom_s: float
    end_s: float
    wall_distance_in: float
    min_hip_to_wall_mm: float
    max_knee_flexion_deg: float
    max_trunk_angle_deg: float
    faults: tuple[str, ...]
    passed: bool
    drill: Literal["dowel", "wall"]
    complete: bool = True  # False: the athlete never stood up again; no verdict (faults empty)

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "start_s": round(self.start_s, 3),
            "bottom_s": round(self.bottom_s, 3),
            "end_s": round(self.end_s, 3),
            "wall_distance_in": self.wall_distance_in,
            "min_hip_to_wall_mm": round(self.min_hip_to_wall_mm, 1),
            "max_knee_flexion_deg": round(self.max_knee_flexion_deg, 1),
            "max_trunk_angle_deg": round(self.max_trunk_angle_deg, 1),
            "faults": list(self.faults),
            "passed": self.passed,
        }


@dataclass(frozen=True)
class DrillState:
    reps_state: RepState = field(default_factory=RepState)
    stage: Stage = "dowel"
    wall_distance_in: float = 6.0
    fails_here: int = 0
    reps: tuple[RepResult, ...] = ()
    incomplete: tuple[RepResult, ...] = ()  # reps the athlete never stood up from: no verdict

    @staticmethod
    def start(profile: Profile) -> DrillState:
        d = profile.drill
        return DrillState(stage="dowel" if d.dowel_reps > 0 else "wall", wall_distance_in=d.wall_start_in)


@dataclass(frozen=True)
class DrillFrame:
    """What the display and the `per_frame` JSON need for one frame (world metres).

    wall_x_m: the virtual wall's x for the wall the athlete now aims at (the rep
    reference's heel, else this frame's, minus wall_distance_in), None outside the wall
    stage. touching_wall: in the wall stage, this frame's hips touch the wall
    (types.touches_wall, the same rule that judges `wall_not_reached`)."""

    t_s: float
    person: bool
    hip_to_wall_mm: float | None
    knee_flexion_deg: float | None
    trunk_angle_deg: float | None
    dowel_gaps: DowelGaps | None
    wall_distance_in: float
    stage: Stage
    phase: Phase
    completed: RepResult | None = None
    wall_x_m: float | None = None
    touching_wall: bool = False

    def to_json(self) -> dict[str, Any]:
        def r(v: float | None) -> float | None:
            return None if v is None else round(v, 1)

        return {
            "t_s": round(self.t_s, 4),
            "person": self.person,
            "hip_to_wall_mm": r(self.hip_to_wall_mm),
            "knee_flexion_deg": r(self.knee_flexion_deg),
            "trunk_angle_deg": r(self.trunk_angle_deg),
            "dowel_gaps_mm": self.dowel_gaps.to_json() if self.dowel_gaps else None,
            "wall_distance_in": self.wall_distance_in,
        }


def to_sample(m: FrameMetrics, h2w_mm: float | None) -> RepSample:
    gaps = m.dowel_gaps
    past = None if m.knee_x_m is None or m.toe_x_m is None else m.knee_x_m - m.toe_x_m
    return RepSample(
        t_s=m.t_s,
        person=m.person,
        heel_x_m=m.heel_x_m,
        buttocks_x_m=m.buttocks_x_m,
        # Forward lean: a trunk read behind vertical stands (see metrics.trunk_lean_deg).
        trunk_angle_deg=m.trunk_angle_deg if m.trunk_lean_deg is None else max(m.trunk_lean_deg, 0.0),
        knee_flexion_deg=m.knee_flexion_deg,
        knee_past_toe_m=past,
        hip_to_wall_mm=h2w_mm,
        spinal_curve_deg=m.spinal_curve_deg,
        lumbar_hollow_mm=m.lumbar_hollow_mm,
        neck_flexion_deg=m.neck_flexion_deg,
        gap_head_mm=gaps.head_mm if gaps else None,
        gap_thoracic_mm=gaps.thoracic_mm if gaps else None,
        gap_sacrum_mm=gaps.sacrum_mm if gaps else None,
        com_over_foot=m.com_over_foot,
    )


def drill_step(state: DrillState, m: FrameMetrics, profile: Profile) -> tuple[DrillState, DrillFrame]:
    """Advance the drill by one frame of (smoothed) metrics."""
    wall_m = state.wall_distance_in * INCH_M
    ref = state.reps_state.reference
    heel = ref.heel_x_m if ref is not None else m.heel_x_m
    h2w = (
        None
        if (not m.person or heel is None or m.buttocks_x_m is None)
        else hip_to_wall_mm(m.buttocks_x_m, heel, wall_m)
    )
    rs, rec = rep_step(state.reps_state, to_sample(m, h2w), profile.reps)
    state, done = _record(replace(state, reps_state=rs), rec, profile)
    wall = state.stage == "wall"
    # The wall to draw is the next rep's: after this frame's rep was judged (a pass moves it
    # back) and from the reference the next rep starts from.
    after = rs.reference.heel_x_m if rs.reference is not None else m.heel_x_m
    frame = DrillFrame(
        t_s=m.t_s,
        person=m.person,
        hip_to_wall_mm=h2w,
        knee_flexion_deg=m.knee_flexion_deg,
        trunk_angle_deg=m.trunk_angle_deg,
        dowel_gaps=m.dowel_gaps,
        wall_distance_in=state.wall_distance_in,
        stage=state.stage,
        phase=rs.phase,
        completed=done,
        wall_x_m=after - state.wall_distance_in * INCH_M if wall and after is not None else None,
        touching_wall=wall and touches_wall(h2w, profile.faults.wall_tolerance_mm),
    )
    return state, frame


def drill_finish(state: DrillState, profile: Profile) -> tuple[DrillState, RepResult | None]:
    """The stream has ended: settle the rep in progress (reps.settle). Returns the judged
    rep when the athlete had stood up again (None otherwise; an incomplete rep goes to
    `state.incomplete`)."""
    rec = settle(state.reps_state, profile.reps)
    return _record(replace(state, reps_state=RepState()), rec, profile)


def _record(
    state: DrillState, rec: RepRecord | None, profile: Profile
) -> tuple[DrillState, RepResult | None]:
    """Judge a closed rep into the drill; an incomplete one is kept apart, unjudged."""
    if rec is None or state.stage == "done":
        return state, None
    if not rec.complete:
        result = _result(state, rec, (), complete=False)
        return replace(state, incomplete=(*state.incomplete, result)), None
    return _complete(state, rec, profile)


def _result(state: DrillState, rec: RepRecord, faults: tuple[str, ...], complete: bool = True) -> RepResult:
    sm = rec.samples
    h2w = [x.hip_to_wall_mm for x in sm if x.hip_to_wall_mm is not None]
    knee = [x.knee_flexion_deg for x in sm if x.knee_flexion_deg is not None]
    trunk = [x.trunk_angle_deg for x in sm if x.trunk_angle_deg is not None]
    return RepResult(
        index=len(state.reps),
        start_s=rec.start_s,
        bottom_s=rec.bottom_s,
        end_s=rec.end_s,
        wall_distance_in=state.wall_distance_in,
        min_hip_to_wall_mm=min(h2w) if h2w else float("nan"),
        max_knee_flexion_deg=max(knee) if knee else float("nan"),
        max_trunk_angle_deg=max(trunk) if trunk else float("nan"),
        faults=faults,
        passed=complete and not faults,
        drill="wall" if state.stage == "wall" else "dowel",
        complete=complete,
    )


def _complete(state: DrillState, rec: RepRecord, profile: Profile) -> tuple[DrillState, RepResult]:
    d = profile.drill
    wall = state.stage == "wall"
    result = _result(state, rec, judge_rep(rec, wall, profile.faults, profile.reps))
    reps = (*state.reps, result)
    if not wall:
        n_dowel = sum(1 for r in reps if r.drill == "dowel")
        return replace(state, reps=reps, stage="wall" if n_dowel >= d.dowel_reps else "dowel"), result
    if result.passed:
        nxt = state.wall_distance_in + d.step_in
        if nxt > d.max_wall_in:
            return replace(state, reps=reps, stage="done", fails_here=0), result
        return replace(state, reps=reps, wall_distance_in=nxt, fails_here=0), result
    fails = state.fails_here + 1
    return replace(
        state, reps=reps, fails_here=fails, stage="done" if fails >= d.max_fails_per_distance else "wall"
    ), result


def summary(reps: tuple[RepResult, ...] | list[RepResult]) -> dict[str, Any]:
    """DESIGN.md `summary`: rep count, passes, hinge depth = best wall distance passed."""
    passed_wall = [r.wall_distance_in for r in reps if r.passed and r.drill == "wall"]
    return {
        "reps": len(reps),
        "passed": sum(1 for r in reps if r.passed),
        "hinge_depth_in": max(passed_wall) if passed_wall else None,
    }
