"""Zone-clipped deprojection equals deprojecting everything and then clipping."""

from __future__ import annotations

import numpy as np

from calibration.geometry import deproject
from calibration.rays import box_rays, points_in_box
from hardware.frame import Intrinsics
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
