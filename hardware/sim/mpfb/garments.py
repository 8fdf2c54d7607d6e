"""A loose shirt and hair for MPFB people: part of the rendered surface, never of the truth.

- Shirt: the torso's skin from a hem up to the collar (no sleeves), pushed out by an ease
  along the posed skin normals. Its lowest DRAPE_M hangs under gravity: each band
  vertex hangs straight down from an anchor at the top of the band (its rest distance
  below it) wherever that lies outside the skin, and follows the skin where hanging
  would go inside it. Standing, the back of the shirt bridges the lumbar hollow; in a
  hinge the back lies on the back and the front hangs down from the belly. The hem is
  placed above the buttocks' rearmost level, so the buttocks stay the body's own.
- Hair: a cap (the scalp pushed out by a few millimetres) and, for a ponytail, a tapered
  tube from the back of the head that hangs down as a rope (quasi-static: each frame it
  hangs from its tie, resting on the skull (a sphere), the neck (a capsule) and the back
  of the neck and upper back (a row of small spheres just under the skin of the spine)).
Arrays are in the rest frame of rig.RestBody; `dress` poses them with the body.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from hardware.sim.mpfb.kinematics import Posed
from hardware.sim.mpfb.rig import SEG, TRUNK, RestBody

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]
DRAPE_M = 0.12
TAIL_NODES, TAIL_RING = 16, 8
BACK_SPHERE_M = 0.03
DOWN = np.array([0.0, -1.0, 0.0])


@dataclass(frozen=True, eq=False)
class Sheet:
    """An offset copy of part of the skin: body vertex ids, local triangles, offset (m).
    hang/anchor/hang_m: the local vertices that drape, their anchors and rest drops."""

    ids: npt.NDArray[np.intp]
    tris: IntArray
    offset_m: float
    hang: npt.NDArray[np.intp]
    anchor: npt.NDArray[np.intp]
    hang_m: FloatArray
    normal_tris: IntArray  # body triangles touching the sheet, for its normals


@dataclass(frozen=True, eq=False)
class Tail:
    """A ponytail: root and initial direction in the head's rest frame, length, radii,
    sideways lean, and the capsules it rests on: a sphere for the skull, a capsule for the
    neck, and a row of small spheres just under the skin of the back of the neck and the
    upper back. Capsule k runs from cap_a[k] (riding on segment cap_seg_a[k]) to cap_b[k]
    (on cap_seg_b[k]), rest frame, radius cap_r[k]."""

    root: FloatArray
    direction: FloatArray
    length_m: float
    radius_m: FloatArray
    side: float
    cap_a: FloatArray
    cap_b: FloatArray
    cap_seg_a: npt.NDArray[np.intp]
    cap_seg_b: npt.NDArray[np.intp]
    cap_r: FloatArray


@dataclass(frozen=True, eq=False)
class Garments:
    sheets: tuple[Sheet, ...]
    tail: Tail | None


def _sheet(rest: RestBody, mask: npt.NDArray[np.bool_], offset_m: float, hem_y: float | None) -> Sheet:
    inside = mask[rest.tris].all(axis=1)
    ids = np.flatnonzero(mask)
    local = np.full(len(mask), -1)
    local[ids] = np.arange(len(ids))
    tris = local[rest.tris[inside]].astype(np.int32)
    v = rest.verts[ids]
    hang = np.zeros(0, dtype=np.intp)
    anchor = np.zeros(0, dtype=np.intp)
    drop = np.zeros(0)
    if hem_y is not None:
        hang = np.flatnonzero(v[:, 1] < hem_y + DRAPE_M)
        top = np.flatnonzero((v[:, 1] >= hem_y + DRAPE_M) & (v[:, 1] < hem_y + DRAPE_M + 0.03))
        centre = v[top][:, [0, 2]].mean(axis=0)

        def bearing(p: FloatArray) -> FloatArray:
            d = p[:, [0, 2]] - centre
            return np.asarray(d / np.linalg.norm(d, axis=1, keepdims=True), dtype=np.float64)

        anchor = top[cKDTree(bearing(v[top])).query(bearing(v[hang]))[1]]
        drop = np.linalg.norm(v[hang] - v[anchor], axis=1)
    near = mask[rest.tris].any(axis=1)
    return Sheet(ids=ids, tris=tris, offset_m=offset_m, hang=hang, anchor=anchor, hang_m=drop,
                 normal_tris=rest.tris[near])


def shirt(rest: RestBody, ease_m: float, hem_above_buttocks_m: float) -> Sheet:
    """A sleeveless loose shirt from `hem_above_buttocks_m` above the buttocks' rearmost
    level up to 3 cm below the neck base."""
    v = rest.verts
    # The buttocks: the rearmost skin between 0.30 m and 0.15 m above the hip joints (a
    # flat-buttocked back can be the rearmost point higher up).
    glutes = (v[:, 1] >= 0.30) & (v[:, 1] <= rest.joints["hip_r"][1] + 0.15)
    buttocks_y = float(v[glutes][np.argmin(v[glutes, 0]), 1])
    hem_y = buttocks_y + hem_above_buttocks_m
    trunk = rest.weights[:, [SEG[s] for s in TRUNK]].sum(axis=1) >= 0.5  # a smoother edge than dominance
    mask = trunk & (v[:, 1] >= hem_y) & (v[:, 1] <= rest.joints["neck_lo"][1] - 0.03)
    return _sheet(rest, mask, ease_m, hem_y)


def hair_cap(rest: RestBody, thickness_m: float) -> Sheet:
    """The scalp: head vertices above the ears behind the hairline, and the back of the
    head down to the nape."""
    v, j = rest.verts, rest.joints
    k = rest.stature_m / 1.78
    top_y, cx = float(j["head_top"][1]), float(j["head"][0])
    head = rest.dominant == SEG["head"]
    crown = (v[:, 1] > top_y - 0.11 * k) & (v[:, 0] < cx + 0.05 * k)
    back = (v[:, 1] > top_y - 0.19 * k) & (v[:, 0] < cx - 0.03 * k)
    return _sheet(rest, head & (crown | back), thickness_m, None)


def ponytail(rest: RestBody, length_m: float, side: float) -> Tail:
    """A ponytail tied at the back of the head, above the occiput (rest frame)."""
    v, j = rest.verts, rest.joints
    k = rest.stature_m / 1.78
    top_y = float(j["head_top"][1])
    head = rest.dominant == SEG["head"]
    band = head & (np.abs(v[:, 2]) < 0.012 * k) & (v[:, 1] > top_y - 0.14 * k) & (v[:, 1] < top_y - 0.10 * k)
    root = v[band][np.argmin(v[band, 0])]
    cranium = v[head & (v[:, 1] > top_y - 0.16 * k)]
    centre = cranium.mean(axis=0)
    skull_r = float(np.percentile(np.linalg.norm(cranium - centre, axis=1), 90))
    # The back of the neck and the upper back: midline skin points every ~2 cm, each the
    # surface of a sphere of BACK_SPHERE_M sunk just under it.
    n = vertex_normals(v, rest.tris)
    segs = [SEG[x] for x in ("neck_lo", "neck_mid", "neck_up", "thorax_up", "thorax_lo", "lumbar_up")]
    mid = np.flatnonzero(np.isin(rest.dominant, segs) & (np.abs(v[:, 2]) < 0.015 * k) & (n[:, 0] < -0.3))
    mid = mid[np.unique(np.round(v[mid, 1] / 0.02), return_index=True)[1]]
    r = BACK_SPHERE_M * k
    neck_ids = np.isin(rest.dominant, segs[:3])
    axis = _unit(j["head"] - j["neck_lo"])
    rel = v[neck_ids] - j["neck_lo"]
    neck_r = float(np.percentile(np.linalg.norm(rel - np.outer(rel @ axis, axis), axis=1), 80))
    spheres = v[mid] - r * n[mid]
    return Tail(root=root + np.array([-0.006, 0.0, 0.0]), direction=np.array([-0.35, -0.94, 0.0]),
                length_m=length_m, radius_m=np.linspace(0.018 * k, 0.006 * k, TAIL_NODES + 1), side=side,
                cap_a=np.vstack([centre, j["neck_lo"], spheres]),
                cap_b=np.vstack([centre, j["head"], spheres]),
                cap_seg_a=np.concatenate([[SEG["head"], SEG["thorax_up"]], rest.dominant[mid]]),
                cap_seg_b=np.concatenate([[SEG["head"], SEG["head"]], rest.dominant[mid]]),
                cap_r=np.concatenate([[skull_r, neck_r], np.full(len(mid), r)]))


def _unit(v: FloatArray) -> FloatArray:
    return np.asarray(v / np.linalg.norm(v), dtype=np.float64)


def vertex_normals(verts: FloatArray, tris: IntArray) -> FloatArray:
    """Area-weighted unit normals at every vertex index of `verts` used by `tris`."""
    fn = np.cross(verts[tris[:, 1]] - verts[tris[:, 0]], verts[tris[:, 2]] - verts[tris[:, 0]])
    idx = tris.reshape(-1)
    n = np.column_stack([np.bincount(idx, np.repeat(fn[:, c], 3), minlength=len(verts)) for c in range(3)])
    norm = np.linalg.norm(n, axis=1, keepdims=True)
    return np.asarray(n / np.where(norm > 0, norm, 1.0), dtype=np.float64)


def _dress_sheet(s: Sheet, body: FloatArray) -> FloatArray:
    normals = vertex_normals(body, s.normal_tris)[s.ids]
    p = body[s.ids] + s.offset_m * normals
    if len(s.hang):
        hung = p[s.anchor] + s.hang_m[:, None] * DOWN
        out = np.einsum("ij,ij->i", hung - p[s.hang], normals[s.hang])
        w = np.clip(out / 0.01, 0.0, 1.0)[:, None]  # outside the skin: hangs; inside: follows it
        p[s.hang] += w * (hung - p[s.hang])
    return p


def _rope(t: Tail, posed: Posed) -> FloatArray:
    """Nodes of the ponytail hanging from its tie: each piece turns towards the vertical
    and is pushed out of the spheres it would enter (the deepest first, a few passes)."""
    r_h, t_h = posed.rotations[SEG["head"]], posed.translations[SEG["head"]]
    rot, tr = posed.rotations, posed.translations
    a = np.einsum("kij,kj->ki", rot[t.cap_seg_a], t.cap_a) + tr[t.cap_seg_a]
    ab = np.einsum("kij,kj->ki", rot[t.cap_seg_b], t.cap_b) + tr[t.cap_seg_b] - a
    ab2 = np.maximum(np.einsum("ki,ki->k", ab, ab), 1e-12)
    seg = t.length_m / TAIL_NODES
    nodes = [r_h @ t.root + t_h]
    d = r_h @ (t.direction / np.linalg.norm(t.direction))
    sideways = np.array([0.0, 0.0, t.side])
    for i in range(TAIL_NODES):
        if i >= 1:  # past the tie the hair falls
            d = d + 1.5 * DOWN + sideways
            d /= np.linalg.norm(d)
        p = nodes[-1] + seg * d
        reach = t.cap_r + t.radius_m[i + 1]
        for _ in range(3):
            u = np.clip(((p - a) * ab).sum(axis=1) / ab2, 0.0, 1.0)
            near = a + u[:, None] * ab
            off = p - near
            dist = np.linalg.norm(off, axis=1)
            k = int(np.argmax(reach - dist))
            if dist[k] >= reach[k] or dist[k] == 0.0:
                break
            p = near[k] + off[k] * (reach[k] / dist[k])
        step = p - nodes[-1]
        d = step / np.linalg.norm(step)
        nodes.append(nodes[-1] + seg * d)
    return np.asarray(nodes)


def _tube(nodes: FloatArray, radii: FloatArray) -> FloatArray:
    """Rings of TAIL_RING vertices around the rope's nodes, radius radii[i] at node i."""
    tan = np.gradient(nodes, axis=0)
    tan /= np.linalg.norm(tan, axis=1, keepdims=True)
    a = np.cross(tan, [0.0, 0.0, 1.0])  # the rope never runs along z: it hangs in y
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    b = np.cross(tan, a)
    ang = np.linspace(0.0, 2.0 * math.pi, TAIL_RING, endpoint=False)
    ring = np.cos(ang)[None, :, None] * a[:, None, :] + np.sin(ang)[None, :, None] * b[:, None, :]
    return np.asarray((nodes[:, None, :] + radii[:, None, None] * ring).reshape(-1, 3), dtype=np.float64)


def tube_triangles(n_nodes: int) -> IntArray:
    """Side triangles of a tube of n_nodes rings of TAIL_RING, both ends fanned shut."""
    tris: list[tuple[int, int, int]] = []
    for i in range(n_nodes - 1):
        for k in range(TAIL_RING):
            a, b = i * TAIL_RING + k, i * TAIL_RING + (k + 1) % TAIL_RING
            tris += [(a, b, b + TAIL_RING), (a, b + TAIL_RING, a + TAIL_RING)]
    last = (n_nodes - 1) * TAIL_RING
    for k in range(1, TAIL_RING - 1):
        tris += [(0, k + 1, k), (last, last + k, last + k + 1)]
    return np.asarray(tris, dtype=np.int32)


def dress(g: Garments, body: FloatArray, posed: Posed) -> tuple[list[FloatArray], list[IntArray]]:
    """Posed vertices and local triangles of every garment, given the posed body."""
    verts = [_dress_sheet(s, body) for s in g.sheets]
    tris = [s.tris for s in g.sheets]
    if g.tail is not None:
        verts.append(_tube(_rope(g.tail, posed), g.tail.radius_m))
        tris.append(tube_triangles(TAIL_NODES + 1))
    return verts, tris
