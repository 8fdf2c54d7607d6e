"""Kiosk configuration: pydantic with extra="forbid" and bounds, read from TOML.

`hinge-kiosk run --config FILE`; without --config, /etc/hinge-kiosk/kiosk.toml when it
exists, else the built-in defaults. The layout is hardware/pi/kiosk.toml.example's (what
the Pi installer writes); this module is the authority on names, bounds and defaults. A
bad file raises ConfigError whose text is one line naming the key, the value and what is
allowed; the kiosk shows it on a "config error" screen instead of crashing. Empty strings
mean "the default" (serial: the first camera; calibration: the state directory's
calibration.json; profile: the built-in one; pin_hash: a random PIN per run for a live
camera, written to the log, and a development default for the simulator and recordings;
hardware/pi/install.sh sets one).

    [camera]   source = "live" | "sim" | a .db3/.bag path; serial; width, height, fps
    [station]  calibration, profile, data_dir; facing = left|right|auto;
               station_distance_m (the floor marker along the camera axis); calibration_frames
    [display]  units = "in" | "cm"; windowed
    [audio]    mute; volume 0-1
    [operator] pin_hash (`hinge-kiosk run --hash-pin` prints one)
    [screenshots] dir, max_files      [flow] timings (flow.py)      [sim] the simulated athlete
    [results]  sync_to (postgresql://... of the club server), sync_interval_s, station_id
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from calibration.describe import parse_toml_model
from hardware.settings import RESOLUTIONS
from kiosk.app.flow import FlowConfig
from kiosk.app.operator import DEFAULT_PIN_HASH, parse_pin_hash
from kiosk.results.pg import secrets

DEFAULT_CONFIG_PATH = Path("/etc/hinge-kiosk/kiosk.toml")
MAX_CONFIG_BYTES = 256 * 1024  # the example is 3 KiB


class ConfigError(Exception):
    """The config file cannot be used; str() is one line."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CameraSection(_Section):
    source: str = Field(default="live", min_length=1)
    serial: str = Field(default="", max_length=64)
    width: int = Field(default=848, ge=424, le=848)
    height: int = Field(default=480, ge=240, le=480)
    fps: int = Field(default=30, ge=6, le=90)
    # Capture and the SDK filters in a process of their own (hardware/capture_process.py):
    # the filters hold the GIL for ~4 ms a frame. auto: for a live camera only.
    capture_process: Literal["auto", "on", "off"] = "auto"
    # The capture's work over two child processes (hardware/capture_split.py): the filters'
    # first half in one, the spatial filter and the segmentation in the other, for a board
    # whose one core cannot hold both at 30 fps (a Pi 4). auto: with 4 or more cores.
    capture_split: Literal["auto", "on", "off"] = "auto"

    @model_validator(mode="after")
    def _resolution(self) -> CameraSection:
        if (self.width, self.height) not in RESOLUTIONS:
            allowed = ", ".join(f"{w}x{h}" for w, h in RESOLUTIONS)
            raise ValueError(f"resolution {self.width}x{self.height} is not allowed (allowed: {allowed})")
        return self


class StationSection(_Section):
    calibration: str = ""
    profile: str = ""
    data_dir: str = ""
    facing: Literal["left", "right", "auto"] = "auto"
    station_distance_m: float | None = Field(default=None, ge=0.5, le=4.0)
    calibration_frames: int = Field(default=15, ge=3, le=120)


class DisplaySection(_Section):
    units: Literal["in", "cm"] = "in"
    windowed: bool = False


class AudioSection(_Section):
    mute: bool = False
    volume: float = Field(default=0.8, ge=0.0, le=1.0)


class OperatorSection(_Section):
    pin_hash: str = ""

    @field_validator("pin_hash")
    @classmethod
    def _pin_hash(cls, v: str) -> str:
        if v:
            parse_pin_hash(v)
        return v

    @property
    def effective_pin_hash(self) -> str:
        return self.pin_hash or DEFAULT_PIN_HASH


class ScreenshotSection(_Section):
    """Save a PNG of the screen each time it changes state (for docs and support)."""

    dir: str = ""
    max_files: int = Field(default=500, ge=1, le=100_000)


