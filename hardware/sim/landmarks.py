"""The posed body surface and its exact landmarks (docs/measurement.md), world frame.

Posing: the per-athlete primitives (parts.assembly, meshed once) move rigidly with their
segments, one rotation and translation per contiguous block, so a mesh costs about a
millisecond (soft buttocks, Athlete.glute_softness > 0, are then deformed per pose by
soft_tissue.py). The last few poses are cached: the source, the ground truth and the
landmarks all ask for the same pose within one frame.

Surface landmarks are taken from the very mesh the camera is rendered from: extremes
(heel, toe, buttocks, thoracic apex, occiput) are mesh vertices, because the extreme of a
linear function over a triangle mesh is always at a vertex; the sacrum is the rearmost
point where the mesh crosses the plane at the sacrum's height along the trunk axis. Joint
centres and the centre of mass come from the skeleton.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from hardware.sim.anthropometry import Athlete, dims
from hardware.sim.parts import Ellipsoid, assembly
from hardware.sim.skeleton import Pose, Skeleton, solve_skeleton
from hardware.sim.soft_tissue import soft_glute_local

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]
Vec3 = tuple[float, float, float]

FOOT_MAX_Y_M = 0.10    # feet: points at most this high (docs/measurement.md)
HIP_MIN_Y_M = 0.30     # buttocks: the rearmost point at least this high
THORACIC_BAND = (0.45, 0.85)  # fraction of the hip -> shoulder joint line


@dataclass(frozen=True, eq=False)
class PosedBody:
    """One pose's skeleton and world-frame vertices (read-only, (N, 3) float64, metres)."""

    skeleton: Skeleton
    vertices: FloatArray


def posed_body(athlete: Athlete, pose: Pose) -> PosedBody:
    """Skeleton and world vertices of `pose` (cached: both arguments are frozen)."""
    return _posed_body(athlete, pose)


@lru_cache(maxsize=8)
def _posed_body(athlete: Athlete, pose: Pose) -> PosedBody:
    asm = assembly(athlete)
    sk = solve_skeleton(athlete, pose)
    out = np.empty_like(asm.local_vertices)
    for seg, sl in asm.segment_slices.items():
        r, t = sk.frames[seg]
        out[sl] = asm.local_vertices[sl] @ r.T + t
    if athlete.glute_softness > 0.0:  # soft buttocks deform with the pose (soft_tissue.py)
        r, t = sk.frames["pelvis"]
        for part in asm.parts:
            if part.name.startswith("buttock_") and isinstance(part, Ellipsoid):
                sl = asm.part_slices[part.name]
                out[sl] = soft_glute_local(athlete, sk, part, asm.local_vertices[sl]) @ r.T + t
    out.setflags(write=False)
    return PosedBody(skeleton=sk, vertices=out)


def body_mesh(athlete: Athlete, pose: Pose) -> tuple[FloatArray, IntArray]:
    """The athlete's surface in `pose`, world frame (metres).

    Returns vertices (N, 3) float64 and triangles (M, 3) int32, both read-only (copy before
    editing). The surface is a union of closed primitives (each closed and outward-wound;
    they overlap, so the union as one mesh is not a manifold). The triangles are the same
    for every pose of an athlete (18,464 of them)."""
    return posed_body(athlete, pose).vertices, assembly(athlete).triangles


def part_vertices(athlete: Athlete, pose: Pose, part: str) -> FloatArray:
    """World vertices of one named part (e.g. "head", "buttock_r") in `pose`."""
    return posed_body(athlete, pose).vertices[assembly(athlete).part_slices[part]]


@dataclass(frozen=True)
class BodyLandmarks:
    """World points (metres). Bilateral joints (ankle, knee) are the mean of both sides;
    hip_joint and shoulder are the sagittal joint centres (z = 0). heel/toe/buttocks/
    sacrum/thoracic/head lie on the mesh surface; head is the occiput."""

    heel: Vec3
    toe: Vec3
    ankle: Vec3
    knee: Vec3
    hip_joint: Vec3
    shoulder: Vec3
    neck_base: Vec3
    head_top: Vec3
    sacrum: Vec3
    thoracic: Vec3
    head: Vec3
    buttocks: Vec3
    com: Vec3

    def trunk_axis(self) -> tuple[FloatArray, FloatArray]:
        """Sagittal unit vectors (x, y) along the hip -> shoulder line and its posterior normal."""
        return trunk_axis(np.asarray(self.hip_joint), np.asarray(self.shoulder))


