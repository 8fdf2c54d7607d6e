"""The simulated body as a protocol, so scripts, ground truth and the source work for
either body family: the parametric athlete (hardware/sim/anthropometry.py ...) and the
MakeHuman/MPFB2 people (hardware/sim/mpfb/, listed by hardware/sim/population.py).

World frame of docs/measurement.md (+x forward, +y up, +z the body's right), metres.
Bodies are frozen and hashable: the simulator's caches key on them.

Body specs (SimConfig.body, `--body`): "parametric" (stature and build from the config)
or "mpfb:<id>" (a person of population.population()).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from hardware.sim.anthropometry import Athlete, dims
from hardware.sim.landmarks import BodyLandmarks, body_landmarks, body_mesh, buttocks_x, posed_body
from hardware.sim.mpfb import MPFB_PREFIX
from hardware.sim.skeleton import Pose, foot_geometry, solve_skeleton

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]
PARAMETRIC = "parametric"


class SimBody(Protocol):
    """What the simulator needs of a body. Every method is exact (no estimation) and
    cached per pose where it costs; `pose` follows hardware/sim/skeleton.Pose semantics."""

    def __hash__(self) -> int:
        """Bodies are hashable (frozen dataclasses): the simulator's caches key on them."""
        ...

    @property
    def spec(self) -> str:
        """The body spec string ("parametric" or "mpfb:<id>")."""
        ...

    @property
    def stature_m(self) -> float:
        """Standing height, soles to the top of the head (metres)."""
        ...

    def foot_length_m(self) -> float:
        """Heel-to-toe extent of the foot with the feet flat (metres)."""
        ...

    def trunk_length_m(self) -> float:
        """Hip joint centre to shoulder joint centre, neutral spine (metres)."""
        ...

    def com(self, pose: Pose) -> FloatArray:
        """Whole-body centre of mass (world, metres)."""
        ...

    def mesh(self, pose: Pose) -> tuple[FloatArray, IntArray]:
        """The rendered surface: vertices (N, 3) float64 and triangles (M, 3) int32,
        read-only; clothing and hair included."""
        ...

    def landmarks(self, pose: Pose) -> BodyLandmarks:
        """Landmarks of docs/measurement.md from the posed body and its skeleton."""
        ...

    def buttocks_x(self, pose: Pose) -> float:
        """x of the rendered surface's rearmost point at least 0.30 m above the floor."""
        ...

    def leg_joints(self, pose: Pose) -> dict[str, FloatArray]:
        """World joint centres hip_l, knee_l, ankle_l, hip_r, knee_r, ankle_r."""
        ...

    def spinal_flexion_deg(self, pose: Pose) -> float:
        """Upper thorax against pelvis beyond neutral (lumbar + thoracic - pelvic tilt)."""
        ...

    def describe(self) -> dict[str, Any]:
        """JSON-ready description (family, id, stature, ...) for truth documents."""
        ...


@dataclass(frozen=True)
class ParametricBody:
    """The parametric athlete (smooth primitives) behind the SimBody protocol."""

    athlete: Athlete

    @property
    def spec(self) -> str:
        return PARAMETRIC

    @property
    def stature_m(self) -> float:
        return self.athlete.height_m

    def foot_length_m(self) -> float:
        return foot_geometry(self.athlete)[1]

    def trunk_length_m(self) -> float:
        return dims(self.athlete).trunk_m

    def com(self, pose: Pose) -> FloatArray:
        return solve_skeleton(self.athlete, pose).com

    def mesh(self, pose: Pose) -> tuple[FloatArray, IntArray]:
        verts, tris = body_mesh(self.athlete, pose)
        if self.athlete.shirt_ease_m > 0.0:  # rendered only: landmarks use the bare body
            from hardware.sim.clothing import clothed_mesh

            return clothed_mesh(self.athlete, pose, verts, tris)
        return verts, tris

    def landmarks(self, pose: Pose) -> BodyLandmarks:
        return body_landmarks(self.athlete, pose)

    def buttocks_x(self, pose: Pose) -> float:
        return buttocks_x(self.athlete, pose)

    def leg_joints(self, pose: Pose) -> dict[str, FloatArray]:
        return posed_body(self.athlete, pose).skeleton.joints

    def spinal_flexion_deg(self, pose: Pose) -> float:
        frames = posed_body(self.athlete, pose).skeleton.frames
        r_p, r_up = frames["pelvis"][0], frames["thorax_up"][0]
        return math.degrees(math.atan2(r_up[0, 1], r_up[1, 1]) - math.atan2(r_p[0, 1], r_p[1, 1]))

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"family": PARAMETRIC, "stature_m": self.athlete.height_m,
                               "build": self.athlete.build}
        if self.athlete.shirt_ease_m > 0.0:
            out["shirt_ease_m"] = self.athlete.shirt_ease_m
        if self.athlete.glute_softness > 0.0:
            out["glute_softness"] = self.athlete.glute_softness
        return out


BodyLike = Athlete | SimBody


def as_body(body: BodyLike) -> SimBody:
    """`body` as a SimBody (an Athlete is wrapped in ParametricBody)."""
    return ParametricBody(body) if isinstance(body, Athlete) else body


def body_from_spec(spec: str, height_m: float = 1.78, build: str = "average", *,
                   shirt_ease_m: float = 0.0, glute_softness: float = 0.0) -> SimBody:
    """The body a spec names. "parametric" uses height_m, build and the shirt and glute
    options (Athlete); "mpfb:<id>" a person of the MPFB population, who brings her own
    clothes and tissue (the options are ignored; raises ValueError for an unknown id, and
    hardware.sim.mpfb.assets.AssetsMissingError when the assets have not been fetched)."""
    if spec == PARAMETRIC:
        return ParametricBody(Athlete(height_m=height_m, build=build, shirt_ease_m=shirt_ease_m,
                                      glute_softness=glute_softness))
    if spec.startswith(MPFB_PREFIX):
        from hardware.sim.population import mpfb_body

        return mpfb_body(spec[len(MPFB_PREFIX):])
    raise ValueError(f"unknown body {spec!r}: use 'parametric' or 'mpfb:<id>' (ids: hardware.sim.population)")
