"""The simulated athlete: a posable human body in the world frame, and balanced poses.

World frame (docs/measurement.md): origin on the floor, +y up, +x the athlete's forward,
+z the athlete's right; metres, angles in degrees at this API.

This module is the simulator's body API. Every function takes a body: the parametric
`Athlete` or any hardware.sim.bodies.SimBody (e.g. an MPFB person):
- `Athlete` (stature, build, stance) and `Pose` (joint angles) - see anthropometry/skeleton;
- `body_mesh(body, pose)`: world vertices and triangles for raycasting;
- `body_landmarks(body, pose)`: exact landmarks and centre of mass;
- `balanced_pose(...)`: a posture whose centre of mass stays over the mid-foot (hips go
  back as the trunk tips forward), solved for the shank tilt;
- `pose_reaching(...)`: the balanced hinge whose buttocks' rearmost point is at a given x,
  solved for the trunk angle (a wall touched exactly, or missed by a chosen margin).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from hardware.sim.anthropometry import BUILDS, Athlete
from hardware.sim.bodies import BodyLike, SimBody, as_body
from hardware.sim.landmarks import BodyLandmarks
from hardware.sim.roots import find_root
from hardware.sim.skeleton import Pose

__all__ = [
    "BUILDS", "CLEAN_COM_OVER_FOOT", "STANDING_COM_OVER_FOOT", "STANDING_KNEE_DEG", "Athlete",
    "BodyLandmarks", "BodyLike", "Pose", "SimBody", "balanced_pose", "body_landmarks", "body_mesh",
    "buttocks_x", "com_over_foot",
    "foot_length_m", "pose_reaching", "standing_pose",
]

CLEAN_COM_OVER_FOOT = 0.45  # a clean hinge keeps the weight over the mid-foot
STANDING_COM_OVER_FOOT = 0.38  # quiet standing: centre of pressure ~40 % of the foot from the heel
STANDING_KNEE_DEG = 3.0
_SHANK_RANGE_DEG = (-30.0, 50.0)


def foot_length_m(athlete: BodyLike) -> float:
    """Heel-to-toe extent of the meshed foot (metres)."""
    return as_body(athlete).foot_length_m()


def com_over_foot(athlete: BodyLike, pose: Pose) -> float:
    """Centre of mass x between heel (0) and toe (1), feet flat at pose.heel_x_m."""
    body = as_body(athlete)
    com_x = float(body.com(pose)[0])
    return (com_x - pose.heel_x_m) / body.foot_length_m()


def body_mesh(athlete: BodyLike, pose: Pose) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int32]]:
    """The body's rendered surface in `pose` (SimBody.mesh), world frame, read-only arrays."""
    return as_body(athlete).mesh(pose)


def body_landmarks(athlete: BodyLike, pose: Pose) -> BodyLandmarks:
    """Exact landmarks of docs/measurement.md in `pose` (SimBody.landmarks)."""
    return as_body(athlete).landmarks(pose)


def buttocks_x(athlete: BodyLike, pose: Pose) -> float:
    """x of the rendered surface's rearmost point at least 0.30 m above the floor."""
    return as_body(athlete).buttocks_x(pose)


