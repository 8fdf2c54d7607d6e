"""The live kiosk learns an oblique camera's heading from the first hinge (kiosk/app/
orient_live.py) and swaps it in mid-session (kiosk/app/observe.py).

Truth is the simulator's: the placement's exact pose (the heading error is the yaw of the
learnt world +x in the true world frame, tests/test_orient.py) and the per-frame truth of
the source the kiosk read (hip-to-wall from the exact body). The calibration is the
kiosk's own: calibrate() on raw frames of the empty station, as sources.Calibrating does;
analysis frames go through the SDK's measurement filters, as the kiosk's do.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_kiosk_app import SHORT, KeyedRenderer, make_loop, screens
from test_orient import HEADING_TOL_DEG, heading_error_deg

from calibration.calibrate import calibrate
from calibration.model import Calibration
from hardware.frame import DepthFrame
from hardware.sim.camera import Placement
from hardware.sim.source import SimConfig, SimulatedSource
from hardware.source import FrameSource
from kiosk.analysis.analyzer import MEASURE_FILTERS, FrameAnalyzer, with_drill
from kiosk.app.config import KioskConfig, SimSection
from kiosk.app.orient_live import HeadingLearner, HeadingOutcome
from kiosk.app.sources import KioskSources
from kiosk.core.profile_loader import load_profile

PROFILE = load_profile()
BRISK = {"absent_s": 0.5, "walk_s": 0.8, "enter_x_m": -1.2, "exit_x_m": 1.2, "stand_s": 1.0,
         "descend_s": 0.8, "hold_s": 0.3, "ascend_s": 0.8, "pause_s": 0.6, "reps": 1}
H2W_TOL_MM = 15.0


@functools.lru_cache(maxsize=6)
def learn(
    side: str, oblique_deg: float, script: str = "dowel_reps", build: str = "average",
    stature_m: float = 1.78, extra: tuple[tuple[str, float], ...] = (), dowel_stage: bool = False,
) -> tuple[Calibration, HeadingOutcome | None, float, float]:
    """`script` (one clean dowel rep; `extra`: more script options) at a placement through
    FrameAnalyzer + HeadingLearner: (the kiosk's calibration, the outcome, heading error
    before and after, deg). A wall script runs a wall-only drill (a kiosk set to no dowel
    reps) unless `dowel_stage`: the kiosk's default drill, which judges them as dowel reps."""
    placement = Placement(distance_m=2.2, height_m=1.0, pitch_deg=0.5, side=side,  # type: ignore[arg-type]
                          oblique_deg=oblique_deg)
    sim = SimConfig(script=script, script_options={**BRISK, **dict(extra)}, placement=placement, seed=3,
                    build=build, height_m=stature_m)
    src = SimulatedSource(sim, filters=MEASURE_FILTERS)
    src.start()
    try:
        empty = [DepthFrame(src.render_depth(i / 30)[0], 0.001, src.intrinsics, i / 30, i) for i in range(12)]
        cal = calibrate(empty, facing=side, station_distance_m=placement.distance_m)
        wall_only = script.startswith("wall") and not dowel_stage
        profile = with_drill(PROFILE, dowel_reps=0) if wall_only else PROFILE
        analyzer, learner = FrameAnalyzer(cal, profile, pause_on_second_person=True), HeadingLearner(cal)
        outcome = None
        while not learner.done and src.online:
            frame = src.read()
            if frame is not None:
                res = analyzer.process(frame)
                outcome = learner.feed(res.body_m, res.drill) or outcome
    finally:
        src.close()
    turned = outcome.calibration if outcome is not None and outcome.calibration is not None else cal
    return cal, outcome, heading_error_deg(cal.pose, src.pose), heading_error_deg(turned.pose, src.pose)


@pytest.mark.parametrize(("side", "oblique_deg"), [("right", 20.0), ("left", 30.0)])
def test_oblique_heading_is_learnt_from_the_first_hinge(side: str, oblique_deg: float) -> None:
    cal, outcome, before, after = learn(side, oblique_deg)
    assert abs(abs(before) - oblique_deg) < 3.0  # the kiosk's calibration: +x along the image axis
    assert outcome is not None and outcome.applied and outcome.calibration is not None, outcome
    print(f"{side} {oblique_deg} deg: learnt {outcome.yaw_deg:+.2f} deg, heading error {after:+.2f} deg")
    assert abs(after) <= HEADING_TOL_DEG, f"heading off by {after:.2f} deg ({side} {oblique_deg})"
    turned = outcome.calibration
    assert turned.facing == cal.facing and turned.pose.height_m == pytest.approx(cal.pose.height_m)


