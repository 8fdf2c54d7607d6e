"""Floor plane from depth frames: RANSAC (numpy) to find it, least squares to refine it.

Frame: camera (RealSense optical: +x image right, +y image down, +z forward), metres.
The plane is `normal_cam . p + height_m = 0`, normal unit and pointing from the floor to
the camera, so `height_m` is the camera centre's height and `normal_cam . p + height_m` is
any point's signed height above the floor.

Why the refinement is done in inverse depth: for a plane, 1/z is linear in the pixel's
normalised ray (x/z, y/z, 1), and stereo noise is constant in disparity, i.e. in 1/z, for
a surface facing the camera (growing as 1/cos(incidence) on a grazing floor, hence the
cos^2 weights). Least squares on 1/z is then the maximum-likelihood fit for a D4xx, where a
metric fit would let the noisy far floor (sigma ~ z^2) dominate; and pixel rays are exact,
so there is no errors-in-variables bias.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from calibration.errors import CalibrationError
from calibration.geometry import FloatArray, deproject
from hardware.frame import DepthFrame

# D4xx stereo depth RMS ~ z^2 * subpixel / (fx * baseline): D435 0.08 px / (421 px * 0.05 m).
D4XX_NOISE_M_PER_M2 = 0.004
_MIN_RANGE_M = 0.2  # D4xx minimum depth is ~0.28 m; nearer values are artefacts
_REFINE_ITERATIONS = 5
_MIN_BAND_INV_M = 2e-4  # inverse-depth band floor: mm quantisation at ~2 m


@dataclass(frozen=True)
class FloorFit:
    """Floor plane in the camera frame and how well it fits.

    normal_cam: unit normal, floor -> camera. height_m: camera centre above the floor, m.
    inliers: sampled points used in the final fit. inlier_fraction: of the sampled valid
    points. image_fraction: of all sampled pixels (valid or not), i.e. how much of the image
    is floor. rms_mm: inliers' RMS distance to the plane along the normal, mm.
    frames: depth frames the fit used.
    """

    normal_cam: tuple[float, float, float]
    height_m: float
    inliers: int
    inlier_fraction: float
    image_fraction: float
    rms_mm: float
    frames: int

    @property
    def n(self) -> FloatArray:
        return np.asarray(self.normal_cam, dtype=np.float64)

    def height_above_m(self, points_cam: npt.NDArray[np.floating]) -> FloatArray:
        """Signed height of camera-frame points (N, 3) above the floor, metres."""
        return np.asarray(points_cam, dtype=np.float64) @ self.n + self.height_m


@dataclass(frozen=True)
class _Plane:
    normal: FloatArray  # unit, toward the camera
    offset_m: float  # camera height above this plane
    inliers: npt.NDArray[np.bool_]  # over the candidate points it was found in


def sample_points(frames: Sequence[DepthFrame], max_points: int = 20_000, max_range_m: float = 6.0,
                  seed: int = 0) -> tuple[FloatArray, int]:
    """Camera-frame points from all frames, decimated to about `max_points` in total.

    Returns (points (N, 3) float64, number of pixels sampled including invalid ones); the
    pixel count lets callers turn point counts into fractions of the image."""
    if not frames:
        raise CalibrationError("No depth frames to calibrate from: check that the camera is streaming")
    pixels = sum(f.depth.size for f in frames)
    stride = max(1, int(math.sqrt(pixels / max_points)))
    parts: list[FloatArray] = []
    sampled = 0
    for f in frames:
        pts = deproject(f.depth_m(), f.intrinsics, stride=stride).astype(np.float64)
        sampled += len(range(0, f.depth.shape[0], stride)) * len(range(0, f.depth.shape[1], stride))
        keep = (pts[:, 2] >= _MIN_RANGE_M) & (pts[:, 2] <= max_range_m)
        parts.append(pts[keep])
    points = np.concatenate(parts, axis=0)
    if len(points) > max_points:
        # Random, not regular, so the union of frames keeps covering the whole image.
        rng = np.random.default_rng(seed)
        idx = rng.choice(len(points), size=max_points, replace=False)
        keep_frac = max_points / len(points)
        points = points[np.sort(idx)]
        sampled = round(sampled * keep_frac)
    return points, sampled


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


def _ransac(points: FloatArray, threshold_m: float, iterations: int, seed: int) -> _Plane:
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
        return _Plane(normal=np.array([0.0, -1.0, 0.0]), offset_m=0.0, inliers=mask)
    normal, offset = best_model
    mask = np.abs(points @ normal + offset) < threshold_m
    refined = _plane_through(points[mask])
    if refined is not None:
        normal, offset = refined
    if offset < 0:  # orient toward the camera: the camera (origin) must be on the + side
        normal, offset = -normal, -offset
    return _Plane(normal=normal, offset_m=offset, inliers=mask)


def _angle_to_down_deg(normal: FloatArray) -> float:
    """Angle between a floor normal (floor -> camera) and the camera's -y (image up)."""
    return math.degrees(math.acos(float(np.clip(-normal[1], -1.0, 1.0))))