def balanced_pose(athlete: BodyLike, trunk_angle_deg: float, knee_flexion_deg: float, *,
                  com_target: float = CLEAN_COM_OVER_FOOT, heel_x_m: float = 0.0,
                  lumbar_flexion_deg: float = 0.0, thoracic_flexion_deg: float = 0.0,
                  pelvic_tilt_deg: float = 0.0, neck_flexion_deg: float = 0.0,
                  arm_flexion_deg: float | None = None, elbow_flexion_deg: float = 10.0) -> Pose:
    """Pose with the given trunk angle, knee flexion and spine/head options whose centre of
    mass is at `com_target` of the foot (0 heel, 1 toe), feet flat at heel_x_m.

    Solves the shank tilt (ankle dorsiflexion): the hips travel back as the trunk tips.
    Raises ValueError when no shank tilt in -30..50 deg balances the body."""
    base = Pose(heel_x_m=heel_x_m, knee_flexion_deg=knee_flexion_deg, trunk_angle_deg=trunk_angle_deg,
                lumbar_flexion_deg=lumbar_flexion_deg, thoracic_flexion_deg=thoracic_flexion_deg,
                pelvic_tilt_deg=pelvic_tilt_deg, neck_flexion_deg=neck_flexion_deg,
                arm_flexion_deg=arm_flexion_deg, elbow_flexion_deg=elbow_flexion_deg)
    body = as_body(athlete)
    target_x = heel_x_m + com_target * body.foot_length_m()

    def excess(shank_deg: float) -> float:
        return float(body.com(_with_shank(base, shank_deg))[0]) - target_x

    shank = find_root(excess, *_SHANK_RANGE_DEG, tol=1e-6, ftol=1e-8)  # COM within 0.01 um
    return _with_shank(base, shank)


def _with_shank(p: Pose, shank_deg: float) -> Pose:
    return Pose(heel_x_m=p.heel_x_m, shank_tilt_deg=shank_deg, knee_flexion_deg=p.knee_flexion_deg,
                trunk_angle_deg=p.trunk_angle_deg, lumbar_flexion_deg=p.lumbar_flexion_deg,
                thoracic_flexion_deg=p.thoracic_flexion_deg, pelvic_tilt_deg=p.pelvic_tilt_deg,
                neck_flexion_deg=p.neck_flexion_deg, arm_flexion_deg=p.arm_flexion_deg,
                elbow_flexion_deg=p.elbow_flexion_deg, gait_phase=p.gait_phase, stride_m=p.stride_m)


def standing_pose(athlete: BodyLike, heel_x_m: float = 0.0) -> Pose:
    """Relaxed upright stance: trunk line vertical, knees nearly straight, balanced."""
    return balanced_pose(athlete, 0.0, STANDING_KNEE_DEG, com_target=STANDING_COM_OVER_FOOT,
                         heel_x_m=heel_x_m)


def pose_reaching(athlete: BodyLike, buttocks_x_m: float, knee_flexion_deg: float, *,
                  max_trunk_deg: float = 95.0, tol_m: float = 1e-5, **options: float) -> Pose:
    """Balanced hinge whose rearmost point above 0.3 m (the buttocks) is at x = buttocks_x_m.

    Solves the trunk angle in [0, max_trunk_deg] by 1-D root finding on the mesh's exact
    rearmost vertex; `options` are balanced_pose's keyword options (heel_x_m, com_target,
    spine and head angles). Raises ValueError if the point is out of reach."""

    body = as_body(athlete)

    def pose_at(trunk_deg: float) -> Pose:
        return balanced_pose(body, trunk_deg, knee_flexion_deg, **options)

    def excess(trunk_deg: float) -> float:
        return body.buttocks_x(pose_at(trunk_deg)) - buttocks_x_m

    # Coarse scan for the first crossing: the rearmost point moves back monotonically in
    # a normal hinge, but the scan keeps the bracket honest if it ever turns.
    lo = 0.0
    f_lo = excess(lo)
    if f_lo <= 0.0:
        raise ValueError(f"buttocks x {buttocks_x_m:.3f} m is not behind the standing position")
    step = 5.0
    while lo < max_trunk_deg:
        hi = min(lo + step, max_trunk_deg)
        if excess(hi) <= 0.0:
            # A trunk-angle bracket of tol_m / trunk length (rad) moves the hips less than tol_m.
            trunk = find_root(excess, lo, hi, tol=math.degrees(tol_m / body.trunk_length_m()), ftol=tol_m)
            return pose_at(trunk)
        lo = hi
    raise ValueError(f"buttocks x {buttocks_x_m:.3f} m is out of reach (trunk up to {max_trunk_deg} deg)")