def trunk_axis(hip: FloatArray, shoulder: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Unit axis u (hip -> shoulder, sagittal x-y) and posterior normal n (u turned +90 deg)."""
    v = shoulder[:2] - hip[:2]
    u = v / np.linalg.norm(v)
    return u, np.array([-u[1], u[0]])


def _vec(p: FloatArray) -> Vec3:
    return (float(p[0]), float(p[1]), float(p[2]))


def _extreme(verts: FloatArray, score: FloatArray, mask: npt.NDArray[np.bool_]) -> FloatArray:
    if not mask.any():
        raise ValueError("no mesh points in the landmark's region")
    idx = np.flatnonzero(mask)
    return np.asarray(verts[idx[int(np.argmax(score[idx]))]], dtype=np.float64)


def slice_extreme(verts: FloatArray, tris: npt.NDArray[np.int32], axial: FloatArray, level: float,
                  score: FloatArray) -> FloatArray:
    """Point of highest `score` where the mesh crosses the plane axial == level.

    axial, score: per-vertex values of two linear functions (so both are exact along edges)."""
    d = axial - level
    below = d < 0.0
    bt = below[tris]
    crossing = (bt[:, 0] != bt[:, 1]) | (bt[:, 1] != bt[:, 2])
    t = tris[crossing]
    a = np.concatenate([t[:, 0], t[:, 1], t[:, 2]])
    b = np.concatenate([t[:, 1], t[:, 2], t[:, 0]])
    keep = below[a] != below[b]
    a, b = a[keep], b[keep]
    if a.size == 0:
        raise ValueError("the mesh does not cross the slicing plane")
    f = d[a] / (d[a] - d[b])
    s = score[a] + (score[b] - score[a]) * f
    i = int(np.argmax(s))
    return np.asarray(verts[a[i]] + (verts[b[i]] - verts[a[i]]) * f[i], dtype=np.float64)


def body_landmarks(athlete: Athlete, pose: Pose) -> BodyLandmarks:
    """Landmarks of the athlete in `pose` (world frame, metres), by the definitions of
    docs/measurement.md applied to the posed mesh."""
    body = posed_body(athlete, pose)
    v = body.vertices
    sk = body.skeleton
    asm = assembly(athlete)
    hip, sh = sk.joints["hip"], sk.joints["shoulder"]
    u, n = trunk_axis(hip, sh)
    rel = v[:, :2] - hip[:2]
    axial = rel @ u
    post = rel @ n
    length = float(np.linalg.norm(sh[:2] - hip[:2]))
    frac = axial / length
    head_sl = asm.part_slices["head"]
    feet = slice(0, asm.segment_slices["shank_r"].stop)  # feet and shanks: all points below 0.1 m
    fv = v[feet]
    low = fv[:, 1] <= FOOT_MAX_Y_M
    # The back at the sacrum's level belongs to the pelvis or lumbar blocks (limbs hang
    # in front of the trunk), so only their triangles are sliced.
    back = slice(asm.segment_triangles["pelvis"].start, asm.segment_triangles["thorax_mid"].stop)
    sacrum = slice_extreme(v, asm.triangles[back], axial, dims(athlete).sacrum_s_m, post)
    return BodyLandmarks(
        heel=_vec(_extreme(fv, -fv[:, 0], low)),
        toe=_vec(_extreme(fv, fv[:, 0], low)),
        ankle=_vec(0.5 * (sk.joints["ankle_l"] + sk.joints["ankle_r"])),
        knee=_vec(0.5 * (sk.joints["knee_l"] + sk.joints["knee_r"])),
        hip_joint=_vec(hip),
        shoulder=_vec(sh),
        neck_base=_vec(sk.joints["neck_base"]),
        head_top=_vec(sk.joints["head_top"]),
        sacrum=_vec(sacrum),
        thoracic=_vec(_extreme(v, post, (frac >= THORACIC_BAND[0]) & (frac <= THORACIC_BAND[1]))),
        head=_vec(_extreme(v[head_sl], post[head_sl], np.ones(head_sl.stop - head_sl.start, dtype=bool))),
        buttocks=_vec(_extreme(v, -v[:, 0], v[:, 1] >= HIP_MIN_Y_M)),
        com=_vec(sk.com),
    )


def buttocks_x(athlete: Athlete, pose: Pose) -> float:
    """x of the body's rearmost point at least HIP_MIN_Y_M above the floor (metres)."""
    v = posed_body(athlete, pose).vertices
    return float(v[v[:, 1] >= HIP_MIN_Y_M, 0].min())
