"""Virtual D4xx camera: model presets and placement around the athlete.

Placement is in the WORLD frame of docs/measurement.md (origin on the floor at the
athlete's station, +y up, +x the athlete's forward, +z the athlete's right).
A camera on the athlete's right side (z > 0) looking across sees the athlete face
image-right ("right"); on the left side, image-left ("left").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from hardware.frame import Intrinsics
from hardware.geometry import CameraPose, look_at_rotation

Side = Literal["left", "right"]

# Depth-stream focal lengths of a D4xx (87 deg HFOV depth imagers) per resolution, pixels.
# 640x480 is the value a real D435 reported (../shared/realdata README).
_FX_BY_RESOLUTION: dict[tuple[int, int], float] = {
    (848, 480): 426.0,
    (640, 480): 390.43,
    (424, 240): 213.0,
    (1280, 720): 639.0,
}


@dataclass(frozen=True)
class CameraModel:
    """Stereo depth camera model.

    baseline_m: distance between the IR imagers; the right imager sits at +x (camera frame)
    of the left one, which is the depth origin. subpixel: stereo matching RMS, pixels.
    """

    name: str
    baseline_m: float
    subpixel: float
    min_z_m: float
    max_z_m: float

    def intrinsics(self, width: int = 848, height: int = 480) -> Intrinsics:
        try:
            fx = _FX_BY_RESOLUTION[(width, height)]
        except KeyError:
            raise ValueError(
                f"unsupported depth resolution {width}x{height}; use one of "
                + ", ".join(f"{w}x{h}" for w, h in _FX_BY_RESOLUTION)
            ) from None
        return Intrinsics(
            width=width, height=height, fx=fx, fy=fx, ppx=(width - 1) / 2.0, ppy=(height - 1) / 2.0
        )

    def depth_rms_m(self, z_m: float, fx_px: float) -> float:
        """Stereo depth RMS error at distance z: z^2 * subpixel / (fx * baseline)."""
        return z_m * z_m * self.subpixel / (fx_px * self.baseline_m)


D435 = CameraModel(name="D435", baseline_m=0.050, subpixel=0.08, min_z_m=0.28, max_z_m=6.0)
D455 = CameraModel(name="D455", baseline_m=0.095, subpixel=0.08, min_z_m=0.52, max_z_m=8.0)
CAMERA_MODELS: dict[str, CameraModel] = {"D435": D435, "D455": D455}


@dataclass(frozen=True)
class Placement:
    """Where the virtual camera stands relative to the station.

    distance_m: horizontal distance from the camera to the station centre.
    height_m: optical centre above the floor. pitch_deg: optical axis below horizontal.
    side: the athlete's side the camera is on. oblique_deg: how far the camera is swung
    behind the athlete's side (0 = square-on, up to 30). roll_deg: rotation about the axis.
    station_x_m: x of the point the camera aims at (between heels and hinged hips).
    """

    distance_m: float = 2.4
    height_m: float = 1.0
    pitch_deg: float = 0.0
    side: Side = "right"
    oblique_deg: float = 0.0
    roll_deg: float = 0.0
    station_x_m: float = -0.15

    @property
    def facing(self) -> Side:
        """Image direction the athlete faces when seen from this placement."""
        return self.side

    def pose(self) -> CameraPose:
        """Exact camera-to-world pose of this placement (ground truth for calibration)."""
        th = math.radians(self.oblique_deg)
        sign = 1.0 if self.side == "right" else -1.0
        centre = np.array(
            [
                self.station_x_m - self.distance_m * math.sin(th),
                self.height_m,
                sign * self.distance_m * math.cos(th),
            ]
        )
        horiz = np.array([self.station_x_m, self.height_m, 0.0]) - centre
        horiz[1] = 0.0
        horiz /= np.linalg.norm(horiz)
        p = math.radians(self.pitch_deg)
        forward = math.cos(p) * horiz + np.array([0.0, -math.sin(p), 0.0])
        r = look_at_rotation(forward)
        if self.roll_deg:
            c, s = math.cos(math.radians(self.roll_deg)), math.sin(math.radians(self.roll_deg))
            # Rotate about the optical axis (camera z); positive raises the image's right end.
            r_roll = np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])
            r = r @ r_roll
        return CameraPose.from_arrays(r, centre)
