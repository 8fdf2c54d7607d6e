"""Large planes among camera-frame points: RANSAC (numpy) for the floor and for walls.

Frame: camera (RealSense optical: +x image right, +y image down, +z forward), metres. A
plane is `normal . p + offset_m = 0` with the unit normal toward the camera, so offset_m
is the camera's distance from it. Split from floor.py, which refines the floor found here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from calibration.errors import CalibrationError
from hardware.geometry import FloatArray

# D4xx stereo depth RMS ~ z^2 * subpixel / (fx * baseline): D435 0.08 px / (421 px * 0.05 m).
D4XX_NOISE_M_PER_M2 = 0.004


@dataclass(frozen=True)
class Plane:
    """A plane found by RANSAC; inliers: over the candidate points it was found in."""

    normal: FloatArray  # unit, toward the camera
    offset_m: float  # camera height above this plane
    inliers: npt.NDArray[np.bool_]  # over the candidate points it was found in


_RANSAC_BATCH = 128  # hypotheses scored per matrix product: (128, N) float32 is ~10 MB at N = 20 000
_RANSAC_PROBABILITY = 0.99999999  # Open3D segment_plane's default early-stop confidence


def _plane_through(points: FloatArray) -> tuple[FloatArray, float] | None:
    """Least-squares plane (unit normal, offset) through `points` (>= 3): centroid and the
    smallest right singular vector, as Open3D's segment_plane refines its winner."""
    if len(points) < 3:
        return None
    centroid = points.mean(axis=0)
    normal = np.linalg.svd(points - centroid, full_matrices=False)[2][-1]
    return normal.astype(np.float64), -float(normal @ centroid)


def _ransac(points: FloatArray, threshold_m: float, iterations: int, seed: int) -> Plane:
    """The largest plane in `points`: RANSAC on 3-point hypotheses, numpy only.

    The semantics of Open3D's `segment_plane(distance_threshold, ransac_n=3, num_iterations)`,
    which this replaces: up to `iterations` hypotheses, an inlier is a point closer than
    `threshold_m`, the hypothesis with the most inliers wins (the first found on a tie), the
    search stops early once a better plane is unlikely (Open3D's default probability), and
    the winner is refined by least squares on its inliers, which are returned. Deterministic
    for a seed. Hypotheses are scored `_RANSAC_BATCH` at a time in one matrix product."""
    n = len(points)
    rng = np.random.default_rng(seed)
    pts32 = points.astype(np.float32)
    best_count, best_model = 0, None
    done = 0
    budget = iterations
    while done < budget:
        b = min(_RANSAC_BATCH, budget - done)
        tri = points[rng.integers(0, n, size=(b, 3))]  # (b, 3 points, xyz)
        normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
        norms = np.linalg.norm(normals, axis=1)
        ok = norms > 1e-12  # repeated or collinear samples give no plane
        normals = np.where(ok[:, None], normals / np.where(ok, norms, 1.0)[:, None], 0.0)
        offsets = -np.einsum("ij,ij->i", normals, tri[:, 0])
        dist = np.abs(pts32 @ normals.T.astype(np.float32) + offsets.astype(np.float32))  # (n, b)
        counts = np.where(ok, np.count_nonzero(dist < threshold_m, axis=0), 0)
        k = int(np.argmax(counts))
        if counts[k] > best_count:
            best_count, best_model = int(counts[k]), (normals[k], float(offsets[k]))
            # Open3D's adaptive stop: enough hypotheses to have drawn an all-inlier triple
            # with the given probability, at the best inlier fraction so far.
            frac3 = (best_count / n) ** 3
            if frac3 >= 1.0:
                budget = done + b
            elif frac3 > 0.0:
                need = math.log(1.0 - _RANSAC_PROBABILITY) / math.log(1.0 - frac3)
                budget = min(budget, max(done + b, math.ceil(need)))
        done += b
    mask = np.zeros(n, dtype=bool)
    if best_model is None:
        return Plane(normal=np.array([0.0, -1.0, 0.0]), offset_m=0.0, inliers=mask)
    normal, offset = best_model
    mask = np.abs(points @ normal + offset) < threshold_m
    refined = _plane_through(points[mask])
    if refined is not None:
        normal, offset = refined
    if offset < 0:  # orient toward the camera: the camera (origin) must be on the + side
        normal, offset = -normal, -offset
    return Plane(normal=normal, offset_m=offset, inliers=mask)


