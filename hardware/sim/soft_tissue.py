"""Soft glutes: the parametric athlete's buttocks deform with hip flexion and gravity.

The buttock ellipsoids (parts.py, segment "pelvis") are shaped on a quietly standing
athlete, so their standing shape already contains the tissue's standing sag. With
`Athlete.glute_softness` > 0 they are deformed per pose, relative to that standing shape
(softness 0 = the rigid blobs, bit for bit; 1 = soft, untrained tissue):

- Hip flexion stretches gluteus maximus (origin: posterior ilium, sacrum, coccyx;
  insertion: gluteal tuberosity and iliotibial band) and the fat pad over it across the
  ischial tuberosity: the tissue is pulled taut over the bone and the prominence behind
  the pelvis flattens (the gluteal fold vanishes when sitting or bending). Modelled as a
  cut of the POSTERIOR semi-axis (pelvis-frame -x half only, so the surface stays smooth:
  both halves meet at x = centre with the same tangent plane) by
  GLUTE_FLATTEN_AT_90 (30 %) x softness x min(1, hip flexion / 90 deg): roughly linear in
  the angle, saturating at 90 deg where the tissue is fully stretched over the ischium.
  A 30 % cut of a ~10.5 cm posterior semi-axis is ~3 cm: the order of the change of
  posterior buttock depth between standing and a deep hip flexion on body scans.
- Soft tissue is nearly incompressible: the lost posterior volume spreads sideways (the
  buttocks widen when flexed, as when sitting). The lateral semi-axis grows by 2 / (1 + q)
  (q: posterior factor), which conserves the ellipsoid's volume exactly.
- The stretched muscle pulls its bulk towards its insertion on the femur: the blob's
  centre moves towards the thigh axis (the hip joint -> knee line, sagittal components) by
  GLUTE_PULL_AT_90 (25 %) of its distance to that line x softness x the same ramp.
- Gravity: the tissue sags by up to GLUTE_SAG_M (1 cm at 1.78 m, softness 1) along
  gravity, relative to its standing direction (standing already contains the sag): in a
  hinge it hangs towards the floor instead of towards the feet.

Only the buttocks move; every other part, the skeleton, the centre of mass and the spine
landmarks are untouched (the buttocks stay below the sacrum level in every pose).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from hardware.sim.anthropometry import Athlete, dims
from hardware.sim.parts import Ellipsoid
from hardware.sim.skeleton import Skeleton

FloatArray = npt.NDArray[np.float64]

GLUTE_FLATTEN_AT_90 = 0.30  # posterior semi-axis cut at 90 deg hip flexion, softness 1
GLUTE_PULL_AT_90 = 0.25     # share of the centre's distance to the thigh axis taken up at 90 deg
GLUTE_SAG_M = 0.010         # gravity sag at softness 1, 1.78 m athlete (scales with stature)
_FULL_STRETCH_DEG = 90.0


def hip_flexion_deg(sk: Skeleton, side: str) -> float:
    """Sagittal hip flexion of one side: the thigh's distal direction against the pelvis'
    downward axis, degrees (+ = thigh forward of the pelvis, 0 = the standing relation)."""
    r_p = sk.frames["pelvis"][0]
    r_t = sk.frames[f"thigh_{side}"][0]
    distal = r_p.T @ -r_t[:, 1]  # thigh local y points knee -> hip
    return math.degrees(math.atan2(float(distal[0]), float(-distal[1])))


def soft_glute_local(athlete: Athlete, sk: Skeleton, part: Ellipsoid,
                     local: FloatArray) -> FloatArray:
    """The buttock `part`'s vertices (`local`, pelvis frame, as meshed) deformed for the
    pose of `sk` at the athlete's glute_softness (module doc); pelvis frame."""
    soft = athlete.glute_softness
    side = part.name.rsplit("_", 1)[1]
    ramp = min(1.0, max(0.0, hip_flexion_deg(sk, side) / _FULL_STRETCH_DEG))
    q = 1.0 - GLUTE_FLATTEN_AT_90 * soft * ramp
    c = np.asarray(part.centre, dtype=np.float64)
    semi = np.asarray(part.semi, dtype=np.float64)
    unit = (local - c) / semi
    # Centre: towards the thigh axis (line through the hip joint, pelvis-frame x-y), and
    # the sag along gravity relative to standing.
    r_p = sk.frames["pelvis"][0]
    axis = (r_p.T @ -sk.frames[f"thigh_{side}"][0][:, 1])[:2]
    axis /= np.linalg.norm(axis)
    c2 = c[:2]
    perp = axis * float(c2 @ axis) - c2
    down = (r_p.T @ np.array([0.0, -1.0, 0.0]))[:2]
    sag = GLUTE_SAG_M * dims(athlete).k * (down - np.array([0.0, -1.0]))
    centre = c.copy()
    centre[:2] += soft * (GLUTE_PULL_AT_90 * ramp * perp + sag)
    scale = np.broadcast_to(semi, unit.shape).copy()
    scale[unit[:, 0] < 0.0, 0] *= q
    scale[:, 2] *= 2.0 / (1.0 + q)
    return np.asarray(centre + unit * scale, dtype=np.float64)
