"""The simulated athlete's body: mesh validity, balance, landmarks and ground truth."""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

import numpy as np
import pytest

from hardware.sim.body import (
    Athlete,
    Pose,
    balanced_pose,
    body_landmarks,
    body_mesh,
    buttocks_x,
    com_over_foot,
    foot_length_m,
    pose_reaching,
    standing_pose,
)
from hardware.sim.landmarks import part_vertices, posed_body
from hardware.sim.parts import assembly, part_mesh
from hardware.sim.primitives import is_closed_manifold, signed_volume
from hardware.sim.truth import dowel, frame_truth

INCH_M = 0.0254
AVERAGE = Athlete()
ATHLETES = [Athlete(1.50, "slim"), Athlete(1.50, "heavy"), AVERAGE, Athlete(2.00, "slim"),
            Athlete(2.00, "heavy")]


def _owner(athlete: Athlete, pose: Pose, point: tuple[float, float, float]) -> str:
    """Name of the part whose vertex is `point` (landmarks that are mesh vertices)."""
    v = posed_body(athlete, pose).vertices
    i = int(np.argmin(np.linalg.norm(v - np.asarray(point), axis=1)))
    return next(name for name, sl in assembly(athlete).part_slices.items() if sl.start <= i < sl.stop)


def test_athlete_is_validated() -> None:
    with pytest.raises(ValueError):
        Athlete(height_m=1.4)
    with pytest.raises(ValueError):
        Athlete(height_m=2.1)
    with pytest.raises(ValueError):
        Athlete(build="muscular")


def test_every_primitive_is_closed_and_outward() -> None:
    for part in assembly(AVERAGE).parts:
        verts, tris = part_mesh(part)
        assert is_closed_manifold(tris), part.name
        vol = signed_volume(verts, tris)
        assert vol > 0, part.name
        if hasattr(part, "semi"):  # a tessellated ellipsoid holds a little less than the smooth one
            exact = 4.0 / 3.0 * math.pi * float(np.prod(part.semi))
            assert 0.95 * exact < vol < exact, part.name


def test_mesh_arrays_and_size() -> None:
    pose = standing_pose(AVERAGE)
    verts, tris = body_mesh(AVERAGE, pose)
    assert verts.dtype == np.float64 and verts.ndim == 2 and verts.shape[1] == 3
    assert tris.dtype == np.int32 and tris.shape[1] == 3
    assert 5_000 <= len(tris) <= 20_000
    assert tris.min() == 0 and tris.max() == len(verts) - 1
    assert np.isfinite(verts).all()
    # Feet flat on the floor, head at stature (knees slightly bent), athlete centred on z = 0.
    assert abs(verts[:, 1].min()) < 1e-3
    assert 1.74 < verts[:, 1].max() < 1.80
    assert abs(verts[:, 2].mean()) < 0.01


@pytest.mark.parametrize("trunk_deg,knee_deg",
                         [(0.0, 3.0), (30.0, 15.0), (65.0, 18.0), (85.0, 20.0), (40.0, 60.0)])
def test_balanced_pose_hits_trunk_angle_and_mid_foot(trunk_deg: float, knee_deg: float) -> None:
    pose = balanced_pose(AVERAGE, trunk_deg, knee_deg, heel_x_m=0.3)
    truth = frame_truth(AVERAGE, pose, None)
    assert truth.trunk_angle_deg == pytest.approx(trunk_deg, abs=1e-6)
    assert truth.knee_flexion_deg == pytest.approx(knee_deg, abs=1e-6)
    assert truth.com_over_foot == pytest.approx(0.45, abs=1e-4)
    assert com_over_foot(AVERAGE, pose) == pytest.approx(0.45, abs=1e-4)
    assert truth.heel_x_m == pytest.approx(0.3, abs=1e-9)  # the feet stay where they were put


def test_hips_travel_back_as_the_trunk_tips() -> None:
    hips = [body_landmarks(AVERAGE, balanced_pose(AVERAGE, t, 18.0)).hip_joint[0]
            for t in (0, 20, 40, 60, 80)]
    assert all(b < a for a, b in itertools.pairwise(hips))
    assert hips[0] - hips[-1] > 0.2


