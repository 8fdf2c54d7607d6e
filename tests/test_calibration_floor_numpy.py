"""Issue 14: the floor's RANSAC is numpy, not Open3D. Open3D's `segment_plane` stays here as
the reference only: on simulator frames and on the real captures, the numpy fit finds the
same floor (normal within 0.5 deg, height within 5 mm, inlier fraction within 3 %), and
calibrating does not import Open3D at all."""

from __future__ import annotations

import math
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import calibration.ransac as ransac_mod
from calibration.calibrate import calibrate
from calibration.errors import CalibrationError
from calibration.floor import FloorFit, fit_floor, sample_points
from calibration.ransac import Plane
from hardware.frame import DepthFrame

try:
    from test_realdata_calibration import pcd_as_depth_frame
except ImportError:  # tests/ imported as a package
    from tests.test_realdata_calibration import pcd_as_depth_frame

REPO_ROOT = Path(__file__).resolve().parents[1]


def _ransac_open3d(points: np.ndarray, threshold_m: float, iterations: int, seed: int) -> Plane:
    """The Open3D fit calibration/floor.py used before issue 14 (the reference)."""
    o3d = pytest.importorskip("open3d")
    o3d.utility.random.seed(seed)
    cloud = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(points))
    model, idx = cloud.segment_plane(distance_threshold=threshold_m, ransac_n=3, num_iterations=iterations)
    abcd = np.asarray(model, dtype=np.float64).reshape(4)
    norm = float(np.linalg.norm(abcd[:3]))
    normal, offset = abcd[:3] / norm, float(abcd[3]) / norm
    if offset < 0:
        normal, offset = -normal, -offset
    mask = np.zeros(len(points), dtype=bool)
    mask[np.asarray(idx, dtype=np.int64)] = True
    return Plane(normal=normal, offset_m=offset, inliers=mask)


CAMERA_HEIGHT_M = 1.0  # the simulated camera's height above the floor: the plane's true offset


def _sim_frames(n: int = 15) -> list[DepthFrame]:
    """`n` frames of the simulator with the athlete standing in the station (needs Open3D)."""
    pytest.importorskip("open3d")
    from hardware.sim.camera import Placement
    from hardware.sim.source import SimConfig, SimulatedSource

    placement = Placement(distance_m=2.2, height_m=CAMERA_HEIGHT_M, pitch_deg=10.0, side="right")
    cfg = SimConfig(script="walk_in_stand", placement=placement, seed=7)
    with SimulatedSource(cfg) as src:
        stand = next(i for i in range(src.n_frames) if src.script.sample(i / cfg.fps).phase == "stand")
        frames = []
        for i in range(stand + n):
            f = src.read(5.0)
            assert f is not None
            if i >= stand:
                frames.append(f)
    return frames


@pytest.fixture(scope="module")
def sim_frames() -> list[DepthFrame]:
    return _sim_frames()


def _angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    return math.degrees(math.acos(float(np.clip(abs(a @ b), -1.0, 1.0))))


def _fit_both(frames: list[DepthFrame], monkeypatch: pytest.MonkeyPatch) -> tuple[FloorFit, FloorFit]:
    ours = fit_floor(frames)
    with monkeypatch.context() as m:
        m.setattr(ransac_mod, "_ransac", _ransac_open3d)
        ref = fit_floor(frames)
    return ours, ref


def _assert_same_floor(ours: FloorFit, ref: FloorFit) -> None:
    assert _angle_deg(ours.n, ref.n) < 0.5
    assert abs(ours.height_m - ref.height_m) < 0.005
    assert abs(ours.inlier_fraction - ref.inlier_fraction) < 0.03


