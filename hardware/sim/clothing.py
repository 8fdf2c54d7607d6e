"""A loose shirt over the parametric athlete's trunk (Athlete.shirt_ease_m > 0).

The shirt is an extra open tube of triangles rendered with the body (ParametricBody.mesh);
it is never part of the landmarks, the ground truth or buttocks_x, which stay the body's
own. It runs from the hem, at the hip joint's level along the trunk axis (about 2 cm above
the buttocks' rearmost level standing, so the buttocks below it are the body's own), up to
the top of the shoulders, where a yoke closes it round the neck.

Construction, per pose, in the trunk frame (axis: hip joint -> shoulder joint; transverse
rings every ~1 cm along it, SHIRT_AROUND generatrices round it):
1. Skin: the outermost surface of the trunk's own parts (pelvis, sacrum, buttocks,
   abdomen, ribs, shoulders; not the arms) along each generatrix, by raycasting them from
   outside towards the axis.
2. A ring of cloth cannot follow a transverse concavity: each ring is the convex hull of
   its skin section (a cloth tube under its own circumferential tension).
3. Stand-off, from gravity: where the surface faces up (c = its outward normal's up
   component = 1) the cloth rests on it (cloth thickness SHIRT_CLOTH_M); where it faces
   sideways (c = 0) the loose cloth hangs `ease` off the skin; where it faces down
   (c = -1) the slack hangs a further `ease` away: offset = cloth + ease (1 - c).
4. Bridging along the trunk: cloth hangs from the convex points it rests on, so along a
   generatrix it is the taut string over the eased profile (its upper concave envelope:
   the lumbar hollow is spanned from the upper back to the top of the buttocks). When the
   generatrix faces up, gravity lays the cloth into the hollow: the bridging kept is
   1 - (1 - SHIRT_DRAPE_KEEP) max(0, c), so on a horizontal back the cloth sinks most of
   the way in but keeps SHIRT_DRAPE_KEEP (30 %) of the bridge, for the cloth is held at
   the hem on the buttocks and at the collar and has bending stiffness, and cannot follow
   a hollow ~25 cm long and 2-3 cm deep completely. Facing sideways or down it stays
   fully bridged (the front of a hinged trunk hangs straight from chest and belly).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from hardware.sim.anthropometry import Athlete, dims
from hardware.sim.landmarks import posed_body
from hardware.sim.parts import assembly
from hardware.sim.skeleton import Pose

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]

SHIRT_PARTS: tuple[str, ...] = (
    "pelvis", "sacral", "buttock_l", "buttock_r", "abdomen", "ribs_lo", "ribs_mid", "ribs_up", "shoulders",
)
SHIRT_AROUND = 64          # generatrices round the trunk
SHIRT_RING_STEP_M = 0.01   # ring spacing along the trunk axis (1.78 m athlete)
SHIRT_CLOTH_M = 0.003      # cloth thickness: the stand-off where it rests on the skin
SHIRT_DRAPE_KEEP = 0.30    # bridging left when a generatrix faces straight up
_TOP_ABOVE_SHOULDER = 0.02  # the top ring, above the shoulder joints (1.78 m athlete)
_RAY_START_M = 0.6


@lru_cache(maxsize=4)
def _torso_triangles(athlete: Athlete) -> IntArray:
    asm = assembly(athlete)
    first = asm.triangles[:, 0]
    keep = np.zeros(len(first), dtype=bool)
    for name in SHIRT_PARTS:
        sl = asm.part_slices[name]
        keep |= (first >= sl.start) & (first < sl.stop)
    return np.ascontiguousarray(asm.triangles[keep])


@lru_cache(maxsize=4)
def _tube_triangles(n_rings: int, n_around: int) -> IntArray:
    """Quads between consecutive rings (ring-major vertices) and a fan from the last ring
    to one apex vertex (index n_rings * n_around)."""
    j = np.arange(n_around)
    jn = (j + 1) % n_around
    tris: list[IntArray] = []
    for i in range(n_rings - 1):
        lo, hi = i * n_around, (i + 1) * n_around
        tris.append(np.stack([lo + j, lo + jn, hi + jn], axis=1))
        tris.append(np.stack([lo + j, hi + jn, hi + j], axis=1))
    top = (n_rings - 1) * n_around
    tris.append(np.stack([np.full(n_around, n_rings * n_around), top + jn, top + j], axis=1))
    out = np.vstack(tris).astype(np.int32)
    out.setflags(write=False)
    return out


def _upper_envelope(x: FloatArray, y: FloatArray) -> FloatArray:
    """Smallest concave function over the points (x increasing): the taut string."""
    hull: list[int] = []
    for i in range(len(x)):
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            if (x[b] - x[a]) * (y[i] - y[a]) - (y[b] - y[a]) * (x[i] - x[a]) >= 0.0:
                hull.pop()  # b lies on or under the chord a -> i
            else:
                break
        hull.append(i)
    return np.interp(x, x[hull], y[hull])


def _convex_ring(r: FloatArray, cos_t: FloatArray, sin_t: FloatArray) -> FloatArray:
    """Radii of the convex hull of the ring's points r(theta) (origin inside), resampled
    along the same directions."""
    pts = np.stack([r * cos_t, r * sin_t], axis=1)
    order = np.lexsort((pts[:, 1], pts[:, 0]))

    def half(idx: npt.NDArray[np.intp]) -> list[int]:
        h: list[int] = []
        for i in idx:
            while len(h) >= 2:
                o, a = pts[h[-2]], pts[h[-1]]
                if (a[0] - o[0]) * (pts[i][1] - o[1]) - (a[1] - o[1]) * (pts[i][0] - o[0]) <= 0.0:
                    h.pop()
                else:
                    break
            h.append(int(i))
        return h

    lower, upper = half(order), half(order[::-1])
    poly = pts[lower[:-1] + upper[:-1]]  # counter-clockwise
    edge = np.roll(poly, -1, axis=0) - poly
    normal = np.stack([edge[:, 1], -edge[:, 0]], axis=1)
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    h_dist = np.einsum("ij,ij->i", normal, poly)
    dots = normal @ np.stack([cos_t, sin_t])  # (edges, directions)
    with np.errstate(divide="ignore", invalid="ignore"):
        cand = np.where(dots > 1e-9, h_dist[:, None] / dots, np.inf)
    out = cand.min(axis=0)
    return np.where(np.isfinite(out), np.maximum(out, r), r)


def shirt_mesh(athlete: Athlete, pose: Pose) -> tuple[FloatArray, IntArray]:
    """The shirt's world vertices and triangles in `pose` (read-only; module doc)."""
    return _shirt_mesh(athlete, pose)


