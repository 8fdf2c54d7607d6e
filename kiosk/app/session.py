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
from kiosk.app.cues import main_fault
from kiosk.app.flow import DRILL_SCREENS, Event, FlowParams, FlowState, Screen, flow_step
from kiosk.app.observe import Observation, Observer
from kiosk.app.results_writer import ResultsWriter
from kiosk.app.view import UNCLEAR_SHOW_S, build_view
from kiosk.app.view_model import ViewContext, ViewModel
from kiosk.core import Profile, RepResult
from kiosk.core.reps import Phase

log = logging.getLogger(__name__)

# Frames whose segmentation lost the athlete (mid-hinge, dark clothing, a depth dropout)
# must not blank the side view: the last silhouette seen is drawn until "cannot see you
# clearly" takes over (UNCLEAR_SHOW_S). Issue 15: the demo's 023-wall-hinge screenshot was
# such a frame: the body lost mid-hinge, the screen key turning "wall-hinge-unclear" 0.4 s
# later, and the owed "wall-hinge" picture taken from its last frame, an empty panel.
HOLD_BODY_S = UNCLEAR_SHOW_S + 0.1

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


class RepBottom:
    """The frames a verdict is shown on: of the rep in progress, the deepest (hips nearest the
    wall; without a wall, the most tilted trunk) and the one whose back was furthest off the
    dowel. When the rep is judged, `judged` holds (rep, frame): the frame of its main fault
    (the back's for a rounded back or a head out of line, else the deepest)."""

    def __init__(self, back_limit_mm: float) -> None:
        self.back_limit_mm = back_limit_mm
        self.judged: tuple[RepResult, Observation] | None = None
        self._deep: tuple[float, Observation] | None = None
        self._back: tuple[float, Observation] | None = None

    def reset(self) -> None:
        self.judged, self._deep, self._back = None, None, None

    def feed(self, obs: Observation) -> None:
        d = obs.drill
        if d.completed is not None:
            fault = main_fault(d.completed.faults)
            pick = self._back if fault in ("back_rounded", "head_not_neutral") and self._back else self._deep
            self.judged = (d.completed, pick[1]) if pick is not None else None
            self._deep = self._back = None
        if d.phase is not Phase.HINGE or not d.person or len(obs.body_xy_m) == 0 or obs.landmarks is None:
            return
        if d.hip_to_wall_mm is not None:
            depth = -d.hip_to_wall_mm
        elif d.trunk_angle_deg is not None:
            depth = d.trunk_angle_deg
        else:
            return
        if self._deep is None or depth > self._deep[0]:
            self._deep = (depth, obs)
        if d.dowel_gaps is not None:
            over = max(d.dowel_gaps.thoracic_mm, d.dowel_gaps.sacrum_mm) - self.back_limit_mm
            if self._back is None or over > self._back[0]:
                self._back = (over, obs)

    def for_verdict(self, flow: FlowState, live: Observation | None) -> Observation | None:
        """The judged rep's frame while its verdict shows, unless the athlete is already
        hinging into the next rep (then the live view)."""
        if flow.verdict is None or self.judged is None or self.judged[0] is not flow.verdict.rep:
            return None
        if live is not None and live.drill.phase is Phase.HINGE:
            return None
        return self.judged[1]


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
        self.bottom = RepBottom(profile.faults.max_back_gap_mm)
        self._seen: tuple[float, Observation] | None = None  # the last frame with a body, and when

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
        self.bottom.reset()
        self._seen = None

    def step(self, frame: DepthFrame, now_s: float) -> tuple[Event, ...]:
        # The facing is read on the arrival screens (and to decide an "auto" one) only.
        self.obs = self.observer.observe(frame, facing_wanted=self.flow.screen not in DRILL_SCREENS)
        self.bottom.feed(self.obs)
        if len(self.obs.body_xy_m):
            self._seen = (now_s, self.obs)
        before = self.flow.screen
        n_reps = len(self.flow.reps)
        self.flow, events = flow_step(self.flow, self.obs.tick(now_s), self.params)
        for ev in events:
            if ev is Event.NEW_SESSION:
                self.observer.new_session()
                self.bottom.reset()
            elif ev is Event.START_DRILL:
                self.observer.start_drill()
                self.bottom.reset()
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
            faults=self.profile.faults,
            drill=self.profile.drill,
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
        bottom = self.bottom.for_verdict(self.flow, self.obs)
        return build_view(self.flow, self.held(base.t_s), self.context(base), bottom)

    def held(self, now_s: float) -> Observation | None:
        """The observation to draw: this frame's, with the last seen silhouette (and its
        landmarks and wall) standing in for a body lost for under HOLD_BODY_S."""
        obs, seen = self.obs, self._seen
        if obs is None or len(obs.body_xy_m) or seen is None or now_s - seen[0] > HOLD_BODY_S:
            return obs
        last = seen[1]
        return replace(obs, body_xy_m=last.body_xy_m, landmarks=obs.landmarks or last.landmarks,
                       wall_x_m=obs.wall_x_m if obs.wall_x_m is not None else last.wall_x_m)
