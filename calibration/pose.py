"""Camera-to-world pose from the floor plane and the athlete's facing.

World frame (DESIGN.md): +y = floor normal (up); origin = the foot of the perpendicular
from the camera centre to the floor, so the translation is (0, height, 0); +x = the
athlete's forward = the image direction the athlete faces, projected onto the floor
("right": camera +x, "left": camera -x); +z = x cross y.

A camera square-on to the athlete's side sees the forward direction along the image's
horizontal, so this is exact there; for an oblique camera (swung up to 30 deg behind the
athlete) the true forward differs from the projected image axis by the swing angle, and
`rotate_about_vertical` lets a caller apply a yaw measured later (e.g. from a hinge).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

from calibration.errors import CalibrationError
from calibration.floor import FloorFit
from hardware.geometry import CameraPose

Facing = Literal["left", "right"]


def pose_from_floor(floor: FloorFit, facing: Facing) -> CameraPose:
    """World-from-camera pose for the floor plane `floor` (camera frame) and `facing`."""
    y_w = floor.n / np.linalg.norm(floor.n)
    image_x = np.array([1.0, 0.0, 0.0]) if facing == "right" else np.array([-1.0, 0.0, 0.0])
    x_w = image_x - float(image_x @ y_w) * y_w
    norm = float(np.linalg.norm(x_w))
    if norm < 0.3:  # image x within ~17 deg of vertical: the camera lies on its side
        raise CalibrationError("The camera is rolled onto its side: mount it level, image horizontal")
    x_w /= norm
    z_w = np.cross(x_w, y_w)
    # Rows are the world axes in camera coordinates, so R @ p_cam gives world coordinates.
    rotation = np.stack([x_w, y_w, z_w], axis=0)
    return CameraPose.from_arrays(rotation, (0.0, floor.height_m, 0.0))


def rotate_about_vertical(pose: CameraPose, yaw_deg: float) -> CameraPose:
    """The same camera with the world frame turned by `yaw_deg` about world +y (the
    origin's vertical), positive turning +x toward -z (right-handed about +y)."""
    a = math.radians(yaw_deg)
    c, s = math.cos(a), math.sin(a)
    # New world coordinates of an old world point: rotate by -yaw about +y.
    r_y = np.array([[c, 0.0, -s], [0.0, 1.0, 0.0], [s, 0.0, c]])
    return CameraPose.from_arrays(r_y @ pose.r, r_y @ pose.t)


def flip_facing(pose: CameraPose) -> CameraPose:
    """The pose for the opposite facing: x and z reversed, y and the origin kept."""
    return CameraPose.from_arrays(np.diag([-1.0, 1.0, -1.0]) @ pose.r, np.diag([-1.0, 1.0, -1.0]) @ pose.t)


def image_facing_of_forward(pose: CameraPose) -> Facing:
    """Which image direction world +x points to for this pose ("right" or "left")."""
    # World +x in camera coordinates is row 0 of R; its image-x component decides.
    return "right" if pose.r[0, 0] >= 0.0 else "left"


def horizontal_axis_direction(pose: CameraPose) -> np.ndarray:
    """Unit world-frame (x, 0, z) direction of the optical axis projected onto the floor.
    Raises CalibrationError for a camera looking straight down or up."""
    axis = pose.r[:, 2].copy()
    axis[1] = 0.0
    norm = float(np.linalg.norm(axis))
    if norm < 0.1:
        raise CalibrationError("The camera looks straight down: tilt it up toward the station")
    return axis / norm
