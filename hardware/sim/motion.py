"""Scripted motions of the simulated athlete: the registry the source and the tests use.

`make_script(name, athlete, **options)` builds a `Script` for any body (the parametric
`Athlete` or a hardware.sim.bodies.SimBody such as an MPFB person); `script.sample(t_s)` gives the
pose (None = nobody in view), the phase ("absent", "walk_in", "stand", "descend",
"bottom", "ascend", "walk_out"), the rep and drill, the wall distance and the heel x the
wall hangs from. `script.reps` is the scripted verdict truth (RepPlan, fault names from
DESIGN.md). Options: scripts.ScriptOptions (seed, reps, wall_start_in, wall_step_in,
max_reach_in, fails, short_mm, timings...).

Scripts (default timings: 0.5 s absent, 2.5 s walk in from heel x = -2.5 m, 1.5 s stand;
per rep 1.3 s down, 0.4 s hold, 1.3 s up, 1.0 s standing pause; 2.5 s walk out to
x = +2.5 m, 0.5 s absent):
- walk_in_stand: no reps (stands 3 s);
- dowel_reps: 3 clean dowel reps;
- wall_pass: wall reps at 6, 8, 10 in, each touching the wall (buttocks 5 mm through);
- wall_progression: 6, 8, 10 in pass, then 2 attempts at 12 in stop 60 mm short
  (max_reach_in = 11); hinge depth 10 in;
- wall_short: 3 wall reps at 10 in, each 60 mm short;
- wall_near: near misses from 6 in: a touch with no margin, then 40 mm short, alternating;
- squat_pattern, rounded_back, rounded_lumbar (15 deg lumbar flexion only), head_up,
  head_down, weight_on_toes: 3 dowel reps, each with exactly that fault (knees_bent,
  back_rounded, head_not_neutral, weight_on_toes);
- session: walk in, 3 clean dowel reps, the wall progression with its 2 fails, walk away.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hardware.sim.bodies import BodyLike, SimBody, as_body
from hardware.sim.scripts import FAULTS, PLANS, PlannedRep, ScriptOptions
from hardware.sim.skeleton import Pose
from hardware.sim.timeline import STANDING, Segment

__all__ = ["FAULTS", "SCRIPTS", "RepPlan", "Script", "ScriptOptions", "ScriptSample", "make_script",
           "script_summary"]

NO_REP_STAND_S = 3.0  # walk_in_stand: how long the athlete stands


@dataclass(frozen=True)
class RepPlan:
    """A scripted rep and its verdict truth. Times in script seconds; bottom_s is the middle
    of the hold. Fault names from DESIGN.md; passed == no fault. index counts from 0."""

    index: int
    drill: str
    start_s: float
    bottom_s: float
    end_s: float
    wall_distance_in: float | None
    expected_faults: tuple[str, ...]
    passed: bool


@dataclass(frozen=True)
class ScriptSample:
    """The script at one instant. pose None = nobody in view. heel_x_m: the heel the wall is
    measured from (the standing heel at the station; the moving heel while walking)."""

    pose: Pose | None
    phase: str
    rep_index: int | None
    drill: str | None
    wall_distance_in: float | None
    heel_x_m: float


@dataclass(frozen=True, eq=False)
class Script:
    """A scripted session of one athlete: `sample(t_s)` for any t (clamped to the ends)."""

    name: str
    athlete: SimBody
    segments: tuple[Segment, ...]
    reps: tuple[RepPlan, ...]

    @property
    def duration_s(self) -> float:
        return self.segments[-1].end_s

    @property
    def hinge_depth_in(self) -> float | None:
        """Best wall distance passed (the screening number), None without a passed wall rep."""
        passed = [r.wall_distance_in for r in self.reps if r.passed and r.wall_distance_in is not None]
        return max(passed) if passed else None

    def segment_at(self, t_s: float) -> Segment:
        i = bisect.bisect_right([s.start_s for s in self.segments], t_s) - 1
        return self.segments[max(0, i)]

    def sample(self, t_s: float) -> ScriptSample:
        t = min(max(t_s, 0.0), self.duration_s)
        seg = self.segment_at(t)
        pose = seg.pose_at(self.athlete, t)
        heel = pose.heel_x_m if (pose is not None and seg.kind == "walk") else seg.heel_x_m
        return ScriptSample(pose=pose, phase=seg.phase, rep_index=seg.rep_index, drill=seg.drill,
                            wall_distance_in=seg.wall_distance_in, heel_x_m=heel)


class Builder:
    """Lays a plan out in time, segments back to back, and records each rep's truth."""

    def __init__(self, athlete: BodyLike, opts: ScriptOptions) -> None:
        self.athlete, self.o = as_body(athlete), opts
        self.t = 0.0
        self.segments: list[Segment] = []
        self.reps: list[RepPlan] = []

    def _add(self, kind: str, dur: float, phase: str, **fields: Any) -> None:
        if dur > 0.0:
            seg = Segment(kind, self.t, self.t + dur, phase, heel_x_m=self.o.heel_x_m, **fields)
            self.segments.append(seg)
            self.t += dur

    def session(self, plan: list[PlannedRep]) -> None:
        """Absent, walk in, stand, the planned reps with standing pauses, walk away, absent."""
        o = self.o
        self._add("absent", o.absent_s, "absent")
        self._add("walk", o.walk_s, "walk_in", x0_m=o.enter_x_m, x1_m=o.heel_x_m, decelerate=True)
        if plan:
            self._stand(o.stand_s, plan[0].drill, plan[0].wall_distance_in)
        else:
            self._stand(NO_REP_STAND_S, None, None)
        for i, rep in enumerate(plan):
            self._rep(rep)
            if i + 1 < len(plan):  # the pause belongs to the next rep's drill and wall
                self._stand(o.pause_s, plan[i + 1].drill, plan[i + 1].wall_distance_in)
            else:
                wall = rep.wall_distance_in
                if wall is not None and not rep.faults:
                    wall += o.wall_step_in  # the wall moves back after a pass
                self._stand(o.pause_s, rep.drill, wall)
        self._add("walk", o.walk_s, "walk_out", x0_m=o.heel_x_m, x1_m=o.exit_x_m, decelerate=False)
        self._add("absent", o.absent_s, "absent")

    def _stand(self, dur: float, drill: str | None, wall: float | None) -> None:
        self._add("stand", dur, "stand", drill=drill, wall_distance_in=wall, a=STANDING,
                  sway_seed=self.o.seed * 1000 + len(self.segments))

    def _rep(self, rep: PlannedRep) -> None:
        o, i, start = self.o, len(self.reps), self.t
        stages = (("descend", o.descend_s, STANDING, rep.bottom),
                  ("bottom", o.hold_s, rep.bottom, rep.bottom),
                  ("ascend", o.ascend_s, rep.bottom, STANDING))
        for phase, dur, a, b in stages:
            self._add("hinge", dur, phase, rep_index=i, drill=rep.drill,
                      wall_distance_in=rep.wall_distance_in, a=a, b=b)
        bottom_s = start + o.descend_s + o.hold_s / 2.0  # the middle of the hold
        self.reps.append(RepPlan(index=i, drill=rep.drill, start_s=start, bottom_s=bottom_s, end_s=self.t,
                                 wall_distance_in=rep.wall_distance_in, expected_faults=rep.faults,
                                 passed=not rep.faults))

    def build(self, name: str) -> Script:
        return Script(name=name, athlete=self.athlete, segments=tuple(self.segments), reps=tuple(self.reps))


