"""The station as the kiosk loop (loop.py) runs it: one source at a time, its calibration,
and the athlete's Session on its frames.

- `open(spec)` starts the source a source word names (kiosk/app/sources.py). With a
  calibration kept from before (a retry, the end of calibrating) or stored for a live
  camera, a Session measures its frames; without one the station first collects raw
  frames, station clear (`Calibrating`), fits the calibration and opens the source again,
  measuring.
- Each iteration reads one frame: for the calibration, or for the Session (what the
  athlete teaches the station, `Observer.learnt`, is saved for a live camera). A recording
  at its end starts over or ends; no frame for CAMERA_LOST_S, or a camera that says it is
  disconnected, shows "camera disconnected" while the source reconnects by itself.

What happened goes to the loop as a mode event (kiosk/app/modes.py) through `event`; the
loop applies it (systemd's status line, READY) and shows its status screen when a step
returns no view. Times in seconds on the loop's clock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from calibration.errors import CalibrationError
from calibration.model import Calibration
from hardware.source import FrameSource, SourceError, SourceState
from kiosk.analysis.presegment import SegmentStage
from kiosk.app import modes
from kiosk.app.session import Session
from kiosk.app.sources import TITLE, Calibrating, KioskSources
from kiosk.app.view_model import ViewContext, ViewModel, status_view
from kiosk.sources import source_kind

log = logging.getLogger("kiosk.app.loop")  # the loop's journal lines under one name

CAMERA_LOST_S = 0.7  # no frame for this long: "camera disconnected" (issue 6: within 1 s)
READ_TIMEOUT_S = 0.25  # a live camera delivers every 33 ms; shorter waits keep the loop (and watchdog) going


class Station:
    """`new_session` starts a Session with a calibration; `event` applies a mode event (the
    loop's modes), `first_frame` is told of each frame read (READY after the first) and
    `context` makes the view's context at a time (status corner, operator menu)."""

    def __init__(self, sources: KioskSources, spec: str, calibration_frames: int,
                 new_session: Callable[[Calibration], Session],
                 event: Callable[[modes.ModeEvent], object], first_frame: Callable[[], None],
                 context: Callable[[float], ViewContext],
                 depth_limit: Callable[[Calibration], float | None] = lambda _cal: None) -> None:
        self.sources = sources
        self._depth_limit = depth_limit  # kiosk/analysis/depth_limit.py, for the measuring source
        self.spec = spec
        self.calibration_frames = calibration_frames
        self._new_session = new_session
        self._event = event
        self._first_frame = first_frame
        self._context = context
        self.src: FrameSource | None = None
        self.session: Session | None = None
        self.calib: Calibrating | None = None
        self.cal_note = "not calibrated"
        self.last_frame_s = 0.0
        self.opened = False  # the last source asked for did open (the error title says which)
        self._staged: Calibration | None = None  # the calibration the capture process segments with

    def close(self) -> None:
        if self.src is not None:
            self.src.close()
            self.src = None

    def open(self, spec: str, now_s: float, force_calibration: bool = False,
             keep: Calibration | None = None) -> None:
        """Start `spec`: running with `keep` or the stored calibration, else calibrating."""
        self.close()
        self.spec = spec
        self._staged = None
        cal = keep or (None if force_calibration else self.sources.stored_calibration(spec))
        self.opened = False
        try:
            if cal is None:
                self.src = self.sources.open(spec, for_calibration=True)
            else:
                self.src = self.sources.open(spec, depth_limit_m=self._depth_limit(cal))
        except SourceError as err:
            self._event(modes.OpenFailed(str(err), live_camera=source_kind(spec).live_camera, now_s=now_s))
            return
        self.opened = True
        if cal is None:
            self.calib = Calibrating(spec, self.calibration_frames)
            self._event(modes.Opened(calibrated=False))
        else:
            self.cal_note = self.cal_note if keep is not None else "calibrated"
            self.session = self._new_session(cal)
            self._event(modes.Opened(calibrated=True))
        self.last_frame_s = now_s

    def reopen(self, now_s: float) -> None:
        """The same source again (after an error or a failed calibration), keeping the
        session's calibration when there is one."""
        keep = self.session.calibration if self.session is not None else None
        self.open(self.spec, now_s, force_calibration=keep is None, keep=keep)

    def recalibrate(self, now_s: float) -> None:
        """The operator's recalibration: no session until the station is calibrated again."""
        self.session = None
        self.open(self.spec, now_s, force_calibration=True)

    def calibrating(self, now_s: float) -> ViewModel | None:
        """One iteration while calibrating: a raw frame for the calibration, fitted and kept
        once enough came (the source then opens again, measuring). The calibrating screen;
        None when the fit failed (the loop's status screen says why)."""
        assert self.src is not None and self.calib is not None
        f = self.src.read(1.0)
        if f is not None:
            self._first_frame()
        self.calib.add(f)
        ended = f is None and not self.src.online
        if self.calib.ready(ended):
            self.close()
            try:
                cal, self.cal_note = self.calib.finish(self.sources)
            except CalibrationError as err:
                self._event(modes.CalibrationFailed(str(err), now_s))
                return None
            self.open(self.spec, now_s, keep=cal)
        elif ended:
            self._event(modes.SourceEnded("the source ended before calibration frames arrived"))
        return status_view(self._context(now_s), "calibrating", TITLE, self.calib.lines(), alert=False)

    def running(self, now_s: float) -> ViewModel | None:
        """One measuring iteration: a frame for the Session. Its screen, or "camera
        disconnected"; None when the recording ended for good (the loop's status screen)."""
        assert self.src is not None and self.session is not None
        self._stage(self.session)
        f = self.src.read(READ_TIMEOUT_S)
        if f is not None:
            self._first_frame()
            self.last_frame_s = now_s
            self.session.step(f, now_s)
            if (learnt := self.session.observer.learnt) is not None:  # facing or heading, from the athlete
                self._keep_learnt(learnt)
        elif self.src.status.state is SourceState.ENDED:
            if not self.sources.restart_at_end(self.spec):
                self.close()
                self._event(modes.SourceEnded("the recording has ended"))
                return None
            self.close()
            self.src = self.sources.open(self.spec, depth_limit_m=self._depth_limit(self.session.calibration))
            self._staged = None
            self.session.reset("the demo recording started over")
        elif (now_s - self.last_frame_s > CAMERA_LOST_S
              or self.src.status.state is SourceState.DISCONNECTED):
            return status_view(self._context(now_s), "camera-lost", "Camera disconnected - reconnecting",
                               (self.src.status.message,))
        return self.session.view(self._context(now_s))

    def _stage(self, session: Session) -> None:
        """A capture process segments each frame ahead of the loop with the session's
        calibration (kiosk/analysis/presegment.py): told again whenever that changes. Asked
        of the source by name, not type, so a wrapper around one (a benchmark's) passes it on;
        other sources have no stage."""
        cal = session.calibration
        if cal is self._staged or self.src is None:
            return
        self._staged = cal
        set_stage = getattr(self.src, "set_stage", None)
        if callable(set_stage):
            set_stage(SegmentStage.of(cal, session.observer.profile))

    def _keep_learnt(self, cal: Calibration) -> None:
        """Save what the station learnt from an athlete (live camera: the next start uses it)."""
        if source_kind(self.spec).live_camera:
            note = self.sources.keep(self.spec, cal)
            log.info("learnt from the athlete (facing %s, heading): %s", cal.facing, note)
