"""Floor plane from depth frames: RANSAC (calibration/ransac.py) to find it, least squares to
refine it, and the camera's depth noise read off it (depth_noise_m_per_m2).

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

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from calibration.errors import CalibrationError
from calibration.ransac import D4XX_NOISE_M_PER_M2, Plane, angle_to_down_deg, find_floor_plane, find_walls
from hardware.frame import DepthFrame
from hardware.geometry import FloatArray, deproject_pixels

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
    frames: depth frames the fit used. noise_m_per_m2: the camera's depth noise measured on
    the floor (depth_noise_m_per_m2): depth RMS at z metres ~ this x z^2; None when not
    measured (too little floor near the camera, or a calibration file from before it was).
    """

    normal_cam: tuple[float, float, float]
    height_m: float
    inliers: int
    inlier_fraction: float
    image_fraction: float
    rms_mm: float
    frames: int
    noise_m_per_m2: float | None = None

    @property
    def n(self) -> FloatArray:
        return np.asarray(self.normal_cam, dtype=np.float64)

    def height_above_m(self, points_cam: npt.NDArray[np.floating]) -> FloatArray:
        """Signed height of camera-frame points (N, 3) above the floor, metres."""
        return np.asarray(points_cam, dtype=np.float64) @ self.n + self.height_m


def sample_points(frames: Sequence[DepthFrame], max_points: int = 20_000, max_range_m: float = 6.0,
                  seed: int = 0) -> tuple[FloatArray, int]:
    """Camera-frame points from all frames, about `max_points` in total: in each frame the
    same number of pixels drawn at random (seeded), never a regular grid. A grid of every
    k-th row and column aliases with any periodic structure in the depth: on the simulator's
    6 px noise cells the noise read off the floor (depth_noise_m_per_m2) came out 49 with
    k a multiple of 6 and 36-40 otherwise, for the same frames, and k followed the number
    of frames (docs/accuracy-rates.md).

    Returns (points (N, 3) float64, number of pixels sampled including invalid ones); the
    pixel count lets callers turn point counts into fractions of the image."""
    if not frames:
        raise CalibrationError("No depth frames to calibrate from: check that the camera is streaming")
    rng = np.random.default_rng(seed)
    pixels = sum(f.depth.size for f in frames)
    share = min(1.0, max_points / pixels)
    parts: list[FloatArray] = []
    sampled = 0
    for f in frames:
        h, w = f.depth.shape
        flat = rng.choice(h * w, size=max(1, round(share * h * w)), replace=False)
        sampled += len(flat)
        vs, us = np.divmod(flat, w)
        # Only the drawn pixels to metres (as DepthFrame.depth_m does the whole image).
        z = f.depth[vs, us].astype(np.float32) * np.float32(f.depth_scale_m)
        keep = (z >= _MIN_RANGE_M) & (z <= max_range_m)
        parts.append(deproject_pixels(z[keep], us[keep], vs[keep], f.intrinsics).astype(np.float64))
    points = np.concatenate(parts, axis=0)
    if len(points) > max_points:
        idx = rng.choice(len(points), size=max_points, replace=False)
        sampled = round(sampled * max_points / len(points))
        points = points[np.sort(idx)]
    return points, sampled


def seen_on_other_planes(points: FloatArray, floor: Plane, others: Sequence[Plane],
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


def _scaled_residual(rays: FloatArray, ray_len: FloatArray, inv_z: FloatArray,
                     w: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Residuals in inverse depth (1/m) against the plane 1/z = w . ray, times the cosine of
    the incidence, and that cosine: stereo noise is constant in them (module docstring)."""
    cos_inc = np.clip(np.abs(rays @ w) / (float(np.linalg.norm(w)) * ray_len), 0.05, 1.0)
    return (inv_z - rays @ w) * cos_inc, cos_inc


def depth_noise_m_per_m2(points: FloatArray, normal: FloatArray, height_m: float,
                         inliers: npt.NDArray[np.bool_], near_m: float = 3.0) -> float | None:
    """The camera's depth noise as the floor shows it: the robust standard deviation (1.4826
    x MAD) of the inliers' scaled inverse-depth residuals (_scaled_residual), over those
    within `near_m` of the camera (the station's range: further out a plane a little off
    inflates them). Depth RMS at z metres is about this x z^2, and so is the floor's noise
    fuzz vertically (the 1/cos growth and the ray's slope cancel); by their specs a D435
    gives 0.0038, a D455 0.0020 (0.08 px subpixel). None with fewer than 100 such points."""
    near = inliers & (points[:, 2] <= near_m)
    if int(near.sum()) < 100:
        return None
    p = points[near]
    z = p[:, 2]
    rays = p / z[:, None]
    scaled, _ = _scaled_residual(rays, np.linalg.norm(rays, axis=1), 1.0 / z, -normal / height_m)
    return 1.4826 * float(np.median(np.abs(scaled)))


def refine_plane(
    points: FloatArray, plane: Plane, band_sigmas: float = 3.0, exclude: npt.NDArray[np.bool_] | None = None
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
        return _scaled_residual(rays, ray_len, inv_z, w)

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
    walls = [p for p in others if angle_to_down_deg(p.normal) > max_tilt_deg]
    start = np.abs(points @ plane.normal + plane.offset_m) < ransac_threshold_m
    normal, height_m, inl = refine_plane(points, Plane(plane.normal, plane.offset_m, start),
                                         exclude=seen_on_other_planes(points, plane, walls))
    # Second look for walls among everything clearly off the floor, at all ranges (the
    # search above stopped at 4.5 m), then refine once more without their foot strips.
    off_floor = np.flatnonzero(points @ normal + height_m > 0.05)
    more = find_walls(points[off_floor], min_count=max(50, int(0.03 * len(points))),
                       max_tilt_deg=max_tilt_deg, seed=seed + 100)
    if more:
        floor = Plane(normal, height_m, inl)
        seen_elsewhere = seen_on_other_planes(points, floor, walls + more)
        normal, height_m, inl = refine_plane(points, floor, exclude=seen_elsewhere)
    if angle_to_down_deg(normal) > max_tilt_deg:
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
        noise_m_per_m2=depth_noise_m_per_m2(points, normal, height_m, inl),
    )
