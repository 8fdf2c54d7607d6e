"""Rest-pose limb geometry the MPFB kinematics needs, measured once per person.

All in the rest frame of rig.RestBody (metres, world axes). Legs: the frontal-plane
swing that puts each ankle under its hip (feet hip-width apart), the adducted shank and
thigh vectors and their sagittal leans. Arms: segment lengths, rest frames of the upper
arm and forearm about the elbow hinge, the palm's normal, the thigh's front surface
profile the hands rest on, and where the wrists go sideways.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from hardware.sim.mpfb.rig import SEG, RestBody

FloatArray = npt.NDArray[np.float64]
PROFILE_BINS = 24
HAND_GAP_M = 0.004  # palm to thigh skin: resting on it, not pressed in


@dataclass(frozen=True, eq=False)
class Limbs:
    """See the module docstring. Per-side dicts are keyed "l"/"r"; the right leg's
    vectors serve both legs (the rest skeleton is mirror-symmetric)."""

    rest: RestBody
    adduction: dict[str, FloatArray]
    shank_vec: FloatArray          # adducted ankle -> knee, right leg
    thigh_vec: FloatArray          # adducted knee -> hip, right leg
    shank_lean0: float
    thigh_lean0: float
    leg_sagittal_m: float
    ankle_rest_r: FloatArray       # right ankle with the foot under the hip
    heel_x0_m: float
    sole_points: dict[str, FloatArray]
    low_ids: npt.NDArray[np.intp]  # skin that can be the heel (rest height <= 0.16 m)
    upperarm_m: float
    forearm_m: float
    upperarm_frame0: dict[str, FloatArray]
    forearm_frame0: dict[str, FloatArray]
    palm0: dict[str, FloatArray]
    hand_axis0: dict[str, FloatArray]  # wrist -> fingertips, unit
    thigh_front_m: FloatArray      # anterior skin distance from the hip->knee line, by fraction
    hand_half_m: float
    hand_length_m: float
    wrist_z_thigh_m: float
    wrist_z_side_m: float


def _adduction(hip: FloatArray, ankle: FloatArray) -> FloatArray:
    """Rotation about x that brings `ankle` under `hip` (same z)."""
    dy, dz = float(ankle[1] - hip[1]), float(ankle[2] - hip[2])
    th = math.atan2(dz, -dy)
    c, s = math.cos(th), math.sin(th)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def _lean(v: FloatArray) -> float:
    return math.atan2(float(v[0]), float(v[1]))


def _unit(v: FloatArray) -> FloatArray:
    return np.asarray(v / np.linalg.norm(v), dtype=np.float64)


def limb_geometry(rest: RestBody) -> Limbs:
    """Measure the limbs of `rest` (see the module docstring)."""
    j, v = rest.joints, rest.verts
    hip, knee, ankle = j["hip_r"], j["knee_r"], j["ankle_r"]
    q_r = _adduction(hip, ankle)
    q_l = q_r * np.array([[1.0, 1.0, -1.0], [1.0, 1.0, -1.0], [-1.0, -1.0, 1.0]])  # mirrored
    shank, thigh = q_r @ (knee - ankle), q_r @ (hip - knee)
    low = v[:, 1] <= 0.10
    feet = {s: (rest.dominant == SEG[f"foot_{s}"]) for s in "lr"}
    heel_x0 = float(v[low, 0].min())
    k = rest.stature_m / 1.78
    frames_ua, frames_fa, palms, axes = {}, {}, {}, {}
    halves: list[float] = []
    lengths: list[float] = []
    for s, sign in (("l", -1.0), ("r", 1.0)):
        sh, el, wr = j[f"shoulder_{s}"], j[f"elbow_{s}"], j[f"wrist_{s}"]
        hinge = _unit(np.cross(el - sh, wr - el))
        y_ua, y_fa = _unit(el - sh), _unit(wr - el)
        frames_ua[s] = np.column_stack([np.cross(y_ua, hinge), y_ua, hinge])
        frames_fa[s] = np.column_stack([np.cross(y_fa, hinge), y_fa, hinge])
        hand = v[(rest.dominant == SEG[f"hand_{s}"]) & ((v - wr) @ y_fa > 0.0)]
        pcs = np.linalg.svd(hand - hand.mean(axis=0), full_matrices=False)[2]
        normal, long = pcs[2], pcs[0]
        palms[s] = normal if normal[2] * -sign > 0 else -normal  # the side facing the body
        axis = long if float(((hand - wr) @ long).mean()) > 0 else -long
        axes[s] = _unit(axis - (axis @ palms[s]) * palms[s])
        lengths.append(float(((hand - wr) @ axes[s]).max()))
        along = (hand - wr) @ normal
        halves.append(0.5 * float(along.max() - along.min()))
    wrist_z_thigh = abs(float(hip[2])) + 0.02 * k
    return Limbs(
        rest=rest, adduction={"l": q_l, "r": q_r}, shank_vec=shank, thigh_vec=thigh,
        shank_lean0=_lean(shank), thigh_lean0=_lean(thigh),
        leg_sagittal_m=math.hypot(shank[0], shank[1]) + math.hypot(thigh[0], thigh[1]),
        ankle_rest_r=np.array([ankle[0], ankle[1], hip[2]]), heel_x0_m=heel_x0,
        sole_points={s: v[feet[s] & (v[:, 1] < 0.025)] for s in "lr"},
        low_ids=np.flatnonzero(v[:, 1] <= 0.16),
        upperarm_m=float(np.linalg.norm(j["elbow_r"] - j["shoulder_r"])),
        forearm_m=float(np.linalg.norm(j["wrist_r"] - j["elbow_r"])),
        upperarm_frame0=frames_ua, forearm_frame0=frames_fa, palm0=palms, hand_axis0=axes,
        thigh_front_m=_thigh_front(rest, q_r, wrist_z_thigh), hand_half_m=max(halves),
        hand_length_m=max(lengths),
        wrist_z_thigh_m=wrist_z_thigh, wrist_z_side_m=_hip_half_width(rest) + 0.03 * k,
    )


def _thigh_front(rest: RestBody, q: FloatArray, wrist_z: float) -> FloatArray:
    """Anterior distance of the right thigh's skin from the hip->knee line (sagittal), in
    PROFILE_BINS bins of the fraction along it, near the wrist's lateral position."""
    j = rest.joints
    hip, knee = j["hip_r"], j["knee_r"]
    sel = (rest.dominant == SEG["thigh_r"]) | (rest.dominant == SEG["shank_r"])
    pts = (rest.verts[sel] - hip) @ q.T
    axis = q @ (knee - hip)
    length = math.hypot(axis[0], axis[1])
    u2 = axis[:2] / length
    ant = np.array([-u2[1], u2[0]]) if -u2[1] > 0 else np.array([u2[1], -u2[0]])  # points to +x
    frac = (pts[:, :2] @ u2) / length
    dist = pts[:, :2] @ ant
    band = np.abs(pts[:, 2] + hip[2] - wrist_z) < 0.04
    prof = np.full(PROFILE_BINS, np.nan)
    idx = np.clip((frac * PROFILE_BINS).astype(int), 0, PROFILE_BINS - 1)
    ok = band & (frac >= 0.0) & (frac <= 1.0)
    for b in range(PROFILE_BINS):
        m = ok & (idx == b)
        if m.any():
            prof[b] = float(dist[m].max())
    known = np.flatnonzero(np.isfinite(prof))
    filled = np.asarray(np.interp(np.arange(PROFILE_BINS), known, prof[known]), dtype=np.float64)
    filled.setflags(write=False)
    return filled


