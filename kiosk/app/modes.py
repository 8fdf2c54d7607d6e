"""The kiosk loop's modes as a pure state machine: `mode_step(state, event)` ->
(state, what to do), in the style of flow.py. The loop (loop.py) turns the sources'
outcomes into events, applies the new state (status line, systemd READY) and does what
the step asks (open the camera again); nothing here touches a source or the screen.

Modes (ports.Mode): CONFIG_ERROR (for good: the file must be fixed), CALIBRATING,
RUNNING, and the full-screen statuses NO_CAMERA (a live camera missing: retried every
RETRY_CAMERA_S), SOURCE_ERROR (a recording or simulator that failed or ended: stays),
CAL_FAILED (retried after RETRY_S, the station cleared) and ERROR (an exception in an
iteration: shown ERROR_HOLD_S, then the same source again, keeping the calibration).
Times in seconds on the loop's clock.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, replace

from kiosk.app.ports import Mode

ERROR_HOLD_S = 3.0
RETRY_CAMERA_S = 3.0
RETRY_S = 10.0  # after a failed calibration (floor not found: the station was not clear)


@dataclass(frozen=True)
class ModeState:
    mode: Mode
    message: str = ""  # why, for a status screen and the journal
    retry_at_s: float = math.inf  # when the source is opened again (NO_CAMERA, CAL_FAILED, ERROR)


class Retry(enum.Enum):
    """What the loop should open when a retry falls due."""

    LIVE = "live"  # the live camera (from the no-camera screen)
    SAME = "same"  # the source it had, keeping the calibration when there is one


@dataclass(frozen=True)
class Opened:
    """A source started: with a calibration (running) or to calibrate first."""

    calibrated: bool


@dataclass(frozen=True)
class OpenFailed:
    message: str
    live_camera: bool  # a missing live camera is retried; a bad recording or simulator is not
    now_s: float


@dataclass(frozen=True)
class CalibrationFailed:
    message: str
    now_s: float


@dataclass(frozen=True)
class SourceEnded:
    """The source ended for good (a recording not started again, or before calibrating)."""

    message: str


@dataclass(frozen=True)
class Crashed:
    """An exception in one iteration (message: its one line)."""

    message: str
    now_s: float


@dataclass(frozen=True)
class Tick:
    now_s: float


ModeEvent = Opened | OpenFailed | CalibrationFailed | SourceEnded | Crashed | Tick


def initial(config_error: str | None) -> ModeState:
    return ModeState(Mode.CONFIG_ERROR, config_error) if config_error else ModeState(Mode.SOURCE_ERROR)


def mode_step(s: ModeState, ev: ModeEvent) -> tuple[ModeState, Retry | None]:
    """The next state and the retry to run now (None: nothing to open)."""
    if s.mode is Mode.CONFIG_ERROR:
        return s, None  # nothing but a fixed file and a restart leaves it
    if isinstance(ev, Opened):
        return ModeState(Mode.RUNNING if ev.calibrated else Mode.CALIBRATING), None
    if isinstance(ev, OpenFailed):
        if ev.live_camera:
            return ModeState(Mode.NO_CAMERA, ev.message, ev.now_s + RETRY_CAMERA_S), None
        return ModeState(Mode.SOURCE_ERROR, ev.message), None
    if isinstance(ev, CalibrationFailed):
        return ModeState(Mode.CAL_FAILED, ev.message, ev.now_s + RETRY_S), None
    if isinstance(ev, SourceEnded):
        return ModeState(Mode.SOURCE_ERROR, ev.message), None
    if isinstance(ev, Crashed):
        return ModeState(Mode.ERROR, ev.message, ev.now_s + ERROR_HOLD_S), None
    # Tick: a retry that has fallen due
    if ev.now_s < s.retry_at_s:
        return s, None
    if s.mode is Mode.NO_CAMERA:
        return replace(s, retry_at_s=ev.now_s + RETRY_CAMERA_S), Retry.LIVE
    if s.mode in (Mode.ERROR, Mode.CAL_FAILED):
        return replace(s, retry_at_s=math.inf), Retry.SAME
    return s, None
