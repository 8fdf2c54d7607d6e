"""Fuzzing (issue 6): the measurement core and FrameAnalyzer on hostile input never raise.

Random world points with NaN, inf, zeros and huge values; random depth images of any size
(1x1 up to a full frame) with zeros, saturation and noise; odd depth scales and timestamps
(backwards, repeated, huge); degenerate calibrations (a zero-size station zone, a camera
on the floor, a camera looking straight down). What is checked: no exception, and a
result of the right type whose numbers are finite or None. Truncated, empty and foreign
recordings through `analyze` are in tests/test_e2e_sim.py (one line, no traceback).
A numpy RuntimeWarning (overflow, invalid value) fails a test too: hostile numbers are to
be dropped on purpose, where the code says why, not left to warn on the kiosk's log.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from calibration.floor import FloorFit
from calibration.heading import MAX_YAW_DEG, heading_from_hinge, heading_from_shallow_hinge
from calibration.model import Calibration
from calibration.zone import StationZone
from hardware.frame import DepthFrame, Intrinsics
from hardware.geometry import CameraPose, look_at_rotation
from kiosk.analysis.analyzer import FrameAnalyzer, core_zone
from kiosk.core.drill import DrillFrame
from kiosk.core.pipeline import PipelineState, measure_frame
from kiosk.core.profile_loader import load_profile

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

PROFILE = load_profile(None)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

floats = st.floats(allow_nan=True, allow_infinity=True, width=32)


def _finite_or_none(*values: float | None) -> bool:
    return all(v is None or math.isfinite(v) for v in values)


@FUZZ
@given(points=arrays(np.float32, st.tuples(st.integers(0, 3000), st.just(3)), elements=floats),
       t_s=st.floats(-1e9, 1e9))
def test_measure_frame_never_raises_on_any_points(points: np.ndarray, t_s: float) -> None:
    zone = core_zone(StationZone(0.0, 0.0))
    m, state = measure_frame(points, zone, PROFILE, t_s, PipelineState())
    assert isinstance(state, PipelineState)
    assert _finite_or_none(m.hip_to_wall_mm if hasattr(m, "hip_to_wall_mm") else None,
                           m.knee_flexion_deg, m.trunk_angle_deg, m.buttocks_x_m)


def _calibration(intr: Intrinsics, height_m: float, pitch_deg: float, zone: StationZone) -> Calibration:
    eye = np.array([0.0, height_m, 2.0])
    target = np.array([0.0, height_m - 2.0 * math.tan(math.radians(pitch_deg)), 0.0])
    pose = CameraPose.from_arrays(look_at_rotation(target - eye), eye)
    floor = FloorFit(normal_cam=(0.0, -1.0, 0.0), height_m=height_m, inliers=1, inlier_fraction=0.1,
                     image_fraction=0.1, rms_mm=5.0, frames=1)
    return Calibration(intrinsics=intr, pose=pose, floor=floor, facing="right", zone=zone,
                       background=None, created_utc="2025-01-01T00:00:00Z", source="fuzz")


@st.composite
def frames(draw: st.DrawFn) -> tuple[list[DepthFrame], Calibration]:
    h = draw(st.sampled_from([1, 2, 7, 60, 240]))
    w = draw(st.sampled_from([1, 3, 11, 106, 424]))
    f = draw(st.floats(0.5, 2000.0))
    intr = Intrinsics(width=w, height=h, fx=f, fy=f, ppx=draw(st.floats(-10.0, w + 10.0)),
                      ppy=draw(st.floats(-10.0, h + 10.0)))
    zone = StationZone(centre_x_m=draw(st.floats(-3.0, 3.0)), centre_z_m=draw(st.floats(-3.0, 3.0)),
                       size_x_m=draw(st.sampled_from([0.0, 0.01, 0.8, 5.0])),
                       size_z_m=draw(st.sampled_from([0.0, 0.01, 0.6, 5.0])),
                       top_m=draw(st.sampled_from([0.0, 0.05, 2.3, 10.0])))
    cal = _calibration(intr, draw(st.sampled_from([0.0, 0.01, 1.0, 3.0])),
                       draw(st.sampled_from([0.0, 30.0, 89.0])), zone)
    scale = draw(st.sampled_from([1e-5, 0.0001, 0.001, 0.01]))
    out = []
    for i in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["random", "zeros", "max", "noise-on-plane"]))
        if kind == "random":
            depth = np.asarray(draw(arrays(np.uint16, (h, w))), dtype=np.uint16)
        elif kind == "zeros":
            depth = np.zeros((h, w), np.uint16)
        elif kind == "max":
            depth = np.full((h, w), 65535, np.uint16)
        else:
            rng = np.random.default_rng(i)
            depth = (2000 + rng.normal(0, 300, (h, w))).clip(0, 65535).astype(np.uint16)
        t = draw(st.sampled_from([0.0, 1.0, -5.0, 1e12, float(i)]))
        out.append(DepthFrame(depth, scale, intr, t, i))
    return out, cal


@FUZZ
@given(case=frames())
def test_frame_analyzer_never_raises_on_odd_frames_and_calibrations(
        case: tuple[list[DepthFrame], Calibration]) -> None:
    seq, cal = case
    analyzer = FrameAnalyzer(cal, PROFILE, pause_on_second_person=True)
    for frame in seq:
        res = analyzer.process(frame)
        out = res.drill
        assert isinstance(out, DrillFrame)
        assert res.body_m.ndim == 2 and res.body_m.shape[1] == 3
        assert _finite_or_none(out.hip_to_wall_mm, out.knee_flexion_deg, out.trunk_angle_deg)
        assert math.isfinite(out.t_s)


# Unit-cube points, scaled to a body's box (x 1 m, y 2 m, z 0.6 m) or squashed onto a plane
# or a line by a zero scale: the segmentation's output is finite and in the zone.
_unit_points = arrays(np.float64, st.tuples(st.integers(0, 2000), st.just(3)),
                      elements=st.floats(0.0, 1.0, allow_nan=False, width=32))
_box_scale = st.tuples(st.sampled_from([0.0, 1.0]), st.sampled_from([0.0, 2.0]), st.sampled_from([0.0, 0.6]))


@FUZZ
@given(standing=_unit_points, hinged=_unit_points, s_scale=_box_scale, h_scale=_box_scale)
def test_the_heading_readers_never_raise_on_any_body(
    standing: np.ndarray, hinged: np.ndarray,
    s_scale: tuple[float, float, float], h_scale: tuple[float, float, float],
) -> None:
    """Both heading readers (calibration/heading.py) on any pair of point sets in a body's
    box, degenerate ones included: None or a yaw within MAX_YAW_DEG, no numpy warning."""
    standing, hinged = standing * np.array(s_scale), hinged * np.array(h_scale)
    for read in (heading_from_hinge, heading_from_shallow_hinge):
        yaw = read(standing, hinged)
        assert yaw is None or (math.isfinite(yaw) and abs(yaw) <= MAX_YAW_DEG)
