"""Scripted motions: structure, continuity, and per-frame truth consistent with each rep's verdict."""

from __future__ import annotations

import json
from functools import cache

import numpy as np
import pytest

from hardware.sim.body import Athlete
from hardware.sim.landmarks import posed_body
from hardware.sim.motion import FAULTS, SCRIPTS, Script, make_script, script_summary
from hardware.sim.skeleton import Pose, solve_skeleton
from hardware.sim.truth import FrameTruth, frame_truth

INCH_M = 0.0254
ATHLETE = Athlete()
FAULT_SCRIPTS = {"squat_pattern": "knees_bent", "rounded_back": "back_rounded", "head_up": "head_not_neutral",
                 "head_down": "head_not_neutral", "weight_on_toes": "weight_on_toes"}
TRUNK_JOINTS = ("hip", "shoulder", "neck_base", "head_top")
ALL_JOINTS = (*TRUNK_JOINTS, "ankle_l", "ankle_r", "knee_l", "knee_r", "elbow_l", "elbow_r", "wrist_l",
              "wrist_r")


@cache
def script(name: str) -> Script:
    return make_script(name, ATHLETE)


@cache
def rep_truths(name: str, fps: float = 10.0) -> dict[int, list[FrameTruth]]:
    """Truth of every sampled frame inside each rep (wall drill: with its wall)."""
    s = script(name)
    out: dict[int, list[FrameTruth]] = {r.index: [] for r in s.reps}
    for t in np.arange(0.0, s.duration_s, 1.0 / fps):
        smp = s.sample(float(t))
        if smp.rep_index is None:
            continue
        wall = None if smp.wall_distance_in is None else smp.heel_x_m - smp.wall_distance_in * INCH_M
        out[smp.rep_index].append(frame_truth(ATHLETE, smp.pose, wall))
    return out


def _pose(s: Script, t_s: float) -> Pose:
    pose = s.sample(t_s).pose
    assert pose is not None
    return pose


def _max(truths: list[FrameTruth], attr: str) -> float:
    return max(float(getattr(t, attr)) for t in truths)


def _min(truths: list[FrameTruth], attr: str) -> float:
    return min(float(getattr(t, attr)) for t in truths)


def test_registry_and_options() -> None:
    expected = {"walk_in_stand", "dowel_reps", "wall_pass", "wall_progression", "wall_short", "squat_pattern",
                "rounded_back", "rounded_lumbar", "head_up", "head_down", "weight_on_toes", "session",
                "wall_near"}
    assert set(SCRIPTS) == expected
    with pytest.raises(ValueError, match="unknown script"):
        make_script("moonwalk", ATHLETE)
    with pytest.raises(ValueError):
        make_script("dowel_reps", ATHLETE, colour="red")
    with pytest.raises(ValueError):
        make_script("wall_short", ATHLETE, short_mm=20.0)
    assert len(make_script("dowel_reps", ATHLETE, reps=5).reps) == 5


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_script_structure_and_continuity(name: str) -> None:
    s = script(name)
    fps = 30.0
    times = np.arange(0.0, s.duration_s + 1e-9, 1.0 / fps)
    samples = [s.sample(float(t)) for t in times]
    phases = [smp.phase for smp in samples]
    # Nobody, walk in, stand, (reps), walk out, nobody.
    collapsed = [p for i, p in enumerate(phases) if i == 0 or p != phases[i - 1]]
    assert collapsed[:3] == ["absent", "walk_in", "stand"] and collapsed[-2:] == ["walk_out", "absent"]
    assert all((smp.pose is None) == (smp.phase == "absent") for smp in samples)
    first = next(smp for smp in samples if smp.pose is not None)
    assert first.pose is not None and first.pose.heel_x_m == pytest.approx(-2.5)
    assert 0.3 <= times[phases.index("walk_in")] <= 0.6
    # Reps: ordered, with the scripted phase timings, and rep_index only inside reps.
    for r in s.reps:
        assert r.end_s - r.start_s == pytest.approx(3.0) and r.bottom_s == pytest.approx(r.start_s + 1.5)
        assert s.sample(r.bottom_s).phase == "bottom" and s.sample(r.bottom_s).rep_index == r.index
        assert set(r.expected_faults) <= set(FAULTS) and r.passed == (not r.expected_faults)
    assert [r.start_s for r in s.reps] == sorted(r.start_s for r in s.reps)
    # Continuity at 30 fps: trunk joints always (walking included), every joint off the walk.
    prev = None
    for smp in samples:
        if smp.pose is None:
            prev = None
            continue
        joints = solve_skeleton(ATHLETE, smp.pose).joints
        cur = (np.array([joints[k] for k in ALL_JOINTS]), smp.phase)
        if prev is not None:
            step = np.linalg.norm(cur[0] - prev[0], axis=1)
            assert step[: len(TRUNK_JOINTS)].max() < 0.05, (smp.phase, step)
            if "walk" not in smp.phase and "walk" not in prev[1]:
                assert step.max() < 0.05, (smp.phase, step)
        prev = cur
    # During reps the heels do not move and the wall hangs from them.
    rep_heels = {smp.heel_x_m for smp in samples if smp.rep_index is not None}
    assert rep_heels <= {0.0}
    for smp in samples:
        if smp.rep_index is not None and smp.pose is not None:
            assert smp.pose.heel_x_m == 0.0