class SimSection(_Section):
    """The simulated athlete (`source = "sim"`, or S on the no-camera screen)."""

    script: str = "session"
    seed: int = Field(default=0, ge=0, le=1_000_000)
    athlete_height_m: float = Field(default=1.78, ge=1.2, le=2.2)
    distance_m: float = Field(default=2.2, ge=1.2, le=3.5)  # a D435 within ~2.3 m (docs/placement.md)
    camera_height_m: float = Field(default=1.0, ge=0.5, le=1.6)
    dowel_reps: int | None = Field(default=None, ge=0, le=10)
    loop: bool = True  # start the script again when it ends (a demo kiosk)

    @field_validator("script")
    @classmethod
    def _known_script(cls, v: str) -> str:
        from hardware.sim.scripts import PLANS  # the simulator's script names (no Open3D)

        if v not in PLANS:
            raise ValueError(f"is not a simulator script (scripts: {', '.join(PLANS)})")
        return v


class ResultsSection(_Section):
    """Where results go besides this kiosk's SQLite file (docs/results.md)."""

    # The club's PostgreSQL server, e.g. "postgresql://kiosk@club-server/hinge" (password in
    # ~/.pgpass of the service user, never here). Empty: results stay on this kiosk.
    sync_to: str = Field(default="", max_length=300)
    sync_interval_s: float = Field(default=30.0, ge=5.0, le=3600.0)
    station_id: str = Field(default="", max_length=64)  # empty: $HINGE_KIOSK_STATION or the host name

    @field_validator("sync_to", mode="before")
    @classmethod
    def _no_password(cls, v: object) -> object:
        # Before the length and scheme checks, whose messages would show the value. A password
        # anywhere (user:pw@, ?password=, password=...) is refused; the message starts with the
        # section so the one-line error does not echo it.
        if isinstance(v, str) and secrets(v):
            raise ValueError("results.sync_to has a password in it: remove it and put it in the "
                             "service user's ~/.pgpass")
        return v

    @field_validator("sync_to")
    @classmethod
    def _postgres(cls, v: str) -> str:
        if v and not v.startswith(("postgresql://", "postgres://")):
            raise ValueError("must start with postgresql:// (or be empty: no sync)")
        return v


class KioskConfig(_Section):
    camera: CameraSection = Field(default_factory=CameraSection)
    station: StationSection = Field(default_factory=StationSection)
    display: DisplaySection = Field(default_factory=DisplaySection)
    audio: AudioSection = Field(default_factory=AudioSection)
    operator: OperatorSection = Field(default_factory=OperatorSection)
    screenshots: ScreenshotSection = Field(default_factory=ScreenshotSection)
    flow: FlowConfig = Field(default_factory=FlowConfig)
    sim: SimSection = Field(default_factory=SimSection)
    results: ResultsSection = Field(default_factory=ResultsSection)


def path_or_none(text: str) -> Path | None:
    """A config path: "" is None (use the default)."""
    return Path(text) if text else None


def load_config(path: Path | None) -> tuple[KioskConfig, Path | None]:
    """The config and the file it came from (None: built-in defaults)."""
    if path is None:
        if not DEFAULT_CONFIG_PATH.exists():
            return KioskConfig(), None
        path = DEFAULT_CONFIG_PATH
    try:
        # O_NONBLOCK: a FIFO must not hang the open; /dev/zero must not be read forever.
        with open(os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC), "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise ConfigError(f"config file {path} is not a regular file")
            data = f.read(MAX_CONFIG_BYTES + 1)
        if len(data) > MAX_CONFIG_BYTES:
            raise ConfigError(f"config file {path} is over {MAX_CONFIG_BYTES // 1024} KiB: not a kiosk.toml")
        text = data.decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file {path} not found") from None
    except IsADirectoryError:
        raise ConfigError(f"config file {path} is a folder, not a file") from None
    except OSError as err:
        why = err.strerror or type(err).__name__
        raise ConfigError(f"config file {path} cannot be read ({why})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path} is not UTF-8 text") from None
    return parse_config(text, str(path)), path


def parse_config(text: str, name: str = "kiosk.toml") -> KioskConfig:
    try:
        return parse_toml_model(text, KioskConfig, name)
    except ValueError as err:
        raise ConfigError(str(err)) from None
