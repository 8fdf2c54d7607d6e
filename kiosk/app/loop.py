"""The kiosk's main loop: read -> compute (session: observe, flow, view model) -> draw.

Collaborators come in (Frigate style): sources, profile, config, renderer, audio, clock,
supervisor (sd_notify). Modes: "calibrating" (no calibration yet: the first
`calibration_frames` raw frames, station clear), "running", and full-screen statuses:
no camera (the member reads "please tell staff"; in the operator menu, behind the PIN,
staff read why and S runs the simulated athlete; the camera is retried every few seconds),
config error, source error, and "something went wrong". No exception reaches the screen:
one in an iteration is logged with its traceback, shown as one line for `modes.ERROR_HOLD_S`,
and the station restarts (a third within a minute ends the process with code 1 so
systemd restarts it). READY goes to systemd after the first frame (or once a status
screen is the steady state); the watchdog is ticked every iteration. The source, its
calibration and the athlete's session on it are the Station's (station.py).
"""

from __future__ import annotations

import importlib.util
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from calibration.model import Calibration
from kiosk.analysis.depth_limit import depth_limit_m
from kiosk.app import modes
from kiosk.app.checkin import CheckIn
from kiosk.app.config import KioskConfig
from kiosk.app.flow import FlowParams, Screen
from kiosk.app.operator import Action, MenuMode, MenuState, menu_idle, menu_key
from kiosk.app.ports import Clock, Display, Mode, Sound, Supervisor, Transition, camera_text
from kiosk.app.results_writer import ResultsWriter
from kiosk.app.session import Session
from kiosk.app.shots import Screenshots
from kiosk.app.sources import FAILED_TITLE, KioskSources
from kiosk.app.station import Station
from kiosk.app.view_model import ViewContext, ViewModel, status_view
from kiosk.core import Profile

log = logging.getLogger(__name__)


def simulator_available() -> bool:
    """The simulated athlete can run here: Open3D (the `sim` extra) is installed."""
    return importlib.util.find_spec("open3d") is not None


# The console/journal line is for staff; the screen says only what a gym member can act on.
NO_CAMERA_LINE = "No camera found - operator menu (Tab, then the PIN): S runs the simulated athlete"
# A kiosk installed without the simulator (the Pi's lean install: no Open3D) offers no S.
NO_CAMERA_LINE_LEAN = "No camera found - check the USB 3 cable; the operator menu (Tab, then PIN) says why"
NO_CAMERA_TITLE = "Camera not connected"
NO_CAMERA_MEMBER = "Please tell a member of staff"
SIM_MENU_LINE = "S   Run the simulated athlete (no camera)"
ERROR_TITLE = "Something went wrong - the kiosk is restarting"
SOURCE_STOPPED_TITLE = "The camera source stopped"
SOURCE_UNOPENED_TITLE = "The camera source could not be opened"
MAX_ERRORS_PER_MIN = 3
TRANSITIONS_KEPT = 400
RESULT_SHOWN_S = 3.0  # --sessions: how long the last result stays up before the run ends


@dataclass
class LoopParts:
    sources: KioskSources
    profile: Profile
    cfg: KioskConfig
    display: Display
    audio: Sound
    clock: Clock
    supervisor: Supervisor
    config_error: str | None = None
    screenshot_dir: Path | None = None
    fps: float = 30.0
    results: ResultsWriter = field(default_factory=lambda: ResultsWriter(None))
    sync_status: Callable[[], str] | None = None  # the club-server sync, for the status corner
    # The latest screen changes (tests and support read them). Bounded: each holds its view
    # model, silhouette included, and a kiosk runs for weeks (an unbounded list grew RSS by
    # ~1 MiB per athlete in the 30-minute soak).
    transitions: deque[Transition] = field(default_factory=lambda: deque(maxlen=TRANSITIONS_KEPT))


