"""Pose from the floor plane and facing; facing from feet and from a hinge; the station zone."""

from __future__ import annotations

import math

import numpy as np

from calibration.facing import detect_facing, facing_from_hinge
from calibration.floor import FloorFit
from calibration.pose import flip_facing, image_facing_of_forward, pose_from_floor, rotate_about_vertical
from calibration.zone import StationZone, zone_on_axis
from hardware.geometry import CameraPose, look_at_rotation


def _floor_seen_by(truth: CameraPose) -> FloorFit:
    """The exact floor plane (world y = 0) in the camera frame of `truth`."""
    n_cam = truth.r[1, :]  # world +y in camera coordinates
    return FloorFit(normal_cam=(float(n_cam[0]), float(n_cam[1]), float(n_cam[2])), height_m=truth.height_m,
                    inliers=10_000, inlier_fraction=0.5, image_fraction=0.4, rms_mm=5.0, frames=1)


def _camera_at_z2_pitched_10() -> CameraPose:
    p = math.radians(10.0)
    r = look_at_rotation((0.0, -math.sin(p), -math.cos(p)))
    return CameraPose.from_arrays(r, (0.0, 1.0, 2.0))


def test_camera_looking_along_minus_z_sees_plus_x_athlete_facing_right() -> None:
    truth = _camera_at_z2_pitched_10()
    pose = pose_from_floor(_floor_seen_by(truth), "right")
    np.testing.assert_allclose(pose.r, truth.r, atol=1e-12)
    np.testing.assert_allclose(pose.t, (0.0, 1.0, 0.0), atol=1e-12)  # origin below the camera
    assert abs(pose.height_m - 1.0) < 1e-12
    assert abs(pose.pitch_deg - 10.0) < 1e-9
    assert abs(pose.roll_deg) < 1e-9
    assert image_facing_of_forward(pose) == "right"
    # The athlete at the truth origin is 2 m in front of the camera's foot, along -z.
    athlete = pose.to_world(truth.to_camera(np.zeros((1, 3))))[0]
    np.testing.assert_allclose(athlete, (0.0, 0.0, -2.0), atol=1e-6)


def test_left_facing_reverses_x_and_z_only() -> None:
    floor = _floor_seen_by(_camera_at_z2_pitched_10())
    right, left = pose_from_floor(floor, "right"), pose_from_floor(floor, "left")
    np.testing.assert_allclose(left.r, np.diag([-1.0, 1.0, -1.0]) @ right.r, atol=1e-12)
    np.testing.assert_allclose(flip_facing(right).r, left.r, atol=1e-12)
    assert image_facing_of_forward(left) == "left"
    assert abs(np.linalg.det(left.r) - 1.0) < 1e-12


def test_rolled_camera_keeps_world_up_on_the_floor_normal() -> None:
    r = look_at_rotation((0.3, -0.2, -1.0))
    c, s = math.cos(math.radians(4.0)), math.sin(math.radians(4.0))
    r = r @ np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])
    truth = CameraPose.from_arrays(r, (1.0, 0.9, 2.0))
    pose = pose_from_floor(_floor_seen_by(truth), "right")
    np.testing.assert_allclose(pose.r[1], truth.r[1], atol=1e-12)
    assert abs(pose.roll_deg - truth.roll_deg) < 1e-9 and abs(pose.pitch_deg - truth.pitch_deg) < 1e-9


def test_rotate_about_vertical_turns_x_toward_minus_z() -> None:
    pose = pose_from_floor(_floor_seen_by(_camera_at_z2_pitched_10()), "right")
    turned = rotate_about_vertical(pose, 90.0)
    p_cam = pose.to_camera(np.array([[1.0, 0.0, 0.0]]))  # old +x ...
    np.testing.assert_allclose(turned.to_world(p_cam)[0], (0.0, 0.0, 1.0), atol=1e-6)  # ... is new +z
    assert abs(turned.pitch_deg - pose.pitch_deg) < 1e-9


def _column(x0: float, x1: float, y0: float, y1: float, n: int = 400, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n), rng.uniform(-0.1, 0.1, n)], axis=1)


def _standing(forward: float) -> np.ndarray:
    legs = _column(-0.06, 0.06, 0.1, 0.9)
    feet = _column(-0.06, 0.06, 0.02, 0.09)
    toes = _column(0.06, 0.22, 0.02, 0.06, n=150) * np.array([forward, 1.0, 1.0])
    body = _column(-0.15, 0.15, 0.9, 1.8)
    pts = np.concatenate([legs, feet, toes, body])
    return pts


def test_detect_facing_from_the_feet_both_ways() -> None:
    pose = pose_from_floor(_floor_seen_by(_camera_at_z2_pitched_10()), "right")
    assert detect_facing(_standing(+1.0), pose) == "right"
    assert detect_facing(_standing(-1.0), pose) == "left"
    # The same athlete seen through the opposite-facing frame is still the same image direction.
    flipped = flip_facing(pose)
    mirrored = _standing(+1.0) * np.array([-1.0, 1.0, -1.0])
    assert detect_facing(mirrored, flipped) == "right"


def test_detect_facing_undecided_without_feet_or_with_symmetric_feet() -> None:
    pose = pose_from_floor(_floor_seen_by(_camera_at_z2_pitched_10()), "right")
    assert detect_facing(_column(-0.1, 0.1, 0.2, 1.8), pose) is None
    symmetric = np.concatenate([_column(-0.06, 0.06, 0.1, 0.9), _column(-0.15, 0.15, 0.02, 0.09)])
    assert detect_facing(symmetric, pose) is None


def test_facing_from_hinge_hips_go_back() -> None:
    pose = pose_from_floor(_floor_seen_by(_camera_at_z2_pitched_10()), "right")
    standing = np.concatenate([_column(-0.1, 0.1, 0.0, 1.8, n=2000)])
    hinged = np.concatenate([
        _column(-0.1, 0.1, 0.0, 0.5),  # shins
        _column(-0.4, 0.05, 0.5, 1.0),  # thighs and buttocks pushed back
        _column(-0.2, 0.7, 0.9, 1.15),  # trunk forward
    ])
    assert facing_from_hinge(standing, hinged, pose) == "right"
    mirror = np.array([-1.0, 1.0, 1.0])
    assert facing_from_hinge(standing * mirror, hinged * mirror, pose) == "left"
    assert facing_from_hinge(standing, standing, pose) is None


def test_zone_contains_and_axis_placement() -> None:
    pose = pose_from_floor(_floor_seen_by(_camera_at_z2_pitched_10()), "right")
    zone = zone_on_axis(pose, 2.0)
    assert abs(zone.centre_x_m) < 1e-9 and abs(zone.centre_z_m + 2.0) < 1e-9
    assert abs(zone.distance_from_camera_m(pose) - 2.0) < 1e-9
    pts = np.array([[0.0, 1.0, -2.0], [0.59, 0.0, -2.39], [0.61, 1.0, -2.0],
                    [0.0, 2.4, -2.0], [0.0, -0.1, -2.0]])
    assert zone.contains(pts).tolist() == [True, True, False, False, False]
    flipped = zone.flipped()
    assert abs(flipped.centre_z_m - 2.0) < 1e-9 and flipped.size_x_m == zone.size_x_m
    assert StationZone(0.0, 0.0).contains(np.zeros((0, 3))).shape == (0,)
