"""Scripted motion as a timeline of segments: absent, walk, stand, hinge (down/hold/up).

Times in seconds from the script's start; positions in the world frame (metres). Every
segment eases with a cosine, and consecutive segments share their end poses, so a
script's motion is continuous. Each posture is re-balanced every frame (balanced_pose):
the centre of mass stays where the segment puts it, the heels stay put during reps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from hardware.sim.bodies import BodyLike, SimBody, as_body
from hardware.sim.body import STANDING_COM_OVER_FOOT, STANDING_KNEE_DEG, balanced_pose
from hardware.sim.skeleton import NOMINAL_STRIDE_M, Pose

WALK_SPEED_NOMINAL_M_S = 1.2   # speed at which the gait reaches its nominal stride
SWAY_DEG = (0.13, 0.10, 0.07)  # ankle sway (sum 0.3 deg): the head top moves < 10 mm, typically 3-5
SWAY_HZ = (0.23, 0.41, 0.67)


@dataclass(frozen=True)
class Posture:
    """Target of balanced_pose: a standing or hinged posture (degrees, 0..1 COM)."""

    trunk_angle_deg: float = 0.0
    knee_flexion_deg: float = STANDING_KNEE_DEG
    com_target: float = STANDING_COM_OVER_FOOT
    lumbar_flexion_deg: float = 0.0
    thoracic_flexion_deg: float = 0.0
    neck_flexion_deg: float = 0.0

    def lerp(self, other: Posture, w: float) -> Posture:
        def mix(a: float, b: float) -> float:
            return a + (b - a) * w

        return Posture(*(mix(a, b) for a, b in zip(_fields(self), _fields(other), strict=True)))


STANDING = Posture()


def _fields(p: Posture) -> tuple[float, ...]:
    return (p.trunk_angle_deg, p.knee_flexion_deg, p.com_target, p.lumbar_flexion_deg,
            p.thoracic_flexion_deg, p.neck_flexion_deg)


def posture_pose(athlete: BodyLike, posture: Posture, heel_x_m: float) -> Pose:
    """The balanced Pose of `posture` for any body (cached: holds and stands repeat it
    every frame)."""
    return _posture_pose(as_body(athlete), posture, heel_x_m)


@lru_cache(maxsize=512)
def _posture_pose(athlete: SimBody, posture: Posture, heel_x_m: float) -> Pose:
    return balanced_pose(athlete, posture.trunk_angle_deg, posture.knee_flexion_deg,
                         com_target=posture.com_target, heel_x_m=heel_x_m,
                         lumbar_flexion_deg=posture.lumbar_flexion_deg,
                         thoracic_flexion_deg=posture.thoracic_flexion_deg,
                         neck_flexion_deg=posture.neck_flexion_deg)


def ease(u: float) -> float:
    """Cosine ease 0 -> 1 with zero velocity at both ends."""
    u = min(1.0, max(0.0, u))
    return 0.5 - 0.5 * math.cos(math.pi * u)


@dataclass(frozen=True)
class Segment:
    """One stretch of a script. kind: "absent", "walk", "stand", "hinge".

    walk: heel x from x0_m to x1_m; `decelerate` ends at rest (walking in), otherwise it
    starts at rest (walking out); ramp_s: the speed ramp. hinge: posture a -> b (a == b:
    hold). stand: posture a plus seeded ankle sway that vanishes at both ends."""

    kind: str
    start_s: float
    end_s: float
    phase: str
    rep_index: int | None = None
    drill: str | None = None
    wall_distance_in: float | None = None
    heel_x_m: float = 0.0
    a: Posture = STANDING
    b: Posture = STANDING
    x0_m: float = 0.0
    x1_m: float = 0.0
    decelerate: bool = True
    ramp_s: float = 0.8
    sway_seed: int = 0

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    def pose_at(self, athlete: BodyLike, t_s: float) -> Pose | None:
        u = (t_s - self.start_s) / self.duration_s if self.duration_s > 0 else 1.0
        if self.kind == "absent":
            return None
        if self.kind == "hinge":
            post = self.a if self.a == self.b else self.a.lerp(self.b, ease(u))
            return posture_pose(athlete, post, self.heel_x_m)
        if self.kind == "stand":
            base = posture_pose(athlete, self.a, self.heel_x_m)
            sway = math.sin(math.pi * min(1.0, max(0.0, u))) * _sway_deg(self.sway_seed, t_s)
            return replace(base, shank_tilt_deg=base.shank_tilt_deg + sway)
        return self._walk_pose(athlete, t_s - self.start_s)

    def _walk_pose(self, athlete: BodyLike, tau_s: float) -> Pose:
        dist, speed = walk_profile(abs(self.x1_m - self.x0_m), self.duration_s, self.ramp_s, tau_s,
                                   self.decelerate)
        direction = 1.0 if self.x1_m >= self.x0_m else -1.0
        base = posture_pose(athlete, STANDING, 0.0)
        stride = NOMINAL_STRIDE_M * min(1.0, speed / WALK_SPEED_NOMINAL_M_S)
        return replace(base, heel_x_m=self.x0_m + direction * dist, stride_m=stride,
                       gait_phase=dist / NOMINAL_STRIDE_M)


def walk_profile(distance_m: float, duration_s: float, ramp_s: float, tau_s: float,
                 decelerate: bool) -> tuple[float, float]:
    """(distance covered, speed) at tau_s of a walk at constant speed with one cosine speed
    ramp: at the end to rest (decelerate) or from rest at the start."""
    v = distance_m / (duration_s - ramp_s / 2.0)
    if not decelerate:
        d_rev, s = walk_profile(distance_m, duration_s, ramp_s, duration_s - tau_s, True)
        return distance_m - d_rev, s
    tau = min(max(tau_s, 0.0), duration_s)
    cruise = duration_s - ramp_s
    if tau <= cruise:
        return v * tau, v
    r = tau - cruise
    return (v * cruise + v * (r / 2.0 + ramp_s / (2.0 * math.pi) * math.sin(math.pi * r / ramp_s)),
            v * 0.5 * (1.0 + math.cos(math.pi * r / ramp_s)))


@lru_cache(maxsize=64)
def _sway_phases(seed: int) -> tuple[float, ...]:
    return tuple(float(p) for p in np.random.default_rng(seed).uniform(0.0, 2.0 * math.pi, len(SWAY_HZ)))


def _sway_deg(seed: int, t_s: float) -> float:
    phases = _sway_phases(seed)
    return float(sum(a * math.sin(2.0 * math.pi * f * t_s + p)
                     for a, f, p in zip(SWAY_DEG, SWAY_HZ, phases, strict=True)))