def _factory(name: str) -> Callable[..., Script]:
    plan_fn = PLANS[name]

    def build(athlete: BodyLike, **options: Any) -> Script:
        try:
            opts = ScriptOptions(**options)
        except TypeError as err:
            raise ValueError(f"script {name!r}: {err}") from None
        builder = Builder(athlete, opts)
        builder.session(plan_fn(builder.athlete, opts))
        return builder.build(name)

    build.__name__ = name
    build.__doc__ = plan_fn.__doc__
    return build


SCRIPTS: dict[str, Callable[..., Script]] = {name: _factory(name) for name in PLANS}


def make_script(name: str, athlete: BodyLike, **options: Any) -> Script:
    """Build the named script for `athlete` (an Athlete or any SimBody). Raises ValueError
    for an unknown name or option
    (or a wall out of the athlete's reach)."""
    try:
        factory = SCRIPTS[name]
    except KeyError:
        raise ValueError(f"unknown script {name!r}; use one of {', '.join(SCRIPTS)}") from None
    return factory(athlete, **options)


def script_summary(script: Script) -> dict[str, Any]:
    """JSON-ready plan of a script: name, duration, reps (with faults) and hinge depth."""
    reps = [{"index": r.index, "drill": r.drill, "start_s": r.start_s, "bottom_s": r.bottom_s,
             "end_s": r.end_s, "wall_distance_in": r.wall_distance_in, "faults": list(r.expected_faults),
             "passed": r.passed} for r in script.reps]
    return {
        "script": script.name,
        "duration_s": round(script.duration_s, 6),
        "reps": reps,
        "summary": {"reps": len(reps), "passed": sum(r.passed for r in script.reps),
                    "hinge_depth_in": script.hinge_depth_in},
    }