def _is_floor_like(plane: _Plane, max_tilt_deg: float) -> bool:
    """Normal near image-up and the camera clearly above it."""
    return _angle_to_down_deg(plane.normal) <= max_tilt_deg and plane.offset_m > 0.05


def find_floor_plane(points: FloatArray, threshold_m: float = 0.03, max_tilt_deg: float = 45.0,
                     min_fraction: float = 0.03, max_planes: int = 5, iterations: int = 1000,
                     seed: int = 0) -> tuple[_Plane, list[_Plane]]:
    """The floor among the large planes in `points` (camera frame), and the other planes.

    RANSAC finds the largest plane, which may be a wall or (rarely) a person-sized slab;
    its inliers are removed and RANSAC runs again, up to `max_planes` times. Floor-like
    planes have a normal within `max_tilt_deg` of image-up; among those at least a quarter
    the size of the largest, the lowest (largest camera height) wins: a bench or box top is
    above the floor. Returns (floor, the non-floor planes, e.g. walls)."""
    min_count = max(50, int(min_fraction * len(points)))
    remaining = np.arange(len(points))
    planes: list[_Plane] = []
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
        planes.append(_Plane(normal=plane.normal, offset_m=plane.offset_m, inliers=mask))
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


def _find_walls(points: FloatArray, min_count: int, max_tilt_deg: float, seed: int,
                max_walls: int = 2) -> list[_Plane]:
    """Up to `max_walls` large planes whose normal is far from vertical, among `points`."""
    walls: list[_Plane] = []
    remaining = points
    for i in range(max_walls):
        if len(remaining) < min_count:
            break
        plane = _ransac(remaining, 0.05, 500, seed + i)
        if int(plane.inliers.sum()) < min_count:
            break
        if _angle_to_down_deg(plane.normal) > max_tilt_deg:
            walls.append(plane)
        remaining = remaining[~plane.inliers]
    return walls


