"""Sparse voxel-graph helpers of the segmentation (person.py): a padded grid addressed by
flat index, connected components of a few hundred voxels by union-find, the components
near one of them, and their bounding boxes. Voxel indices, no units.

Every call here handles a few hundred voxels, so numpy's per-call overhead (~1-3 us), not
the work, is the cost: the code keeps the number of numpy calls down.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
Cells = npt.NDArray[Any]  # int16 or int32 labels of a padded grid

# The unit cubes' (dx, dy, dz) in raster order, (3, (2r+1)^3) for r up to 5 (the largest
# attach_gap_voxels): a cube's flat offsets are then one product with the grid's strides.
_BIG = 1 << 62  # above any voxel coordinate (np.iinfo costs a few us a call)
_UNIT = [np.indices((2 * r + 1,) * 3).reshape(3, -1) - r for r in range(6)]


@dataclass(frozen=True)
class PaddedGrid:
    """A C-ordered voxel grid of `shape` padded by `pad` voxels on every side, addressed by
    flat index: a neighbour at an offset up to `pad` is a fixed integer added to the index
    and never leaves the array, so no lookup needs clipping."""

    shape: tuple[int, int, int]
    pad: int

    @property
    def size(self) -> int:
        p, (nx, ny, nz) = 2 * self.pad, self.shape
        return (nx + p) * (ny + p) * (nz + p)

    @property
    def strides(self) -> tuple[int, int, int]:
        """Flat index steps of one voxel in x, y and z."""
        ny, nz = self.shape[1] + 2 * self.pad, self.shape[2] + 2 * self.pad
        return ny * nz, nz, 1

    def index(self, x: I64, y: I64, z: I64) -> I64:
        p, (_, ny, nz) = self.pad, self.shape
        out: I64 = ((x + p) * (ny + 2 * p) + y + p) * (nz + 2 * p) + z + p
        return out

    def box(self, lo: tuple[int, int, int], hi: tuple[int, int, int]) -> I64:
        """Offsets of the voxels (dx, dy, dz) with lo <= d <= hi (each within the pad)."""
        sx, sy, _ = self.strides
        ranges = [range(a, b + 1) for a, b in zip(lo, hi, strict=True)]
        return np.array([x * sx + y * sy + z for x in ranges[0] for y in ranges[1] for z in ranges[2]])

    def cube(self, r: int) -> I64:
        """Offsets of the (2r+1)^3 cube around a voxel in raster order, itself in the middle
        (r <= pad)."""
        out: I64 = np.dot(self.strides, _UNIT[r])
        return out


def label_components(grid: PaddedGrid, key: I64) -> tuple[npt.NDArray[np.int32], int, Cells]:
    """Connected components (26-connectivity) of the voxels at flat indices `key` of `grid`,
    ascending (raster order): labels (M,) 1..n, n, and the padded grid holding each voxel's
    label (0 elsewhere). Numbered by each component's first voxel in raster order, as
    ndimage.label numbers them. Union-find by the smallest voxel index with pointer jumping,
    over each voxel's 13 forward neighbours: it costs per solid voxel (a few hundred), not
    per voxel of the box."""
    m = key.size
    # int16 when it can: the grid is ~50k cells, and zeroing it is a good part of the cost.
    cells: Cells = np.zeros(grid.size, dtype=np.int16 if m < 32767 else np.int32)
    if m == 0:
        return np.zeros(0, dtype=np.int32), 0, cells
    cells[key] = np.arange(1, m + 1, dtype=cells.dtype)  # voxel index + 1
    forward = grid.cube(1)[14:]  # the 13 neighbours after the voxel in raster order
    nb = cells[key[:, None] + forward].ravel()
    edge = nb.nonzero()[0]
    a, b = edge // forward.size, nb[edge].astype(np.intp)
    b -= 1
    parent = np.arange(m)
    # First round: every voxel is a root and a < b, so hook each under its smallest
    # earlier neighbour without looking up roots. Then flatten (two jumps per check) and
    # hook the roots of the edges still joining two trees, the larger root under the
    # smaller, until none does. Whatever the order of the hooks, the smallest voxel of a
    # component ends as its root.
    np.minimum.at(parent, b, a)
    while True:
        while True:
            up = parent[parent]
            parent = up[up]
            if (parent == up).all():
                break
        pa, pb = parent[a], parent[b]
        differ = (pa != pb).nonzero()[0]
        if differ.size == 0:
            break
        a, b, pa, pb = a[differ], b[differ], pa[differ], pb[differ]  # the settled edges stay so
        np.minimum.at(parent, np.maximum(pa, pb), np.minimum(pa, pb))
    # Every voxel points at its root, the component's first voxel: label = rank of the root.
    rank = np.cumsum(parent == np.arange(m), dtype=np.int32)
    lab: npt.NDArray[np.int32] = rank[parent]
    cells[key] = lab
    return lab, int(rank[-1]), cells


def near_components(
    cells: Cells, key: I64, lab: npt.NDArray[np.int32], main: int,
    eligible: npt.NDArray[np.bool_], cube: I64,
) -> npt.NDArray[np.int32]:
    """Labels (repeated, any order) of the eligible components with a voxel within the
    cube (Chebyshev distance attach_gap_voxels) of a voxel of `main`: what dilating main's
    voxels by the cube and intersecting finds. key/lab: the solid voxels' padded indices
    and labels."""
    cand = eligible[lab].nonzero()[0]
    near = (cells[key[cand, None] + cube] == main).any(axis=1)
    out: npt.NDArray[np.int32] = lab[cand[near]]
    return out


def occluded_components(
    grid: PaddedGrid, near_main: npt.NDArray[np.bool_], coords: I64, lab: npt.NDArray[np.int32],
    eligible: npt.NDArray[np.bool_], camera: npt.NDArray[np.float64], n_steps: int,
) -> npt.NDArray[np.int32]:
    """Labels (repeated, any order) of the eligible components hidden behind main along
    the camera's line of sight: a voxel of theirs, moved toward the camera centre one voxel
    at a time for up to `n_steps` voxels, lands in a voxel of main or next to one
    (26-neighbourhood: `near_main`, the padded grid of main's voxels dilated by one). So
    the space between the component and main is seen only through main: what joins them is
    occluded. coords: the solid voxels' (3, M) grid coordinates (unpadded), lab their
    labels; camera: the camera centre in the same voxel coordinates (voxel i spans
    [i, i + 1)). Steps outside the grid (main is never there) are misses. Costs per
    candidate voxel (a few dozen), not per voxel of the grid."""
    cand = eligible[lab].nonzero()[0]
    if cand.size == 0 or n_steps <= 0:
        return lab[cand]
    centre = coords[:, cand] + 0.5  # (3, n), float
    ray = camera[:, None] - centre
    ray *= 1.0 / np.sqrt((ray * ray).sum(axis=0))
    # (3, n, n_steps): the voxel reached after each step of one voxel toward the camera.
    at = (centre[:, :, None] + ray[:, :, None] * np.arange(1, n_steps + 1)).astype(np.int64)
    # Truncation rounds (-1, 0) up to voxel 0 where floor would give -1: harmless, as main
    # lies >= 2 voxels inside the grid in x and z, and the camera is above the floor in y.
    at = at.reshape(3, -1)
    inside = ((at >= 0) & (at < np.array(grid.shape)[:, None])).all(axis=0)
    hit = np.zeros(at.shape[1], dtype=bool)
    hit[inside] = near_main[np.dot(grid.strides, at[:, inside]) + grid.pad * sum(grid.strides)]
    out: npt.NDArray[np.int32] = lab[cand[hit.reshape(cand.size, n_steps).any(axis=1)]]
    return out


@dataclass(frozen=True)
class VoxelBoxes:
    """Bounding boxes of labels 1..n as voxel index ranges: lo/hi (3, n + 1) inclusive."""

    lo: I64
    hi: I64

    @classmethod
    def of(cls, lab: npt.NDArray[np.int32], coords: I64, n_labels: int) -> VoxelBoxes:
        """The boxes of labelled voxels: lab (M,) 1..n_labels (all occur), coords (3, M)
        int64. The three axes in one 1-D ufunc.at each (numpy's fast path): axis k
        of label l is entry k * (n + 1) + l."""
        n1 = n_labels + 1
        at = (lab + np.array([[0], [n1], [2 * n1]])).ravel()
        lo: I64 = np.full((3, n1), _BIG, dtype=np.int64)
        hi: I64 = np.full((3, n1), -1, dtype=np.int64)
        np.minimum.at(lo.reshape(-1), at, coords.ravel())  # views of lo and hi: fill them
        np.maximum.at(hi.reshape(-1), at, coords.ravel())
        lo[:, 0] = hi[:, 0] = 0
        return cls(lo, hi)

    def __call__(self, label: int) -> tuple[slice, slice, slice]:
        """The label's box as slices, like ndimage.find_objects()[label - 1]."""
        lo, hi = self.lo[:, label].tolist(), self.hi[:, label].tolist()
        return slice(lo[0], hi[0] + 1), slice(lo[1], hi[1] + 1), slice(lo[2], hi[2] + 1)
