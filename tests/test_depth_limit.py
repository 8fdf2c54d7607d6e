"""The SDK's range limit pulled in to the analysis box (kiosk/analysis/depth_limit.py): the
bound covers the box at every heading, and the pixels the analysis reads come out of the
SDK filters bit for bit the same with the limit as without it, on the simulator's two body
families through real SDK software devices and filters, and on a real capture."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from calibration.calibrate import calibrate
from calibration.model import Calibration
from calibration.rays import Box, BoxRays
from hardware.frame import DepthFrame
from hardware.geometry import CameraPose, look_at_rotation
from hardware.sim.source import SimConfig, SimulatedSource
from hardware.software_device import SoftwareFilter
from kiosk.analysis.analyzer import MEASURE_FILTERS, FrameAnalyzer, analysis_box, core_zone
from kiosk.analysis.depth_limit import FAR_MARGIN_M, depth_limit_m, far_depth_m, measure_filters
from kiosk.core.profile_loader import load_profile

PROFILE = load_profile()


def _turned_corners(box: Box, yaw_rad: float,
                    centre: tuple[float, float] | None = None) -> npt.NDArray[np.float64]:
    (x0, x1), (y0, y1), (z0, z1) = box
    cx, cz = centre if centre is not None else ((x0 + x1) / 2, (z0 + z1) / 2)
    c, s = math.cos(yaw_rad), math.sin(yaw_rad)
    out = []
    for x in (x0, x1):
        for y in (y0, y1):
            for z in (z0, z1):
                dx, dz = x - cx, z - cz
                out.append((cx + c * dx + s * dz, y, cz - s * dx + c * dz))
    return np.array(out)


def test_the_bound_holds_the_box_at_every_heading_and_is_reached() -> None:
    rng = np.random.default_rng(5)
    for _ in range(40):
        cam = np.array([rng.uniform(-1, 1), rng.uniform(0.6, 1.4), rng.uniform(1.5, 3.0)])
        target = np.array([rng.uniform(-0.3, 0.3), rng.uniform(0.5, 1.0), rng.uniform(-0.3, 0.3)])
        pose = CameraPose.from_arrays(look_at_rotation(target - cam), cam)
        hx, hz, voxel = rng.uniform(0.3, 1.2), rng.uniform(0.2, 0.6), rng.uniform(0.0, 0.15)
        # The analysis box grows the zone's max ends by a voxel; headings turn it about the zone's centre.
        box: Box = ((-hx, hx + voxel), (0.02, rng.uniform(1.6, 2.3)), (-hz, hz + voxel))
        bound = far_depth_m(pose, box, (0.0, 0.0))
        deepest = max(float(pose.to_camera(_turned_corners(box, a, (0.0, 0.0)))[:, 2].max())
                      for a in np.radians(np.arange(0.0, 360.0, 0.5)))
        assert deepest <= bound + 1e-9
        assert deepest >= bound - 2e-3  # tight: some heading puts a corner there


def _filtered(raw: list[DepthFrame], limit_m: float | None) -> list[DepthFrame]:
    run = SoftwareFilter(measure_filters(limit_m))
    try:
        out = [run(f) for f in raw]
    finally:
        run.close()
    assert all(f is not None for f in out)
    return out  # type: ignore[return-value]


def _in_box(depth: npt.NDArray[np.uint16], rays: BoxRays) -> npt.NDArray[np.bool_]:
    d = depth[rays.rows, rays.cols].ravel()
    return (d >= rays.lo) & (d <= rays.hi)


def tightest_limit_m(cal: Calibration) -> float:
    """The box's deepest corner at the calibration's own heading plus the margin: nearer
    than depth_limit_m (which holds for every heading), so it cuts more."""
    box = analysis_box(core_zone(cal.zone), PROFILE.segmentation)
    return float(cal.pose.to_camera(_turned_corners(box, 0.0))[:, 2].max()) + FAR_MARGIN_M


def assert_box_pixels_unchanged(raw: list[DepthFrame], cal: Calibration, limit: float | None) -> int:
    """Every pixel in the analysis box, with the limit or without: the same depth. Returns
    how many were compared; the limit must also have cut something."""
    assert limit is not None and limit < MEASURE_FILTERS.max_distance_m
    full, cut = _filtered(raw, None), _filtered(raw, limit)
    analyzer = FrameAnalyzer(cal, PROFILE)
    compared = removed = 0
    for a, b in zip(full, cut, strict=True):
        rays = analyzer.rays(a)
        inside = _in_box(a.depth, rays) | _in_box(b.depth, rays)
        da, db = a.depth[rays.rows, rays.cols].ravel(), b.depth[rays.rows, rays.cols].ravel()
        assert np.array_equal(da[inside], db[inside])
        compared += int(inside.sum())
        removed += int(((a.depth > 0) & (b.depth == 0)).sum())
        assert (b.depth[b.depth > 0] * b.depth_scale_m <= limit + 1e-3).all()  # the SDK applied it
    assert removed > 0  # the background beyond the box was taken out of the filters' work
    return compared


def _sim_frames(body: str) -> tuple[list[DepthFrame], Calibration]:
    """The simulator's athlete through a hinge, raw 848x480, and the calibration the
    kiosk fits on its first frames."""
    cfg = SimConfig(script="dowel_reps", body=body, fps=6, max_seconds=7.0,
                    script_options={"reps": 1, "absent_s": 0.5})
    src = SimulatedSource(cfg)
    src.start()
    try:
        frames = []
        while (f := src.read(1.0)) is not None:
            frames.append(f)
    finally:
        src.close()
    return frames, calibrate(frames[:3], facing="auto")


@pytest.mark.parametrize("body", ["parametric", "mpfb:M05"])
def test_the_analysis_box_reads_the_same_pixels_with_the_limit(body: str) -> None:
    if body.startswith("mpfb"):
        from hardware.sim.mpfb.assets import assets_available, missing_reason

        if not assets_available():
            pytest.skip(missing_reason())
    frames, cal = _sim_frames(body)
    assert assert_box_pixels_unchanged(frames, cal, depth_limit_m(cal, PROFILE)) > 10_000


@pytest.mark.realdata
def test_a_real_capture_reads_the_same_pixels_with_the_limit(realdata: Path) -> None:
    """Five real people at 1.8-9.8 m and a room from ~4 m on (a structured-light camera's
    holes and edges), the station on the one at ~2.6 m. That far, depth_limit_m is at the
    SDK's own 4.5 m and cuts nothing here, so the tightest limit the box allows is checked."""
    from test_realdata_calibration import pcd_as_depth_frame

    frame = pcd_as_depth_frame(realdata / "five_people.pcd")
    cal = calibrate([frame], facing="right")
    frames = [DepthFrame(frame.depth, frame.depth_scale_m, frame.intrinsics, i / 15, i) for i in range(3)]
    assert assert_box_pixels_unchanged(frames, cal, tightest_limit_m(cal)) > 1_000


