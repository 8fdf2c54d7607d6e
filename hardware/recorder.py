"""Record depth to a `.db3` through the SDK's own recorder.

Live: the pipeline records the camera's raw stream. Simulated: the software device is
wrapped by `rs.recorder`, so the file is the same format a camera recording would be,
and the ground-truth JSON is written beside it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyrealsense2 as rs

from hardware.live import list_devices
from hardware.settings import RESOLUTIONS
from hardware.sim.source import SimConfig, SimulatedSource, truth_path_for
from hardware.source import SourceError

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RecordResult:
    path: Path
    frames: int
    truth_path: Path | None


def _check_out(out: Path) -> None:
    if out.suffix.lower() != ".db3":
        raise SourceError(f"{out.name}: recordings are written as .db3 (the SDK's format); name it *.db3")
    if not out.parent.exists():
        raise SourceError(f"folder {out.parent} does not exist; create it first")


def record_sim(
    cfg: SimConfig, out: Path, seconds: float | None = None, progress: Progress | None = None
) -> RecordResult:
    """Record the simulated athlete for `seconds` (default: the whole script)."""
    _check_out(out)
    if seconds is not None:
        cfg = SimConfig(**{**cfg.__dict__, "max_seconds": seconds})
    src = SimulatedSource(cfg, record_to=out)
    with src:
        n = 0
        while src.read(5.0) is not None:
            n += 1
            if progress:
                progress(n, src.n_frames)
    truth = truth_path_for(out)
    src.write_truth(truth)
    return RecordResult(path=out, frames=n, truth_path=truth)


def record_live(
    out: Path,
    seconds: float,
    serial: str | None = None,
    width: int = 848,
    height: int = 480,
    fps: int = 30,
    progress: Progress | None = None,
) -> RecordResult:
    """Record a live camera's depth stream for `seconds`."""
    _check_out(out)
    if (width, height) not in RESOLUTIONS:
        raise SourceError(f"depth resolution {width}x{height} not supported")
    devices = list_devices()
    if not devices:
        raise SourceError("no RealSense camera found: plug it into a USB 3 port (or use --source sim)")
    cfg = rs.config()
    if serial:
        cfg.enable_device(serial)
    cfg.enable_stream(rs.stream.depth, width, height, rs.format.z16, fps)
    cfg.enable_record_to_file(str(out))
    pipeline = rs.pipeline()
    try:
        pipeline.start(cfg)
    except RuntimeError as err:
        raise SourceError(f"camera would not start recording: {err}") from None
    n, total = 0, int(seconds * fps)
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            ok, _ = pipeline.try_wait_for_frames(1000)
            if ok:
                n += 1
                if progress:
                    progress(n, total)
    finally:
        pipeline.stop()
    return RecordResult(path=out, frames=n, truth_path=None)
