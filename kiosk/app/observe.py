"""Depth frame -> what the kiosk's flow and screen need: the drill frame plus the athlete's
side-view points, landmarks, whether the feet are on the station spot, the facing, and
whether the athlete can be seen clearly enough to be judged.

Wraps `kiosk.analysis.analyzer.FrameAnalyzer` through its public API: `process()` gives
one FrameResult a frame (the drill's frame with the wall's x and contact, the metrics and
landmarks for the dowel markers, the athlete's points for the silhouette, segmented once
by the analyzer); `restart_drill`, `recalibrated` and a new analyzer per athlete are the
operations. World frame of the calibration, metres.

"Unclear": someone is in the station but the core cannot measure them (landmarks not
found: dark clothing or sunlight leaving holes, half the body out of view) or a second
person is in the zone. The flow keeps the athlete's session going and counts nothing;
the screen says why in plain words.

Heading: an oblique camera's calibration has world +x along the image axis, not the
athlete's forward. A HeadingLearner (orient_live.py) measures the true heading from the
first deep hinge; the corrected calibration replaces the current one between reps, with the
athlete's session (drill, reps, clock, stature) carried into the new frame, and every later
athlete starts with it.
"""

from __future__ import annotations

import logging
from collections import Counter, deque
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from calibration.facing import detect_facing
from calibration.model import Calibration
from calibration.pose import image_facing_of_forward
from hardware.frame import DepthFrame
from kiosk.analysis.analyzer import NOMINAL_PERIOD_S, FrameAnalyzer, FrameResult
from kiosk.app.flow import FlowTick
from kiosk.app.orient_live import HeadingLearner, moved_reference
from kiosk.core import DrillFrame, Landmarks, Profile
from kiosk.core.profile import median
from kiosk.core.reps import Phase

log = logging.getLogger(__name__)

XY = npt.NDArray[np.float32]
_EMPTY_XY: XY = np.zeros((0, 2), dtype=np.float32)
_FEET_TOP_M = 0.15
_UPRIGHT_DEG = 15.0  # feet-based facing is asked only of an upright athlete
_FACING_WINDOW_S = 1.5  # upright frames of this long ago or less vote on the facing
# A facing is decided on votes spanning at least this long (the same time at 6 fps as at
# 90: 6 frames were 0.83 s at 6 fps and 0.06 s at 90) and never on fewer than
# _FACING_MIN_VOTES: an "auto" facing, once decided, turns the world frame for good.
_FACING_MIN_SPAN_S = 0.2
_FACING_MIN_VOTES = 3
_FACING_AGREE = 0.75


@dataclass(frozen=True, eq=False)
class Observation:
    """One frame for the flow and the view.

    body_xy_m: (M, 2) world x, y of the athlete's points (empty: nobody). on_spot: feet
    centre inside the calibration's station box. facing_ok: None until the feet have told.
    wall_x_m: the virtual wall's x (wall drill only; the core's DrillFrame.wall_x_m).
    """

    drill: DrillFrame
    unclear: str  # "" = measured; else why the athlete cannot be judged (UNCLEAR_* below)
    body_xy_m: XY
    landmarks: Landmarks | None
    on_spot: bool
    facing_ok: bool | None
    wall_x_m: float | None

    def tick(self, t_s: float) -> FlowTick:
        d = self.drill
        # Presence is "someone is there" (the segmented body), not "measured": holes in the
        # depth must not read as the athlete walking away.
        present = d.person or bool(self.unclear)
        return FlowTick(t_s=t_s, person=present, on_spot=self.on_spot, facing_ok=self.facing_ok,
                        unclear=bool(self.unclear),
                        phase=d.phase, stage=d.stage,
                        touching_wall=d.touching_wall,
                        completed=d.completed)


UNCLEAR_SECOND = "second person"
UNCLEAR_BODY = "body not clear"
# An athlete last seen on the station spot who vanishes from one frame to the next has
# not left (leaving means walking off the spot first, seen): dark clothing, sunlight or a
# blinded camera has hidden them. For this long that reads as "cannot see you clearly", not
# as an empty station.
VANISH_S = 3.0
_MAX_STEP_S = 2.0  # a longer gap between frames is a clock jump, not time that passed


