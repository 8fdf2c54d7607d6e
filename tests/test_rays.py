"""Zone-clipped deprojection equals deprojecting everything and then clipping."""

from __future__ import annotations

import numpy as np

from calibration.rays import box_rays, points_in_box
from hardware.frame import Intrinsics
from hardware.geometry import deproject
from hardware.sim.camera import Placement

INTR = Intrinsics(width=424, height=240, fx=213.0, fy=213.0, ppx=211.5, ppy=119.5)


def test_points_in_box_match_full_deprojection_then_clip() -> None:
    rng = np.random.default_rng(0)
    pose = Placement(distance_m=2.2, height_m=1.0, pitch_deg=6.0, oblique_deg=20.0).pose()
    depth = rng.integers(0, 5000, size=(INTR.height, INTR.width), dtype=np.uint16)
    box = ((-0.9, 0.9), (0.03, 2.3), (-0.5, 0.5))
    got = points_in_box(depth, box_rays(INTR, pose, box, 0.001))
    world = pose.to_world(deproject(depth.astype(np.float32) * 0.001, INTR))
    inside = np.all([(world[:, i] >= a) & (world[:, i] <= b) for i, (a, b) in enumerate(box)], axis=0)
    expected = world[inside]
    assert len(expected) > 1000
    # The window is rounded outward by at most one depth unit: a few boundary extras, none lost.
    assert len(expected) <= len(got) <= len(expected) + 0.01 * len(expected) + 5
    from scipy.spatial import cKDTree

    dist, _ = cKDTree(got).query(expected)
    assert float(dist.max()) < 1e-4  # every point of the full path is in the clipped set
    assert np.all(got[:, 1] > box[1][0] - 0.01) and np.all(got[:, 1] < box[1][1] + 0.01)


def test_rays_keep_only_the_pixels_that_can_reach_the_box() -> None:
    pose = Placement(distance_m=2.2, height_m=1.0, pitch_deg=6.0, oblique_deg=20.0).pose()
    box = ((-0.9, 0.9), (0.03, 2.3), (-0.5, 0.5))
    rays = box_rays(INTR, pose, box, 0.001)
    n = (rays.rows.stop - rays.rows.start) * (rays.cols.stop - rays.cols.start)
    assert rays.dirs_world.shape == (n, 3) and rays.lo.shape == rays.hi.shape == (n,)
    assert n < INTR.width * INTR.height  # the box does not fill the view
    # The rectangle is tight: rays reaching the box on each of its edges. (That no pixel
    # outside it is lost is the first test: random depths over the whole image.)
    reach = (rays.hi >= rays.lo).reshape(rays.rows.stop - rays.rows.start, -1)
    assert reach[0].any() and reach[-1].any() and reach[:, 0].any() and reach[:, -1].any()


def test_box_behind_the_camera_gives_no_points() -> None:
    pose = Placement(distance_m=2.2, height_m=1.0, pitch_deg=6.0).pose()
    cam_centre = pose.t
    behind = cam_centre - 3.0 * pose.r[:, 2]  # 3 m behind along the optical axis
    box = tuple((float(c) - 0.2, float(c) + 0.2) for c in behind)
    rays = box_rays(INTR, pose, box, 0.001)  # type: ignore[arg-type]
    depth = np.full((INTR.height, INTR.width), 3000, dtype=np.uint16)
    assert points_in_box(depth, rays).shape == (0, 3)


def test_wrong_image_size_is_refused() -> None:
    import pytest

    pose = Placement(distance_m=2.2, height_m=1.0, pitch_deg=6.0).pose()
    rays = box_rays(INTR, pose, ((-0.9, 0.9), (0.03, 2.3), (-0.5, 0.5)), 0.001)
    with pytest.raises(ValueError):
        points_in_box(np.zeros((480, 848), dtype=np.uint16), rays)
