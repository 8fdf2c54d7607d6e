"""Segment masses of one MPFB person from its skinned volume, for the centre of mass.

The closed rest surface is voxelised (centres of a VOXEL_M grid, inside by ray parity
along y), each interior voxel takes the skinning weights of its nearest surface vertex,
and each segment gets mass m_s = rho * sum(w_s) * h^3 and first moment P_s = rho *
sum(w_s * p) * h^3. Skinning moves every voxel by the weight-blended segment transforms,
so the posed centre of mass of the uniform-density skinned solid is exactly

    com = sum_s (R_s P_s + t_s m_s) / sum_s m_s

(linear in the segment transforms: a handful of 3x3 products per pose, which keeps the
balance solve cheap). Masses are scaled so that they sum to rho * the mesh's volume.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from hardware.sim.mpfb.rig import RestBody

FloatArray = npt.NDArray[np.float64]
DENSITY_KG_M3 = 1010.0  # whole-body density, lungs included (~1.01 g/cm^3)
VOXEL_M = 0.01


@dataclass(frozen=True, eq=False)
class SegmentMasses:
    """mass_kg (S,), moment_kg_m (S, 3) in the rest frame; total_kg = rho * volume."""

    mass_kg: FloatArray
    moment_kg_m: FloatArray
    total_kg: float

    def com(self, rotations: FloatArray, translations: FloatArray) -> FloatArray:
        """Centre of mass for segment transforms (S, 3, 3) and (S, 3), world frame."""
        moved = np.einsum("sij,sj->i", rotations, self.moment_kg_m) + self.mass_kg @ translations
        return np.asarray(moved / self.mass_kg.sum(), dtype=np.float64)


def interior_points(verts: FloatArray, tris: npt.NDArray[np.int32], h: float) -> FloatArray:
    """Centres of the h-grid cells inside a closed surface (ray parity along +y)."""
    a, b, c = verts[tris[:, 0]], verts[tris[:, 1]], verts[tris[:, 2]]
    # Grid columns in x-z, offset by an irrational fraction so no ray grazes a vertex or edge.
    origin = verts[:, [0, 2]].min(axis=0) - h * (1.0 - 0.5 ** 0.5 / 3.0)
    lo = np.floor((np.minimum(np.minimum(a, b), c)[:, [0, 2]] - origin) / h).astype(int) + 1
    hi = np.floor((np.maximum(np.maximum(a, b), c)[:, [0, 2]] - origin) / h).astype(int)
    nx, nz = np.maximum(hi - lo + 1, 0).T
    count = nx * nz
    tri = np.repeat(np.arange(len(tris)), count)
    k = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    ix = lo[tri, 0] + k // np.maximum(nz[tri], 1)
    iz = lo[tri, 1] + k % np.maximum(nz[tri], 1)
    px, pz = origin[0] + ix * h, origin[1] + iz * h
    # Barycentric coordinates of the column in the triangle's x-z projection.
    ax, az, bx, bz, cx, cz = a[tri, 0], a[tri, 2], b[tri, 0], b[tri, 2], c[tri, 0], c[tri, 2]
    det = (bx - ax) * (cz - az) - (cx - ax) * (bz - az)
    with np.errstate(divide="ignore", invalid="ignore"):
        u = ((px - ax) * (cz - az) - (cx - ax) * (pz - az)) / det
        v = ((bx - ax) * (pz - az) - (px - ax) * (bz - az)) / det
    hit = (u >= 0) & (v >= 0) & (u + v <= 1) & (det != 0)
    y = a[tri, 1] + u * (b[tri, 1] - a[tri, 1]) + v * (c[tri, 1] - a[tri, 1])
    col = ix[hit] * 100_000 + iz[hit]
    ys = y[hit]
    order = np.lexsort((ys, col))
    col, ys = col[order], ys[order]
    points: list[FloatArray] = []
    starts = np.flatnonzero(np.r_[True, col[1:] != col[:-1]])
    ends = np.r_[starts[1:], len(col)]
    for s, e in zip(starts, ends, strict=True):
        if (e - s) % 2:  # a column touching a fold twice-counted: skip it rather than fill wrongly
            continue
        cx_, cz_ = origin[0] + (col[s] // 100_000) * h, origin[1] + (col[s] % 100_000) * h
        for y0, y1 in zip(ys[s:e:2], ys[s + 1:e:2], strict=True):
            yy = np.arange(np.ceil(y0 / h), np.floor(y1 / h) + 1) * h
            points.append(np.column_stack([np.full(len(yy), cx_), yy, np.full(len(yy), cz_)]))
    return np.vstack(points)


def segment_masses(rest: RestBody, h: float = VOXEL_M) -> SegmentMasses:
    """Mass and first moment of every segment of `rest` (see the module docstring)."""
    pts = interior_points(rest.verts, rest.tris, h)
    _, nearest = cKDTree(rest.verts).query(pts)
    w = rest.weights[nearest]
    total = DENSITY_KG_M3 * rest.volume_m3
    scale = total / max(float(w.sum()), 1.0)
    mass = w.sum(axis=0) * scale
    moment = (w.T @ pts) * scale
    mass.setflags(write=False)
    moment.setflags(write=False)
    return SegmentMasses(mass_kg=mass, moment_kg_m=moment, total_kg=total)
