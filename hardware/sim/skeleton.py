"""Pose of the simulated athlete and its forward kinematics (world frame).

World frame (docs/measurement.md): origin on the floor, +y up, +x the athlete's forward,
+z the athlete's right, metres. Angles in a Pose are degrees; "lean" angles are measured
from vertical in the sagittal (x-y) plane, + = the upper end forward (+x).

The trunk is a chain pelvis -> lumbar -> lower thorax -> (mid) -> upper thorax. Lumbar
flexion bends half at L5/S1 and half at T12/L1, thoracic flexion bends at the mid
thorax (the mid ribcage takes half, smoothing the fold). `trunk_angle_deg` is exact: the
whole chain is turned about the hip joint until the hip-joint -> shoulder-joint line has
that lean. The head turns about the neck base: `neck_flexion_deg` is its axis relative to
that line (+ = dropped, - = looking up).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from hardware.sim.anthropometry import MASS_FRACTION, Athlete, dims
from hardware.sim.parts import Capsule, Ellipsoid, assembly
from hardware.sim.primitives import axis_frame, lean_rotation

FloatArray = npt.NDArray[np.float64]
Frame = tuple[FloatArray, FloatArray]  # (R, t): world = R @ local + t
SIDES: tuple[tuple[str, float], ...] = (("l", -1.0), ("r", 1.0))
NOMINAL_STRIDE_M = 1.2  # one gait cycle (two steps) at normal walking speed
SWING_KNEE_DEG = 55.0   # extra knee flexion of the swing leg at full stride
ARM_SWING_DEG = 12.0    # arm swing amplitude at full stride (small: arms never trail the buttocks)


@dataclass(frozen=True)
class Pose:
    """Posture of the athlete (degrees, metres, world frame).

    heel_x_m: x of the heels' rearmost point with the feet flat (walking moves it).
    shank_tilt_deg: ankle -> knee lean (+ = knee forward of the ankle).
    knee_flexion_deg: 0 = straight leg. trunk_angle_deg: hip joint -> shoulder joint lean.
    lumbar_flexion_deg, thoracic_flexion_deg: spinal rounding beyond neutral (+ = rounding).
    pelvic_tilt_deg: anterior (+) tilt of the pelvis against the lumbar spine (arching).
    neck_flexion_deg: head axis against the trunk line (+ = dropped, - = looking up).
    arm_flexion_deg: shoulder -> wrist lean, hanging arm (+ = hands forward); None = hands
    resting on the front of the thighs (they slide down the thighs in a hinge).
    elbow_flexion_deg: 0 = straight arm.
    gait_phase: walking cycle position (cycles); stride_m: gait cycle length, 0 = standing.
    """

    heel_x_m: float = 0.0
    shank_tilt_deg: float = 0.0
    knee_flexion_deg: float = 0.0
    trunk_angle_deg: float = 0.0
    lumbar_flexion_deg: float = 0.0
    thoracic_flexion_deg: float = 0.0
    pelvic_tilt_deg: float = 0.0
    neck_flexion_deg: float = 0.0
    arm_flexion_deg: float | None = None
    elbow_flexion_deg: float = 10.0
    gait_phase: float = 0.0
    stride_m: float = 0.0


@dataclass(frozen=True, eq=False)
class Skeleton:
    """Forward kinematics of one pose. frames: segment -> (R, t). joints: world points
    (hip, shoulder: sagittal centres at z = 0; *_l/_r per side). com: whole-body centre of
    mass (Winter's segment masses). spinal_flexion_deg: upper thorax against pelvis,
    beyond neutral."""

    frames: dict[str, Frame]
    joints: dict[str, FloatArray]
    com: FloatArray
    spinal_flexion_deg: float


def _lean(alpha_rad: float) -> FloatArray:
    return np.array([math.sin(alpha_rad), math.cos(alpha_rad), 0.0])


FootBlobs = tuple[tuple[float, float, float, float], ...]


def foot_geometry(athlete: Athlete) -> tuple[float, float, FootBlobs]:
    """(ankle x - heel x, toe x - heel x, ellipsoids (cx, cy, semi_x, semi_y) of the foot in
    the ankle frame) from the meshed foot, so the heel lands exactly on Pose.heel_x_m."""
    return _foot_geometry(athlete)


@lru_cache(maxsize=16)
def _foot_geometry(athlete: Athlete) -> tuple[float, float, FootBlobs]:
    asm = assembly(athlete)
    v = asm.local_vertices[asm.segment_slices["foot_r"]]
    blobs: list[tuple[float, float, float, float]] = []
    for p in asm.parts:
        if p.segment != "foot_r":
            continue
        if isinstance(p, Ellipsoid):
            blobs.append((p.centre[0], p.centre[1], p.semi[0], p.semi[1]))
        elif isinstance(p, Capsule):
            blobs += [(p.p0[0], p.p0[1], p.r0, p.r0), (p.p1[0], p.p1[1], p.r1, p.r1)]
    return float(-v[:, 0].min()), float(v[:, 0].max() - v[:, 0].min()), tuple(blobs)


def _foot_bottom_y(ankle: FloatArray, pitch_rad: float, blobs: FootBlobs) -> float:
    """Lowest y of the foot's ellipsoids and capsule end spheres, pitched about the ankle."""
    c, s = math.cos(pitch_rad), math.sin(pitch_rad)
    low = math.inf
    for cx, cy, ax, ay in blobs:
        y = ankle[1] - s * cx + c * cy  # lean_rotation(pitch) applied to the blob's centre
        low = min(low, y - math.hypot(ax * s, ay * c))
    return low


def _trunk_chain(d_j: tuple[tuple[float, float], ...], angles: tuple[float, ...]) -> list[FloatArray]:
    """Spine pivots J0, J1, Jm then shoulder and neck base relative to the hip joint for
    segment leans (pelvis, lumbar, thorax_lo, thorax_up)."""
    j0, j1, jm, sh, nb = (np.array([p[0], p[1], 0.0]) for p in d_j)
    a_p, a_l, a_t1, a_t2 = angles
    p0 = lean_rotation(a_p) @ j0
    p1 = p0 + lean_rotation(a_l) @ (j1 - j0)
    pm = p1 + lean_rotation(a_t1) @ (jm - j1)
    r2 = lean_rotation(a_t2)
    return [p0, p1, pm, pm + r2 @ (sh - jm), pm + r2 @ (nb - jm)]


def solve_skeleton(athlete: Athlete, pose: Pose) -> Skeleton:
    """Joint positions, segment frames and centre of mass of `pose`."""
    d = dims(athlete)
    heel_to_ankle, _, blobs = foot_geometry(athlete)
    ls, lt = d.sagittal_m(d.shank_m), d.sagittal_m(d.thigh_m)
    th_s = math.radians(pose.shank_tilt_deg)
    th_t = th_s - math.radians(pose.knee_flexion_deg)
    ankle = np.array([pose.heel_x_m + heel_to_ankle, d.ankle_h_m, 0.0])
    knee = ankle + ls * _lean(th_s)
    hip = knee + lt * _lean(th_t)
    frames: dict[str, Frame] = {}
    joints: dict[str, FloatArray] = {}
    gait = min(1.0, pose.stride_m / NOMINAL_STRIDE_M)
    amp = math.asin(min(0.5, pose.stride_m / (4.0 * (ls + lt))))
    legs: list[tuple[str, float, FloatArray, FloatArray, float, float, float]] = []
    for side, sign in SIDES:
        ph = 2.0 * math.pi * (pose.gait_phase + (0.0 if side == "l" else 0.5))
        swing = amp * math.sin(ph)
        # The swing leg's knee bends most as it passes under the hip moving forward.
        bend = math.radians(SWING_KNEE_DEG) * gait * max(0.0, math.cos(ph)) ** 2
        kn = math.radians(pose.knee_flexion_deg) + bend
        t_i = th_t - swing
        s_i = t_i + kn
        k_i = hip - lt * _lean(t_i)
        a_i = k_i - ls * _lean(s_i)
        legs.append((side, sign, a_i, k_i, s_i, t_i, 0.5 * (s_i - th_s)))  # heel-off / toe-up pitch
    lift = 0.0
    if pose.stride_m > 0.0:  # keep the lower foot on the floor while the legs swing
        lift = -min(_foot_bottom_y(a, pitch, blobs) for _, _, a, _, _, _, pitch in legs)
    up = np.array([0.0, lift, 0.0])
    hip = hip + up
    for side, sign, a_i, k_i, s_i, t_i, pitch in legs:
        za, zh = sign * d.foot_half_spacing_m, sign * d.hip_half_width_m
        zk = za + (zh - za) * d.shank_m / (d.shank_m + d.thigh_m)
        a3 = a_i + up + np.array([0.0, 0.0, za])
        k3 = k_i + up + np.array([0.0, 0.0, zk])
        h3 = hip + np.array([0.0, 0.0, zh])
        frames[f"foot_{side}"] = (lean_rotation(pitch), a3)
        frames[f"shank_{side}"] = (axis_frame(k3 - a3, np.array([math.cos(s_i), -math.sin(s_i), 0.0])), a3)
        frames[f"thigh_{side}"] = (axis_frame(h3 - k3, np.array([math.cos(t_i), -math.sin(t_i), 0.0])), k3)
        joints.update({f"ankle_{side}": a3, f"knee_{side}": k3, f"hip_{side}": h3})
    _trunk_and_head(athlete, pose, hip, frames, joints)
    _arms(athlete, pose, hip, knee + up, gait, frames, joints)
    joints["hip"] = hip
    lam, tau = math.radians(pose.lumbar_flexion_deg), math.radians(pose.thoracic_flexion_deg)
    spinal = math.degrees(lam + tau - math.radians(pose.pelvic_tilt_deg))
    return Skeleton(frames=frames, joints=joints, com=_com(athlete, frames), spinal_flexion_deg=spinal)


def _trunk_and_head(athlete: Athlete, pose: Pose, hip: FloatArray,
                    frames: dict[str, Frame], joints: dict[str, FloatArray]) -> None:
    d = dims(athlete)
    lam, tau = math.radians(pose.lumbar_flexion_deg), math.radians(pose.thoracic_flexion_deg)
    rel = (0.0, lam / 2 - math.radians(pose.pelvic_tilt_deg), lam / 2, tau)  # joint bends, bottom up
    cum = np.cumsum(rel)
    refs = (d.j0, d.j1, d.jm, d.shoulder, d.neck_base)
    s0 = _trunk_chain(refs, tuple(float(a) for a in cum))[3]
    a_p = math.radians(pose.trunk_angle_deg) - math.atan2(float(s0[0]), float(s0[1]))
    a_p_, a_l, a_t1, a_t2 = (float(a) + a_p for a in cum)
    p0, p1, pm, sh, nb = (hip + p for p in _trunk_chain(refs, (a_p_, a_l, a_t1, a_t2)))
    ref = {name: np.array([p[0], p[1], 0.0]) for name, p in (("j0", d.j0), ("j1", d.j1), ("jm", d.jm))}
    segments = (
        ("pelvis", a_p_, hip, np.zeros(3)), ("lumbar", a_l, p0, ref["j0"]),
        ("thorax_lo", a_t1, p1, ref["j1"]), ("thorax_mid", a_t1 + tau / 2, pm, ref["jm"]),
        ("thorax_up", a_t2, pm, ref["jm"]),
    )
    for seg, alpha, pivot_world, pivot_ref in segments:
        r = lean_rotation(alpha)
        frames[seg] = (r, pivot_world - r @ pivot_ref)
    a_h = math.radians(pose.trunk_angle_deg + pose.neck_flexion_deg)
    frames["head"] = (lean_rotation(a_h), nb)
    joints.update({"j0": p0, "j1": p1, "jm": pm, "shoulder": sh, "neck_base": nb,
                   "head_top": nb + d.head_top_m * _lean(a_h)})


def _arms(athlete: Athlete, pose: Pose, hip: FloatArray, knee: FloatArray, gait: float,
          frames: dict[str, Frame], joints: dict[str, FloatArray]) -> None:
    d = dims(athlete)
    sh = joints["shoulder"]
    e = math.radians(pose.elbow_flexion_deg)
    chord = math.sqrt(d.upperarm_m ** 2 + d.forearm_m ** 2 + 2 * d.upperarm_m * d.forearm_m * math.cos(e))
    beta = math.asin(d.forearm_m * math.sin(e) / chord)
    dz = d.shoulder_half_width_m - (d.hip_half_width_m + 0.02 * d.k)
    chord_xy = math.sqrt(chord * chord - dz * dz)
    if pose.arm_flexion_deg is None:
        base = _hands_on_thighs(athlete, sh, hip, knee, chord_xy)
    else:
        base = math.radians(pose.arm_flexion_deg)
    for side, sign in SIDES:
        ph = 2.0 * math.pi * (pose.gait_phase + (0.0 if side == "l" else 0.5))
        a = base - math.radians(ARM_SWING_DEG) * gait * math.sin(ph)  # against the same-side leg
        s3 = sh + np.array([0.0, 0.0, sign * d.shoulder_half_width_m])
        w3 = s3 + np.array([chord_xy * math.sin(a), -chord_xy * math.cos(a), -sign * dz])
        c = (w3 - s3) / chord
        fwd = np.array([1.0, 0.0, 0.0]) - c[0] * c
        fwd /= np.linalg.norm(fwd)
        elbow = s3 + d.upperarm_m * (math.cos(beta) * c - math.sin(beta) * fwd)
        frames[f"upperarm_{side}"] = (axis_frame(s3 - elbow, fwd), elbow)
        frames[f"forearm_{side}"] = (axis_frame(elbow - w3, fwd), w3)
        joints.update({f"shoulder_{side}": s3, f"elbow_{side}": elbow, f"wrist_{side}": w3})


def _hands_on_thighs(athlete: Athlete, sh: FloatArray, hip: FloatArray, knee: FloatArray,
                     reach_m: float) -> float:
    """Arm lean that puts the wrist on the front of the thighs, `reach_m` from the shoulder
    (sagittal): found by bisection down the thigh's front line."""
    d = dims(athlete)
    hx, hy = float(hip[0]), float(hip[1])
    dx, dy = float(knee[0]) - hx, float(knee[1]) - hy
    length = math.hypot(dx, dy)
    dx, dy = dx / length, dy / length
    fx, fy = -dy, dx  # anterior normal of a downward thigh
    sx, sy = float(sh[0]), float(sh[1])
    r_hip, r_knee, hand = 0.082 * d.g, 0.05 * d.k, 0.022 * d.k

    def point(t: float) -> tuple[float, float]:
        r = r_hip + (r_knee - r_hip) * t / length + hand  # thigh depth plus the hand's thickness
        return hx + t * dx + r * fx, hy + t * dy + r * fy

    lo, hi = 0.0, length
    px, py = point(lo)
    if math.hypot(px - sx, py - sy) < reach_m:
        for _ in range(24):
            mid = 0.5 * (lo + hi)
            px, py = point(mid)
            lo, hi = (mid, hi) if math.hypot(px - sx, py - sy) < reach_m else (lo, mid)
        px, py = point(0.5 * (lo + hi))
    return math.atan2(px - sx, sy - py)


def _com(athlete: Athlete, frames: dict[str, Frame]) -> FloatArray:
    d = dims(athlete)
    heel_to_ankle, _, _ = foot_geometry(athlete)
    # Segment centres of mass in each segment's frame: Winter's fractions along the limbs
    # (shank/thigh 0.433 from the proximal joint, upper arm 0.436, forearm 0.430), the
    # trunk pieces and head at their primitives' centres.
    local = {
        "foot": (0.44 * d.foot_m - heel_to_ankle, -0.5 * d.ankle_h_m, 0.0),
        "shank": (0.0, 0.567 * d.shank_m, 0.0),
        "thigh": (0.0, 0.567 * d.thigh_m, 0.0), "upperarm": (0.0, 0.564 * d.upperarm_m, 0.0),
        "forearm": (0.0, 0.57 * d.forearm_m, 0.0), "pelvis": (-0.01 * d.g, 0.06 * d.k, 0.0),
        "lumbar": (0.01 * d.g, 0.25 * d.k, 0.0), "thorax_lo": (0.0, 0.32 * d.k, 0.0),
        "thorax_mid": (0.0, 0.38 * d.k, 0.0), "thorax_up": (0.0, 0.46 * d.k, 0.0),
        "head": (0.02 * d.k, d.head_top_m - 0.12 * d.k, 0.0),
    }
    total = np.zeros(3)
    for seg, (r, t) in frames.items():
        kind = seg.rsplit("_", 1)[0] if seg.endswith(("_l", "_r")) else seg
        total += MASS_FRACTION[kind] * (r @ np.asarray(local[kind]) + t)
        if kind == "forearm":  # the hand rides on the forearm frame, beyond the wrist
            total += MASS_FRACTION["hand"] * (r @ np.array([0.0, -0.35 * d.hand_m, 0.0]) + t)
    return total
