"""The simulator's Pose applied to an MPFB rest body: one rigid transform per segment.

Semantics match hardware/sim/skeleton.py and docs/measurement.md (world frame, metres):
- legs: each leg is first swung in the frontal plane about its hip so the ankle sits
  under the hip joint (feet hip-width apart, as the parametric athlete stands); then the
  shank and thigh turn about z only, so their sagittal leans are exactly shank_tilt_deg
  and shank_tilt_deg - knee_flexion_deg; the feet stay flat (rest orientation), the
  heel's rearmost rest point at heel_x_m; walking swings the legs as skeleton.py does;
- trunk: bends at the spine joints (lumbar flexion a third each at the heads of spine04,
  spine03, spine02; thoracic flexion a third at spine02 and two thirds at spine01;
  pelvic tilt extends the lowest lumbar joint), then the whole chain turns about the hip
  joint centre until the hip-joint -> shoulder-joint line leans exactly trunk_angle_deg;
- head: the neck bends evenly over neck01, neck02, neck03 and head until the head axis
  (neck base = neck01's head -> top of the skull) leans trunk_angle_deg + neck_flexion_deg
  (so 0 = the head axis along the trunk line);
- arms: shoulder -> wrist chord at arm_flexion_deg (or with the hands resting on the front
  of the thighs), elbow bent in the plane of the chord and the forward direction; resting
  hands lie along the thigh, palm on it (the wrist bends), the distal forearm takes half
  the turn of the palm; hanging hands continue the forearm, palms to the body's side.
Every rotation is about a world axis through a joint, so sagittal angles are exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from hardware.sim.landmarks import FOOT_MAX_Y_M
from hardware.sim.mpfb.limbs import Limbs, hands_on_thighs_angle
from hardware.sim.mpfb.rig import SEG, SEGMENTS
from hardware.sim.mpfb.skinning import skin
from hardware.sim.primitives import lean_rotation
from hardware.sim.skeleton import ARM_SWING_DEG, NOMINAL_STRIDE_M, SIDES, SWING_KNEE_DEG, Pose

FloatArray = npt.NDArray[np.float64]
SPINE: tuple[str, ...] = ("lumbar_lo", "lumbar_up", "thorax_lo", "thorax_up")
NECK: tuple[str, ...] = ("neck_lo", "neck_mid", "neck_up", "head")


@dataclass(frozen=True, eq=False)
class Posed:
    """Segment transforms (world = R @ rest + t) and world joints of one pose.

    joints: hip_l/_r, knee_*, ankle_*, shoulder_*, elbow_*, wrist_*, "hip" and "shoulder"
    (sagittal centres, z = 0), "neck_base", "head_top". spinal_flexion_deg: upper thorax
    against pelvis (lumbar + thoracic - pelvic tilt)."""

    rotations: FloatArray
    translations: FloatArray
    joints: dict[str, FloatArray]
    spinal_flexion_deg: float


def _lean(v: FloatArray) -> float:
    return math.atan2(float(v[0]), float(v[1]))


def pose_body(limbs: Limbs, pose: Pose) -> Posed:
    """Segment transforms and joints of `pose` (see the module docstring)."""
    j0 = limbs.rest.joints
    rot = np.tile(np.eye(3), (len(SEGMENTS), 1, 1))
    tr = np.zeros((len(SEGMENTS), 3))
    joints: dict[str, FloatArray] = {}

    def put(seg: str, r: FloatArray, pivot_rest: FloatArray, pivot_world: FloatArray) -> None:
        rot[SEG[seg]] = r
        tr[SEG[seg]] = pivot_world - r @ pivot_rest

    th_s = math.radians(pose.shank_tilt_deg)
    th_t = th_s - math.radians(pose.knee_flexion_deg)
    gait = min(1.0, pose.stride_m / NOMINAL_STRIDE_M)
    # The reference leg, bottom up from the flat foot: it fixes the hip's sagittal position.
    ankle_ref = limbs.ankle_rest_r + np.array([pose.heel_x_m - limbs.heel_x0_m, 0.0, 0.0])
    knee_ref = ankle_ref + lean_rotation(th_s - limbs.shank_lean0) @ limbs.shank_vec
    hip_ref = knee_ref + lean_rotation(th_t - limbs.thigh_lean0) @ limbs.thigh_vec
    amp = math.asin(min(0.5, pose.stride_m / (4.0 * limbs.leg_sagittal_m)))
    feet: list[tuple[str, FloatArray, FloatArray]] = []
    for side, sign in SIDES:
        flip = np.array([1.0, 1.0, sign])
        q = limbs.adduction[side]
        if pose.stride_m > 0.0:
            ph = 2.0 * math.pi * (pose.gait_phase + (0.0 if side == "l" else 0.5))
            bend = math.radians(SWING_KNEE_DEG) * gait * max(0.0, math.cos(ph)) ** 2
            t_i = th_t - amp * math.sin(ph)
            s_i = t_i + math.radians(pose.knee_flexion_deg) + bend
            l_t, l_s = lean_rotation(t_i - limbs.thigh_lean0), lean_rotation(s_i - limbs.shank_lean0)
            r_t, r_s = l_t @ q, l_s @ q
            hip = hip_ref * flip
            knee = hip - l_t @ (limbs.thigh_vec * flip)
            ankle = knee - l_s @ (limbs.shank_vec * flip)
            r_f = lean_rotation(0.5 * (s_i - th_s))
        else:
            r_t = lean_rotation(th_t - limbs.thigh_lean0) @ q
            r_s = lean_rotation(th_s - limbs.shank_lean0) @ q
            ankle, knee, hip = ankle_ref * flip, knee_ref * flip, hip_ref * flip
            r_f = np.eye(3)
        put(f"foot_{side}", r_f, j0[f"ankle_{side}"], ankle)
        put(f"shank_{side}", r_s, j0[f"ankle_{side}"], ankle)
        put(f"thigh_{side}", r_t, j0[f"knee_{side}"], knee)
        joints |= {f"hip_{side}": hip, f"knee_{side}": knee, f"ankle_{side}": ankle}
        feet.append((side, r_f, tr[SEG[f"foot_{side}"]]))
    if pose.stride_m > 0.0:  # keep the lower foot on the floor while the legs swing
        lift = -min(float((limbs.sole_points[s] @ r.T + t)[:, 1].min()) for s, r, t in feet)
        _move_legs(np.array([0.0, lift, 0.0]), tr, joints)
    else:  # the heel's rearmost skin exactly at heel_x_m (skin blended with the shank can reach back)
        low = skin(limbs.rest.verts[limbs.low_ids], limbs.rest.weights[limbs.low_ids], rot, tr)
        heel = float(low[low[:, 1] <= FOOT_MAX_Y_M, 0].min())
        _move_legs(np.array([pose.heel_x_m - heel, 0.0, 0.0]), tr, joints)
    hip = 0.5 * (joints["hip_l"] + joints["hip_r"])
    spinal = _trunk(limbs, pose, hip, rot, tr, joints)
    _arms(limbs, pose, gait, rot, tr, joints)
    joints["hip"] = hip
    return Posed(rotations=rot, translations=tr, joints=joints, spinal_flexion_deg=spinal)


def _move_legs(by: FloatArray, tr: FloatArray, joints: dict[str, FloatArray]) -> None:
    tr[[SEG[f"{p}_{s}"] for p in ("foot", "shank", "thigh") for s in "lr"]] += by
    for name in ("hip_l", "hip_r", "knee_l", "knee_r", "ankle_l", "ankle_r"):
        joints[name] = joints[name] + by


def _trunk(limbs: Limbs, pose: Pose, hip: FloatArray, rot: FloatArray, tr: FloatArray,
           joints: dict[str, FloatArray]) -> float:
    j0 = limbs.rest.joints
    lam, tau = math.radians(pose.lumbar_flexion_deg), math.radians(pose.thoracic_flexion_deg)
    tilt = math.radians(pose.pelvic_tilt_deg)
    bends = (lam / 3.0 - tilt, lam / 3.0, lam / 3.0 + tau / 3.0, 2.0 * tau / 3.0)
    angles = np.cumsum((0.0, *bends))  # pelvis, lumbar_lo, lumbar_up, thorax_lo, thorax_up
    # Chain with an unturned pelvis, then turn it about the hip so the trunk line has its lean.
    hip0 = 0.5 * (j0["hip_l"] + j0["hip_r"])
    pivots = [hip0] + [j0[s] for s in SPINE]
    world = [hip]
    rs = [lean_rotation(float(a)) for a in angles]
    for k in range(1, len(pivots)):
        world.append(world[-1] + rs[k - 1] @ (pivots[k] - pivots[k - 1]))
    sh0 = 0.5 * (j0["shoulder_l"] + j0["shoulder_r"])
    sh = world[-1] + rs[-1] @ (sh0 - pivots[-1])
    turn = math.radians(pose.trunk_angle_deg) - _lean(sh - hip)
    r_turn = lean_rotation(turn)
    for k, seg in enumerate(("pelvis", *SPINE)):
        r = r_turn @ rs[k]
        rot[SEG[seg]] = r
        tr[SEG[seg]] = hip + r_turn @ (world[k] - hip) - r @ pivots[k]
    r_up, t_up = rot[SEG["thorax_up"]], tr[SEG["thorax_up"]]
    joints["shoulder"] = r_up @ sh0 + t_up
    for side in "lr":
        joints[f"shoulder_{side}"] = r_up @ j0[f"shoulder_{side}"] + t_up
    nb = r_up @ j0["neck_lo"] + t_up
    joints["neck_base"] = nb
    _neck(limbs, pose, float(angles[-1] + turn), nb, rot, tr, joints)
    return math.degrees(float(angles[-1]))  # thorax_up minus pelvis


def _neck_chain(limbs: Limbs, base: float, delta: float,
                nb: FloatArray) -> list[tuple[FloatArray, FloatArray]]:
    """(R, t) of neck_lo, neck_mid, neck_up, head for an even bend `delta` over the neck."""
    j0 = limbs.rest.joints
    out: list[tuple[FloatArray, FloatArray]] = []
    pivot_w = nb
    for k, seg in enumerate(NECK):
        r = lean_rotation(base + delta * (k + 1) / len(NECK))
        if k > 0:
            prev_r, prev_t = out[-1]
            pivot_w = prev_r @ j0[seg] + prev_t
        out.append((r, pivot_w - r @ j0[seg]))
    return out


def _neck(limbs: Limbs, pose: Pose, base: float, nb: FloatArray, rot: FloatArray, tr: FloatArray,
          joints: dict[str, FloatArray]) -> None:
    """Bend the neck until lean(head_top - neck_base) = trunk + neck flexion (secant)."""
    target = math.radians(pose.trunk_angle_deg + pose.neck_flexion_deg)
    top0 = limbs.rest.joints["head_top"]

    def err(delta: float) -> float:
        r, t = _neck_chain(limbs, base, delta, nb)[-1]
        return _lean(r @ top0 + t - nb) - target

    x0, e0 = 0.0, err(0.0)
    x1 = -e0
    e1 = err(x1)
    for _ in range(30):
        if abs(e1) < 1e-13 or e1 == e0:
            break
        x0, x1, e0 = x1, x1 - e1 * (x1 - x0) / (e1 - e0), e1
        e1 = err(x1)
    for seg, (r, t) in zip(NECK, _neck_chain(limbs, base, x1, nb), strict=True):
        rot[SEG[seg]], tr[SEG[seg]] = r, t
    joints["head_top"] = rot[SEG["head"]] @ top0 + tr[SEG["head"]]


def _frame(y: FloatArray, n: FloatArray) -> FloatArray:
    """Rotation with columns (y x n, y, n) for unit y and n orthogonal to it."""
    return np.column_stack([np.cross(y, n), y, n])


def _twist(axis: FloatArray, angle: float) -> FloatArray:
    """Rotation by `angle` about the unit `axis` (Rodrigues)."""
    k = np.array([[0.0, -axis[2], axis[1]], [axis[2], 0.0, -axis[0]], [-axis[1], axis[0], 0.0]])
    return np.asarray(np.eye(3) + math.sin(angle) * k + (1.0 - math.cos(angle)) * (k @ k), dtype=np.float64)


def _hand(limbs: Limbs, side: str, sign: float, r_fa: FloatArray, y_fa: FloatArray,
          joints: dict[str, FloatArray], on_thighs: bool) -> FloatArray:
    """The hand's rotation: along the thigh's front, palm on it (hands resting on the
    thighs); else the forearm's, turned about its axis (at most 90 deg) so the palm faces
    the body's side."""
    rest_frame = _frame(limbs.hand_axis0[side], limbs.palm0[side])
    if on_thighs:
        down = joints[f"knee_{side}"] - joints[f"hip_{side}"]
        down /= np.linalg.norm(down)
        palm = np.array([-1.0, 0.0, 0.0]) - (-down[0]) * down  # towards the thigh, across it
        palm /= np.linalg.norm(palm)
        return np.asarray(_frame(down, palm) @ rest_frame.T, dtype=np.float64)
    want = np.array([0.0, 0.0, -sign])
    palm = r_fa @ limbs.palm0[side]
    p_perp, w_perp = palm - (palm @ y_fa) * y_fa, want - (want @ y_fa) * y_fa
    ang = math.atan2(float(np.cross(p_perp, w_perp) @ y_fa), float(p_perp @ w_perp))
    return np.asarray(_twist(y_fa, max(-math.pi / 2, min(math.pi / 2, ang))) @ r_fa, dtype=np.float64)