def test_largest_plane_as_good_as_open3d_on_sim_frames(sim_frames: list[DepthFrame]) -> None:
    """One RANSAC on its own: the winning triple, and so the plane, moves by ~0.5 deg and
    ~1 cm with the seed in both implementations (the far floor's noise is wider than the
    threshold), so the strict tolerances are on the fitted floor below; here the numpy
    search must find planes as large as Open3D's and within Open3D's own seed spread
    (each implementation's offsets span ~0.98-1.02 m over six seeds on these points).
    Open3D's seeded result is not reproducible from run to run (its six-seed mean moved
    1.000-1.017 m over five runs here, its seeds up to 28 mm off the true 1.0 m), so the
    offsets are held to the simulator's true camera height instead: each within 30 mm of
    it, the six seeds' mean within 10 mm (ours: 22 mm and 5 mm)."""
    points, _ = sample_points(sim_frames)
    for threshold, iterations in ((0.03, 1000), (0.05, 500)):
        ours = [ransac_mod._ransac(points, threshold, iterations, seed) for seed in range(6)]
        ref = [_ransac_open3d(points, threshold, iterations, seed) for seed in range(6)]
        ref_normal = np.mean([p.normal for p in ref], axis=0)
        ref_normal /= np.linalg.norm(ref_normal)
        assert abs(float(np.mean([p.offset_m for p in ours])) - CAMERA_HEIGHT_M) < 0.010
        for p in ours:
            assert _angle_deg(p.normal, ref_normal) < 1.5
            assert abs(p.offset_m - CAMERA_HEIGHT_M) < 0.030
        ours_n, ref_n = (float(np.mean([p.inliers.sum() for p in ps])) for ps in (ours, ref))
        assert abs(ours_n - ref_n) / len(points) < 0.03
        # Deterministic for a seed.
        again = ransac_mod._ransac(points, threshold, iterations, 0)
        assert np.array_equal(ours[0].normal, again.normal) and np.array_equal(ours[0].inliers, again.inliers)


def test_floor_matches_open3d_on_sim_frames(sim_frames: list[DepthFrame],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    _assert_same_floor(*_fit_both(sim_frames, monkeypatch))


@pytest.mark.realdata
def test_floor_matches_open3d_on_real_capture(realdata: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    frame = pcd_as_depth_frame(realdata / "five_people.pcd")
    # The floor and the back wall are near-equal planes here: which one a single RANSAC
    # returns first depends on the seed in both implementations; the floor must not.
    _assert_same_floor(*_fit_both([frame], monkeypatch))


@pytest.mark.realdata
def test_no_floor_same_error_as_open3d(realdata: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    frame = pcd_as_depth_frame(realdata / "person.pcd")
    with pytest.raises(CalibrationError) as ours:
        calibrate([frame], facing="right")
    with monkeypatch.context() as m:
        m.setattr(ransac_mod, "_ransac", _ransac_open3d)
        with pytest.raises(CalibrationError) as ref:
            calibrate([frame], facing="right")
    assert str(ours.value) == str(ref.value)
    assert "floor" in str(ours.value).lower() and "\n" not in str(ours.value)


def test_calibrate_does_not_import_open3d(sim_frames: list[DepthFrame], tmp_path: Path) -> None:
    """The simulator renders with Open3D, so its frames are saved here and calibrated in a
    fresh interpreter that must never load Open3D."""
    (tmp_path / "frames.pkl").write_bytes(pickle.dumps(sim_frames))
    code = textwrap.dedent(f"""
        import pickle, sys
        from pathlib import Path
        from calibration.calibrate import calibrate
        frames = pickle.loads(Path({str(tmp_path / "frames.pkl")!r}).read_bytes())
        cal = calibrate(frames, facing="auto")
        assert 0.9 < cal.camera_height_m < 1.1, cal.camera_height_m
        assert "open3d" not in sys.modules, "calibrate imported open3d"
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_the_floor_noise_reading_does_not_follow_the_frame_count(sim_frames: list[DepthFrame]) -> None:
    """The simulator's correlated noise comes in 6 px cells; a sampling grid whose step is a
    multiple of 6 read 49 instead of 36-40 (x 1e-4 /m^2) off the same frames, and the step
    followed the number of frames. Drawn at random pixels, every frame count reads alike."""
    frames = (sim_frames * 10)[:30]  # 30 frames: the old grid's step was 24 px here
    readings = [fit_floor(frames[:n]).noise_m_per_m2 for n in (5, 12, 18, 24, 30)]
    assert all(r is not None for r in readings)
    values = np.array(readings, dtype=np.float64)
    assert values.max() / values.min() < 1.12, values