class KioskLoop:
    def __init__(self, parts: LoopParts, spec: str) -> None:
        self.p = parts
        self.ms: modes.ModeState = modes.initial(parts.config_error)
        self.units = parts.cfg.display.units
        self.menu = MenuState()
        self.checkin = CheckIn()
        self.error_times: list[float] = []
        self.ready_sent = False
        self.shots = Screenshots(parts.screenshot_dir, parts.display.save,
                                 max_files=parts.cfg.screenshots.max_files)
        self.params = FlowParams.for_drill(parts.cfg.flow, parts.profile.drill.dowel_reps)
        self.station = Station(parts.sources, spec, parts.cfg.station.calibration_frames, self._new_session,
                               self._event, self._first_frame, self._ctx,
                               lambda cal: depth_limit_m(cal, parts.profile))

    @property
    def session(self) -> Session | None:
        """The athlete's session on the station's source (None: none running)."""
        return self.station.session

    def _new_session(self, cal: Calibration) -> Session:
        return Session(cal, self.p.profile, self.params, self.p.audio, self.p.results)

    # --- sources and modes ---------------------------------------------------------------

    def _event(self, ev: modes.ModeEvent) -> modes.Retry | None:
        """Step the modes (modes.mode_step) and apply the new state: systemd's status line
        on a change (and once per calibration, not per frame), READY once a status screen is steady;
        the console line for a missing live camera."""
        missing = isinstance(ev, modes.OpenFailed) and ev.live_camera
        if missing and self.ms.mode is not Mode.NO_CAMERA:  # once, not at every retry
            print(NO_CAMERA_LINE if simulator_available() else NO_CAMERA_LINE_LEAN, flush=True)
        ms, retry = modes.mode_step(self.ms, ev)
        if (ms.mode, ms.message) != (self.ms.mode, self.ms.message) or ev == modes.Opened(calibrated=False):
            self.p.supervisor.status(f"{ms.mode.value}: {ms.message}" if ms.message else ms.mode.value)
        self.ms = ms
        if ms.mode in (Mode.CONFIG_ERROR, Mode.NO_CAMERA, Mode.SOURCE_ERROR) and not self.ready_sent:
            self.ready_sent = True  # a status screen is this run's steady state
            self.p.supervisor.ready(ms.mode.value)
        return retry

    def _first_frame(self) -> None:
        if not self.ready_sent:
            self.ready_sent = True
            self.p.supervisor.ready("first frame")

    def _ctx(self, now_s: float) -> ViewContext:
        src = self.station.src
        cam = camera_text(src.status if src is not None else None)
        sync = (f"club sync: {self.p.sync_status()}",) if self.p.sync_status is not None else ()
        notice, alert = self.checkin.notice(now_s)
        staff: tuple[str, ...] = ()
        if self.ms.mode is Mode.NO_CAMERA and simulator_available():
            staff = (SIM_MENU_LINE,)
        return ViewContext(t_s=now_s, units=self.units, status=(cam, self.station.cal_note, *sync),
                           menu=self.menu, sound=self.p.audio.status, notice=notice, notice_alert=alert,
                           operator_lines=staff)

    def _status_view(self, now_s: float) -> ViewModel:
        ctx = self._ctx(now_s)
        if self.ms.mode is Mode.CONFIG_ERROR:
            fix = "Fix the file, then restart the kiosk (systemctl restart hinge-kiosk)"
            return status_view(ctx, "config-error", "Config error", (self.ms.message, fix))
        if self.ms.mode is Mode.NO_CAMERA:
            if self.menu.mode is MenuMode.OPEN:  # staff: why, in the menu's message line
                why = self.menu.message or f"Camera: {self.ms.message}"
                ctx = replace(ctx, menu=replace(self.menu, message=why))
            return status_view(ctx, "no-camera", NO_CAMERA_TITLE, (NO_CAMERA_MEMBER,))
        if self.ms.mode is Mode.ERROR:
            return status_view(ctx, "error", ERROR_TITLE, (self.ms.message,))
        if self.ms.mode is Mode.CAL_FAILED:
            return status_view(ctx, "calibration-failed", FAILED_TITLE, (self.ms.message,))
        title = SOURCE_STOPPED_TITLE if self.station.opened else SOURCE_UNOPENED_TITLE
        return status_view(ctx, "source-error", title, (self.ms.message,))

    # --- the loop ------------------------------------------------------------------------

    def step(self, now_s: float) -> ViewModel:
        """Compute one iteration's view (no drawing)."""
        retry = self._event(modes.Tick(now_s))
        if retry is modes.Retry.LIVE:
            self.station.open("live", now_s)
        elif retry is modes.Retry.SAME:  # keeping the calibration when there is one
            self.station.reopen(now_s)
        vm = None  # the station's view, None: the mode's status screen
        if self.ms.mode is Mode.CALIBRATING:
            vm = self.station.calibrating(now_s)
        elif self.ms.mode is Mode.RUNNING:
            vm = self.station.running(now_s)
        return vm if vm is not None else self._status_view(now_s)

    def _failed(self, err: Exception, now_s: float) -> bool:
        """Log an iteration's exception and show it as one line; False: too many, give up."""
        log.error("kiosk loop error", exc_info=err)
        self.error_times = [t for t in self.error_times if now_s - t < 60.0] + [now_s]
        line = (str(err).splitlines() or [""])[0][:120]
        try:
            self.station.close()
        except Exception as close_err:
            log.warning("closing the source after an error: %s", close_err)
        self._event(modes.Crashed(f"{type(err).__name__}: {line}" if line else type(err).__name__, now_s))
        return len(self.error_times) < MAX_ERRORS_PER_MIN

    def _keys(self, keys: list[str], now_s: float) -> int | None:
        """Handle key presses; an exit code when the kiosk should stop."""
        for key in keys:
            if key == "quit":
                return 0
            if (self.menu.mode is MenuMode.OPEN and key in ("s", "S") and self.ms.mode is Mode.NO_CAMERA
                    and simulator_available()):
                self.menu = replace(self.menu, mode=MenuMode.CLOSED, message="")  # staff only: behind the PIN
                log.info("operator: simulated athlete (no camera)")
                self.station.open("sim", now_s)
                continue
            if self.menu.mode is MenuMode.CLOSED and self.p.results.enabled and self.ms.mode is Mode.RUNNING:
                taken, code = self.checkin.key(key, now_s)  # badge scanners and typed ids
                if code is not None:
                    self.checkin.said(self.p.results.check_in(code), now_s)
                if taken:
                    continue
            self.menu, action = menu_key(self.menu, key, now_s, self.p.cfg.operator.effective_pin_hash)
            if action is Action.QUIT:
                return 0
            if action is Action.TOGGLE_UNITS:
                self.units = "cm" if self.units == "in" else "in"
            elif action is Action.TOGGLE_MUTE:
                self.p.audio.toggle_mute()
            elif action is Action.RESET_SESSION and self.session is not None:
                self.session.reset()
            elif action is Action.RECALIBRATE and self.ms.mode is not Mode.CONFIG_ERROR:
                self.station.recalibrate(now_s)
            if action is not None:
                log.info("operator: %s", action.value)
        self.menu = menu_idle(self.menu, now_s)
        return None

    def _record(self, index: int, now_s: float, vm: ViewModel) -> None:
        t = self.p.transitions
        if not t or t[-1].key != vm.key:
            flow = self.session.flow if self.session is not None and self.ms.mode is Mode.RUNNING else None
            t.append(Transition(index, now_s, vm.key, vm, flow))
            # A status screen's reason goes into the journal too, not only onto the screen.
            if self.ms.message and self.ms.mode is not Mode.RUNNING:
                log.info("screen: %s: %s", vm.key, self.ms.message)
            else:
                log.info("screen: %s", vm.key)

    def _sessions_done(self, now_s: float) -> int:
        """Finished athletes; the latest counts once its result has been on screen a while
        (so a demo's result screenshot and cue are taken before it stops)."""
        s = self.session
        if s is None or not s.finished:
            return 0
        showing = s.flow.screen is Screen.RESULT and now_s - s.flow.since_s < RESULT_SHOWN_S
        return len(s.finished) - (1 if showing else 0)

    def run(self, max_frames: int | None = None, max_sessions: int | None = None) -> int:
        """Loop until quit (exit 0), `max_frames` iterations (0), `max_sessions` athletes
        shown their result for RESULT_SHOWN_S (0), or repeated errors (1)."""
        clock, period_s = self.p.clock, 1.0 / self.p.fps
        if self.ms.mode is Mode.CONFIG_ERROR:
            self._event(modes.Tick(clock.now_s()))  # READY: the config-error screen is the steady state
        else:
            self.station.open(self.station.spec, clock.now_s())
        index = 0
        try:
            while max_frames is None or index < max_frames:
                now_s = clock.now_s()
                try:
                    code = self._keys(self.p.display.poll(), now_s)
                    if code is not None:
                        return code
                    vm = self.step(now_s)
                    self.shots.before_draw(vm.key, now_s)
                    self.p.display.draw(vm)
                except Exception as err:
                    if not self._failed(err, now_s):
                        return 1
                    vm = self._status_view(now_s)
                    self.shots.before_draw(vm.key, now_s)
                    self.p.display.draw(vm)  # a failure drawing the status screen itself ends the run
                self.shots.after_draw(now_s)
                self._record(index, now_s, vm)
                self.p.results.poll(now_s)
                self.p.supervisor.tick()
                if max_sessions is not None and self._sessions_done(now_s) >= max_sessions:
                    return 0
                clock.pace(period_s)
                index += 1
            return 0
        finally:
            self.shots.flush()
            self.station.close()
            self.p.results.close()