@pytest.mark.parametrize("athlete", ATHLETES, ids=lambda a: f"{a.height_m}-{a.build}")
def test_buttocks_are_rearmost_standing_and_hinged(athlete: Athlete) -> None:
    stand = standing_pose(athlete)
    lm = body_landmarks(athlete, stand)
    assert 0.05 <= lm.heel[0] - lm.buttocks[0] <= 0.12
    for pose in (stand, balanced_pose(athlete, 30, 15), balanced_pose(athlete, 65, 18),
                 balanced_pose(athlete, 85, 20), balanced_pose(athlete, 40, 62)):
        lm = body_landmarks(athlete, pose)
        assert _owner(athlete, pose, lm.buttocks).startswith("buttock_")
        assert lm.buttocks[1] >= 0.3
        # Arms never reach back to the buttocks.
        arms = np.vstack([part_vertices(athlete, pose, f"{p}_{s}") for p in ("upperarm", "forearm", "hand")
                          for s in "lr"])
        assert arms[arms[:, 1] >= 0.3, 0].min() > lm.buttocks[0] + 0.05


def test_heel_and_toe_are_the_feet_extremes() -> None:
    for pose in (standing_pose(AVERAGE, heel_x_m=-0.2), balanced_pose(AVERAGE, 60, 18, heel_x_m=-0.2)):
        verts, _ = body_mesh(AVERAGE, pose)
        low = verts[verts[:, 1] <= 0.10]
        lm = body_landmarks(AVERAGE, pose)
        assert lm.heel[0] == pytest.approx(-0.2, abs=1e-9) == low[:, 0].min()
        assert lm.toe[0] == low[:, 0].max()
        assert lm.toe[0] - lm.heel[0] == pytest.approx(foot_length_m(AVERAGE), abs=1e-9)
        assert lm.toe[0] - lm.heel[0] == pytest.approx(0.152 * AVERAGE.height_m, abs=0.005)


@pytest.mark.parametrize("wall_in", [6.0, 8.0, 10.0])
def test_pose_reaching_puts_the_buttocks_on_the_target(wall_in: float) -> None:
    target = -wall_in * INCH_M - 0.005
    pose = pose_reaching(AVERAGE, target, 18.0)
    assert buttocks_x(AVERAGE, pose) == pytest.approx(target, abs=0.001)
    lm = body_landmarks(AVERAGE, pose)
    assert lm.buttocks[0] == pytest.approx(target, abs=0.001)
    assert com_over_foot(AVERAGE, pose) == pytest.approx(0.45, abs=1e-4)
    assert 10.0 < pose.trunk_angle_deg < 90.0


def test_pose_reaching_refuses_the_unreachable() -> None:
    with pytest.raises(ValueError):
        pose_reaching(AVERAGE, -0.60, 18.0)  # 24 in behind the heels
    with pytest.raises(ValueError):
        pose_reaching(AVERAGE, 0.10, 18.0)  # in front of the standing buttocks


def test_surface_landmarks_lie_on_the_mesh() -> None:
    o3d = pytest.importorskip("open3d")
    poses = [standing_pose(AVERAGE), balanced_pose(AVERAGE, 65, 18),
             balanced_pose(AVERAGE, 65, 18, lumbar_flexion_deg=12, thoracic_flexion_deg=28),
             balanced_pose(AVERAGE, 65, 18, neck_flexion_deg=-40)]
    for pose in poses:
        verts, tris = body_mesh(AVERAGE, pose)
        scene = o3d.t.geometry.RaycastingScene()
        scene.add_triangles(o3d.core.Tensor(verts.astype(np.float32)),
                            o3d.core.Tensor(tris.astype(np.uint32)))
        lm = body_landmarks(AVERAGE, pose)
        names = ("heel", "toe", "buttocks", "sacrum", "thoracic", "head")
        pts = np.array([getattr(lm, n) for n in names], dtype=np.float32)
        dist = scene.compute_distance(o3d.core.Tensor(pts)).numpy()
        assert dist.max() < 0.002, dict(zip(names, dist, strict=True))


def test_back_landmarks_follow_the_definitions() -> None:
    pose = balanced_pose(AVERAGE, 50, 18)
    lm = body_landmarks(AVERAGE, pose)
    u, n = lm.trunk_axis()
    hip = np.asarray(lm.hip_joint)[:2]
    length = float(np.linalg.norm(np.asarray(lm.shoulder)[:2] - hip))
    assert (np.asarray(lm.sacrum)[:2] - hip) @ u == pytest.approx(0.08 * AVERAGE.height_m, abs=1e-6)
    frac = (np.asarray(lm.thoracic)[:2] - hip) @ u / length
    assert 0.45 <= frac <= 0.85
    # The apex is the most posterior vertex in its band; the occiput the head's.
    verts = posed_body(AVERAGE, pose).vertices
    rel = verts[:, :2] - hip
    band = (rel @ u / length >= 0.45) & (rel @ u / length <= 0.85)
    assert (np.asarray(lm.thoracic)[:2] - hip) @ n == pytest.approx((rel[band] @ n).max(), abs=1e-12)
    assert _owner(AVERAGE, pose, lm.head) == "head"
    assert _owner(AVERAGE, pose, lm.thoracic).startswith("ribs_")