def _arms(limbs: Limbs, pose: Pose, gait: float, rot: FloatArray, tr: FloatArray,
          joints: dict[str, FloatArray]) -> None:
    j0 = limbs.rest.joints
    e = math.radians(pose.elbow_flexion_deg)
    l1, l2 = limbs.upperarm_m, limbs.forearm_m
    chord = math.sqrt(l1 * l1 + l2 * l2 + 2.0 * l1 * l2 * math.cos(e))
    beta = math.asin(l2 * math.sin(e) / chord)
    on_thighs = pose.arm_flexion_deg is None
    wz = limbs.wrist_z_thigh_m if on_thighs else limbs.wrist_z_side_m
    for side, sign in SIDES:
        s3 = joints[f"shoulder_{side}"]
        dz = sign * wz - float(s3[2])
        chord_xy = math.sqrt(max(chord * chord - dz * dz, 1e-9))
        if pose.arm_flexion_deg is None:
            base = hands_on_thighs_angle(limbs, s3, joints[f"hip_{side}"], joints[f"knee_{side}"], chord_xy)
        else:
            base = math.radians(pose.arm_flexion_deg)
        ph = 2.0 * math.pi * (pose.gait_phase + (0.0 if side == "l" else 0.5))
        a = base - math.radians(ARM_SWING_DEG) * gait * math.sin(ph)
        w3 = s3 + np.array([chord_xy * math.sin(a), -chord_xy * math.cos(a), dz])
        c = (w3 - s3) / chord
        fwd = np.array([1.0, 0.0, 0.0]) - c[0] * c
        fwd /= np.linalg.norm(fwd)
        elbow = s3 + l1 * (math.cos(beta) * c - math.sin(beta) * fwd)
        hinge = np.cross(c, fwd)
        hinge /= np.linalg.norm(hinge)
        y_ua, y_fa = (elbow - s3) / l1, (w3 - elbow) / l2
        r_ua = _frame(y_ua, hinge) @ limbs.upperarm_frame0[side].T
        r_fa = _frame(y_fa, hinge) @ limbs.forearm_frame0[side].T
        r_hand = _hand(limbs, side, sign, r_fa, y_fa, joints, on_thighs)
        palm = r_fa @ limbs.palm0[side]
        want = r_hand @ limbs.palm0[side]
        p_perp, w_perp = palm - (palm @ y_fa) * y_fa, want - (want @ y_fa) * y_fa
        ang = math.atan2(float(np.cross(p_perp, w_perp) @ y_fa), float(p_perp @ w_perp))
        r_fa2 = _twist(y_fa, 0.5 * ang) @ r_fa  # the distal forearm: half the palm's turn
        for seg, r, pivot0, pivot in ((f"upperarm_{side}", r_ua, j0[f"shoulder_{side}"], s3),
                                      (f"forearm_{side}", r_fa, j0[f"elbow_{side}"], elbow),
                                      (f"forearm2_{side}", r_fa2, j0[f"elbow_{side}"], elbow),
                                      (f"hand_{side}", r_hand, j0[f"wrist_{side}"], w3)):
            rot[SEG[seg]] = r
            tr[SEG[seg]] = pivot - r @ pivot0
        joints |= {f"elbow_{side}": elbow, f"wrist_{side}": w3}