@pytest.mark.parametrize("side", ["right", "left"])
def test_a_wall_only_drill_learns_the_heading_from_shallow_hinges(side: str) -> None:
    """Wall reps at 6 and 8 in by a heavy 1.65 m build, 30 deg behind the side, no dowel
    rep: no frame passes HINGE_TRUNK_DEG (45 deg), so only the shallow reading
    (heading_from_shallow_hinge) can learn the heading; before it the image axis stayed."""
    _, outcome, before, after = learn(side, 30.0, "wall_pass", "heavy", 1.65, (("reps", 2),))
    assert abs(abs(before) - 30.0) < 3.0
    assert outcome is not None and outcome.applied and outcome.calibration is not None, outcome
    print(f"{side} wall only: learnt {outcome.yaw_deg:+.2f} deg, heading error {after:+.2f} deg")
    assert abs(after) <= HEADING_TOL_DEG + 2.0, f"heading off by {after:.2f} deg ({side})"


def test_shallow_dowel_reps_wait_for_a_deeper_one() -> None:
    """The same shallow reps judged in the dowel stage (the default drill) teach nothing:
    deeper dowel reps follow, which the head's travel alone reads better."""
    _, outcome, before, after = learn(
        "left", 30.0, "wall_pass", "heavy", 1.65, (("reps", 2),), dowel_stage=True
    )
    assert outcome is None and after == before


def test_square_on_leaves_the_calibration_alone() -> None:
    _, outcome, before, after = learn("right", 0.0)
    assert outcome is not None and not outcome.applied and outcome.calibration is None, outcome
    assert outcome.yaw_deg is not None and abs(outcome.yaw_deg) < 3.0
    print(f"square-on: measured {outcome.yaw_deg:+.2f} deg, calibration kept")
    assert after == before and abs(before) < 1.0


@pytest.fixture(scope="module")
def display() -> Iterator[KeyedRenderer]:
    r = KeyedRenderer()
    yield r
    r.close()


class KeptSources(KioskSources):
    """The kiosk's sources, keeping the running (filtered) simulator for its truth."""

    running: list[FrameSource] = []  # noqa: RUF012 - one test at a time

    def open(self, spec: str, for_calibration: bool = False,
             depth_limit_m: float | None = None) -> FrameSource:
        src = super().open(spec, for_calibration, depth_limit_m)
        if not for_calibration:
            self.running.append(src)
        return src


@pytest.mark.slow
def test_the_kiosk_turns_its_calibration_mid_session(display: KeyedRenderer, tmp_path: Path) -> None:
    # 1 dowel rep, a pass at 10 in, a miss at 12 in (reach 11), camera 25 deg behind the left side.
    options = {**SHORT, "dowel_reps": 1, "wall_start_in": 10.0, "max_reach_in": 11.0, "fails": 1,
               "absent_s": 1.0, "descend_s": 1.0, "hold_s": 0.4, "ascend_s": 1.0}
    placement = Placement(distance_m=2.2, height_m=1.0, pitch_deg=0.5, side="left", oblique_deg=25.0)
    sim = SimConfig(script="session", script_options=options, placement=placement)
    plan = SimulatedSource(sim).script.reps
    assert [(r.drill, r.wall_distance_in, r.passed) for r in plan] == [
        ("dowel", None, True), ("wall", 10.0, True), ("wall", 12.0, False)]
    KeptSources.running = []
    sources = KeptSources(KioskConfig(sim=SimSection(loop=False)), sim=sim, realtime=False)
    loop, parts = make_loop(display, tmp_path, "session", options, sources=sources, wall_start_in=10.0)
    # Calibration frames, then until one second after the last scripted rep.
    assert loop.run(max_frames=15 + round(30 * (plan[-1].end_s + 1.0))) == 0
    assert loop.session is not None
    cal = loop.session.observer.calibration
    err = heading_error_deg(cal.pose, placement.pose())
    print(f"kiosk at 25 deg oblique (left): heading error {err:+.2f} deg")
    assert abs(err) <= HEADING_TOL_DEG, f"heading off by {err:.2f} deg"
    assert loop.session.observer.heading.done
    # The session went on: every scripted rep judged, the flow never back at attract.
    got = screens(parts)
    assert got.count("attract") == 1 and got.index("attract") < got.index("dowel"), got
    reps = loop.session.flow.reps
    assert [(r.drill, r.passed) for r in reps] == [(p.drill, p.passed) for p in plan], reps
    # Hip-to-wall of the wall reps against the exact body (same rep order as the plan).
    (src,) = KeptSources.running
    assert isinstance(src, SimulatedSource)
    for rep, p in zip(reps, plan, strict=True):
        if p.drill != "wall":
            continue
        truth = min(row["hip_to_wall_mm"] for row in src.truth
                    if row.get("rep_index") == p.index and row.get("hip_to_wall_mm") is not None)
        print(f"wall {p.wall_distance_in} in: hip-to-wall {rep.min_hip_to_wall_mm:.1f} vs {truth:.1f} mm")
        assert rep.wall_distance_in == p.wall_distance_in
        assert math.isclose(rep.min_hip_to_wall_mm, truth, abs_tol=H2W_TOL_MM), (rep, truth)
