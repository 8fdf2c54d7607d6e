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
from kiosk.app.results_writer import ResultsWriter
from kiosk.app.view import ViewContext, ViewModel, build_view
from kiosk.core import Profile, RepResult

log = logging.getLogger(__name__)

SOUNDS = {Event.START_DRILL: "start", Event.WALL_CONTACT: "wall", Event.REP_PASSED: "pass",
          Event.REP_FAILED: "fail"}


def saved_line(r: ResultsWriter) -> str:
    """The result screen's promise: "Saved" only once the store returned from writing it;
    a session dropped because its athlete was deleted meanwhile says so (never "retrying")."""
    if not r.enabled:
        return ""
    if r.current_saved:
        return "Saved on this kiosk"
    if r.current_dropped:
        return "Not saved: this athlete was deleted during the session"
    return f"Not saved yet ({r.problem or 'writing'}): kept, retrying"


class Player(Protocol):
    def play(self, name: str) -> bool: ...


class Session:
    """The station between calibrations: `step(frame, now_s)` per frame, `view(ctx)` after."""

    def __init__(self, calibration: Calibration, profile: Profile, params: FlowParams, audio: Player,
                 results: ResultsWriter | None = None) -> None:
        self.observer = Observer(calibration, profile)
        self.results = results or ResultsWriter(None)
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

    def reset(self, why: str = "reset by the operator") -> None:
        """Back to attract with a fresh analyzer (the operator's "reset session", or a demo
        recording starting over). Reps already taken are kept: the session is closed with
        `why` as its note, never thrown away."""
        self.results.finish(why)
        self.flow = FlowState()
        self.observer.new_session()

    def step(self, frame: DepthFrame, now_s: float) -> tuple[Event, ...]:
        self.obs = self.observer.observe(frame)
        before = self.flow.screen
        n_reps = len(self.flow.reps)
        self.flow, events = flow_step(self.flow, self.obs.tick(now_s), self.params)
        for ev in events:
            if ev is Event.NEW_SESSION:
                self.observer.new_session()
            elif ev is Event.START_DRILL:
                self.observer.start_drill()
                self.results.begin()
            if ev in SOUNDS:
                self.audio.play(SOUNDS[ev])
        if self.flow.screen in (Screen.DOWEL, Screen.WALL):
            d = self.obs.drill
            self.results.frame(self.obs.body_xy_m, d.hip_to_wall_mm, d.trunk_angle_deg)
        for judged in self.flow.reps[n_reps:]:  # written as each rep is judged, not at the end
            self.results.rep(judged)
        if self.flow.screen is not before:
            log.info("screen %s -> %s", before.value, self.flow.screen.value)
            if self.flow.screen is Screen.RESULT:
                self.finished.append(self.flow.reps)
                self.results.finish()
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
        # The loop's own line (check-in) wins over the station's.
        notice, alert = (base.notice, base.notice_alert) if base.notice else self._notice()
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
            saved=self._saved_line(),
            notice=notice,
            notice_alert=alert,
        )

    def _saved_line(self) -> str:
        return saved_line(self.results)

    def _notice(self) -> tuple[str, bool]:
        """The bottom line and whether it is a problem: storage faults first (the operator
        must see them), then who is up next."""
        warning = self.results.status()
        if warning is not None:
            return warning, True
        if self.flow.screen in (Screen.ATTRACT, Screen.DETECTED, Screen.STANCE):
            name = self.results.next_name()
            if name:
                return f"Next up: {name}", False
        return "", False

    def view(self, base: ViewContext) -> ViewModel:
        return build_view(self.flow, self.obs, self.context(base))
