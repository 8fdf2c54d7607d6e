"""Calibration on real third-party captures (../shared/realdata, never copied here): a
Kinect-class organized cloud of five standing people with the floor in view, and one
person's upper body with no floor. Real sensor artefacts, not our noise model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from calibration.calibrate import calibrate
from calibration.errors import CalibrationError
from calibration.validate import check
from hardware.frame import DepthFrame, Intrinsics
from hardware.geometry import deproject

# The pinhole fit listed in shared/realdata/README.md for both PCD files.
PCD_INTR = Intrinsics(width=640, height=480, fx=525.0, fy=525.0, ppx=319.5, ppy=239.5)

pytestmark = pytest.mark.realdata


def pcd_as_depth_frame(path: Path) -> DepthFrame:
    """An organized PCD (metres) as the z16 frame a camera would give (README: z * 1000)."""
    o3d = pytest.importorskip("open3d")
    pts = o3d.t.io.read_point_cloud(str(path)).point.positions.numpy()
    z = pts[:, 2].reshape(PCD_INTR.height, PCD_INTR.width)
    depth = np.where(np.isfinite(z) & (z > 0), np.rint(z * 1000.0), 0).astype(np.uint16)
    return DepthFrame(depth=depth, depth_scale_m=0.001, intrinsics=PCD_INTR, timestamp_s=0.0, index=0)


def test_floor_found_among_five_real_people(realdata: Path) -> None:
    frame = pcd_as_depth_frame(realdata / "five_people.pcd")
    cal = calibrate([frame], facing="right")
    assert 0.3 < cal.camera_height_m < 2.5
    assert cal.floor.inlier_fraction > 0.05 and cal.floor.rms_mm < 40.0
    # The depth noise read off the floor is a Kinect's: sigma_z ~ 0.0012 + 0.0019 (z - 0.4)^2 m
    # (Nguyen, Izadi and Lovell 2012), 0.0016 x z^2 at 3 m; 0.0011 measured here.
    assert cal.floor.noise_m_per_m2 is not None and 0.0005 < cal.floor.noise_m_per_m2 < 0.004
    world = cal.pose.to_world(deproject(frame.depth_m(), frame.intrinsics))
    # The fitted floor is the scene's lowest large surface: almost nothing lies below it,
    # and a real share of the image lies on it.
    assert np.mean(world[:, 1] < -0.10) < 0.01
    assert np.mean(np.abs(world[:, 1]) < 0.05) > 0.05
    # People stand on it: within each 0.5 m slice of the room holding many raised points,
    # the lowest raised points reach down to within 0.3 m of the floor (feet, not floating bodies).
    raised = world[(world[:, 1] > 0.05) & (world[:, 1] < 2.2)]
    feet_gaps = []
    for x0 in np.arange(-3.0, 3.0, 0.5):
        sl = raised[(raised[:, 0] >= x0) & (raised[:, 0] < x0 + 0.5)]
        if len(sl) > 3000:
            feet_gaps.append(float(np.percentile(sl[:, 1], 1)))
    assert feet_gaps and max(feet_gaps) < 0.3
    for problem in check(cal):  # placement advice is plain words, one line each
        assert "\n" not in problem and len(problem) < 200


def test_no_floor_in_view_is_one_clear_error(realdata: Path) -> None:
    frame = pcd_as_depth_frame(realdata / "person.pcd")
    with pytest.raises(CalibrationError) as err:
        calibrate([frame], facing="right")
    assert "floor" in str(err.value).lower() and "\n" not in str(err.value)


def test_five_real_people_one_athlete_and_a_second_person_reported(realdata: Path) -> None:
    """Issue 3: the largest body in the station is the athlete; the others in the zone
    are reported as a second person rather than ignored or merged."""
    from kiosk.analysis.analyzer import core_zone
    from kiosk.core.person import segment_person
    from kiosk.core.profile_loader import load_profile

    frame = pcd_as_depth_frame(realdata / "five_people.pcd")
    cal = calibrate([frame], facing="right")
    world = cal.pose.to_world(deproject(frame.depth_m(), frame.intrinsics))
    seg = segment_person(world, core_zone(cal.zone), load_profile().segmentation)
    assert seg.person and seg.second_person
    # One body, not the crowd: it stands on the floor and is person-sized.
    height_m = float(seg.points[:, 1].max() - seg.points[:, 1].min())
    assert 1.2 < height_m < 2.3
    assert float(np.ptp(seg.points[:, 0])) < 1.5 and float(np.ptp(seg.points[:, 2])) < 1.5
