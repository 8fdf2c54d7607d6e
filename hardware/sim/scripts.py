"""What each script's athlete does: the planned reps, their bottom postures and verdicts.

A plan is a list of reps (drill, bottom posture, wall distance, expected faults);
motion.Builder turns it into a timeline (walk in, stand, reps, walk away). Fault scripts
use the dowel drill (no wall, so no wall_not_reached) and show exactly their fault, with
magnitudes well clear of the thresholds in docs/measurement.md. Clean reps bend the knees
18 deg, keep the COM at 0.45 of the foot, spine and head neutral; wall reps solve the
trunk angle that puts the buttocks exactly 5 mm through the wall (or 60 mm short).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache

from hardware.sim.bodies import BodyLike, SimBody, as_body
from hardware.sim.body import buttocks_x, pose_reaching
from hardware.sim.timeline import STANDING, Posture, posture_pose

INCH_M = 0.0254
FAULTS: tuple[str, ...] = (
    "wall_not_reached", "knees_bent", "back_rounded", "head_not_neutral", "weight_on_toes",
)
HINGE_KNEE_DEG = 18.0
HINGE_COM = 0.45
CLEAN_DOWEL = Posture(trunk_angle_deg=65.0, knee_flexion_deg=HINGE_KNEE_DEG, com_target=HINGE_COM)
# Bottom postures of the fault scripts (dowel drill): one fault each, well past its threshold.
FAULT_BOTTOMS: dict[str, tuple[Posture, str]] = {
    "squat_pattern": (Posture(40.0, 62.0, HINGE_COM), "knees_bent"),  # knees 62 deg > 35
    # Spinal flexion 40 deg > 25; the dowel rests on head and apex, sacrum gap ~70 mm > 40.
    "rounded_back": (Posture(65.0, HINGE_KNEE_DEG, HINGE_COM, lumbar_flexion_deg=12.0,
                             thoracic_flexion_deg=28.0), "back_rounded"),
    # Lumbar flexion alone at the smallest amount the drill must always catch (DESIGN.md).
    "rounded_lumbar": (Posture(65.0, HINGE_KNEE_DEG, HINGE_COM, lumbar_flexion_deg=15.0), "back_rounded"),
    "head_up": (Posture(65.0, HINGE_KNEE_DEG, HINGE_COM, neck_flexion_deg=-40.0), "head_not_neutral"),
    "head_down": (Posture(65.0, HINGE_KNEE_DEG, HINGE_COM, neck_flexion_deg=40.0), "head_not_neutral"),
    "weight_on_toes": (Posture(50.0, HINGE_KNEE_DEG, 0.85), "weight_on_toes"),  # COM 0.85 > 0.75
}


@dataclass(frozen=True)
class ScriptOptions:
    """Options every script accepts (make_script(name, athlete, **options)).

    seed: sway. reps: reps of a one-drill script. dowel_reps: dowel reps of "session".
    wall_start_in / wall_step_in: first wall distance and the move after a pass (None:
    6 in, or 10 in for "wall_short"). max_reach_in: farthest wall the athlete's hamstrings
    reach (wall_progression, session; capped by what the body can balance). fails: failed
    attempts before giving up. short_mm: how far a failed wall rep stops short (>= 40).
    through_mm: how far a passing rep's buttocks go through the wall plane (0-15).
    Timings in seconds; positions in metres (heel_x_m: the station's heel x)."""

    seed: int = 0
    reps: int = 3
    dowel_reps: int = 3  # the kiosk profile's default dowel stage
    wall_start_in: float | None = None
    wall_step_in: float = 2.0
    max_reach_in: float = 11.0
    fails: int = 2
    short_mm: float = 60.0
    through_mm: float = 5.0
    heel_x_m: float = 0.0
    enter_x_m: float = -2.5
    exit_x_m: float = 2.5
    absent_s: float = 0.5
    walk_s: float = 2.5
    stand_s: float = 1.5
    descend_s: float = 1.3
    hold_s: float = 0.4
    ascend_s: float = 1.3
    pause_s: float = 1.0

    def __post_init__(self) -> None:
        if self.short_mm < 40.0:
            raise ValueError("short_mm must be >= 40 (a miss well clear of the 25 mm tolerance)")
        if not 0.0 <= self.through_mm <= 15.0:
            raise ValueError("through_mm must be 0-15")
        if self.reps < 0 or self.dowel_reps < 0 or self.fails < 1 or self.wall_step_in <= 0:
            raise ValueError("reps/dowel_reps must be >= 0, fails >= 1, wall_step_in > 0")
        if min(self.walk_s, self.descend_s, self.ascend_s) <= 0.5 or min(self.hold_s, self.pause_s) < 0:
            raise ValueError("walk/descend/ascend must be > 0.5 s, hold/pause >= 0")


@dataclass(frozen=True)
class PlannedRep:
    """One rep of a plan: drill ("dowel"/"wall"), bottom posture, wall distance (inches,
    None for the dowel drill) and the faults it is scripted to show (empty = clean)."""

    drill: str
    bottom: Posture
    wall_distance_in: float | None
    faults: tuple[str, ...]


def balance_reach_m(athlete: BodyLike) -> float:
    """Farthest the buttocks get behind the heels in a balanced clean hinge (metres): a
    coarse scan of trunk angles, so slightly conservative."""
    return _balance_reach_m(as_body(athlete))


@lru_cache(maxsize=32)
def _balance_reach_m(athlete: SimBody) -> float:
    best = 0.0
    for i in range(13):
        p = posture_pose(athlete, Posture(35.0 + 5.0 * i, HINGE_KNEE_DEG, HINGE_COM), 0.0)
        best = max(best, -buttocks_x(athlete, p))
    return best


def wall_bottom(athlete: SimBody, o: ScriptOptions, wall_in: float, reach: bool) -> Posture:
    """Bottom posture of a wall rep: buttocks `through_mm` through the wall, or `short_mm` short
    (raises ValueError when the wall is out of the athlete's reach)."""
    wall_x = o.heel_x_m - wall_in * INCH_M
    target = wall_x - o.through_mm / 1000.0 if reach else wall_x + o.short_mm / 1000.0
    if not reach:  # a miss still hinges: at least 3 cm of hip travel (a near wall is missed by more)
        target = min(target, buttocks_x(athlete, posture_pose(athlete, STANDING, o.heel_x_m)) - 0.03)
    pose = pose_reaching(athlete, target, HINGE_KNEE_DEG, heel_x_m=o.heel_x_m, com_target=HINGE_COM)
    return Posture(pose.trunk_angle_deg, HINGE_KNEE_DEG, HINGE_COM)


def progression(athlete: SimBody, o: ScriptOptions, start_in: float) -> list[PlannedRep]:
    """Wall progression: pass and step back while within reach, then `fails` short attempts."""
    margin_in = (o.through_mm + 2.0) / 1000.0 / INCH_M
    limit_in = min(o.max_reach_in, balance_reach_m(athlete) / INCH_M - margin_in)
    plan: list[PlannedRep] = []
    d = start_in
    while d <= limit_in + 1e-9 and len(plan) < 30:
        plan.append(PlannedRep("wall", wall_bottom(athlete, o, d, True), d, ()))
        d += o.wall_step_in
    short = wall_bottom(athlete, o, d, False)
    plan += [PlannedRep("wall", short, d, ("wall_not_reached",))] * o.fails
    return plan


def _start_in(o: ScriptOptions, default: float) -> float:
    return default if o.wall_start_in is None else o.wall_start_in


def walk_in_stand(athlete: SimBody, o: ScriptOptions) -> list[PlannedRep]:
    """Walk in, stand 3 s, walk away: no reps."""
    return []


def dowel_reps(athlete: SimBody, o: ScriptOptions) -> list[PlannedRep]:
    """`reps` clean dowel-drill hinges (trunk 65 deg)."""
    return [PlannedRep("dowel", CLEAN_DOWEL, None, ())] * o.reps


def wall_pass(athlete: SimBody, o: ScriptOptions) -> list[PlannedRep]:
    """`reps` wall reps from wall_start_in (6), each touching the wall; +wall_step_in after each."""
    start = _start_in(o, 6.0)
    return [PlannedRep("wall", wall_bottom(athlete, o, start + i * o.wall_step_in, True),
                       start + i * o.wall_step_in, ()) for i in range(o.reps)]


def wall_progression(athlete: SimBody, o: ScriptOptions) -> list[PlannedRep]:
    """From wall_start_in (6) step back until max_reach_in, then `fails` attempts stop short."""
    return progression(athlete, o, _start_in(o, 6.0))


def wall_short(athlete: SimBody, o: ScriptOptions) -> list[PlannedRep]:
    """`reps` wall reps at wall_start_in (10) that all stop `short_mm` short (wall stays)."""
    d = _start_in(o, 10.0)
    return [PlannedRep("wall", wall_bottom(athlete, o, d, False), d, ("wall_not_reached",))] * o.reps


def wall_near(athlete: SimBody, o: ScriptOptions) -> list[PlannedRep]:
    """`reps` near-miss wall reps from wall_start_in (6): they alternate between touching the
    wall with no margin (through 0 mm) and stopping 40 mm short (15 mm outside the 25 mm
    tolerance); the wall steps back after a touch and stays after a miss."""
    edge = replace(o, through_mm=0.0, short_mm=40.0)
    d, plan = _start_in(o, 6.0), []
    for i in range(o.reps):
        touch = i % 2 == 0
        missed = () if touch else ("wall_not_reached",)
        plan.append(PlannedRep("wall", wall_bottom(athlete, edge, d, touch), d, missed))
        d += o.wall_step_in if touch else 0.0
    return plan


def session(athlete: SimBody, o: ScriptOptions) -> list[PlannedRep]:
    """The demo: `dowel_reps` clean dowel reps, then the wall progression with its fails."""
    dowel = [PlannedRep("dowel", CLEAN_DOWEL, None, ())] * o.dowel_reps
    return dowel + progression(athlete, o, _start_in(o, 6.0))


PlanFn = Callable[[SimBody, ScriptOptions], list[PlannedRep]]


def fault_plan(name: str) -> PlanFn:
    """`reps` dowel-drill reps that all show the fault of FAULT_BOTTOMS[name]."""
    bottom, fault = FAULT_BOTTOMS[name]

    def plan(athlete: SimBody, o: ScriptOptions) -> list[PlannedRep]:
        return [PlannedRep("dowel", bottom, None, (fault,))] * o.reps

    plan.__doc__ = f"{name}: every rep shows {fault}."
    return plan


PLANS: dict[str, PlanFn] = {
    "walk_in_stand": walk_in_stand, "dowel_reps": dowel_reps, "wall_pass": wall_pass,
    "wall_progression": wall_progression, "wall_short": wall_short, "wall_near": wall_near,
    **{name: fault_plan(name) for name in FAULT_BOTTOMS}, "session": session,
}
