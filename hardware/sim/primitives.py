"""Closed triangle meshes of smooth primitives, built once with numpy and cached.

A tapered capsule is the convex hull of two spheres (radius r0 at the origin, r1 at
`length` along +y): sphere caps joined by the cone tangent to both. Rings are placed by
the latitude of the surface normal, so the cone is exactly the strip between the last
ring of one sphere and the first ring of the other. An ellipsoid is the unit sphere,
scaled by the caller. Local frame: x anterior, y the axis, z lateral. Triangles wind
counter-clockwise seen from outside (outward normals).

Also the two rotations the body is posed with: a sagittal "lean" (about z, + = the upper
end towards +x) and a frame built from an axis and an anterior hint.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]


def _rings_mesh(rings: list[FloatArray], bottom: FloatArray, top: FloatArray) -> tuple[FloatArray, IntArray]:
    """Stitch rings of equal size (each (A, 3), bottom to top) and two poles into a closed mesh."""
    a = rings[0].shape[0]
    verts = np.vstack([bottom[None, :], *rings, top[None, :]])
    tris: list[list[int]] = []
    j = np.arange(a)
    jn = (j + 1) % a
    # Bottom fan: pole 0, ring 0 starts at vertex 1.
    tris.extend(np.stack([np.zeros(a, dtype=int), 1 + jn, 1 + j], axis=1).tolist())
    for r in range(len(rings) - 1):
        lo, hi = 1 + r * a, 1 + (r + 1) * a
        tris.extend(np.stack([lo + j, lo + jn, hi + jn], axis=1).tolist())
        tris.extend(np.stack([lo + j, hi + jn, hi + j], axis=1).tolist())
    last = 1 + (len(rings) - 1) * a
    top_i = len(verts) - 1
    tris.extend(np.stack([np.full(a, top_i), last + j, last + jn], axis=1).tolist())
    t = np.asarray(tris, dtype=np.int32)
    if signed_volume(verts, t) < 0:  # winding convention depends on the ring direction
        t = t[:, ::-1].copy()
    return verts, t


def _ring(centre_y: float, radius: float, lat: float, psi: FloatArray) -> FloatArray:
    c = radius * math.cos(lat)
    return np.stack([c * np.cos(psi), np.full_like(psi, centre_y + radius * math.sin(lat)),
                     c * np.sin(psi)], axis=1)


@lru_cache(maxsize=64)
def capsule(length_m: float, r0_m: float, r1_m: float, n_around: int,
            n_rings: int) -> tuple[FloatArray, IntArray]:
    """Tapered capsule from the origin (radius r0) to (0, length, 0) (radius r1).

    n_rings: latitude rings besides the two poles (at least 4). Arrays are read-only."""
    if length_m <= abs(r0_m - r1_m):
        raise ValueError("capsule: one sphere contains the other")
    beta = math.asin((r0_m - r1_m) / length_m)  # latitude of the cone's normal
    psi = np.linspace(0.0, 2.0 * math.pi, n_around, endpoint=False)
    # Share the rings between the caps in proportion to their arc.
    n0 = max(2, round(n_rings * (math.pi / 2 + beta) / math.pi))
    n1 = max(2, n_rings - n0)
    lats0 = np.linspace(-math.pi / 2, beta, n0 + 1)[1:]
    lats1 = np.linspace(beta, math.pi / 2, n1 + 1)[:-1]
    rings = [_ring(0.0, r0_m, float(la), psi) for la in lats0]
    rings += [_ring(length_m, r1_m, float(la), psi) for la in lats1]
    verts, tris = _rings_mesh(rings, np.array([0.0, -r0_m, 0.0]), np.array([0.0, length_m + r1_m, 0.0]))
    verts.setflags(write=False)
    tris.setflags(write=False)
    return verts, tris


@lru_cache(maxsize=16)
def unit_sphere(n_around: int, n_rings: int) -> tuple[FloatArray, IntArray]:
    """Unit sphere (UV), poles on the y axis. Arrays are read-only."""
    psi = np.linspace(0.0, 2.0 * math.pi, n_around, endpoint=False)
    lats = np.linspace(-math.pi / 2, math.pi / 2, n_rings + 2)[1:-1]
    rings = [_ring(0.0, 1.0, float(la), psi) for la in lats]
    verts, tris = _rings_mesh(rings, np.array([0.0, -1.0, 0.0]), np.array([0.0, 1.0, 0.0]))
    verts.setflags(write=False)
    tris.setflags(write=False)
    return verts, tris


def lean_rotation(alpha_rad: float) -> FloatArray:
    """Rotation turning an upright segment (x anterior, y up) to lean `alpha` forward."""
    c, s = math.cos(alpha_rad), math.sin(alpha_rad)
    return np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])


def axis_frame(y_dir: FloatArray, x_hint: FloatArray) -> FloatArray:
    """Rotation with local y along `y_dir` and local x as close to `x_hint` as possible."""
    # Plain float arithmetic: this runs ~10 times per pose and numpy's small-array calls dominate.
    yx, yy, yz = (float(c) for c in y_dir)
    n = math.sqrt(yx * yx + yy * yy + yz * yz)
    yx, yy, yz = yx / n, yy / n, yz / n
    hx, hy, hz = (float(c) for c in x_hint)
    dot = hx * yx + hy * yy + hz * yz
    xx, xy, xz = hx - dot * yx, hy - dot * yy, hz - dot * yz
    n = math.sqrt(xx * xx + xy * xy + xz * xz)
    xx, xy, xz = xx / n, xy / n, xz / n
    zx, zy, zz = xy * yz - xz * yy, xz * yx - xx * yz, xx * yy - xy * yx
    return np.array([[xx, yx, zx], [xy, yy, zy], [xz, yz, zz]])


def signed_volume(verts: FloatArray, tris: IntArray) -> float:
    """Volume enclosed by a closed mesh; positive when the normals point outward."""
    a, b, c = verts[tris[:, 0]], verts[tris[:, 1]], verts[tris[:, 2]]
    return float(np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6.0)


def is_closed_manifold(tris: IntArray) -> bool:
    """Every undirected edge is shared by exactly two triangles, once in each direction."""
    e = np.concatenate([tris[:, [0, 1]], tris[:, [1, 2]], tris[:, [2, 0]]])
    directed = {(int(u), int(v)) for u, v in e}
    if len(directed) != len(e):
        return False
    return all((v, u) in directed for u, v in directed)
