"""The parametric athlete's loose shirt and soft glutes (hardware/sim/clothing.py,
soft_tissue.py): rendered square-on from 2 m, the back profile is read from the rendered
points only (the most dorsal point per 1 cm band along the trunk axis), and the truth
stays the body's own."""

from __future__ import annotations

import numpy as np
import pytest

from hardware.sim.bodies import ParametricBody
from hardware.sim.body import Athlete, Pose, balanced_pose, body_mesh, standing_pose
from hardware.sim.camera import D435, Placement
from hardware.sim.landmarks import posed_body, trunk_axis
from hardware.sim.raycast import Raycaster, Room, camera_rays
from hardware.sim.source import SimConfig, SimulatedSource
from hardware.sim.truth import frame_truth

BARE = Athlete()
SHIRT = Athlete(shirt_ease_m=0.03)
SOFT = Athlete(glute_softness=1.0)
BOTH = Athlete(shirt_ease_m=0.03, glute_softness=1.0)
STAND = standing_pose(BARE)
HINGE = balanced_pose(BARE, 75.0, 20.0)  # neutral spine, deep hinge


@pytest.fixture(scope="module")
def camera() -> tuple[Raycaster, np.ndarray]:
    placement = Placement(distance_m=2.0)
    intr = D435.intrinsics(848, 480)
    pose = placement.pose()
    return Raycaster(intr, pose, Room(back_wall_offset_m=None), D435.baseline_m), camera_rays(intr, pose)


def back_profile(camera: tuple[Raycaster, np.ndarray], athlete: Athlete,
                 pose: Pose) -> tuple[np.ndarray, np.ndarray, float]:
    """Band centres along the hip -> shoulder axis (m), the most dorsal rendered point per
    band (m, NaN where empty) and the axis length. Only the frame of the bands comes from
    the skeleton (the same for every option); the surface is the rendered one."""
    caster, rays = camera
    render = caster.render(*ParametricBody(athlete).mesh(pose))
    pts = (rays[..., :3] + rays[..., 3:] * render.depth_m[..., None])[render.body].astype(np.float64)
    joints = posed_body(BARE, pose).skeleton.joints
    hip, sh = joints["hip"], joints["shoulder"]
    u, n = trunk_axis(hip, sh)
    rel = pts[:, :2] - hip[:2]
    axial, dorsal = rel @ u, rel @ n
    length = float(np.linalg.norm(sh[:2] - hip[:2]))
    edges = np.arange(-0.15, length + 0.005, 0.01)
    band = np.digitize(axial, edges) - 1
    back = np.full(len(edges) - 1, np.nan)
    for i in range(len(edges) - 1):
        sel = band == i
        if sel.any():
            back[i] = dorsal[sel].max()
    return 0.5 * (edges[1:] + edges[:-1]), back, length


def hollow_mm(centre: np.ndarray, back: np.ndarray, length: float) -> float:
    """Deepest gap under the line from the buttocks' most dorsal point (-0.10..0.15 of the
    span) to the upper back's (0.55..0.85)."""
    ends = []
    for lo, hi in ((-0.10, 0.15), (0.55, 0.85)):
        sel = np.flatnonzero((centre >= lo * length) & (centre <= hi * length) & ~np.isnan(back))
        i = sel[int(np.nanargmax(back[sel]))]
        ends.append((centre[i], back[i]))
    (s0, t0), (s1, t1) = ends
    span = (centre > s0) & (centre < s1) & ~np.isnan(back)
    line = t0 + (t1 - t0) * (centre[span] - s0) / (s1 - s0)
    return float(np.max(line - back[span])) * 1000.0


def buttock_prominence_m(centre: np.ndarray, back: np.ndarray) -> float:
    """Most dorsal rendered point at the buttocks (within 12 cm of the hip joint's level)."""
    sel = (centre >= -0.12) & (centre <= 0.0)
    return float(np.nanmax(back[sel]))


def test_defaults_change_nothing() -> None:
    assert Athlete(shirt_ease_m=0.0, glute_softness=0.0) == BARE
    for pose in (STAND, HINGE):
        v, t = ParametricBody(BARE).mesh(pose)
        v0, t0 = body_mesh(BARE, pose)
        assert v is v0 and t is t0  # the bare body's own arrays, no shirt appended
    assert ParametricBody(BARE).describe() == {"family": "parametric", "stature_m": 1.78, "build": "average"}


def test_options_are_validated() -> None:
    with pytest.raises(ValueError):
        Athlete(shirt_ease_m=-0.01)
    with pytest.raises(ValueError):
        Athlete(glute_softness=1.5)


def test_shirt_bridges_the_standing_lumbar_hollow(camera: tuple[Raycaster, np.ndarray]) -> None:
    bare = hollow_mm(*back_profile(camera, BARE, STAND))
    shirt = hollow_mm(*back_profile(camera, SHIRT, STAND))
    assert bare > 25.0, bare  # the bare body has a real hollow
    assert shirt < 0.25 * bare, (bare, shirt)


def test_shirt_lies_on_the_hinged_back(camera: tuple[Raycaster, np.ndarray]) -> None:
    c, bare, length = back_profile(camera, BARE, HINGE)
    _, shirt, _ = back_profile(camera, SHIRT, HINGE)
    sel = (c >= 0.05 * length) & (c <= 0.85 * length)
    off = shirt[sel] - bare[sel]
    assert np.nanmin(off) >= -0.002  # the shirt is outside the skin
    assert np.nanmax(off) < 0.03, np.nanmax(off)  # and within a few cm of it
    # Gravity lays it partly into the hollow: more of the hollow shows than standing.
    standing = hollow_mm(*back_profile(camera, SHIRT, STAND))
    assert hollow_mm(c, shirt, length) > standing + 10.0


def test_soft_glutes_flatten_in_the_hinge_only(camera: tuple[Raycaster, np.ndarray]) -> None:
    c, rigid, _ = back_profile(camera, BARE, HINGE)
    _, soft, _ = back_profile(camera, SOFT, HINGE)
    assert buttock_prominence_m(c, rigid) - buttock_prominence_m(c, soft) > 0.015
    c, rigid, _ = back_profile(camera, BARE, STAND)
    _, soft, _ = back_profile(camera, SOFT, STAND)
    assert abs(buttock_prominence_m(c, rigid) - buttock_prominence_m(c, soft)) < 0.002
    assert np.nanmax(np.abs(rigid - soft)) < 0.003


@pytest.mark.parametrize("pose", [STAND, HINGE, balanced_pose(BARE, 60.0, 20.0, lumbar_flexion_deg=25.0)])
def test_truth_is_the_bodys_own(pose: Pose) -> None:
    bare = frame_truth(BARE, pose, None)
    for athlete in (SHIRT, SOFT, BOTH):
        t = frame_truth(athlete, pose, None)
        assert t.dowel_gaps_mm == bare.dowel_gaps_mm and t.dowel_support == bare.dowel_support
        assert t.spinal_flexion_deg == bare.spinal_flexion_deg
        assert t.trunk_angle_deg == bare.trunk_angle_deg
    # The shirt is rendered only: the buttocks landmark is the body's.
    assert frame_truth(SHIRT, pose, None) == bare


def test_source_passes_the_options() -> None:
    src = SimulatedSource(SimConfig(script="dowel_reps", shirt_ease_m=0.03, glute_softness=0.5))
    athlete = src.body.athlete  # type: ignore[attr-defined]
    assert athlete.shirt_ease_m == 0.03 and athlete.glute_softness == 0.5
    assert src.body.describe()["shirt_ease_m"] == 0.03
