"""The rest body of one MPFB person: morphed, scaled mesh, skeleton joints and skinning.

MakeHuman's 163-bone default rig is collapsed into the simulator's segments: every bone
belongs to the segment of its nearest listed ancestor (fingers ride on the hand, toes on
the foot, the face on the head, clavicles and breasts on the upper thorax; the forearm
keeps MakeHuman's two bones, the distal one carrying half the forearm's twist), and a vertex's
weight on a segment is the sum of its bone weights there, cut to the 4 largest and
renormalised. Bone heads are placed as MakeHuman places them (means of joint-cube or
listed vertices of the morphed mesh), so they follow every morph.

Rest frame: world axes (+x forward, +y up, +z the body's right), metres, soles at y = 0,
the body's midline at z = 0. Bilateral joints are made exactly mirror-symmetric (mean of
both sides), so both legs reach the same sagittal hip position.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from hardware.sim.mpfb.assets import Assets
from hardware.sim.mpfb.morph import Macros, morph_vertices, signed_volume_m3, stature_scale

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]

SEGMENTS: tuple[str, ...] = (
    "pelvis", "lumbar_lo", "lumbar_up", "thorax_lo", "thorax_up", "neck_lo", "neck_mid", "neck_up", "head",
    "thigh_l", "thigh_r", "shank_l", "shank_r", "foot_l", "foot_r",
    "upperarm_l", "upperarm_r", "forearm_l", "forearm_r", "forearm2_l", "forearm2_r", "hand_l", "hand_r",
)
SEG = {name: i for i, name in enumerate(SEGMENTS)}
TRUNK: tuple[str, ...] = ("pelvis", "lumbar_lo", "lumbar_up", "thorax_lo", "thorax_up")
# Bone -> segment for the bones that start a segment; every other bone follows its parent.
_BONE_SEGMENT: dict[str, str] = {
    "root": "pelvis", "spine05": "pelvis", "pelvis.L": "pelvis", "pelvis.R": "pelvis",
    "spine04": "lumbar_lo", "spine03": "lumbar_up", "spine02": "thorax_lo", "spine01": "thorax_up",
    "neck01": "neck_lo", "neck02": "neck_mid", "neck03": "neck_up", "head": "head",
}
for _mh, _s in (("L", "l"), ("R", "r")):  # MakeHuman's .L is the body's left (world -z)
    _BONE_SEGMENT |= {f"upperleg01.{_mh}": f"thigh_{_s}", f"lowerleg01.{_mh}": f"shank_{_s}",
                      f"foot.{_mh}": f"foot_{_s}", f"upperarm01.{_mh}": f"upperarm_{_s}",
                      f"lowerarm01.{_mh}": f"forearm_{_s}", f"lowerarm02.{_mh}": f"forearm2_{_s}",
                      f"wrist.{_mh}": f"hand_{_s}"}
# Joints (bone heads) the kinematics uses, per side where bilateral.
_JOINT_BONES: dict[str, str] = {
    "hip": "upperleg01", "knee": "lowerleg01", "ankle": "foot", "shoulder": "upperarm01",
    "elbow": "lowerarm01", "wrist": "wrist",
}
_SPINE_JOINTS: dict[str, str] = {
    "lumbar_lo": "spine04", "lumbar_up": "spine03", "thorax_lo": "spine02", "thorax_up": "spine01",
    "neck_lo": "neck01", "neck_mid": "neck02", "neck_up": "neck03", "head": "head",
}
TOP_K = 4
SOLE_RIGID_M = 0.055


@dataclass(frozen=True, eq=False)
class RestBody:
    """One person at rest (read-only arrays; see the module docstring for the frame).

    verts (N, 3), tris (M, 3): the closed body surface. weights (N, S): skinning weight of
    each vertex on each segment (rows sum to 1, at most TOP_K non-zero). dominant (N,):
    segment index of each vertex's largest weight. joints: rest joint centres ("hip_l",
    "knee_r", ..., spine joints by segment name = that segment's proximal pivot,
    "head_top" = the skull's top vertex). stature_m: soles to head top. volume_m3: of the
    closed surface. head_top_index: the vertex that is the top of the head."""

    verts: FloatArray
    tris: IntArray
    weights: FloatArray
    dominant: npt.NDArray[np.intp]
    joints: dict[str, FloatArray]
    stature_m: float
    volume_m3: float
    head_top_index: int


def segment_of_bones(assets: Assets) -> npt.NDArray[np.intp]:
    """Segment index of every bone of the rig."""
    out = np.empty(len(assets.bone_names), dtype=np.intp)
    for b, name in enumerate(assets.bone_names):
        walk = b
        while assets.bone_names[walk] not in _BONE_SEGMENT:
            walk = int(assets.bone_parent[walk])
            if walk < 0:
                raise ValueError(f"bone {name} has no segment")
        out[b] = SEG[_BONE_SEGMENT[assets.bone_names[walk]]]
    return out


def segment_weights(assets: Assets) -> FloatArray:
    """(n_body, S) skinning weights per segment, top-TOP_K, rows summing to 1."""
    seg = segment_of_bones(assets)
    n = assets.n_body
    w = np.zeros((n, len(SEGMENTS)))
    valid = assets.weight_bone >= 0
    rows = np.broadcast_to(np.arange(n)[:, None], valid.shape)[valid]
    np.add.at(w, (rows, seg[assets.weight_bone[valid]]), assets.weight_val[valid].astype(np.float64))
    cut = np.argsort(w, axis=1)[:, :-TOP_K]
    np.put_along_axis(w, cut, 0.0, axis=1)
    return np.asarray(w / w.sum(axis=1, keepdims=True), dtype=np.float64)


def bone_heads(assets: Assets, verts: FloatArray) -> dict[str, FloatArray]:
    """Head point of every bone for the (morphed) kept vertices."""
    out: dict[str, FloatArray] = {}
    for b, name in enumerate(assets.bone_names):
        lo, hi = int(assets.point_ptr[2 * b]), int(assets.point_ptr[2 * b + 1])
        out[name] = verts[assets.point_idx[lo:hi]].mean(axis=0)
    return out


def _mirror_pair(left: FloatArray, right: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Symmetric (left, right) world points: mean x, y and mean |z| (left at -z)."""
    x, y = 0.5 * (left[0] + right[0]), 0.5 * (left[1] + right[1])
    z = 0.5 * (abs(float(left[2])) + abs(float(right[2])))
    return np.array([x, y, -z]), np.array([x, y, z])


