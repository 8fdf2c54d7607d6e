"""A fragment hidden behind the athlete along the camera's line of sight stays with them
(kiosk/core/person.py, `camera_world`): at the bottom of a hinge seen low and from behind
the side, the shoulder hides the neck and the head's points form a fragment ~2 cm from the
body across the ray but 0.17-0.26 m behind it along the ray, beyond attach_gap_voxels."""

from __future__ import annotations

import numpy as np
import pytest
from core_synth import Camera, Pose, _ellipsoid, body_samples, camera_pose, render

from calibration.calibrate import calibrate
from calibration.heading import with_heading
from hardware.frame import DepthFrame
from hardware.sim.camera import Placement
from hardware.sim.source import SimConfig, SimulatedSource
from kiosk.analysis.analyzer import MEASURE_FILTERS, FrameAnalyzer
from kiosk.core.person import segment_person
from kiosk.core.profile_loader import load_profile
from kiosk.core.thresholds import SegmentationConfig
from kiosk.core.types import StationZone

CFG = SegmentationConfig()
ZONE = StationZone()
HINGE = Pose(shank_deg=8, knee_deg=20, trunk_deg=70)
LOW_BEHIND = Camera(oblique_deg=20, height_m=0.85, pitch_deg=-3)
HEAD_R_M = 0.08
CLEAR_M = 0.16  # beyond attach_gap_voxels (2 x 5 cm, Chebyshev) from every body sample


def _headless_body() -> tuple[np.ndarray, np.ndarray]:
    """The hinged body's surface samples without the neck and head."""
    pts, nrm, truth = body_samples(HINGE)
    hip, shoulder, neck = (truth.joints[k] for k in ("hip", "shoulder", "neck_base"))
    axis = (shoulder - hip) / np.linalg.norm(shoulder - hip)
    head = ((pts[:, :2] - neck) @ axis > 0.02) & (np.abs(pts[:, 2]) < 0.12)
    return pts[~head], nrm[~head]