@lru_cache(maxsize=8)
def _shirt_mesh(athlete: Athlete, pose: Pose) -> tuple[FloatArray, IntArray]:
    from hardware.sim.raycast import require_open3d  # the simulator's raycaster already loads it

    o3d: Any = require_open3d()

    ease = athlete.shirt_ease_m
    d = dims(athlete)
    body = posed_body(athlete, pose)
    hip, sh = body.skeleton.joints["hip"], body.skeleton.joints["shoulder"]
    v = np.array([sh[0] - hip[0], sh[1] - hip[1], 0.0])
    length = float(np.linalg.norm(v))
    u = v / length
    ant = np.array([u[1], -u[0], 0.0])
    lat = np.array([0.0, 0.0, 1.0])
    top = length + _TOP_ABOVE_SHOULDER * d.k
    n_rings = max(8, round(top / (SHIRT_RING_STEP_M * d.k)) + 1)
    s = np.linspace(0.0, top, n_rings)
    theta = np.linspace(0.0, 2.0 * math.pi, SHIRT_AROUND, endpoint=False)
    cos_t, sin_t = np.cos(theta), np.sin(theta)
    dirs = cos_t[:, None] * ant + sin_t[:, None] * lat  # (A, 3) outward, in the ring's plane
    axis_pts = np.array([hip[0], hip[1], 0.0]) + s[:, None] * u  # (R, 3)
    origin = axis_pts[:, None, :] + _RAY_START_M * dirs[None, :, :]
    rays = np.concatenate([origin, np.broadcast_to(-dirs, origin.shape)], axis=-1).reshape(-1, 6)
    scene: Any = o3d.t.geometry.RaycastingScene()
    scene.add_triangles(o3d.core.Tensor(body.vertices.astype(np.float32)),
                        o3d.core.Tensor(_torso_triangles(athlete).astype(np.uint32)))
    t_hit = scene.cast_rays(o3d.core.Tensor(rays.astype(np.float32)))["t_hit"].numpy().astype(np.float64)
    skin = (_RAY_START_M - t_hit).reshape(n_rings, SHIRT_AROUND)
    floor_r = 0.03 * d.k  # a ring the trunk does not fill (never on this body): a thin tube
    skin = np.where(np.isfinite(skin) & (skin > floor_r), skin, floor_r)
    ring = np.stack([_convex_ring(skin[i], cos_t, sin_t) for i in range(n_rings)])
    up = dirs[:, 1]  # how much each generatrix faces up
    r_base = ring + SHIRT_CLOTH_M + ease * (1.0 - up)[None, :]
    keep = 1.0 - (1.0 - SHIRT_DRAPE_KEEP) * np.maximum(up, 0.0)
    r = r_base.copy()
    for j in range(SHIRT_AROUND):
        taut = _upper_envelope(s, r_base[:, j])
        r[:, j] = r_base[:, j] + keep[j] * (taut - r_base[:, j])
    verts = (axis_pts[:, None, :] + r[:, :, None] * dirs[None, :, :]).reshape(-1, 3)
    # The yoke: the top ring closes onto the neck's base, just above it.
    apex = axis_pts[-1] + 0.02 * d.k * u + (-0.01 * d.k) * ant
    verts = np.vstack([verts, apex[None, :]])
    verts.setflags(write=False)
    return verts, _tube_triangles(n_rings, SHIRT_AROUND)


def clothed_mesh(athlete: Athlete, pose: Pose, body_vertices: FloatArray,
                 body_triangles: IntArray) -> tuple[FloatArray, IntArray]:
    """The body's mesh with the shirt appended (read-only arrays)."""
    sv, st = shirt_mesh(athlete, pose)
    verts = np.vstack([body_vertices, sv])
    tris = np.vstack([body_triangles, st + len(body_vertices)]).astype(np.int32)
    verts.setflags(write=False)
    tris.setflags(write=False)
    return verts, tris
