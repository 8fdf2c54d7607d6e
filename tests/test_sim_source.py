"""The simulated athlete as a camera: frames through pyrealsense2's software device and
filters, D4xx noise statistics, the stereo shadow, recording round trip, and calibration
recovering the simulated camera's pose. Ground truth comes from the simulator."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from calibration.calibrate import calibrate
from hardware.playback import RecordingSource
from hardware.recorder import record_sim
from hardware.settings import FilterConfig
from hardware.sim.body import Athlete, standing_pose
from hardware.sim.camera import D435, D455, Placement
from hardware.sim.noise import NoiseConfig, apply_noise
from hardware.sim.raycast import Raycaster, Room
from hardware.sim.source import SimConfig, SimulatedSource, truth_path_for

ATHLETE = Athlete(height_m=1.78, build="average")


def test_frames_come_through_the_sdk_with_filters() -> None:
    cfg = SimConfig(script="walk_in_stand", max_seconds=0.2)
    with SimulatedSource(cfg, filters=FilterConfig(decimation=2)) as src:
        frames = [f for f in iter(lambda: src.read(5.0), None)]
        status = src.status
    assert len(frames) == 6
    assert [f.index for f in frames] == list(range(6))
    assert frames[0].depth.shape == (240, 424)  # the SDK decimation filter ran
    assert frames[0].intrinsics.fx == pytest.approx(213.0, abs=0.5)
    assert status.device_name == "Simulated D435"
    assert len(src.truth) == 6 and all("phase" in row for row in src.truth)


@pytest.mark.parametrize("model", [D435, D455])
def test_noise_rms_matches_stereo_formula(model: object) -> None:
    """Axial noise on a wall facing the camera: RMS = z^2 * subpixel / (fx * baseline)."""
    cam = model  # type: ignore[assignment]
    intr = cam.intrinsics()  # type: ignore[attr-defined]
    pl = Placement(distance_m=2.0, height_m=1.0, pitch_deg=0.0)
    rc = Raycaster(intr, pl.pose(), Room(back_wall_offset_m=1.0), cam.baseline_m)  # type: ignore[attr-defined]
    render = rc.render(None, None)
    cfg = NoiseConfig(holes_per_frame=0.0, speckle_dropout=0.0, flying_pixel_prob=0.0)
    ratios = []
    for seed in range(3):
        z16 = apply_noise(render, cam, intr.fx, 0.001, cfg, np.random.default_rng(seed))  # type: ignore[arg-type]
        sel = (z16 > 0) & (render.depth_m > 0) & (render.cos_incidence > 0.9)
        clean = render.depth_m[sel]
        err = z16[sel] * 0.001 - clean
        expected = clean**2 * cam.subpixel / (intr.fx * cam.baseline_m) / render.cos_incidence[sel]  # type: ignore[attr-defined]
        ratios.append(float(np.sqrt(np.mean((err / expected) ** 2))))
    assert 0.85 < float(np.mean(ratios)) < 1.15, ratios


def test_stereo_shadow_falls_left_of_the_body_and_holes_appear() -> None:
    intr = D435.intrinsics()
    rc = Raycaster(intr, Placement().pose(), Room(), D435.baseline_m)
    from hardware.sim.body import body_mesh

    render = rc.render(*body_mesh(ATHLETE, standing_pose(ATHLETE)))
    assert render.body.sum() > 5000
    assert render.shadow.sum() > 100
    rows = np.flatnonzero(render.shadow.any(axis=1) & render.body.any(axis=1))
    left = sum(
        int(np.flatnonzero(render.shadow[r]).mean() < np.flatnonzero(render.body[r]).mean()) for r in rows
    )
    assert left / len(rows) > 0.8  # the right imager sits at +x: shadows land image-left
    z16 = apply_noise(render, D435, intr.fx, 0.001, NoiseConfig(), np.random.default_rng(0))
    assert not np.any(z16[render.shadow])
    body_valid = (z16 > 0)[render.body].mean()
    assert 0.8 < body_valid < 0.999  # dropouts, holes and grazing losses, but mostly seen


def test_simulated_recording_reads_back_frame_exact(tmp_path: Path) -> None:
    cfg = SimConfig(script="walk_in_stand", seed=3, max_seconds=0.5)
    out = tmp_path / "sim.db3"
    res = record_sim(cfg, out)
    assert res.frames == 15
    with SimulatedSource(cfg) as live:
        expected = [f.depth for f in iter(lambda: live.read(5.0), None)]
    with RecordingSource(out) as rec:
        got = [f for f in iter(lambda: rec.read(5.0), None)]
    assert len(got) == 15
    assert all(np.array_equal(a, f.depth) for a, f in zip(expected, got, strict=True))
    truth = json.loads(truth_path_for(out).read_text())
    assert len(truth["per_frame"]) == 15 and truth["facing"] == "right"
    assert truth["camera_pose"]["height_m"] == pytest.approx(cfg.placement.height_m)


PLACEMENTS = [
    Placement(distance_m=2.4, height_m=1.0, pitch_deg=0.0, side="right"),
    Placement(distance_m=2.0, height_m=0.8, pitch_deg=5.0, side="left"),
    Placement(distance_m=2.5, height_m=1.2, pitch_deg=12.0, side="right", oblique_deg=20.0),
    Placement(distance_m=1.6, height_m=0.7, pitch_deg=3.0, side="left", oblique_deg=30.0),
    Placement(distance_m=2.2, height_m=1.1, pitch_deg=18.0, side="right", roll_deg=2.0),
]


@pytest.mark.parametrize("placement", PLACEMENTS, ids=lambda p: f"h{p.height_m}-p{p.pitch_deg}-{p.side}")
def test_calibration_recovers_simulated_camera(placement: Placement) -> None:
    cfg = SimConfig(script="walk_in_stand", placement=placement, seed=7)
    with SimulatedSource(cfg) as src:
        # Frames while the athlete stands in the station (after walking in).
        stand = [
            i for i, _ in enumerate(range(src.n_frames)) if src.script.sample(i / cfg.fps).phase == "stand"
        ]
        frames = []
        for i in range(stand[0] + 10):
            f = src.read(5.0)
            assert f is not None
            if i >= stand[0] + 5:
                frames.append(f)
    cal = calibrate(frames, facing="auto")
    truth = placement.pose()
    assert abs(cal.camera_height_m - truth.height_m) < 0.01
    assert abs(cal.camera_pitch_deg - truth.pitch_deg) < 1.0
    assert abs(cal.camera_roll_deg - truth.roll_deg) < 1.0
    assert cal.facing in (placement.facing, "auto")