def rest_body(assets: Assets, macros: Macros, stature_m: float) -> RestBody:
    """Morph, scale to exactly `stature_m` and rig one person."""
    kept = morph_vertices(assets, macros)
    n = assets.n_body
    body = kept[:n]
    s = stature_scale(body, stature_m)
    shift = np.array([0.0, -float(body[:, 1].min()), 0.0])
    kept = (kept + shift) * s
    kept[:, 2] -= 0.5 * (kept[:n, 2].max() + kept[:n, 2].min())  # midline at z = 0
    heads = bone_heads(assets, kept)
    joints: dict[str, FloatArray] = {}
    for joint, bone in _JOINT_BONES.items():
        joints[f"{joint}_l"], joints[f"{joint}_r"] = _mirror_pair(heads[f"{bone}.L"], heads[f"{bone}.R"])
    for seg, bone in _SPINE_JOINTS.items():
        p = heads[bone].copy()
        p[2] = 0.0
        joints[seg] = p
    verts = kept[:n].copy()
    top = int(np.argmax(verts[:, 1]))
    joints["head_top"] = verts[top].copy()
    weights = segment_weights(assets).copy()
    # The heel and sole below the ankle ride on the foot alone (MakeHuman gives them a few
    # per cent of shank): the heel's rearmost point, and the foot's length, stay put.
    sole = verts[:, 1] < SOLE_RIGID_M
    for side in "lr":
        foot = sole & (weights[:, SEG[f"foot_{side}"]] > 0.0)
        weights[foot, SEG[f"shank_{side}"]] = 0.0
    weights /= weights.sum(axis=1, keepdims=True)
    for a in (verts, weights, *joints.values()):
        a.setflags(write=False)
    return RestBody(
        verts=verts, tris=assets.tris, weights=weights, dominant=np.argmax(weights, axis=1),
        joints=joints, stature_m=float(verts[:, 1].max() - verts[:, 1].min()),
        volume_m3=signed_volume_m3(verts, assets.tris), head_top_index=top,
    )
