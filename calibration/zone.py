"""Station zone: the floor region where the athlete stands, as a world-frame box.

World frame of the calibration's pose (origin on the floor below the camera, +y up, +x the
athlete's forward), metres. The zone says where the feet go; a hinging body leans out of
it (the head travels ~1 m forward), so callers grow the person from it rather than crop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from calibration.pose import horizontal_axis_direction
from hardware.geometry import CameraPose

DEFAULT_STATION_DISTANCE_M = 2.0
DEFAULT_SIZE_X_M = 1.2
DEFAULT_SIZE_Z_M = 0.8
DEFAULT_TOP_M = 2.3


@dataclass(frozen=True)
class StationZone:
    """Axis-aligned world box: x in centre_x_m +- size_x_m/2, z in centre_z_m +- size_z_m/2,
    y in [0, top_m]. Metres."""

    centre_x_m: float
    centre_z_m: float
    size_x_m: float = DEFAULT_SIZE_X_M
    size_z_m: float = DEFAULT_SIZE_Z_M
    top_m: float = DEFAULT_TOP_M

    def contains(self, points_world: npt.NDArray[np.floating]) -> npt.NDArray[np.bool_]:
        """Bool mask (N,) of world points (N, 3) inside the zone's box."""
        p = np.asarray(points_world)
        return (
            (np.abs(p[:, 0] - self.centre_x_m) <= 0.5 * self.size_x_m)
            & (np.abs(p[:, 2] - self.centre_z_m) <= 0.5 * self.size_z_m)
            & (p[:, 1] >= 0.0)
            & (p[:, 1] <= self.top_m)
        )

    def distance_from_camera_m(self, pose: CameraPose) -> float:
        """Horizontal distance from the camera centre to the zone centre, metres."""
        t = pose.t
        return math.hypot(self.centre_x_m - float(t[0]), self.centre_z_m - float(t[2]))

    def flipped(self) -> StationZone:
        """The same zone in the opposite-facing world frame (x and z reversed)."""
        return StationZone(-self.centre_x_m, -self.centre_z_m, self.size_x_m, self.size_z_m, self.top_m)


def zone_on_axis(pose: CameraPose, distance_m: float = DEFAULT_STATION_DISTANCE_M) -> StationZone:
    """Zone centred `distance_m` (horizontal) from the camera along its optical axis
    projected onto the floor: where an athlete stands in front of a camera aimed at them."""
    direction = horizontal_axis_direction(pose)
    centre = pose.t + distance_m * direction
    return StationZone(centre_x_m=float(centre[0]), centre_z_m=float(centre[2]))


def zone_at(centre_x_m: float, centre_z_m: float) -> StationZone:
    """Default-sized zone centred on a floor point (e.g. where the person stood)."""
    return StationZone(centre_x_m=centre_x_m, centre_z_m=centre_z_m)
