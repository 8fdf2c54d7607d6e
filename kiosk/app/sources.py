"""Where the kiosk's frames and calibration come from, per source word (live, sim, a
recording): the seam between the loop and hardware/ + calibration/.

- live: the calibration file (config `calibration`, default the state directory's
  calibration.json) is loaded when it exists and is valid; otherwise the loop calibrates
  from the first frames and saves the result there.
- sim / recording: always calibrated in memory from their own first frames (a simulated
  or recorded camera's pose says nothing about the real one); they start again at the end.

`Calibrating` collects the first raw frames (station clear) and fits the calibration;
placement problems are logged and counted for the status corner, never shown to a
walk-up athlete.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from calibration.calibrate import calibrate
from calibration.errors import CalibrationError
from calibration.model import Calibration
from calibration.store import default_calibration_path, load, save
from calibration.validate import check
from hardware.capture_process import CaptureProcess
from hardware.capture_split import open_split
from hardware.frame import DepthFrame
from hardware.settings import FilterConfig
from hardware.sim.source import SimConfig
from hardware.source import FrameSource
from kiosk.analysis.depth_limit import measure_filters
from kiosk.analysis.presegment import presegment
from kiosk.app.config import KioskConfig, path_or_none
from kiosk.sources import SimKind, open_source, sim_config_from_args, source_kind

log = logging.getLogger(__name__)


def sim_config(cfg: KioskConfig, **script_options: object) -> SimConfig:
    """The kiosk config's [sim] section as the simulated athlete's config."""
    s = cfg.sim
    options: dict[str, object] = {} if s.dowel_reps is None else {"dowel_reps": s.dowel_reps}
    options.update(script_options)
    return sim_config_from_args(script=s.script, height_m=s.athlete_height_m, distance_m=s.distance_m,
                                camera_height_m=s.camera_height_m, seed=s.seed, script_options=options)


SPLIT_MIN_CORES = 4  # the loop, two capture halves and one for the rest (a Pi 4 or 5)


def split_capture(setting: str, cores: int | None = None) -> bool:
    """camera.capture_split: "on", "off", or "auto" (on with SPLIT_MIN_CORES cores or more)."""
    if setting != "auto":
        return setting == "on"
    return (cores if cores is not None else os.cpu_count() or 1) >= SPLIT_MIN_CORES


@dataclass
class KioskSources:
    """Opens sources and finds calibrations for the loop. `sim` overrides the SimConfig
    built from the config (tests use short scripts); `realtime` paces sim and recordings."""

    cfg: KioskConfig
    sim: SimConfig | None = None
    realtime: bool = True
    problems: list[str] = field(default_factory=list)

    def open(self, spec: str, for_calibration: bool = False,
             depth_limit_m: float | None = None) -> FrameSource:
        """A started source: raw frames for calibration, else through MEASURE_FILTERS with
        its range limit at `depth_limit_m` (kiosk/analysis/depth_limit.py: just past the
        analysis box, so the SDK filters skip the room behind it). Raises SourceError (one
        line) when it cannot start."""
        cam = self.cfg.camera
        filters = FilterConfig.off() if for_calibration else measure_filters(depth_limit_m)
        realtime = self.realtime and not for_calibration
        sim = self.sim or sim_config(self.cfg)
        mode = (cam.width, cam.height, cam.fps)
        src: FrameSource
        live = source_kind(spec).live_camera
        if cam.capture_process == "on" or (cam.capture_process == "auto" and live):
            # Measuring, the child also picks the athlete out (presegment.py) once the
            # station gives it the calibration (Station.running). A camera's (or a paced
            # source's) newest frame is the one to show: a late loop skips the rest.
            stage, newest = None if for_calibration else presegment, live or realtime
            opened: dict[str, Any] = dict(spec=spec, filters=filters, realtime=realtime, sim=sim,
                                          serial=cam.serial or None, mode=mode)  # open_source's
            if split_capture(cam.capture_split) and not for_calibration:
                src = CaptureProcess(open_split, stage=stage, newest_only=newest, daemon=False,
                                     first_opener=open_source, first_newest_only=newest, **opened)
            else:
                src = CaptureProcess(open_source, stage=stage, newest_only=newest, **opened)
        else:
            src = open_source(spec, filters, realtime, sim, cam.serial or None, mode)
        src.start()
        return src

    def calibration_path(self) -> Path:
        return path_or_none(self.cfg.station.calibration) or default_calibration_path()

    def stored_calibration(self, spec: str) -> Calibration | None:
        """The saved calibration for a live camera (None: calibrate at start)."""
        if not source_kind(spec).live_camera:
            return None
        path = self.calibration_path()
        if not path.exists():
            return None
        try:
            cal = load(path)
        except CalibrationError as err:
            log.warning("calibration file unusable, calibrating again: %s", err)
            return None
        facing = self.cfg.station.facing
        return cal if facing == "auto" else cal.with_facing(facing)

    def station_distance_m(self, spec: str) -> float | None:
        """Camera to station (m): the simulated camera's own placement, else the config's."""
        if isinstance(source_kind(spec), SimKind):
            return (self.sim or sim_config(self.cfg)).placement.distance_m
        return self.cfg.station.station_distance_m

    def facing(self, spec: str) -> str:
        return self.cfg.station.facing if source_kind(spec).live_camera else "auto"

    def keep(self, spec: str, cal: Calibration) -> str:
        """Store a new calibration (live only); returns a one-line note for the log."""
        if not source_kind(spec).live_camera:
            return "calibrated in memory"
        path = self.calibration_path()
        try:
            save(cal, path)
        except OSError as err:
            return f"calibration not saved to {path}: {err.strerror or err}"
        return f"calibration saved to {path}"

    def restart_at_end(self, spec: str) -> bool:
        return source_kind(spec).restarts_at_end(self.cfg.sim.loop)


# --- calibrating at start or on the operator's request ------------------------------------

MIN_FRAMES = 3  # a recording shorter than the wanted burst still calibrates from these
TITLE = "Calibrating - keep the station clear"
FAILED_TITLE = "Calibration failed - clear the station; trying again"


@dataclass
class Calibrating:
    """Collects `wanted` frames; `finish()` fits and keeps the calibration (may raise
    CalibrationError, one line)."""

    spec: str
    wanted: int
    frames: list[DepthFrame] = field(default_factory=list)

    def add(self, frame: DepthFrame | None) -> None:
        if frame is not None:
            self.frames.append(frame)

    def ready(self, source_ended: bool) -> bool:
        return len(self.frames) >= self.wanted or (source_ended and len(self.frames) >= MIN_FRAMES)

    def lines(self) -> tuple[str, ...]:
        return ("Please stay off the floor marker for a moment",
                f"{len(self.frames)} of {self.wanted} frames")

    def finish(self, sources: KioskSources) -> tuple[Calibration, str]:
        """The calibration and the status corner's note about it."""
        cal = calibrate(self.frames, facing=sources.facing(self.spec),
                        station_distance_m=sources.station_distance_m(self.spec), source=self.spec,
                        background_if_empty=True)
        problems = check(cal)
        for problem in problems:
            log.warning("placement: %s", problem)
        log.info("%s", sources.keep(self.spec, cal))
        return cal, "calibrated" + (f" ({len(problems)} placement problems)" if problems else "")
