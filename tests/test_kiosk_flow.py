"""The kiosk's screen flow on synthetic frames: attract -> detected -> stance -> dowel ->
wall -> result -> attract, the stance gate, verdicts, wall contact and the two ways a
drill ends. Pure: no camera, no pygame."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from kiosk.app.flow import Event, FlowConfig, FlowParams, FlowState, FlowTick, Screen, flow_step, screen_key
from kiosk.core.drill import RepResult
from kiosk.core.reps import Phase

FPS = 30.0
PARAMS = FlowParams(cfg=FlowConfig(), first_stage="dowel")


def rep(index: int, drill: str = "dowel", faults: tuple[str, ...] = (), wall_in: float = 6.0) -> RepResult:
    return RepResult(index=index, start_s=0.0, bottom_s=1.0, end_s=2.0, wall_distance_in=wall_in,
                     min_hip_to_wall_mm=0.0, max_knee_flexion_deg=18.0, max_trunk_angle_deg=60.0,
                     faults=faults, passed=not faults, drill="wall" if drill == "wall" else "dowel")


class Run:
    """Feeds ticks at 30 fps and keeps every event and screen key seen."""

    def __init__(self, params: FlowParams = PARAMS) -> None:
        self.params = params
        self.state = FlowState()
        self.t_s = 0.0
        self.events: list[Event] = []
        self.keys: list[str] = ["attract"]

    def feed(self, seconds: float, **tick: object) -> FlowState:
        for _ in range(max(1, round(seconds * FPS))):
            self.once(**tick)
        return self.state

    def screen(self) -> Screen:  # a call, so type checkers do not narrow it across feeds
        return self.state.screen

    def once(self, **tick: object) -> FlowState:
        self.t_s += 1.0 / FPS
        self.state, events = flow_step(self.state, FlowTick(t_s=self.t_s, **tick), self.params)  # type: ignore[arg-type]
        self.events.extend(events)
        if screen_key(self.state) != self.keys[-1]:
            self.keys.append(screen_key(self.state))
        return self.state


STANDING = {"person": True, "on_spot": True, "facing_ok": True, "phase": Phase.READY}


def to_drill(run: Run) -> None:
    run.feed(1.0, person=False)  # empty station
    run.feed(1.0, person=True)  # walking in, not on the spot yet
    run.feed(0.5, person=True, on_spot=True, phase=Phase.SETTLING)
    run.feed(1.0, **STANDING)
    assert run.screen() is Screen.DOWEL


def collapse(keys: Iterable[str]) -> list[str]:
    out: list[str] = []
    for k in keys:
        if not out or out[-1] != k:
            out.append(k)
    return out


def test_walk_up_to_the_dowel_drill() -> None:
    run = Run()
    run.feed(1.0, person=False)
    assert run.screen() is Screen.ATTRACT
    run.feed(0.5, person=True)
    assert run.screen() is Screen.DETECTED and Event.NEW_SESSION in run.events
    run.feed(0.5, person=True, on_spot=True, facing_ok=None, phase=Phase.SETTLING)
    assert run.screen() is Screen.STANCE and run.state.stance_hint == "checking"
    run.feed(0.5, person=True, on_spot=True, facing_ok=True, phase=Phase.SETTLING)
    assert run.state.stance_hint == "still"
    run.feed(0.3, **STANDING)
    assert run.screen() is Screen.STANCE and run.state.stance_hint == "hold"
    run.feed(0.3, **STANDING)
    assert run.screen() is Screen.DOWEL and Event.START_DRILL in run.events
    assert run.keys == ["attract", "detected", "stance", "dowel"]


def test_wrong_facing_never_starts_the_drill() -> None:
    run = Run()
    run.feed(0.5, person=True)
    run.feed(5.0, person=True, on_spot=True, facing_ok=False, phase=Phase.READY)
    assert run.screen() is Screen.STANCE and run.state.stance_hint == "turn"
    assert Event.START_DRILL not in run.events


def test_no_rep_counts_while_walking_in_or_adjusting() -> None:
    run = Run()
    run.feed(0.5, person=True)
    # The core completes a "rep" while the athlete is still arriving: not shown, not kept.
    run.once(person=True, on_spot=True, phase=Phase.SETTLING, completed=rep(0))
    run.once(person=True, on_spot=False, phase=Phase.SETTLING, completed=rep(1))
    assert run.state.reps == () and run.state.verdict is None
    assert Event.REP_PASSED not in run.events


def test_stepping_off_the_spot_during_stance_goes_back_to_detected() -> None:
    run = Run()
    run.feed(0.5, person=True)
    run.feed(0.3, **STANDING)
    run.feed(1.0, person=True, on_spot=False)
    assert run.screen() is Screen.DETECTED


def test_verdicts_then_wall_drill_then_result_after_two_fails() -> None:
    run = Run()
    to_drill(run)
    run.once(**STANDING, completed=rep(0))
    assert screen_key(run.state) == "dowel-pass" and Event.REP_PASSED in run.events
    run.feed(1.0, **STANDING, stage="wall")  # the dowel stage is over; the verdict still shows
    assert screen_key(run.state) == "dowel-pass"
    run.feed(2.0, **STANDING, stage="wall")
    assert run.screen() is Screen.WALL
    # A wall rep: the hips reach the wall once -> one blip, however long they stay there.
    hinging = {**STANDING, "phase": Phase.HINGE, "stage": "wall"}
    run.feed(0.5, **hinging, touching_wall=False)
    assert screen_key(run.state) == "wall-hinge"
    run.feed(0.5, **hinging, touching_wall=True)
    assert run.events.count(Event.WALL_CONTACT) == 1
    run.once(**STANDING, stage="wall", completed=rep(1, "wall", wall_in=6.0))
    run.feed(3.0, **STANDING, stage="wall")
    run.once(**STANDING, stage="wall", completed=rep(2, "wall", ("wall_not_reached",), wall_in=8.0))
    assert screen_key(run.state) == "wall-fail" and Event.REP_FAILED in run.events
    run.feed(3.0, **STANDING, stage="wall")
    run.once(**STANDING, stage="done", completed=rep(3, "wall", ("wall_not_reached",), wall_in=8.0))
    assert screen_key(run.state) == "wall-fail"  # the last verdict is shown before the result
    run.feed(3.0, **STANDING, stage="done")
    assert run.screen() is Screen.RESULT and run.state.ended_by == "done"
    assert len(run.state.reps) == 4
    run.feed(2.0, **STANDING, stage="done")  # still there: the result stays
    assert run.screen() is Screen.RESULT
    run.feed(5.0, person=False)
    assert run.screen() is Screen.ATTRACT
    assert collapse(k.split("-")[0] for k in run.keys) == [
        "attract", "detected", "stance", "dowel", "wall", "result", "attract"]


def test_stepping_away_mid_drill_ends_the_session() -> None:
    run = Run()
    to_drill(run)
    run.once(**STANDING, completed=rep(0))
    run.feed(1.0, person=False)
    assert run.screen() is Screen.DOWEL  # a moment out of view is not leaving
    run.feed(1.5, person=False)
    assert run.screen() is Screen.RESULT and run.state.ended_by == "away"
    assert Event.SESSION_END in run.events


def test_stepping_away_before_any_rep_goes_back_to_attract() -> None:
    run = Run()
    to_drill(run)
    run.feed(3.0, person=False)
    assert run.screen() is Screen.ATTRACT


def test_someone_staying_after_the_result_starts_a_new_session() -> None:
    params = FlowParams(cfg=FlowConfig(result_max_s=5.0))
    run = Run(params)
    to_drill(run)
    run.once(**STANDING, completed=rep(0))
    run.feed(2.5, person=True, on_spot=False)
    assert run.screen() is Screen.RESULT
    run.events.clear()
    run.feed(6.0, **STANDING)
    assert Event.NEW_SESSION in run.events and Event.START_DRILL in run.events
    assert run.screen() is Screen.DOWEL and run.state.reps == ()


def test_wall_first_when_the_profile_has_no_dowel_reps() -> None:
    run = Run(replace(PARAMS, first_stage="wall"))
    run.feed(0.5, person=True)
    run.feed(1.0, **STANDING, stage="wall")
    assert run.screen() is Screen.WALL and "dowel" not in run.keys