def test_standing_sway_is_small_seeded_and_present() -> None:
    for name, seed in (("walk_in_stand", 0), ("session", 2), ("session", 5)):
        s = make_script(name, ATHLETE, seed=seed)
        for seg in (seg for seg in s.segments if seg.phase == "stand"):
            ts = np.linspace(seg.start_s, seg.end_s, 31)
            heads = np.array([posed_body(ATHLETE, _pose(s, float(t))).skeleton.joints["head_top"]
                              for t in ts])
            dev = np.linalg.norm(heads - heads[0], axis=1)
            assert dev[-1] < 1e-9  # the sway fades out before the next move
            assert 0.3e-3 < dev.max() < 0.010, (name, seed, seg.start_s, dev.max())
    s = script("dowel_reps")
    stand = next(seg for seg in s.segments if seg.phase == "stand")
    mid = 0.5 * (stand.start_s + stand.end_s)
    assert make_script("dowel_reps", ATHLETE, seed=7).sample(mid).pose != s.sample(mid).pose
    assert make_script("dowel_reps", ATHLETE).sample(mid).pose == s.sample(mid).pose


def test_walk_in_swings_the_legs_and_arrives_standing() -> None:
    s = script("walk_in_stand")
    walk = next(seg for seg in s.segments if seg.phase == "walk_in")
    spans = []
    for t in np.linspace(walk.start_s, walk.end_s, 60):
        pose = s.sample(float(t)).pose
        assert pose is not None
        j = solve_skeleton(ATHLETE, pose).joints
        spans.append(float(j["ankle_l"][0] - j["ankle_r"][0]))
    assert max(spans) > 0.25 and min(spans) < -0.25
    end = s.sample(walk.end_s - 1e-6).pose
    assert end is not None and end.heel_x_m == pytest.approx(0.0, abs=1e-6) and end.stride_m < 1e-3


def test_clean_dowel_reps() -> None:
    reps = rep_truths("dowel_reps")
    assert len(reps) == 3 and all(not r.expected_faults for r in script("dowel_reps").reps)
    for truths in reps.values():
        assert 10.0 <= _max(truths, "knee_flexion_deg") < 25.0
        assert _max(truths, "trunk_angle_deg") == pytest.approx(65.0, abs=0.5)
        assert _min(truths, "com_over_foot") >= 0.3 and _max(truths, "com_over_foot") <= 0.6
        assert _max(truths, "spinal_flexion_deg") < 5.0
        assert max(abs(t.neck_flexion_deg or 0.0) for t in truths) < 5.0
        assert max(max((t.dowel_gaps_mm or {}).values()) for t in truths) < 20.0
        assert all((t.knee_x_m or 0.0) < (t.toe_x_m or 0.0) for t in truths)


@pytest.mark.parametrize("name", sorted(FAULT_SCRIPTS))
def test_fault_scripts_show_exactly_their_fault(name: str) -> None:
    s = script(name)
    fault = FAULT_SCRIPTS[name]
    assert [r.expected_faults for r in s.reps] == [(fault,)] * 3
    assert all(r.drill == "dowel" and r.wall_distance_in is None and not r.passed for r in s.reps)
    for truths in rep_truths(name).values():
        knee = _max(truths, "knee_flexion_deg")
        com = _max(truths, "com_over_foot")
        spinal = _max(truths, "spinal_flexion_deg")
        neck = max(abs(t.neck_flexion_deg or 0.0) for t in truths)
        knee_past_toe = any((t.knee_x_m or 0.0) > (t.toe_x_m or 0.0) for t in truths)
        knees_bent = knee > 35.0 or knee_past_toe
        assert knees_bent == (fault == "knees_bent"), knee
        assert (spinal > 25.0) == (fault == "back_rounded"), spinal
        assert (neck > 25.0) == (fault == "head_not_neutral"), neck
        assert (com > 0.75) == (fault == "weight_on_toes"), com
        # ...and well clear of the thresholds either way.
        assert knee > 50.0 if fault == "knees_bent" else knee < 25.0
        assert spinal > 35.0 if fault == "back_rounded" else spinal < 5.0
        assert neck > 35.0 if fault == "head_not_neutral" else neck < 5.0
        assert com > 0.8 if fault == "weight_on_toes" else _min(truths, "com_over_foot") >= 0.3 and com <= 0.6
        if fault == "back_rounded":
            bottom = max(truths, key=lambda t: t.spinal_flexion_deg or 0.0)
            assert bottom.dowel_support == ("head", "thoracic")
            assert bottom.dowel_gaps_mm is not None and bottom.dowel_gaps_mm["sacrum"] > 40.0


