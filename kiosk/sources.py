"""Composition of camera sources from command-line words: `live`, `sim` or a recording path.

The kiosk package never imports pyrealsense2 itself; it asks hardware/ for a source here.
"""

from __future__ import annotations

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
) -> SimConfig:
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
    return SimConfig(
        script=script, height_m=height_m, build=build, placement=placement, camera=camera, seed=seed, fps=fps
    )


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
    if spec == "live":
        try:
            from hardware.live import LiveSource
        except ImportError as err:  # aarch64 without the librealsense build
            hint = "run hardware/pi/build_librealsense.sh"
            raise SourceError(f"no RealSense support ({err}): {hint}") from None

        width, height, fps = mode
        return LiveSource(serial=serial, width=width, height=height, fps=fps, filters=filters)
    if spec == "sim":
        from hardware.sim.source import SimulatedSource

        return SimulatedSource(sim or SimConfig(), filters=filters, realtime=realtime)
    from hardware.playback import RecordingSource, check_recording_path

    path = Path(spec)
    check_recording_path(path)
    return RecordingSource(path, realtime=realtime, filters=filters)