def _head_scene(where: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """World points of the headless hinged body and a head-sized blob, the blob's mask and
    the camera centre. S is the top of the body's silhouette (the highest point seen from
    the camera); "behind": the blob on S's ray, just past the silhouette and the nearest
    there that is clear of every body sample by CLEAR_M (the neck hidden behind the
    shoulder); "beside": the blob 0.2 m from S across the ray, in the open."""
    body = _headless_body()
    _, centre = camera_pose(LOW_BEHIND)
    world, _, is_body = render([body], LOW_BEHIND, seed=2)
    seen = world[is_body]
    s = seen[np.argmax((seen[:, 1] - centre[1]) / np.linalg.norm((seen - centre)[:, [0, 2]], axis=1))]
    u = (s - centre) / np.linalg.norm(s - centre)
    up = np.array([0.0, 1.0, 0.0]) - u[1] * u
    up /= np.linalg.norm(up)
    if where == "behind":
        for d in np.arange(0.1, 0.6, 0.02):
            h = s + (d + HEAD_R_M) * u + 0.5 * HEAD_R_M * up
            if np.min(np.linalg.norm(body[0] - h, axis=1)) - HEAD_R_M > CLEAR_M:
                break
    else:
        h = s + (0.2 + HEAD_R_M) * up
    head = _ellipsoid(np.random.default_rng(3), h, np.eye(3), np.full(3, HEAD_R_M), 1.1e5)
    world, _, _ = render([body, head], LOW_BEHIND, seed=2)
    is_head = np.linalg.norm(world - h, axis=1) < HEAD_R_M + 0.02
    assert is_head.sum() >= 60, is_head.sum()  # the blob is seen, enough for solid voxels
    return world, is_head, centre


def _kept(seg_indices: np.ndarray, mask: np.ndarray) -> float:
    """Fraction of the masked points in the segmentation."""
    return float(np.isin(np.flatnonzero(mask), seg_indices).mean())


def test_a_head_hidden_behind_the_shoulder_is_attached_given_the_camera() -> None:
    world, is_head, centre = _head_scene("behind")
    without = segment_person(world, ZONE, CFG)
    given = segment_person(world, ZONE, CFG, camera_world=centre)
    assert without.person and given.person
    assert _kept(without.indices, is_head) < 0.05  # today's behaviour: too far in 3D
    assert _kept(given.indices, is_head) > 0.95
    # Nothing else changes: the body's own points are the same.
    assert np.isin(without.indices, given.indices).all()
    off = CFG.model_copy(update={"occlusion_attach_m": 0.0})
    assert _kept(segment_person(world, ZONE, off, camera_world=centre).indices, is_head) < 0.05


def test_the_same_head_beside_the_body_in_the_open_is_not_attached() -> None:
    world, is_head, centre = _head_scene("beside")
    for cam in (None, centre):
        seg = segment_person(world, ZONE, CFG, camera_world=cam)
        assert seg.person
        assert _kept(seg.indices, is_head) < 0.05, cam


def test_a_second_person_behind_the_athlete_is_not_merged() -> None:
    """A second person standing 0.6 m further from the camera, along its line of sight to
    the athlete (standing), partly hidden by them."""
    cam = Camera(distance_m=2.3, oblique_deg=20, height_m=0.85, pitch_deg=3)
    _, centre = camera_pose(cam)
    u = -centre.copy()
    u[1] = 0.0
    u /= np.linalg.norm(u)
    zone = StationZone(z_min_m=-1.2)
    for dx in (-0.3, 0.3):
        a = body_samples(Pose(), seed=1)[:2]
        b = body_samples(Pose(x0_m=0.6 * u[0] + dx, z0_m=0.6 * u[2]), stature_m=1.70, seed=5)[:2]
        world, _, _ = render([a, b], cam, seed=5)
        without = segment_person(world, zone, CFG)
        given = segment_person(world, zone, CFG, camera_world=centre)
        assert without.person and given.person
        assert given.second_person == without.second_person
        assert given.second_person, dx  # both people in the station: flagged
        # No point of the second person's (further than 0.4 m behind the athlete's centre).
        assert int((world[given.indices] @ u > 0.4).sum()) == 0, dx


@pytest.mark.xfail(strict=True, reason="known limit: with the athlete hinged, a piece of someone "
                   "0.6 m behind (centre to centre) seen only past the athlete lies within "
                   "occlusion_attach_m of the athlete's voxels (their surfaces ~0.25 m apart) and joins")
def test_a_second_person_behind_a_hinged_athlete_is_not_merged() -> None:
    cam = Camera(distance_m=2.3)
    _, centre = camera_pose(cam)
    u = -centre.copy()
    u[1] = 0.0
    u /= np.linalg.norm(u)
    zone = StationZone(z_min_m=-1.2)
    a = body_samples(HINGE, seed=1)[:2]
    b = body_samples(Pose(x0_m=0.6 * u[0] + 0.3, z0_m=0.6 * u[2]), stature_m=1.70, seed=5)[:2]
    world, _, _ = render([a, b], cam, seed=5)
    given = segment_person(world, zone, CFG, camera_world=centre)
    assert int((world[given.indices] @ u > 0.4).sum()) == 0


def test_the_simulated_head_stays_with_the_body_at_the_bottom() -> None:
    """The tuning family's `head_down 1.75m heavy D455 2.25m h0.70 p-6 left obl30`: through
    the SDK filters and FrameAnalyzer (calibrated on the empty station, heading set from the
    placement), every bottom frame's athlete has points on the head (within 0.15 m of the
    truth's head centre) and reads the dropped head; at HEAD they had none."""
    from test_orient import heading_error_deg

    placement = Placement(distance_m=2.25, height_m=0.7, pitch_deg=-6.0, side="left", oblique_deg=30.0)
    cfg = SimConfig(script="head_down", script_options={"walk_s": 1.5, "absent_s": 0.3, "reps": 1},
                    height_m=1.75, build="heavy", camera="D455", placement=placement, seed=17)
    src = SimulatedSource(cfg, filters=MEASURE_FILTERS)
    src.start()
    try:
        empty = [DepthFrame(src.render_depth(i / 30)[0], 0.001, src.intrinsics, i / 30, i) for i in range(6)]
        cal = calibrate(empty, facing="left", station_distance_m=placement.distance_m)
        cal = with_heading(cal, -heading_error_deg(cal.pose, src.pose))
        assert abs(heading_error_deg(cal.pose, src.pose)) < 0.1
        analyzer = FrameAnalyzer(cal, load_profile())
        to_cal = cal.pose.r @ src.pose.r.T
        bottom = []
        while src.online:
            frame = src.read()
            if frame is None:
                continue
            res = analyzer.process(frame)
            row = src.truth[-1]
            if row["phase"] == "ascend":
                break
            if row["phase"] != "bottom":
                continue
            pose = src.script.sample(row["t_s"]).pose
            assert pose is not None
            lm = src.body.landmarks(pose)
            head = to_cal @ ((np.asarray(lm.head_top) + np.asarray(lm.head)) / 2 - src.pose.t) + cal.pose.t
            pts = res.body_m
            near = int((np.linalg.norm(pts - head, axis=1) < 0.15).sum())
            bottom.append((near, res.metrics.neck_flexion_deg, row["neck_flexion_deg"]))
    finally:
        src.close()
    print("bottom frames (head points, neck flexion measured, truth):", bottom)
    assert len(bottom) >= 8
    assert all(near >= 30 for near, _, _ in bottom), bottom
    necks = [n for _, n, _ in bottom if n is not None]
    assert len(necks) >= 0.75 * len(bottom), bottom
    assert abs(float(np.median(necks)) - bottom[0][2]) < 8.0, necks
