"""Find a person standing in view during calibration (for the facing and the station).

Frame: world (origin on the floor, +y up), metres. Calibration-time work, never per
frame: connected components of the occupied 5 cm voxels (scipy.ndimage.label, 26-
connected), a few tens of ms for one frame's points.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from hardware.geometry import FloatArray

_MIN_ABOVE_FLOOR_M = 0.03  # floor noise near the station stays below this
_MAX_HEIGHT_M = 2.4
_HIDDEN_DEPTH_M = 0.12


@dataclass(frozen=True)
class StandingPerson:
    """A person-like blob: standing on the floor, 1.0-2.3 m tall, under 1.2 m across.

    centre_x_m/centre_z_m: median floor position of the leg points (below 0.5 m).
    lo/hi: world bounding box of the blob's points, metres. points: how many."""

    centre_x_m: float
    centre_z_m: float
    lo: tuple[float, float, float]
    hi: tuple[float, float, float]
    points: int

    def box_mask(self, points_world: FloatArray, pad_m: float = 0.1) -> npt.NDArray[np.bool_]:
        """Points (N, 3) inside the blob's bounding box grown by `pad_m` (not below y=0)."""
        lo = np.asarray(self.lo) - pad_m
        hi = np.asarray(self.hi) + pad_m
        lo[1] = max(lo[1], 0.0)
        inside: npt.NDArray[np.bool_] = np.all((points_world >= lo) & (points_world <= hi), axis=1)
        return inside


def voxel_clusters(points: FloatArray, voxel_m: float) -> npt.NDArray[np.int64]:
    """Label (N,) of each point's cluster: connected components of the occupied voxels
    (26-connected); labels count from 0. Points of one frame of a depth camera lie within a
    few cm of each other on a surface, so 5 cm voxels join a body and part two bodies that
    stand a hand apart."""
    from scipy import ndimage  # calibration-time only

    idx = np.floor((points - points.min(axis=0)) / voxel_m).astype(np.int64)
    shape = tuple(int(v) + 1 for v in idx.max(axis=0))
    grid = np.zeros(shape, dtype=bool)
    grid[idx[:, 0], idx[:, 1], idx[:, 2]] = True
    labels, _ = ndimage.label(grid, structure=np.ones((3, 3, 3), dtype=bool))
    return np.asarray(labels[idx[:, 0], idx[:, 1], idx[:, 2]], dtype=np.int64) - 1


def find_standing_person(points_world: FloatArray, voxel_m: float = 0.05,
                         near_xz: tuple[float, float] | None = None,
                         camera_xz: tuple[float, float] | None = None) -> StandingPerson | None:
    """The standing person among one frame's world points (floor noise removed), or None.

    Clusters the points above the floor (voxel_clusters); keeps clusters that touch the
    floor (lowest point below 0.2 m), reach 1.0-2.3 m and are at most 1.2 m across (a wall
    or a rack is wider). Several: the one nearest `near_xz` (world x, z), else the biggest.
    camera_xz: the camera's floor position; given, the centre is moved off the visible
    surface to where the stance's middle is."""
    p = np.asarray(points_world, dtype=np.float64)
    p = p[(p[:, 1] > _MIN_ABOVE_FLOOR_M) & (p[:, 1] < _MAX_HEIGHT_M) & np.all(np.isfinite(p), axis=1)]
    if len(p) < 50:
        return None
    labels = voxel_clusters(p, voxel_m)
    found: list[StandingPerson] = []
    cam_xz = None if camera_xz is None else np.asarray(camera_xz, dtype=np.float64)
    sizes = np.bincount(labels)
    for label in np.flatnonzero(sizes >= 100):
        c = p[labels == label]
        lo, hi = np.percentile(c, 1.0, axis=0), np.percentile(c, 99.0, axis=0)
        span = hi - lo
        if not (lo[1] < 0.2 and 1.0 <= hi[1] <= 2.3 and span[0] <= 1.2 and span[2] <= 1.2):
            continue
        legs = c[c[:, 1] < 0.5]
        if len(legs) < 10:
            continue
        cx, cz = float(np.median(legs[:, 0])), float(np.median(legs[:, 2]))
        if cam_xz is not None:
            # The camera sees the near side of the legs only; the stance centre is ~0.12 m
            # further away (a leg's half-depth plus half the gap to the far leg).
            away = np.array([cx, cz]) - cam_xz
            away /= max(float(np.linalg.norm(away)), 1e-6)
            cx, cz = cx + _HIDDEN_DEPTH_M * float(away[0]), cz + _HIDDEN_DEPTH_M * float(away[1])
        found.append(StandingPerson(
            centre_x_m=cx, centre_z_m=cz,
            lo=(float(lo[0]), float(lo[1]), float(lo[2])), hi=(float(hi[0]), float(hi[1]), float(hi[2])),
            points=len(c),
        ))
    if not found:
        return None
    if near_xz is not None:
        nx, nz = near_xz
        return min(found, key=lambda s: (s.centre_x_m - nx) ** 2 + (s.centre_z_m - nz) ** 2)
    return max(found, key=lambda s: s.points)