@pytest.mark.parametrize("athlete", ATHLETES, ids=lambda a: f"{a.height_m}-{a.build}")
def test_neutral_spine_touches_the_dowel_at_all_three(athlete: Athlete) -> None:
    for pose in (standing_pose(athlete), balanced_pose(athlete, 65, 18)):
        gaps = frame_truth(athlete, pose, None).dowel_gaps_mm
        assert gaps is not None
        assert max(gaps.values()) < 20.0
        assert sorted(gaps.values())[1] == 0.0  # two contacts


def test_rounded_back_and_head_positions_move_the_dowel() -> None:
    rounded = frame_truth(AVERAGE, balanced_pose(AVERAGE, 65, 18, lumbar_flexion_deg=12,
                                                 thoracic_flexion_deg=28), None)
    assert rounded.spinal_flexion_deg == pytest.approx(40.0, abs=1e-9)
    assert rounded.dowel_support == ("head", "thoracic")
    assert rounded.dowel_gaps_mm is not None and rounded.dowel_gaps_mm["sacrum"] > 40.0
    up = frame_truth(AVERAGE, balanced_pose(AVERAGE, 65, 18, neck_flexion_deg=-40), None)
    assert up.neck_flexion_deg == pytest.approx(-40.0, abs=1e-6)
    assert up.dowel_support == ("head", "sacrum")  # the occiput swings back onto the dowel
    down = frame_truth(AVERAGE, balanced_pose(AVERAGE, 65, 18, neck_flexion_deg=40), None)
    assert down.neck_flexion_deg == pytest.approx(40.0, abs=1e-6)
    assert down.spinal_flexion_deg == pytest.approx(0.0, abs=1e-9)


def test_dowel_rule() -> None:
    anterior = np.array([1.0, 0.0])  # upright trunk: anterior is +x
    # Concave back (apex in front of the head-sacrum line): the dowel rests on head and sacrum.
    pair, gaps = dowel({"head": np.array([0.0, 1.6]), "thoracic": np.array([0.02, 1.3]),
                        "sacrum": np.array([0.0, 1.0])}, anterior)
    assert pair == ("head", "sacrum") and gaps["thoracic"] == pytest.approx(20.0)
    # Convex back: on the apex and the end that leaves the smaller gap.
    pair, gaps = dowel({"head": np.array([0.05, 1.6]), "thoracic": np.array([0.0, 1.3]),
                        "sacrum": np.array([0.02, 1.0])}, anterior)
    assert pair == ("head", "thoracic")
    assert gaps["sacrum"] == pytest.approx(1000 * 0.07 / math.hypot(1.0, 0.05 / 0.3), rel=1e-9)


def test_truth_json_uses_edge_units() -> None:
    pose = pose_reaching(AVERAGE, -8 * INCH_M - 0.005, 18.0)
    truth = frame_truth(AVERAGE, pose, -8 * INCH_M)
    row = truth.to_json()
    assert row["person"] is True
    assert row["hip_to_wall_mm"] == pytest.approx(-5.0, abs=0.5)
    assert truth.buttocks_x_m is not None
    assert row["buttocks_x_mm"] == pytest.approx(1000 * truth.buttocks_x_m, abs=1e-3)
    assert set(row["dowel_gaps_mm"]) == {"head", "thoracic", "sacrum"}
    absent = frame_truth(AVERAGE, None, None).to_json()
    assert absent["person"] is False and absent["hip_to_wall_mm"] is None


def test_walking_legs_swing_with_a_foot_on_the_floor() -> None:
    base = standing_pose(AVERAGE)
    spans = []
    for phase in np.linspace(0.0, 1.0, 9):
        pose = replace(base, stride_m=1.2, gait_phase=float(phase))
        sk = posed_body(AVERAGE, pose).skeleton
        spans.append(sk.joints["ankle_l"][0] - sk.joints["ankle_r"][0])
        feet = np.vstack([part_vertices(AVERAGE, pose, n)
                          for n in ("foot_l", "foot_r", "forefoot_l", "forefoot_r")])
        assert abs(feet[:, 1].min()) < 0.003
    assert max(spans) > 0.3 and min(spans) < -0.3