def _bottom_truth(name: str, index: int) -> tuple[float, FrameTruth]:
    s = script(name)
    r = s.reps[index]
    smp = s.sample(r.bottom_s)
    assert smp.pose is not None and smp.wall_distance_in == r.wall_distance_in
    wall_x = smp.heel_x_m - r.wall_distance_in * INCH_M if r.wall_distance_in is not None else None
    return r.wall_distance_in or 0.0, frame_truth(ATHLETE, smp.pose, wall_x)


def test_wall_progression_plan_and_contacts() -> None:
    s = script("wall_progression")
    assert [r.wall_distance_in for r in s.reps] == [6.0, 8.0, 10.0, 12.0, 12.0]
    assert [r.expected_faults for r in s.reps] == [(), (), (), ("wall_not_reached",), ("wall_not_reached",)]
    assert s.hinge_depth_in == 10.0
    for i, r in enumerate(s.reps):
        _, truth = _bottom_truth("wall_progression", i)
        assert truth.hip_to_wall_mm is not None
        if r.passed:
            assert -15.0 <= truth.hip_to_wall_mm <= 0.0
        else:
            assert truth.hip_to_wall_mm >= 40.0
        # Over the whole rep: a pass touches, a miss never comes within 25 mm.
        hip_to_wall = _min(rep_truths("wall_progression")[i], "hip_to_wall_mm")
        assert (hip_to_wall > 25.0) == (not r.passed)
        assert _max(rep_truths("wall_progression")[i], "knee_flexion_deg") < 25.0
    # The wall moves back 2 in after each pass, during the pause before the next rep.
    for r, nxt in zip(s.reps, s.reps[1:], strict=False):
        pause = s.sample(r.end_s + 0.5)
        assert pause.phase == "stand" and pause.wall_distance_in == nxt.wall_distance_in
    assert s.sample(s.reps[-1].end_s + 0.5).wall_distance_in == 12.0


def test_wall_progression_hinge_depth_follows_the_option() -> None:
    s = make_script("wall_progression", ATHLETE, max_reach_in=9.0)
    assert [r.wall_distance_in for r in s.reps] == [6.0, 8.0, 10.0, 10.0]
    assert s.hinge_depth_in == 8.0
    short = make_script("wall_progression", Athlete(1.5, "slim"))  # a small athlete reaches less
    assert short.hinge_depth_in is not None and short.hinge_depth_in < 10.0


def test_wall_pass_and_wall_short() -> None:
    passing = script("wall_pass")
    assert [r.wall_distance_in for r in passing.reps] == [6.0, 8.0, 10.0]
    assert all(r.passed for r in passing.reps) and passing.hinge_depth_in == 10.0
    for i in range(3):
        _, truth = _bottom_truth("wall_pass", i)
        assert truth.hip_to_wall_mm is not None and -15.0 <= truth.hip_to_wall_mm <= 0.0
    short = script("wall_short")
    assert all(r.expected_faults == ("wall_not_reached",) for r in short.reps)
    for i, truths in rep_truths("wall_short").items():
        assert _min(truths, "hip_to_wall_mm") >= 40.0
        assert _max(truths, "trunk_angle_deg") > 20.0, i  # still a real hinge


def test_session_is_the_demo() -> None:
    s = script("session")
    # 3 dowel reps: the kiosk profile's default dowel stage (kiosk/default_profile.toml).
    assert [r.drill for r in s.reps] == ["dowel"] * 3 + ["wall"] * 5
    assert [r.wall_distance_in for r in s.reps] == [None, None, None, 6.0, 8.0, 10.0, 12.0, 12.0]
    assert [r.passed for r in s.reps] == [True] * 6 + [False] * 2
    assert s.hinge_depth_in == 10.0
    summary = script_summary(s)
    assert json.loads(json.dumps(summary))["summary"] == {"reps": 8, "passed": 6, "hinge_depth_in": 10.0}