def _hip_half_width(rest: RestBody) -> float:
    """Widest |z| of the pelvis and thighs over the upper 0.3 m of the thighs."""
    j, v = rest.joints, rest.verts
    y = float(j["hip_r"][1])
    sel = np.isin(rest.dominant, [SEG["pelvis"], SEG["thigh_l"], SEG["thigh_r"]])
    sel &= (v[:, 1] > y - 0.3) & (v[:, 1] < y + 0.05)
    return float(np.abs(v[sel, 2]).max())


def hands_on_thighs_angle(limbs: Limbs, sh: FloatArray, hip: FloatArray, knee: FloatArray,
                          reach_m: float) -> float:
    """Arm lean (radians) putting the wrist on the thigh's front at `reach_m` (sagittal)
    from the shoulder: bisection down the line in front of the hip -> knee line, offset by
    the skin profile under the whole hand (it lies along the thigh) plus half its thickness."""
    hx, hy = float(hip[0]), float(hip[1])
    dx, dy = float(knee[0]) - hx, float(knee[1]) - hy
    length = math.hypot(dx, dy)
    dx, dy = dx / length, dy / length
    fx, fy = -dy, dx  # anterior normal of a downward thigh
    sx, sy = float(sh[0]), float(sh[1])
    prof = limbs.thigh_front_m
    grid = (np.arange(PROFILE_BINS) + 0.5) / PROFILE_BINS

    span = np.linspace(0.0, limbs.hand_length_m, 6)

    def point(t: float) -> tuple[float, float]:
        r = float(np.interp((t + span) / length, grid, prof).max()) + limbs.hand_half_m + HAND_GAP_M
        return hx + t * dx + r * fx, hy + t * dy + r * fy

    lo, hi = 0.0, length
    px, py = point(lo)
    if math.hypot(px - sx, py - sy) < reach_m:
        for _ in range(30):
            mid = 0.5 * (lo + hi)
            px, py = point(mid)
            lo, hi = (mid, hi) if math.hypot(px - sx, py - sy) < reach_m else (lo, mid)
        px, py = point(0.5 * (lo + hi))
    return math.atan2(px - sx, sy - py)
