"""The validation matrix: MakeHuman/MPFB2 people (hardware.sim.population) the measurement
core is never tuned on, at every frame rate of the D4xx depth modes, with dropped frames.

The parametric family (accuracy_cases.full_matrix) is where constants are tuned; this
matrix only reports. Each of the 48 people does `CASES_PER_PERSON` scripts, taken round-
robin from VALIDATION_SCRIPTS so every fault the drill names, clean hinges, near misses of
the wall (a touch with no margin and a stop 40 mm short: wall_near) and the progression
meet every build, stature and placement. Placement, camera model, frame rate and dropped
frames rotate with strides co-prime with the script count, so each level meets many
scripts. A person's stature decides which camera distances fit them in view
(accuracy_cases.MAX_SPAN_DEG), as an installer would see.
"""

from __future__ import annotations

from functools import lru_cache

from hardware.sim.population import PopulationEntry, holdout_population, population
from kiosk.evaluation.accuracy_cases import CAMERA_HEIGHTS_M, MAX_SPAN_DEG, Case, view_span_deg

VALIDATION_SCRIPTS = (
    "dowel_reps", "rounded_back", "rounded_lumbar", "squat_pattern", "head_up", "head_down",
    "weight_on_toes", "wall_pass", "wall_near", "wall_short", "wall_progression",
)
CASES_PER_PERSON = 2
# The D4xx depth modes; 30 fps (the kiosk's) most often, 6 fps rarely (it is a fallback mode).
FPS_CYCLE = (30, 15, 60, 30, 15, 90, 30, 6)
DROP_CYCLE = (0.0, 0.1, 0.0)  # every third case loses 10 % of its frames
REPS = 3
# Near misses come in pairs (a touch, then a miss); wall_pass starts at 2 in, since a
# soft or short person's balanced hinge reaches only 6-8 in (a wall beyond is not a rep).
SCRIPT_REPS = {"wall_near": 4, "dowel_reps": 4, "rounded_lumbar": 4}
SCRIPT_WALL_IN = {"wall_pass": 4.0, "wall_near": 4.0}
OBLIQUES_DEG = (0.0, 30.0, 10.0, 20.0)
DISTANCES_M = (1.5, 1.75, 2.0, 2.25, 2.5)


def _distance(i: int, stature_m: float, camera_height_m: float) -> float:
    fits = [d for d in DISTANCES_M if view_span_deg(d, camera_height_m, stature_m) <= MAX_SPAN_DEG]
    return (fits or [DISTANCES_M[-1]])[i % max(len(fits), 1)]


def _feasible(case: Case) -> Case:
    """The case, with its wall reps cut (down to 1) until the person can reach every wall."""
    from dataclasses import replace

    from hardware.sim.bodies import body_from_spec
    from hardware.sim.motion import make_script

    while True:
        cfg = case.sim_config()
        try:
            make_script(cfg.script, body_from_spec(cfg.body), **cfg.script_options)
            return case
        except ValueError:
            if case.reps is None or case.reps <= 1:
                return case  # run_case records it as skipped, with the reason
            case = replace(case, reps=case.reps - 1)


@lru_cache(maxsize=4)  # each case's feasibility builds the person's body: seconds each
def validation_matrix(
    per_person: int = CASES_PER_PERSON, people: tuple[PopulationEntry, ...] | None = None, seed0: int = 1000
) -> tuple[Case, ...]:
    """`per_person` cases for each person of `people` (default: the validation population,
    48 x 2 = 96 cases); noise seeds from seed0."""
    cases: list[Case] = []
    for p_i, person in enumerate(population() if people is None else people):
        for k in range(per_person):
            i = p_i * per_person + k
            script = VALIDATION_SCRIPTS[i % len(VALIDATION_SCRIPTS)]
            reps = None if script == "wall_progression" else SCRIPT_REPS.get(script, REPS)
            cam_h = CAMERA_HEIGHTS_M[(3 * i + 2) % len(CAMERA_HEIGHTS_M)]
            cases.append(
                _feasible(Case(
                    script,
                    height_m=person.stature_m,
                    build=person.build,
                    camera=("D435", "D455")[(i // 2) % 2],
                    distance_m=_distance(7 * i + 3, person.stature_m, cam_h),
                    camera_height_m=cam_h,
                    side=("right", "left")[(i // 3) % 2],
                    oblique_deg=OBLIQUES_DEG[(i // 5 + i) % len(OBLIQUES_DEG)],
                    seed=seed0 + i,
                    reps=reps,
                    body=person.body,
                    fps=FPS_CYCLE[(i // 2 + 3 * i) % len(FPS_CYCLE)],
                    drop_frac=DROP_CYCLE[i % len(DROP_CYCLE)],
                    wall_start_in=SCRIPT_WALL_IN.get(script),
                ))
            )
    return tuple(cases)


def holdout_matrix() -> tuple[Case, ...]:
    """The held-out people (hardware.sim.population.holdout_population, 24 x 2 = 48 cases),
    laid out as the validation matrix with their own noise seeds. Run only to report a
    measurement change already frozen on the other two families (docs/accuracy.md)."""
    return validation_matrix(people=holdout_population(), seed0=7000)
