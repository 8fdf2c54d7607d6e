"""The trunk axis at the bottom of a hinge, and the rep machine's reading of a trunk that
reads behind vertical (kiosk/core/spine.py `ridge_t`, metrics.trunk_lean_deg).

Ground truth is the parametric simulator's posed athlete (the tuning family) and
synthetic metric series.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from hardware.geometry import deproject
from hardware.sim.body import Athlete, body_mesh
from hardware.sim.camera import D435, Placement
from hardware.sim.noise import NoiseConfig, apply_noise
from hardware.sim.raycast import Raycaster, Room
from hardware.sim.timeline import Posture, posture_pose
from hardware.sim.truth import frame_truth
from kiosk.core.drill import DrillState, drill_step
from kiosk.core.pipeline import PipelineState, measure_frame
from kiosk.core.thresholds import DrillConfig, LandmarkConfig, Profile
from kiosk.core.types import FrameMetrics, StationZone

ATHLETE = Athlete(height_m=1.78, build="average")
ZONE = StationZone()


def _trunk_error_deg(trunk_deg: float, landmarks: LandmarkConfig, placement: Placement) -> float:
    """Measured minus true trunk angle of the simulator's athlete held at `trunk_deg`
    (knees 18 deg), noise off, 6 frames."""
    intr = D435.intrinsics(424, 240)
    cam = placement.pose()
    pose = posture_pose(ATHLETE, Posture(trunk_deg, 18.0, 0.45), 0.0)
    render = Raycaster(intr, cam, Room(), D435.baseline_m).render(*body_mesh(ATHLETE, pose))
    z16 = apply_noise(render, D435, intr.fx, 0.001, NoiseConfig(enabled=False), np.random.default_rng(0))
    world = cam.to_world(deproject(z16.astype(np.float32) * 0.001, intr))
    profile = Profile(landmarks=landmarks)
    state = PipelineState(stature_m=ATHLETE.height_m)
    m = None
    for i in range(6):
        m, state = measure_frame(world, ZONE, profile, i / 30.0, state)
    assert m is not None and m.trunk_angle_deg is not None, m
    truth = frame_truth(ATHLETE, pose, None).trunk_angle_deg
    assert truth is not None
    return m.trunk_angle_deg - truth


@pytest.mark.parametrize("trunk_deg", [45.0, 65.0])
@pytest.mark.parametrize("height_m", [0.85, 1.2])
def test_trunk_at_the_bottom_of_a_hinge_within_3_deg(height_m: float, trunk_deg: float) -> None:
    """Hinged 45 and 65 deg, seen from a low and a high camera: the trunk angle within the
    3 deg of DESIGN.md. The shoulder read under the contour at its station alone put the
    axis 3.3-3.7 deg forward at 65 deg here (and 4-8 deg on MPFB2 people)."""
    placement = Placement(distance_m=2.25, height_m=height_m, pitch_deg=0.5)
    err = _trunk_error_deg(trunk_deg, LandmarkConfig(), placement)
    assert abs(err) <= 3.0, err


def _series(standing_lean_deg: float) -> list[FrameMetrics]:
    """Three hinges to a 60 deg trunk from a stance whose trunk reads `standing_lean_deg`
    (negative: behind vertical) at 30 fps; the unsigned angle is what metrics report."""
    frames: list[FrameMetrics] = []
    t = 0.0

    def add(lean: float, f: float) -> None:
        nonlocal t
        frames.append(FrameMetrics(
            t_s=t, person=True, second_person=False, heel_x_m=-0.07, toe_x_m=0.2,
            buttocks_x_m=-0.16 - 0.2 * f, knee_x_m=0.08, knee_flexion_deg=5.0 + 10.0 * f,
            trunk_angle_deg=abs(lean), trunk_lean_deg=lean, neck_flexion_deg=0.0,
            spinal_curve_deg=0.0, lumbar_hollow_mm=40.0, com_over_foot=0.4,
        ))
        t += 1.0 / 30.0

    for _ in range(30):
        add(standing_lean_deg, 0.0)
    for _ in range(3):
        path = [0.5 - 0.5 * math.cos(math.pi * i / 30) for i in range(30)]
        for f in [*path, *([1.0] * 9), *reversed(path), *([0.0] * 30)]:
            add(standing_lean_deg + (60.0 - standing_lean_deg) * f, f)
    return frames


@pytest.mark.parametrize("standing_lean_deg", [3.0, -9.0, -14.0])
def test_a_trunk_read_behind_vertical_is_standing(standing_lean_deg: float) -> None:
    """An athlete whose trunk reads 9-14 deg behind vertical while standing (past the
    8 deg standing limit when unsigned) still gets every rep counted."""
    profile = Profile(drill=DrillConfig(dowel_reps=0))
    state = DrillState.start(profile)
    done = []
    for m in _series(standing_lean_deg):
        state, out = drill_step(state, m, profile)
        if out.completed is not None:
            done.append(out.completed)
    assert len(done) == 3, [r.index for r in done]
