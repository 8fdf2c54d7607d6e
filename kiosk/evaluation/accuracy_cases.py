"""The accuracy harness's cases: one simulated session each (athlete, camera placement,
camera model, script), and the quick and full matrices.

A placement is what an installer would do: the camera at `camera_height_m` on the
athlete's side (square-on, or swung up to 30 deg behind it), `distance_m` from the station
(horizontal, metres), pitched so the floor at the near foot and the top of the head sit
symmetrically in the D4xx's 58.8 deg vertical field of view (`installer_pitch_deg`).
A D4xx at 848x480 fits a standing 2 m athlete only from ~2 m; nearer, only a shorter one
fits (1.5 m: ~1.55 m tall), so a case's distance is drawn from those that fit its athlete.
The calibration check (which assumes a 2 m athlete) then reports such placements as
cutting the head off; the harness records that and measures the case anyway.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hardware.sim.camera import Placement
from hardware.sim.source import SimConfig

WALL_SCRIPTS = ("wall_pass", "wall_progression", "wall_short", "wall_near")
FAULT_SCRIPTS = (
    "squat_pattern", "rounded_back", "rounded_lumbar", "head_up", "head_down", "weight_on_toes", "wall_short",
)
VFOV_HALF_DEG = math.degrees(math.atan(240.0 / 426.0))  # 848x480 depth stream, fx 426 px
HEAD_CLEARANCE_M = 0.08  # above the stature: hair, and a margin an installer leaves
NEAR_FOOT_M = 0.15  # the near foot is this much closer to the camera than the station centre
AIM_STATURE_M = 1.95
MAX_SPAN_DEG = 2.0 * VFOV_HALF_DEG - 3.0  # 1.5 deg to spare at each edge of the image


def installer_pitch_deg(distance_m: float, camera_height_m: float, stature_m: float) -> float:
    """Pitch (deg below horizontal) an installer sets: the floor at the near foot and the
    head top of the tallest athlete the station serves (AIM_STATURE_M) centred in view,
    or of this athlete where the distance is too short for that."""
    fits_tallest = view_span_deg(distance_m, camera_height_m, AIM_STATURE_M) <= MAX_SPAN_DEG
    aim = AIM_STATURE_M if fits_tallest else stature_m
    down = math.degrees(math.atan2(camera_height_m, distance_m - NEAR_FOOT_M))
    up = math.degrees(math.atan2(aim + HEAD_CLEARANCE_M - camera_height_m, distance_m))
    return round((down - up) / 2.0 * 2.0) / 2.0  # to 0.5 deg, as a tilt bracket is set


def view_span_deg(distance_m: float, camera_height_m: float, stature_m: float) -> float:
    """Vertical angle the standing athlete (near-foot floor to head top) spans, degrees."""
    down = math.degrees(math.atan2(camera_height_m, distance_m - NEAR_FOOT_M))
    up = math.degrees(math.atan2(stature_m + HEAD_CLEARANCE_M - camera_height_m, distance_m))
    return down + up


@dataclass(frozen=True)
class Case:
    """One simulated session: who (stature m, build), where the camera is (distance m,
    height m, pitch deg below horizontal, side, oblique deg behind the side), which
    camera model and script (reps None: the script's default)."""

    script: str
    height_m: float = 1.78
    build: str = "average"
    camera: str = "D435"
    distance_m: float = 2.0
    camera_height_m: float = 1.0
    pitch_deg: float | None = None  # None: installer_pitch_deg
    side: str = "right"
    oblique_deg: float = 0.0
    seed: int = 0
    reps: int | None = None
    brisk: bool = True  # SCRIPT_OPTIONS' short walk in and out (False: the script's own)
    body: str = "parametric"  # SimConfig.body: "parametric" or "mpfb:<id>" (sets height and build)
    fps: int = 30
    drop_frac: float = 0.0  # share of frames the camera drops (seeded), after rendering
    wall_start_in: float | None = None  # the script's first wall (None: its default)
    # Confounds of the parametric body (hardware/sim/soft_tissue.py, clothing.py): soft
    # glutes that flatten in the hinge, a loose shirt. The validation family has its own.
    glute_softness: float = 0.0
    shirt_ease_m: float = 0.0

    @property
    def family(self) -> str:
        return self.body.split(":")[0]

    @property
    def name(self) -> str:
        who = "" if self.body == "parametric" else f" {self.body}"
        rate = "" if self.fps == 30 else f" {self.fps}fps"
        drop = f" drop{self.drop_frac:g}" if self.drop_frac > 0 else ""
        drop += "" if self.wall_start_in is None else f" w{self.wall_start_in:g}"
        drop += f" glutes{self.glute_softness:g}" if self.glute_softness > 0 else ""
        drop += f" shirt{self.shirt_ease_m * 1000:g}mm" if self.shirt_ease_m > 0 else ""
        return (
            f"{self.script}{who} {self.height_m:.2f}m {self.build} {self.camera} {self.distance_m:.2f}m "
            f"h{self.camera_height_m:.2f} p{self.pitch:g} {self.side} obl{self.oblique_deg:g}"
            + (" brisk" if self.brisk else "") + rate + drop
        )

    @property
    def pitch(self) -> float:
        if self.pitch_deg is not None:
            return self.pitch_deg
        return installer_pitch_deg(self.distance_m, self.camera_height_m, self.height_m)

    @property
    def dowel_reps(self) -> int:
        """The drill's dowel stage as an operator would set it: none for a wall script, and
        every rep of a dowel script (3 unless the case sets reps). With the kiosk's 3 a
        4-rep dowel script's last rep was judged at a 6 in wall the script never had."""
        if self.script in WALL_SCRIPTS:
            return 0
        return 3 if self.reps is None else self.reps

    def sim_config(self) -> SimConfig:
        placement = Placement(
            distance_m=self.distance_m,
            height_m=self.camera_height_m,
            pitch_deg=self.pitch,
            side=self.side,  # type: ignore[arg-type]
            oblique_deg=self.oblique_deg,
        )
        options: dict[str, float] = dict(SCRIPT_OPTIONS) if self.brisk else {}
        if self.reps is not None:
            options["reps"] = self.reps
        if self.wall_start_in is not None:
            options["wall_start_in"] = self.wall_start_in
        return SimConfig(
            script=self.script,
            script_options=options,
            height_m=self.height_m,
            build=self.build,
            placement=placement,
            camera=self.camera,
            seed=self.seed,
            fps=self.fps,
            body=self.body,
            glute_softness=self.glute_softness,
            shirt_ease_m=self.shirt_ease_m,
        )


QUICK: tuple[Case, ...] = (
    Case("dowel_reps", 1.78, "average", "D435", 2.2, 1.0, None, "right", 0.0, reps=2),
    Case("squat_pattern", 1.65, "slim", "D455", 2.3, 0.9, None, "left", 15.0, reps=2),
    Case("rounded_back", 1.85, "heavy", "D435", 2.5, 1.1, None, "right", 30.0, reps=2),
    Case("head_up", 1.95, "average", "D455", 2.5, 1.2, None, "left", 0.0, reps=2),
    Case("head_down", 1.55, "slim", "D435", 2.2, 0.85, None, "right", 20.0, reps=2),
    Case("weight_on_toes", 1.70, "heavy", "D455", 2.2, 1.0, None, "left", 30.0, reps=2),
    Case("wall_progression", 1.78, "average", "D435", 2.3, 1.0, None, "right", 10.0),
    Case("wall_short", 1.60, "average", "D455", 2.0, 0.7, None, "left", 25.0, reps=2),
)

# Script -> how many cases. Each fault script (wall_short included) runs 3 times: square-on
# and swung 30 and 20 deg behind the side, on both camera models.
FULL_COUNTS: dict[str, int] = {
    **{s: 3 for s in FAULT_SCRIPTS},
    "dowel_reps": 2,
    "wall_pass": 2,
    "wall_near": 2,
    "wall_progression": 2,
    "session": 1,
    "walk_in_stand": 1,
}
# Walking is not measured: a brisk walk in and out keeps the frames (and the run) short.
SCRIPT_OPTIONS: dict[str, float] = {"walk_s": 1.5, "absent_s": 0.3}
HEIGHTS_M = (1.55, 1.65, 1.75, 1.85, 1.95)
BUILDS = ("slim", "average", "heavy")
DISTANCES_M = (1.75, 2.0, 2.25, 2.5)
CAMERA_HEIGHTS_M = (0.7, 0.85, 1.0, 1.1, 1.2)
# Degrees behind the side of a script's k-th case: fault scripts square-on, 30 and 20.
OBLIQUES_DEG: dict[str, tuple[float, ...]] = {
    "dowel_reps": (10.0, 0.0),
    "wall_pass": (0.0, 30.0),
    "wall_near": (20.0, 0.0),
    "wall_progression": (10.0, 30.0),
    "session": (10.0,),
    "walk_in_stand": (0.0,),
}
FAULT_OBLIQUES_DEG = (0.0, 30.0, 20.0)


def _distance(i: int, height_m: float, camera_height_m: float) -> float:
    """The i-th distance in rotation among those that fit the standing athlete in view."""
    fits = [d for d in DISTANCES_M if view_span_deg(d, camera_height_m, height_m) <= MAX_SPAN_DEG]
    return fits[i % len(fits)]


def full_matrix() -> tuple[Case, ...]:
    """Every script FULL_COUNTS times, round-robin; the k-th run of a script alternates the
    camera model and takes the k-th oblique (OBLIQUES_DEG); stature, build, camera height, side and
    distance rotate with co-prime strides so each level meets many scripts. Two shortest-
    distance placements (1.5 m, short athlete, high camera) close the matrix."""
    cases: list[Case] = []
    for k in range(max(FULL_COUNTS.values())):
        for j, (script, count) in enumerate(FULL_COUNTS.items()):
            if k >= count:
                continue
            i = len(cases)
            height = HEIGHTS_M[i % len(HEIGHTS_M)]
            cam_h = CAMERA_HEIGHTS_M[(3 * i + 1 + i // 5) % len(CAMERA_HEIGHTS_M)]
            cases.append(
                Case(
                    script,
                    height_m=height,
                    build=BUILDS[(i // len(HEIGHTS_M) + i % len(HEIGHTS_M)) % len(BUILDS)],
                    camera=("D435", "D455")[(k + j) % 2],
                    distance_m=_distance(i // 3 + i, height, cam_h),
                    camera_height_m=cam_h,
                    side=("right", "left")[(i // 2 + k) % 2],
                    oblique_deg=OBLIQUES_DEG.get(script, FAULT_OBLIQUES_DEG)[k],
                    seed=i,
                    reps=None if script in ("wall_progression", "session", "walk_in_stand") else 2,
                )
            )
    cases += [
        Case("dowel_reps", 1.55, "slim", "D455", 1.5, 1.2, side="left", oblique_deg=0.0, seed=90, reps=2),
        Case("head_down", 1.55, "average", "D435", 1.5, 1.1, side="right", oblique_deg=20.0, seed=91, reps=2),
    ]
    return tuple(cases) + confound_matrix()


def confound_matrix() -> tuple[Case, ...]:
    """Soft glutes (softness 1: they flatten and pull toward the thigh in the hinge) on the
    scripts the back rule separates: a neutral back must stay neutral while the buttocks
    change shape, and lumbar flexion must still be caught. Part of the tuning family."""
    specs = (
        ("dowel_reps", 1.70, "heavy", "D435", 2.25, 1.0, "right", 0.0),
        ("dowel_reps", 1.85, "average", "D455", 2.5, 0.85, "left", 20.0),
        ("wall_pass", 1.62, "average", "D455", 2.0, 1.1, "left", 10.0),
        ("head_down", 1.78, "slim", "D435", 2.25, 1.0, "right", 30.0),
        ("rounded_lumbar", 1.75, "heavy", "D455", 2.25, 1.0, "left", 0.0),
        ("rounded_lumbar", 1.60, "average", "D435", 2.0, 0.85, "right", 20.0),
        ("rounded_back", 1.90, "average", "D435", 2.5, 1.2, "left", 10.0),
        ("squat_pattern", 1.68, "heavy", "D455", 2.25, 1.0, "right", 0.0),
    )
    return tuple(
        Case(script, h, build, cam, dist, cam_h, side=side, oblique_deg=obl, seed=200 + i, reps=2,
             glute_softness=1.0)
        for i, (script, h, build, cam, dist, cam_h, side, obl) in enumerate(specs)
    )
