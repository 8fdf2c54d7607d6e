"""The one source factory: a source word (`live`, `sim` or a recording's path) -> its
SourceKind (what the kiosk does with it) -> a FrameSource; and the simulated athlete's
config from command-line words.

The kiosk package never imports pyrealsense2 itself; it asks hardware/ for a source here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hardware.settings import FilterConfig
from hardware.sim.camera import Placement, Side
from hardware.sim.source import SimConfig
from hardware.source import FrameSource, SourceError


def sim_config_from_args(
    script: str = "session",
    height_m: float = 1.78,
    build: str = "average",
    camera: str = "D435",
    distance_m: float = 2.2,
    camera_height_m: float = 1.0,
    pitch_deg: float = 0.0,
    side: str = "right",
    oblique_deg: float = 0.0,
    seed: int = 0,
    fps: int = 30,
    body: str = "parametric",
    script_options: dict[str, object] | None = None,
) -> SimConfig:
    """The simulated athlete's config: the one builder the commands' options and the
    kiosk's [sim] section both go through. SourceError (one line) for an unknown script
    or side."""
    from hardware.sim.motion import SCRIPTS

    if script not in SCRIPTS:
        raise SourceError(f"unknown simulator script {script!r}; choose one of: {', '.join(sorted(SCRIPTS))}")
    if side not in ("left", "right"):
        raise SourceError(f"--side must be left or right, not {side!r}")
    side_lr: Side = "left" if side == "left" else "right"
    placement = Placement(
        distance_m=distance_m,
        height_m=camera_height_m,
        pitch_deg=pitch_deg,
        side=side_lr,
        oblique_deg=oblique_deg,
    )
    return SimConfig(script=script, script_options=dict(script_options or {}), height_m=height_m, build=build,
                     placement=placement, camera=camera, seed=seed, fps=fps, body=body)


@dataclass(frozen=True)
class SourceKind:
    """What a source word means to the kiosk: one class per kind, chosen by name
    (`source_kind`), as PiKVM's kvmd picks a plugin. The loop and the commands ask the
    kind, never compare the word.

    live_camera: a real camera. Its calibration is the station's (loaded from and saved
    to the calibration file, facing from the config), a lost camera is retried behind the
    no-camera screen, results are kept by default, the operator PIN must not be the
    published one, and it runs in its own capture process when that is "auto".
    Anything else (the simulated athlete, a recording) calibrates in memory from its own
    first frames (its pose says nothing about the real camera) and is development."""

    name: str
    live_camera: bool = False

    def open(self, filters: FilterConfig | None, realtime: bool, sim: SimConfig | None,
             serial: str | None, mode: tuple[int, int, int]) -> FrameSource:
        raise NotImplementedError

    def restarts_at_end(self, loop_sim: bool) -> bool:
        """Whether the kiosk starts the source again when it ends."""
        return False

    def path(self) -> str | None:
        """The file the user named (a recording), to check before use; None for a device."""
        return None


@dataclass(frozen=True)
class LiveKind(SourceKind):
    name: str = "live"
    live_camera: bool = True

    def open(self, filters: FilterConfig | None, realtime: bool, sim: SimConfig | None,
             serial: str | None, mode: tuple[int, int, int]) -> FrameSource:
        try:
            from hardware.live import LiveSource
        except ImportError as err:  # aarch64 without the librealsense build
            hint = "run hardware/pi/build_librealsense.sh"
            raise SourceError(f"no RealSense support ({err}): {hint}") from None
        width, height, fps = mode
        return LiveSource(serial=serial, width=width, height=height, fps=fps, filters=filters)


@dataclass(frozen=True)
class SimKind(SourceKind):
    name: str = "sim"

    def open(self, filters: FilterConfig | None, realtime: bool, sim: SimConfig | None,
             serial: str | None, mode: tuple[int, int, int]) -> FrameSource:
        from hardware.sim.source import SimulatedSource

        return SimulatedSource(sim or SimConfig(), filters=filters, realtime=realtime)

    def restarts_at_end(self, loop_sim: bool) -> bool:
        return loop_sim


@dataclass(frozen=True)
class RecordingKind(SourceKind):
    name: str = ""  # the recording's path

    def open(self, filters: FilterConfig | None, realtime: bool, sim: SimConfig | None,
             serial: str | None, mode: tuple[int, int, int]) -> FrameSource:
        from hardware.playback import RecordingSource, check_recording_path

        path = Path(self.name)
        check_recording_path(path)
        return RecordingSource(path, realtime=realtime, filters=filters)

    def restarts_at_end(self, loop_sim: bool) -> bool:
        return True

    def path(self) -> str | None:
        return self.name


def source_kind(spec: str) -> SourceKind:
    """The kind of a source word: "live", "sim", or a recording's path."""
    if spec == "live":
        return LiveKind()
    if spec == "sim":
        return SimKind()
    return RecordingKind(spec)


def open_source(
    spec: str,
    filters: FilterConfig | None = None,
    realtime: bool = False,
    sim: SimConfig | None = None,
    serial: str | None = None,
    mode: tuple[int, int, int] = (848, 480, 30),
) -> FrameSource:
    """A started-later source for `spec`; `mode` is a live camera's (width, height, fps).
    Raises SourceError with one line on a bad spec. Module-level and with picklable
    arguments, so a capture process (hardware/capture_process.py) can call it too."""
    return source_kind(spec).open(filters, realtime, sim, serial, mode)