class Observer:
    """Stateful: one analyzer per athlete session; the calibration outlives sessions (its
    facing may be decided by the first athlete when it is "auto")."""

    def __init__(self, calibration: Calibration, profile: Profile) -> None:
        self.calibration = calibration
        self.profile = profile
        self._votes: deque[tuple[float, str]] = deque()  # (frame time s, facing seen)
        self._last_seen_on_spot = False  # where the body was the last time it was seen
        self._last_seen_s = float("-inf")
        self._clock_s = 0.0  # the observer's own seconds: monotonic across sessions and clock jumps
        self._last_stamp_s: float | None = None
        self.analyzer = FrameAnalyzer(calibration, profile, pause_on_second_person=True)
        self._presegmented = 0  # frames of analyzers before this one that came segmented
        self.heading = HeadingLearner(calibration)
        self._turned: Calibration | None = None  # the heading's calibration, waiting for a gap between reps
        self._last: FrameResult | None = None  # the analyzer's last frame (a turn moves its reference)
        # The calibration the athlete taught in the last observe() (facing decided, heading
        # turned), for the station to keep; None when nothing was learnt in that frame.
        self.learnt: Calibration | None = None

    @property
    def presegmented(self) -> int:
        """Frames so far whose athlete came picked out by the capture process (presegment.py)."""
        return self._presegmented + self.analyzer.presegmented

    @property
    def forward_is_image_right(self) -> bool:
        """The display draws the athlete as the camera sees them: world +x on this side."""
        return image_facing_of_forward(self.calibration.pose) == "right"

    def new_session(self) -> None:
        """A fresh analyzer (pipeline, drill, reps) for the next athlete (in the learnt heading's
        frame when one is waiting: there is no session to carry over)."""
        if self._turned is not None:  # learnt, never applied between reps: the station keeps it now
            self.calibration, self._turned = self._turned, None
            self.learnt = self.calibration
        self._presegmented += self.analyzer.presegmented
        self.analyzer = FrameAnalyzer(self.calibration, self.profile, pause_on_second_person=True)
        self._last = None
        self._votes.clear()

    def start_drill(self) -> None:
        """Restart the drill from its first stage, keeping the rep machine's standing
        reference so the first rep can start at once."""
        self.analyzer.restart_drill()

    def set_calibration(self, calibration: Calibration) -> None:
        """A new calibration (the operator's, or the facing just decided): its heading is
        learnt again from the next hinge, and the session starts over."""
        self.calibration = calibration
        self.heading = HeadingLearner(calibration)
        self._turned = None
        self.new_session()

    def _tick(self, frame: DepthFrame) -> float:
        """Seconds on the observer's clock: the frames' own time steps, a step that goes back
        or jumps (a camera clock reset) counted as one nominal period."""
        step = 0.0 if self._last_stamp_s is None else frame.timestamp_s - self._last_stamp_s
        self._last_stamp_s = frame.timestamp_s
        self._clock_s += step if 0.0 < step <= _MAX_STEP_S else NOMINAL_PERIOD_S
        return self._clock_s

    def observe(self, frame: DepthFrame, facing_wanted: bool = True) -> Observation:
        """`facing_wanted`: the flow reads this frame's facing (not on a drill screen); else
        facing_ok is None unless an "auto" calibration is still to be decided."""
        a = self.analyzer
        now_s = self._tick(frame)
        self.learnt = None
        res = self._last = a.process(frame)
        out, m, body = res.drill, res.metrics, res.body_m
        lm = m.landmarks if m.person else None
        second = m.second_person
        on_spot = self._on_spot(body)
        if len(body):
            self._last_seen_on_spot, self._last_seen_s = on_spot, now_s
        vanished = len(body) == 0 and self._last_seen_on_spot and now_s - self._last_seen_s <= VANISH_S
        unclear = UNCLEAR_SECOND if second else (
            UNCLEAR_BODY if (len(body) > 0 or vanished) and not out.person else "")
        facing_ok = self._facing(body, out, on_spot, now_s, facing_wanted) if out.person else None
        obs = Observation(drill=out, unclear=unclear,
                          body_xy_m=np.ascontiguousarray(body[:, :2]) if len(body) else _EMPTY_XY,
                          landmarks=lm, on_spot=on_spot, facing_ok=facing_ok, wall_x_m=out.wall_x_m)
        # This frame is drawn in the frame it was measured in; a turn applies from the next.
        if self.analyzer is a:  # (a facing decided above has just started over)
            learnt = self.heading.feed(body, out)
            if learnt is not None and learnt.calibration is not None:
                self._turned = learnt.calibration
            if self._turned is not None:
                self._turn_between_reps()
        return obs

    def _turn_between_reps(self) -> None:
        """Swap in the learnt heading's calibration without ending the athlete's session,
        once the rep machine is between reps on a clearly seen frame. The drill (stage, wall,
        judged reps), the rep list, the clock and the stature carry over; the smoother (world
        x values of the old frame) starts again and settles in a few frames; the rep
        machine's standing reference is moved into the new frame so the next rep can start
        at once, and is taken afresh there after the next still half-second."""
        a, new = self.analyzer, self._turned
        assert a.drill is not None and new is not None
        rs = a.drill.reps_state
        if rs.phase is Phase.HINGE:
            return
        ref = rs.reference
        if ref is not None:
            last = self._last
            lm = last.metrics.landmarks if last is not None else None
            if last is None or lm is None or last.metrics.second_person or len(last.body_m) == 0:
                return  # the reference moves with a standing frame's landmarks: wait for one
            ref = moved_reference(ref, last.body_m, lm, self.calibration, new, self.profile,
                                  a.pipeline.stature_m, a.pipeline.heel_offset_m)
            if ref is None:
                return
        b = a.recalibrated(new, ref)
        self._presegmented += a.presegmented
        self.analyzer, self.calibration, self._turned, self._last = b, new, None, None
        self.learnt = new
        log.info("calibration turned onto the athlete's forward mid-session (%d reps kept, %s)",
                 len(b.reps), rs.phase.value)

    def _on_spot(self, body: npt.NDArray[np.float32]) -> bool:
        feet = body[body[:, 1] < _FEET_TOP_M] if len(body) else body
        if len(feet) < 20:
            return False
        fx, fz = feet[:, 0].astype(np.float64), feet[:, 2].astype(np.float64)
        centre = np.array([[median(fx), 0.05, median(fz)]])
        return bool(self.calibration.zone.contains(centre)[0])

    def _facing(
        self, body: npt.NDArray[np.float32], out: DrillFrame, on_spot: bool, now_s: float, wanted: bool
    ) -> bool | None:
        """Vote the image facing from the feet of upright frames on the spot (walking feet
        mislead); with an "auto" calibration the first clear majority decides it for good
        (the world frame turns to match).

        Feet vote only where the facing is read (`wanted`: the arrival screens) or while an
        "auto" facing is undecided: reading them is ~0.1-0.2 ms of the loop's thread, and in
        a drill (most frames) nobody reads it. Back on an arrival screen after a drill, the
        votes are those cast since, so the stance screen says "checking" until upright frames
        have voted for _FACING_MIN_SPAN_S (0.33 s at 6 fps: 3 votes); catching
        up on the drill's frames instead would cost one frame 5-15 ms here (30-90 ms on a
        Pi 4's core)."""
        if not wanted and self.calibration.facing != "auto":
            return None
        upright = out.trunk_angle_deg is not None and out.trunk_angle_deg < _UPRIGHT_DEG
        if len(body) and on_spot and upright:
            seen = detect_facing(body.astype(np.float64), self.calibration.pose)
            if seen is not None:
                self._votes.append((now_s, seen))
        while self._votes and now_s - self._votes[0][0] > _FACING_WINDOW_S:
            self._votes.popleft()
        decided = _majority(list(self._votes))
        if decided is None:
            return None
        if self.calibration.facing == "auto":
            log.info("athlete faces %s: calibration facing decided", decided)
            votes = list(self._votes)
            self.set_calibration(self.calibration.with_facing(decided))  # type: ignore[arg-type]
            self.learnt = self.calibration
            self._votes.extend(votes)
            return True
        return decided == self.calibration.facing


def _majority(votes: list[tuple[float, str]]) -> str | None:
    """The facing most (_FACING_AGREE) of the (time s, facing) votes agree on, once they span
    _FACING_MIN_SPAN_S and number _FACING_MIN_VOTES; None before or without such a majority."""
    if len(votes) < _FACING_MIN_VOTES or votes[-1][0] - votes[0][0] < _FACING_MIN_SPAN_S - 1e-9:
        return None
    (top, n), *_ = Counter(v for _, v in votes).most_common(1)
    return top if n >= _FACING_AGREE * len(votes) else None