def test_no_limit_where_the_box_is_behind_the_camera() -> None:
    _, cal = _sim_frames("parametric")
    about_face = np.diag([-1.0, 1.0, -1.0])  # turned 180 deg about the vertical: the station behind
    flipped = CameraPose.from_arrays(about_face @ cal.pose.r, cal.pose.t)
    assert depth_limit_m(cal, PROFILE) is not None
    assert depth_limit_m(replace(cal, pose=flipped), PROFILE) is None
    assert measure_filters(None) == MEASURE_FILTERS


def test_the_kiosk_measures_through_the_limit_and_calibrates_without(tmp_path: Path) -> None:
    """The kiosk loop on the simulated athlete: calibration frames come raw (no limit), the
    measuring source is opened with the session's limit; and on a measured frame nothing
    lies deeper than it."""
    from hardware.source import FrameSource
    from kiosk.app.config import KioskConfig, SimSection
    from kiosk.app.flow import FlowConfig
    from kiosk.app.sources import KioskSources

    try:
        from test_kiosk_app import SHORT, KeyedRenderer, make_loop
    except ImportError:
        from tests.test_kiosk_app import SHORT, KeyedRenderer, make_loop

    opened: list[tuple[bool, float | None]] = []
    deepest: list[float] = []

    class Spy(KioskSources):
        def open(self, spec: str, for_calibration: bool = False,
                 depth_limit_m: float | None = None) -> FrameSource:
            src = super().open(spec, for_calibration, depth_limit_m)
            opened.append((for_calibration, depth_limit_m))
            if not for_calibration:
                read = src.read

                def spy_read(timeout_s: float = 1.0) -> DepthFrame | None:
                    f = read(timeout_s)
                    if f is not None:
                        deepest.append(float(f.depth.max()) * f.depth_scale_m)
                    return f

                src.read = spy_read  # type: ignore[method-assign]
            return src

    cfg = KioskConfig(flow=FlowConfig(result_empty_s=1.0, result_min_s=1.0), sim=SimSection(loop=False))
    display = KeyedRenderer()
    try:
        loop, parts = make_loop(display, tmp_path, "dowel_reps", SHORT,
                                sources=Spy(cfg, sim=SimConfig(script="dowel_reps", script_options=SHORT),
                                            realtime=False))
        loop.run(max_frames=60)
        assert loop.session is not None
        want = depth_limit_m(loop.session.calibration, parts.profile)
    finally:
        display.close()
    assert opened[0] == (True, None) and opened[1] == (False, want)
    assert want is not None and want < MEASURE_FILTERS.max_distance_m
    # The athlete is there; the room's wall, 2.2 m behind the athlete, is not.
    assert deepest and 2.0 < max(deepest) <= want + 1e-3