def seen_on_other_planes(points: FloatArray, floor: _Plane, others: Sequence[_Plane],
                         noise_m_per_m2: float = D4XX_NOISE_M_PER_M2) -> npt.NDArray[np.bool_]:
    """Points whose pixel sees one of `others` (e.g. a wall) rather than the floor.

    Why: where a wall meets the floor, noisy wall points land inside the floor's band and
    bias the fit by centimetres. Classifying by the pixel's ray, not by the noisy point, is
    immune to that noise: the pixel sees the wall when its ray meets the wall plane before
    the floor plane and its depth agrees with the wall (the agreement test keeps floor
    pixels whose ray only crosses the wall plane's infinite extension)."""
    z = points[:, 2]
    rays = points / z[:, None]
    ray_len = np.linalg.norm(rays, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        z_floor = np.where(rays @ floor.normal < 0, -floor.offset_m / (rays @ floor.normal), np.inf)
    seen = np.zeros(len(points), dtype=bool)
    for p in others:
        along = rays @ p.normal
        with np.errstate(divide="ignore", invalid="ignore"):
            z_plane = np.where(along < 0, -p.offset_m / along, np.inf)
        cos_inc = np.clip(np.abs(along) / ray_len, 0.3, 1.0)
        band_m = np.maximum(0.05, 4.0 * noise_m_per_m2 * z_plane**2 / cos_inc)
        seen |= (z_plane < z_floor) & (np.abs(z - z_plane) < band_m)
    return seen


def refine_plane(
    points: FloatArray, plane: _Plane, band_sigmas: float = 3.0, exclude: npt.NDArray[np.bool_] | None = None
) -> tuple[FloatArray, float, npt.NDArray[np.bool_]]:
    """Weighted least-squares refinement in inverse depth (see the module docstring).

    Fits 1/z = w . (x/z, y/z, 1) on points inside a band around the current plane. Stereo
    noise also grows as 1/cos(incidence) on a grazing floor, so residuals are scaled by the
    cosine (weights cos^2) before the band, which is `band_sigmas` robust standard
    deviations of the inliers' scaled residuals and so follows the camera's real noise.
    `exclude` points never count as inliers. Returns (normal, height_m, inlier mask)."""
    z = points[:, 2]
    rays = points / z[:, None]
    ray_len = np.linalg.norm(rays, axis=1)
    inv_z = 1.0 / z
    w = -plane.normal / plane.offset_m
    allowed = np.ones(len(points), dtype=bool) if exclude is None else ~exclude

    def scaled_residual(w: FloatArray) -> tuple[FloatArray, FloatArray]:
        cos_inc = np.clip(np.abs(rays @ w) / (float(np.linalg.norm(w)) * ray_len), 0.05, 1.0)
        return (inv_z - rays @ w) * cos_inc, cos_inc

    def band_of(scaled: FloatArray, inl: npt.NDArray[np.bool_]) -> float:
        return max(band_sigmas * 1.4826 * float(np.median(np.abs(scaled[inl]))), _MIN_BAND_INV_M)

    scaled, cos_inc = scaled_residual(w)
    inl = plane.inliers & allowed
    band = band_of(scaled, inl)
    for _ in range(_REFINE_ITERATIONS):
        inl = (np.abs(scaled) < band) & allowed
        if inl.sum() < 3:
            break
        wt = cos_inc[inl]
        w = np.linalg.lstsq(rays[inl] * wt[:, None], inv_z[inl] * wt, rcond=None)[0].astype(np.float64)
        scaled, cos_inc = scaled_residual(w)
        band = band_of(scaled, inl)
    inl = (np.abs(scaled) < band) & allowed
    height_m = 1.0 / float(np.linalg.norm(w))
    normal = -w * height_m
    return normal, height_m, inl


def fit_floor(frames: Sequence[DepthFrame], max_points: int = 20_000, max_range_m: float = 6.0,
              ransac_threshold_m: float = 0.03, max_tilt_deg: float = 45.0, seed: int = 0) -> FloorFit:
    """Floor plane seen by a static camera over one or more depth frames (their union).

    A person, a wall or furniture may be in view; the floor is the lowest large plane whose
    normal is within `max_tilt_deg` of the image's up direction. Raises CalibrationError
    when no such plane is visible."""
    points, sampled = sample_points(frames, max_points=max_points, max_range_m=max_range_m, seed=seed)
    if len(points) < 100:
        raise CalibrationError(
            "Almost no depth data in view: uncover the camera and make sure the floor is within 6 m"
        )
    # RANSAC sees only the nearer points: beyond ~4.5 m D4xx noise exceeds its threshold.
    near = points[:, 2] <= min(max_range_m, 4.5)
    search = points[near] if near.sum() >= 0.2 * len(points) else points
    plane, others = find_floor_plane(search, threshold_m=ransac_threshold_m, max_tilt_deg=max_tilt_deg,
                                     seed=seed)
    walls = [p for p in others if _angle_to_down_deg(p.normal) > max_tilt_deg]
    start = np.abs(points @ plane.normal + plane.offset_m) < ransac_threshold_m
    normal, height_m, inl = refine_plane(points, _Plane(plane.normal, plane.offset_m, start),
                                         exclude=seen_on_other_planes(points, plane, walls))
    # Second look for walls among everything clearly off the floor, at all ranges (the
    # search above stopped at 4.5 m), then refine once more without their foot strips.
    off_floor = np.flatnonzero(points @ normal + height_m > 0.05)
    more = _find_walls(points[off_floor], min_count=max(50, int(0.03 * len(points))),
                       max_tilt_deg=max_tilt_deg, seed=seed + 100)
    if more:
        floor = _Plane(normal, height_m, inl)
        seen_elsewhere = seen_on_other_planes(points, floor, walls + more)
        normal, height_m, inl = refine_plane(points, floor, exclude=seen_elsewhere)
    if _angle_to_down_deg(normal) > max_tilt_deg:
        raise CalibrationError(
            "No level floor found in view: level the camera and tilt it down so the floor is visible"
        )
    dist_m = points[inl] @ normal + height_m
    return FloorFit(
        normal_cam=(float(normal[0]), float(normal[1]), float(normal[2])),
        height_m=float(height_m),
        inliers=int(inl.sum()),
        inlier_fraction=float(inl.sum()) / len(points),
        image_fraction=min(1.0, float(inl.sum()) / max(sampled, 1)),
        rms_mm=float(np.sqrt(np.mean(dist_m**2))) * 1000.0,
        frames=len(frames),
    )
