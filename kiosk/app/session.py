"""One running station: frames -> observation -> flow -> events and view model.

Holds the Observer (analyzer per athlete, calibration kept) and the flow state, and turns
the flow's events into their effects: a fresh analyzer for a new athlete, a drill reset at
the start of the drill, and the sound cues. Compute only: the loop draws.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Protocol

from calibration.model import Calibration
from hardware.frame import DepthFrame
from kiosk.app.flow import Event, FlowParams, FlowState, Screen, flow_step
from kiosk.app.observe import Observation, Observer
from kiosk.app.view import ViewContext, ViewModel, build_view
from kiosk.core import Profile, RepResult

log = logging.getLogger(__name__)

SOUNDS = {Event.START_DRILL: "start", Event.WALL_CONTACT: "wall", Event.REP_PASSED: "pass",
          Event.REP_FAILED: "fail"}


class Player(Protocol):
    def play(self, name: str) -> bool: ...


class Session:
    """The station between calibrations: `step(frame, now_s)` per frame, `view(ctx)` after."""

    def __init__(self, calibration: Calibration, profile: Profile, params: FlowParams, audio: Player) -> None:
        self.observer = Observer(calibration, profile)
        self.profile = profile
        self.params = params
        self.audio = audio
        self.flow = FlowState()
        self.obs: Observation | None = None
        # Reps of each athlete whose result screen has been shown, oldest first.
        self.finished: list[tuple[RepResult, ...]] = []

    @property
    def calibration(self) -> Calibration:
        return self.observer.calibration

    def reset(self) -> None:
        """Operator's "reset session": back to attract with a fresh analyzer."""
        self.flow = FlowState()
        self.observer.new_session()

    def step(self, frame: DepthFrame, now_s: float) -> tuple[Event, ...]:
        self.obs = self.observer.observe(frame)
        before = self.flow.screen
        self.flow, events = flow_step(self.flow, self.obs.tick(now_s), self.params)
        for ev in events:
            if ev is Event.NEW_SESSION:
                self.observer.new_session()
            elif ev is Event.START_DRILL:
                self.observer.start_drill()
            if ev in SOUNDS:
                self.audio.play(SOUNDS[ev])
        if self.flow.screen is not before:
            log.info("screen %s -> %s", before.value, self.flow.screen.value)
            if self.flow.screen is Screen.RESULT:
                self.finished.append(self.flow.reps)
        rep = self.obs.drill.completed
        if rep is not None:
            log.info("rep %d (%s, wall %.0f in): %s %s", rep.index, rep.drill, rep.wall_distance_in,
                     "pass" if rep.passed else "fail", ",".join(rep.faults))
        return events

    def context(self, base: ViewContext) -> ViewContext:
        """The station's part of the view context (geometry, limits, stance progress)."""
        cal = self.observer.calibration
        f = self.profile.faults
        hold_s = self.params.cfg.stance_hold_s
        ok_since = self.flow.ok_since_s
        progress = None
        if ok_since is not None:
            progress = min(1.0, (base.t_s - ok_since) / hold_s) if hold_s > 0 else 1.0
        return replace(
            base,
            station_x_m=cal.zone.centre_x_m,
            mirror=not self.observer.forward_is_image_right,
            gap_limit_head_mm=f.max_head_gap_mm if f.max_head_gap_mm is not None else f.max_back_gap_mm,
            gap_limit_back_mm=f.max_back_gap_mm,
            wall_tolerance_mm=f.wall_tolerance_mm,
            dowel_reps=self.profile.drill.dowel_reps,
            step_in=self.profile.drill.step_in,
            max_fails=self.profile.drill.max_fails_per_distance,
            required_facing=cal.facing,
            stance_progress=progress,
        )

    def view(self, base: ViewContext) -> ViewModel:
        return build_view(self.flow, self.obs, self.context(base))