def angle_to_down_deg(normal: FloatArray) -> float:
    """Angle between a floor normal (floor -> camera) and the camera's -y (image up)."""
    return math.degrees(math.acos(float(np.clip(-normal[1], -1.0, 1.0))))


def _is_floor_like(plane: Plane, max_tilt_deg: float) -> bool:
    """Normal near image-up and the camera clearly above it."""
    return angle_to_down_deg(plane.normal) <= max_tilt_deg and plane.offset_m > 0.05


def find_floor_plane(points: FloatArray, threshold_m: float = 0.03, max_tilt_deg: float = 45.0,
                     min_fraction: float = 0.03, max_planes: int = 5, iterations: int = 1000,
                     seed: int = 0) -> tuple[Plane, list[Plane]]:
    """The floor among the large planes in `points` (camera frame), and the other planes.

    RANSAC finds the largest plane, which may be a wall or (rarely) a person-sized slab;
    its inliers are removed and RANSAC runs again, up to `max_planes` times. Floor-like
    planes have a normal within `max_tilt_deg` of image-up; among those at least a quarter
    the size of the largest, the lowest (largest camera height) wins: a bench or box top is
    above the floor. Returns (floor, the non-floor planes, e.g. walls)."""
    min_count = max(50, int(min_fraction * len(points)))
    remaining = np.arange(len(points))
    planes: list[Plane] = []
    largest_floor_like = 0
    for i in range(max_planes):
        # Stop once no remaining plane could be a qualifying floor candidate (>= 1/4 of the
        # largest); walls found later matter less than the ~50 ms each RANSAC costs.
        if len(remaining) < max(min_count, 0.25 * largest_floor_like):
            break
        plane = _ransac(points[remaining], threshold_m, iterations, seed + i)
        if int(plane.inliers.sum()) < min_count:
            break
        mask = np.zeros(len(points), dtype=bool)
        mask[remaining[plane.inliers]] = True
        planes.append(Plane(normal=plane.normal, offset_m=plane.offset_m, inliers=mask))
        if _is_floor_like(plane, max_tilt_deg):
            largest_floor_like = max(largest_floor_like, int(plane.inliers.sum()))
        # Remove the plane's whole noise band, not just RANSAC's inliers: a far wall's
        # stereo noise (7 cm at 4 m) is wider than the threshold and would come back as
        # parallel slices, each costing another RANSAC.
        rest = points[remaining]
        band_m = np.maximum(threshold_m, 3.0 * D4XX_NOISE_M_PER_M2 * rest[:, 2] ** 2)
        remaining = remaining[~(plane.inliers | (np.abs(rest @ plane.normal + plane.offset_m) < band_m))]
    floor_like = [p for p in planes if _is_floor_like(p, max_tilt_deg)]
    if not floor_like:
        raise CalibrationError(
            "No floor found in view: tilt the camera down so the floor in front of the station is visible"
        )
    largest = max(int(p.inliers.sum()) for p in floor_like)
    floor = max((p for p in floor_like if p.inliers.sum() >= 0.25 * largest), key=lambda p: p.offset_m)
    return floor, [p for p in planes if p is not floor]


def find_walls(points: FloatArray, min_count: int, max_tilt_deg: float, seed: int,
                max_walls: int = 2) -> list[Plane]:
    """Up to `max_walls` large planes whose normal is far from vertical, among `points`."""
    walls: list[Plane] = []
    remaining = points
    for i in range(max_walls):
        if len(remaining) < min_count:
            break
        plane = _ransac(remaining, 0.05, 500, seed + i)
        if int(plane.inliers.sum()) < min_count:
            break
        if angle_to_down_deg(plane.normal) > max_tilt_deg:
            walls.append(plane)
        remaining = remaining[~plane.inliers]
    return walls
