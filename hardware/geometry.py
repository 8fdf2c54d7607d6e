"""Pure geometry shared by calibration, the measurement core and the simulator.

Frames:
- camera: RealSense optical frame, +x image right, +y image down, +z forward, metres.
- world: origin on the floor, +y up (floor normal), +x the athlete's forward
  direction, +z = x cross y (the athlete's right), metres.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from hardware.frame import Intrinsics

FloatArray = npt.NDArray[np.float64]


def deproject(
    depth_m: npt.NDArray[np.floating], intr: Intrinsics, stride: int = 1
) -> npt.NDArray[np.float32]:
    """Valid pixels of a depth image (metres, 0 = none) to camera-frame points, (N, 3) float32.

    `stride` subsamples rows and columns (a cheap decimation for calibration)."""
    d = np.asarray(depth_m, dtype=np.float32)[::stride, ::stride]
    vs, us = np.nonzero(d > 0)
    return deproject_pixels(d[vs, us], us * stride, vs * stride, intr)


def deproject_pixels(
    z_m: npt.NDArray[np.floating], us: npt.NDArray[np.integer], vs: npt.NDArray[np.integer], intr: Intrinsics
) -> npt.NDArray[np.float32]:
    """Pixels (column us, row vs) with depths z_m (metres, all valid) to camera-frame
    points, (N, 3) float32."""
    z = np.asarray(z_m, dtype=np.float32)
    x = (us.astype(np.float32) - np.float32(intr.ppx)) / np.float32(intr.fx) * z
    y = (vs.astype(np.float32) - np.float32(intr.ppy)) / np.float32(intr.fy) * z
    return np.stack([x, y, z], axis=1)


def project(points_cam: npt.NDArray[np.floating], intr: Intrinsics) -> tuple[FloatArray, FloatArray]:
    """Camera-frame points (N, 3) to pixel coordinates (u, v), float."""
    p = np.asarray(points_cam, dtype=np.float64)
    z = np.where(p[:, 2] > 1e-9, p[:, 2], np.nan)
    return p[:, 0] / z * intr.fx + intr.ppx, p[:, 1] / z * intr.fy + intr.ppy


@dataclass(frozen=True)
class CameraPose:
    """Rigid camera-to-world transform: p_world = rotation @ p_cam + translation.

    rotation: 3x3 world_from_camera, rows/cols orthonormal, det +1.
    translation: camera centre in world coordinates, metres.
    """

    rotation: tuple[tuple[float, float, float], ...]
    translation: tuple[float, float, float]

    @staticmethod
    def from_arrays(rotation: npt.ArrayLike, translation: npt.ArrayLike) -> CameraPose:
        r = np.asarray(rotation, dtype=np.float64).reshape(3, 3)
        t = np.asarray(translation, dtype=np.float64).reshape(3)
        return CameraPose(
            rotation=tuple((float(row[0]), float(row[1]), float(row[2])) for row in r),
            translation=(float(t[0]), float(t[1]), float(t[2])),
        )

    @property
    def r(self) -> FloatArray:
        return np.asarray(self.rotation, dtype=np.float64)

    @property
    def t(self) -> FloatArray:
        return np.asarray(self.translation, dtype=np.float64)

    def to_world(self, points_cam: npt.NDArray[np.floating]) -> npt.NDArray[np.float32]:
        """Camera-frame points (N, 3) to world frame, float32."""
        r = self.r.astype(np.float32)
        return (np.asarray(points_cam, dtype=np.float32) @ r.T + self.t.astype(np.float32)).astype(np.float32)

    def to_camera(self, points_world: npt.NDArray[np.floating]) -> FloatArray:
        """World-frame points (N, 3) to camera frame, float64."""
        return (np.asarray(points_world, dtype=np.float64) - self.t) @ self.r

    @property
    def height_m(self) -> float:
        """Camera centre above the floor."""
        return float(self.translation[1])

    @property
    def pitch_deg(self) -> float:
        """Optical axis below the horizontal, degrees (down is positive)."""
        axis = self.r[:, 2]
        return math.degrees(math.asin(float(np.clip(-axis[1], -1.0, 1.0))))

    @property
    def roll_deg(self) -> float:
        """Rotation about the optical axis, degrees (positive: image right end raised).
        Independent of pitch: atan2 of the image x and y axes' vertical components."""
        r = self.r
        return math.degrees(math.atan2(float(r[1, 0]), float(-r[1, 1])))


def look_at_rotation(
    forward_world: npt.ArrayLike, up_hint_world: npt.ArrayLike = (0.0, 1.0, 0.0)
) -> FloatArray:
    """world_from_camera rotation for a camera whose optical axis points along
    `forward_world` with the image's up as close as possible to `up_hint_world`."""
    z = np.asarray(forward_world, dtype=np.float64)
    z = z / np.linalg.norm(z)
    up = np.asarray(up_hint_world, dtype=np.float64)
    x = np.cross(-up, z)  # image +x: camera y is down, so x = y cross z with y = -up
    x = x / np.linalg.norm(x)
    y = np.cross(z, x)
    return np.stack([x, y, z], axis=1)
