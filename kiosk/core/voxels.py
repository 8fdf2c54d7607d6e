"""Sparse voxel-graph helpers of the segmentation (person.py): a padded grid addressed by
flat index, connected components of a few hundred voxels by union-find, the components
near one of them, and their bounding boxes. Voxel indices, no units.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
Cells = npt.NDArray[Any]  # int16 or int32 labels of a padded grid


@dataclass(frozen=True)
class PaddedGrid:
    """A C-ordered voxel grid of `shape` padded by `pad` voxels on every side, addressed by
    flat index: a neighbour at an offset up to `pad` is a fixed integer added to the index
    and never leaves the array, so no lookup needs clipping."""

    shape: tuple[int, int, int]
    pad: int

    @property
    def size(self) -> int:
        return int(np.prod([n + 2 * self.pad for n in self.shape]))

    def index(self, x: I64, y: I64, z: I64) -> I64:
        p, (_, ny, nz) = self.pad, self.shape
        out: I64 = ((x + p) * (ny + 2 * p) + y + p) * (nz + 2 * p) + z + p
        return out

    def cube(self, r: int) -> I64:
        """Offsets of the (2r+1)^3 cube around a voxel in raster order, itself in the middle
        (r <= pad)."""
        d = np.arange(-r, r + 1)
        ny, nz = self.shape[1] + 2 * self.pad, self.shape[2] + 2 * self.pad
        out: I64 = ((d[:, None, None] * ny + d[None, :, None]) * nz + d[None, None, :]).ravel()
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
    cells: Cells = np.zeros(grid.size, dtype=np.int16 if m < np.iinfo(np.int16).max else np.int32)
    if m == 0:
        return np.zeros(0, dtype=np.int32), 0, cells
    cells[key] = np.arange(1, m + 1)  # voxel index + 1
    forward = grid.cube(1)[14:]  # the 13 neighbours after the voxel in raster order
    nb = cells[key[:, None] + forward[None, :]].ravel()
    edge = (nb != 0).nonzero()[0]
    a, b = edge // forward.size, nb[edge].astype(np.intp) - 1
    parent = np.arange(m)
    while True:
        pa, pb = parent[a], parent[b]
        differ = pa != pb
        if not differ.any():
            break
        pa, pb = pa[differ], pb[differ]
        # Hook the larger root under the smaller (both are roots: the tree is flat).
        np.minimum.at(parent, np.maximum(pa, pb), np.minimum(pa, pb))
        while True:
            up = parent[parent]
            if (up == parent).all():
                break
            parent = up
    # Every voxel points at its root, the component's first voxel: label = rank of the root.
    rank = np.cumsum(parent == np.arange(m))
    lab = rank[parent].astype(np.int32)
    cells[key] = lab
    return lab, int(rank[-1]), cells


def near_components(
    cells: Cells, key: I64, lab: npt.NDArray[np.int32], main: int,
    eligible: npt.NDArray[np.bool_], cube: I64,
) -> list[int]:
    """Labels of the eligible components with a voxel within the cube (Chebyshev distance
    attach_gap_voxels) of a voxel of `main`: what dilating main's voxels by the cube and
    intersecting finds. key/lab: the solid voxels' padded indices and labels."""
    cand = np.flatnonzero(eligible[lab])
    if cand.size == 0:
        return []
    near = (cells[key[cand][:, None] + cube[None, :]] == main).any(axis=1)
    return [int(x) for x in np.unique(lab[cand[near]])]


def occluded_components(
    grid: PaddedGrid, cells: Cells, coords: I64, lab: npt.NDArray[np.int32], main: int,
    eligible: npt.NDArray[np.bool_], camera: npt.NDArray[np.float64], n_steps: int,
) -> list[int]:
    """Labels of the eligible components hidden behind `main` along the camera's line of
    sight: a voxel of theirs, moved toward the camera centre one voxel at a time for up to
    `n_steps` voxels, lands in a voxel of main or next to one (26-neighbourhood). So the
    space between the component and main is seen only through main: what joins them is
    occluded. coords: the solid voxels' (3, M) grid coordinates (unpadded), lab their
    labels; camera: the camera centre in the same voxel coordinates (voxel i spans
    [i, i + 1)). Steps outside the grid (main is never there) are misses. The grid's pad
    must be >= 1. Costs per candidate voxel (a few dozen), not per voxel of the grid."""
    cand = np.flatnonzero(eligible[lab])
    if cand.size == 0 or n_steps <= 0:
        return []
    centre = coords[:, cand] + 0.5  # (3, n), float
    ray = camera[:, None] - centre
    ray *= 1.0 / np.sqrt((ray * ray).sum(axis=0))
    # (3, n, n_steps): the voxel reached after each step of one voxel toward the camera.
    at = (centre[:, :, None] + ray[:, :, None] * np.arange(1, n_steps + 1)).astype(np.int64)
    # Truncation rounds (-1, 0) up to voxel 0 where floor would give -1: harmless, as main
    # lies >= 2 voxels inside the grid in x and z, and the camera is above the floor in y.
    at = at.reshape(3, -1)
    shape = np.asarray(grid.shape)[:, None]
    inside = ((at >= 0) & (at < shape)).all(axis=0)
    hit = np.zeros(at.shape[1], dtype=bool)
    probe = grid.index(at[0, inside], at[1, inside], at[2, inside])
    hit[inside] = (cells[probe[:, None] + grid.cube(1)[None, :]] == main).any(axis=1)
    hidden = hit.reshape(cand.size, n_steps).any(axis=1)
    return [int(x) for x in np.unique(lab[cand[hidden]])]


@dataclass(frozen=True)
class VoxelBoxes:
    """Bounding boxes of labels 1..n as voxel index ranges: lo/hi (n + 1, 3) inclusive."""

    lo: npt.NDArray[np.int64]
    hi: npt.NDArray[np.int64]

    @classmethod
    def of(cls, lab: npt.NDArray[np.int32], coords: npt.NDArray[np.int64], n_labels: int) -> VoxelBoxes:
        """The boxes of labelled voxels: lab (M,) 1..n_labels (all occur), coords (3, M)."""
        lo = np.full((3, n_labels + 1), np.iinfo(coords.dtype).max, dtype=coords.dtype)
        hi = np.full((3, n_labels + 1), -1, dtype=coords.dtype)
        for axis in range(3):  # 1-D ufunc.at of one dtype: numpy's fast path
            np.minimum.at(lo[axis], lab, coords[axis])
            np.maximum.at(hi[axis], lab, coords[axis])
        lo[:, 0] = hi[:, 0] = 0
        return cls(lo.T.astype(np.int64), hi.T.astype(np.int64))

    def __call__(self, label: int) -> tuple[slice, slice, slice]:
        """The label's box as slices, like ndimage.find_objects()[label - 1]."""
        lo, hi = self.lo[label].tolist(), self.hi[label].tolist()
        return slice(lo[0], hi[0] + 1), slice(lo[1], hi[1] + 1), slice(lo[2], hi[2] + 1)
