"""FrameAnalyzer's fast path: only the analysis box's pixels are deprojected (calibration/
rays.py), and the result must be what deprojecting every pixel and keeping those in the
box gives. Reference: hardware.geometry.deproject with the simulator's exact pose."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from scipy.spatial import cKDTree

from calibration.floor import FloorFit
from calibration.model import Calibration
from calibration.zone import zone_at
from hardware.frame import DepthFrame
from hardware.geometry import deproject
from hardware.sim.camera import Placement
from hardware.sim.source import SimConfig, SimulatedSource
from kiosk.analysis.analyzer import FrameAnalyzer, analysis_box
from kiosk.core.person import segment_person
from kiosk.core.profile_loader import load_profile
from kiosk.core.types import FrameMetrics

PLACEMENT = Placement(distance_m=2.3, height_m=1.0, pitch_deg=2.0, oblique_deg=15.0)
BRISK = {"absent_s": 0.2, "walk_s": 0.8, "enter_x_m": -1.2, "exit_x_m": 1.2, "stand_s": 1.0}
PROFILE = load_profile(None)
STATURE_M = 1.78


@functools.lru_cache(maxsize=1)
def _scene() -> tuple[DepthFrame, Calibration]:
    """One standing frame of the simulator (848x480 z16) and the exact calibration: the
    simulator's world frame (station at the origin) and pose."""
    src = SimulatedSource(SimConfig(script="walk_in_stand", script_options=BRISK, placement=PLACEMENT,
                                    height_m=STATURE_M, seed=7))
    src.start()
    try:
        t_s = 1.6  # absent 0.2 s + walk 0.8 s, then standing
        depth, row = src.render_depth(t_s)
        assert row["phase"] == "stand" and row["person"]
        frame = DepthFrame(depth, 0.001, src.intrinsics, t_s, 0)
        pose = src.pose
    finally:
        src.close()
    n = pose.r[1, :]
    floor = FloorFit(normal_cam=(float(n[0]), float(n[1]), float(n[2])), height_m=pose.height_m,
                     inliers=10_000, inlier_fraction=0.4, image_fraction=0.4, rms_mm=8.0, frames=1)
    cal = Calibration(intrinsics=frame.intrinsics, pose=pose, floor=floor, facing=PLACEMENT.side,
                      zone=zone_at(0.0, 0.0), background=None, created_utc="2025-01-01T00:00:00Z",
                      source="test")
    return frame, cal


def _decimated(frame: DepthFrame) -> DepthFrame:
    """Every second pixel: a 424x240 stream with its own intrinsics (not the SDK's
    decimation filter; only the geometry matters here)."""
    return DepthFrame(np.ascontiguousarray(frame.depth[::2, ::2]), frame.depth_scale_m,
                      frame.intrinsics.scaled(0.5), frame.timestamp_s, frame.index)


def _reference_in_box(frame: DepthFrame, cal: Calibration, analyzer: FrameAnalyzer) -> np.ndarray:
    world = cal.pose.to_world(deproject(frame.depth_m(), frame.intrinsics))
    box = analysis_box(analyzer.zone, PROFILE.segmentation)
    inside = np.all([(world[:, i] >= a) & (world[:, i] <= b) for i, (a, b) in enumerate(box)], axis=0)
    return world[inside]


@pytest.mark.parametrize("decimate", [False, True])
def test_box_points_are_the_full_deprojection_inside_the_box(decimate: bool) -> None:
    frame, cal = _scene()
    if decimate:
        frame = _decimated(frame)
    analyzer = FrameAnalyzer(cal, PROFILE)
    got = analyzer.world_points(frame)
    expected = _reference_in_box(frame, cal, analyzer)
    assert got.dtype == np.float32 and got.shape[1] == 3
    assert len(expected) > 1000
    # The z16 window is rounded outward by one unit: a few boundary extras, none lost.
    assert len(expected) <= len(got) <= 1.01 * len(expected) + 5
    dist, _ = cKDTree(got).query(expected)
    assert float(dist.max()) < 1e-4
    # The athlete's head (the simulated stature) is in the box.
    assert np.count_nonzero(got[:, 1] > STATURE_M - 0.15) > 10
    # Far fewer points than the valid pixels: the point of the fast path.
    assert len(got) < 0.5 * np.count_nonzero(frame.depth)


def test_segmentation_is_unchanged_and_exposed_after_process() -> None:
    frame, cal = _scene()
    frame = _decimated(frame)
    analyzer = FrameAnalyzer(cal, PROFILE)
    full = cal.pose.to_world(deproject(frame.depth_m(), frame.intrinsics))
    ref = segment_person(full, analyzer.zone, PROFILE.segmentation)
    assert ref.person
    res = analyzer.process(frame)
    body = res.body_m
    assert body is not None and body.dtype == np.float32 and body.shape == ref.points.shape
    np.testing.assert_allclose(body, ref.points, atol=1e-4)
    assert not body.flags.writeable
    metrics = res.metrics
    assert isinstance(metrics, FrameMetrics) and metrics.person and metrics.landmarks is not None


def test_rays_are_reused_and_rebuilt_when_the_stream_changes() -> None:
    frame, cal = _scene()
    small = _decimated(frame)
    analyzer = FrameAnalyzer(cal, PROFILE)
    rays = analyzer.rays(small)
    assert analyzer.rays(small) is rays
    assert analyzer.rays(frame) is not rays  # new intrinsics: rebuilt
    for f in (small, frame, small):
        got = analyzer.world_points(f)
        assert len(_reference_in_box(f, cal, analyzer)) <= len(got)
        assert analyzer.rays(f).intrinsics == f.intrinsics
