"""`MpfbBody`: an MPFB person behind hardware.sim.bodies.SimBody, and its exact truth.

Ground truth is the BODY, by docs/measurement.md, from the posed (skinned) mesh and its
skeleton, never estimated:
- heel / toe: rearmost / foremost body vertex at most 0.10 m above the floor;
- buttocks: rearmost point of the rendered surface (body, shirt, hair) at least 0.30 m
  above the floor, because that is what touches a wall; shirt hems stay above the
  buttocks' rearmost level, so in practice it is the buttocks' skin;
- hip joint: midpoint of the thigh bones' heads; shoulder: midpoint of the upper arms'
  heads (z = 0); knee, ankle: mean of both sides' joint centres;
- sacrum: where the trunk's skin crosses the plane at hip joint + 0.08 * stature along the
  trunk axis, rearmost there; thoracic: the trunk's most posterior skin point between 45 %
  and 85 % of the hip -> shoulder line; head: the most posterior head vertex (occiput);
  all relative to the trunk axis, and all on the skin (a shirt or hair is not the back);
- neck base (neck01's head), head top (the skull's top vertex), centre of mass (segment
  masses of the skinned volume, mass.py), spinal flexion (lumbar + thoracic - pelvic tilt).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from hardware.sim.landmarks import (
    FOOT_MAX_Y_M,
    HIP_MIN_Y_M,
    THORACIC_BAND,
    BodyLandmarks,
    slice_extreme,
    trunk_axis,
)
from hardware.sim.mpfb.garments import dress
from hardware.sim.mpfb.kinematics import Posed, pose_body
from hardware.sim.mpfb.model import Model, PersonSpec, build_model
from hardware.sim.mpfb.skinning import skin
from hardware.sim.skeleton import Pose

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]
FAMILY = "mpfb"


@dataclass(frozen=True, eq=False)
class PosedPerson:
    """One pose: skeleton transforms, skinned body vertices, and the rendered surface
    (body vertices then garment vertices; triangles: Model.surface_tris)."""

    kin: Posed
    body: FloatArray
    surface: FloatArray


@lru_cache(maxsize=64)
def _kinematics(spec: PersonSpec, pose: Pose) -> Posed:
    return pose_body(build_model(spec).limbs, pose)


@lru_cache(maxsize=8)
def posed_person(spec: PersonSpec, pose: Pose) -> PosedPerson:
    """Posed body and surface (cached: source, truth and landmarks ask for the same pose)."""
    m = build_model(spec)
    kin = _kinematics(spec, pose)
    body = skin(m.rest.verts, m.rest.weights, kin.rotations, kin.translations)
    extra, _ = dress(m.garments, body, kin)
    surface = np.vstack([body, *extra]) if extra else body
    body.setflags(write=False)
    surface.setflags(write=False)
    return PosedPerson(kin=kin, body=body, surface=surface)


def _vec(p: FloatArray) -> tuple[float, float, float]:
    return (float(p[0]), float(p[1]), float(p[2]))


def _extreme(points: FloatArray, score: FloatArray) -> FloatArray:
    return np.asarray(points[int(np.argmax(score))], dtype=np.float64)


@dataclass(frozen=True)
class MpfbBody:
    """A MakeHuman/MPFB2 person (population.population()) as a SimBody."""

    person: PersonSpec

    @property
    def model(self) -> Model:
        return build_model(self.person)

    @property
    def spec(self) -> str:
        return f"{FAMILY}:{self.person.id}"

    @property
    def stature_m(self) -> float:
        return self.person.stature_m

    def foot_length_m(self) -> float:
        return self.model.foot_length_m

    def trunk_length_m(self) -> float:
        return self.model.trunk_length_m

    def com(self, pose: Pose) -> FloatArray:
        kin = _kinematics(self.person, pose)
        return self.model.masses.com(kin.rotations, kin.translations)

    def mesh(self, pose: Pose) -> tuple[FloatArray, IntArray]:
        return posed_person(self.person, pose).surface, self.model.surface_tris

    def buttocks_x(self, pose: Pose) -> float:
        s = posed_person(self.person, pose).surface
        return float(s[s[:, 1] >= HIP_MIN_Y_M, 0].min())

    def leg_joints(self, pose: Pose) -> dict[str, FloatArray]:
        return _kinematics(self.person, pose).joints

    def spinal_flexion_deg(self, pose: Pose) -> float:
        return _kinematics(self.person, pose).spinal_flexion_deg

    def landmarks(self, pose: Pose) -> BodyLandmarks:
        """Landmarks by the definitions in the module docstring (world, metres)."""
        m, p = self.model, posed_person(self.person, pose)
        v, j = p.body, p.kin.joints
        hip, sh = j["hip"], j["shoulder"]
        u, n = trunk_axis(hip, sh)
        rel = v[:, :2] - hip[:2]
        axial, post = rel @ u, rel @ n
        frac = axial / float(np.linalg.norm(sh[:2] - hip[:2]))
        low = v[v[:, 1] <= FOOT_MAX_Y_M]
        t = m.trunk_ids
        band = t[(frac[t] >= THORACIC_BAND[0]) & (frac[t] <= THORACIC_BAND[1])]
        surf = p.surface[p.surface[:, 1] >= HIP_MIN_Y_M]
        return BodyLandmarks(
            heel=_vec(_extreme(low, -low[:, 0])),
            toe=_vec(_extreme(low, low[:, 0])),
            ankle=_vec(0.5 * (j["ankle_l"] + j["ankle_r"])),
            knee=_vec(0.5 * (j["knee_l"] + j["knee_r"])),
            hip_joint=_vec(hip),
            shoulder=_vec(sh),
            neck_base=_vec(j["neck_base"]),
            head_top=_vec(j["head_top"]),
            sacrum=_vec(slice_extreme(v, m.trunk_tris, axial, 0.08 * self.stature_m, post)),
            thoracic=_vec(_extreme(v[band], post[band])),
            head=_vec(_extreme(v[m.head_ids], post[m.head_ids])),
            buttocks=_vec(_extreme(surf, -surf[:, 0])),
            com=_vec(self.com(pose)),
        )

    def describe(self) -> dict[str, Any]:
        s, m = self.person, self.model
        return {
            "family": FAMILY, "id": s.id, "label": s.label, "sex": s.sex, "stature_m": s.stature_m,
            "bmi": s.bmi, "mass_kg": round(m.mass_kg, 3), "build": s.build, "age_years": s.age_years,
            "shirt": s.shirt_ease_m is not None, "hair": s.hair,
            "macros": {k: round(float(v), 6) for k, v in vars(m.macros).items()},
        }
