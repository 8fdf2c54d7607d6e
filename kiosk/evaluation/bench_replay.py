"""The Pi-share benchmark's camera (kiosk/evaluation/bench_pi.py): a recording read whole
before the run (`preload`: raw or through MEASURE_FILTERS, with the SDK threads' CPU per
frame for reading it), then handed out on the camera's clock by `ReplayCamera` (a late
loop gets the newest frame, older ones are dropped). `sdk_filters` runs MEASURE_FILTERS on
the reader's thread, for the targets that put the filters on the loop's thread."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from calibration.model import Calibration
from hardware.frame import DepthFrame, Intrinsics
from hardware.settings import FilterConfig
from hardware.source import SourceBase, SourceState, SourceStatus


class ReplayCamera(SourceBase):
    """Frames read before the run, handed out as a camera's pipeline does: frame i arrives
    at t0 + (timestamp_i - timestamp_0) (t0: the first read); a read returns the newest
    arrived frame (waiting for the next if none is new) and the ones skipped are dropped.
    The returned frame's `arrival_s` is that arrival (bench_loop's latency starts there)."""

    _what = "replay"

    def __init__(self, frames: list[DepthFrame], intrinsics: Intrinsics,
                 process: Callable[[DepthFrame], DepthFrame] | None = None,
                 now: Callable[[], float] = time.perf_counter,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._frames, self._intr, self._now, self._sleep = frames, intrinsics, now, sleep
        self._process = process  # on the reader's thread, for each frame returned
        self._state = SourceState.STREAMING
        self._t0_s: float | None = None
        self._next = 0  # index of the oldest frame not yet returned or dropped
        self.delivered = 0
        self.dropped = 0

    def start(self) -> None:
        self._state = SourceState.STREAMING

    def close(self) -> None:
        self._state = SourceState.STOPPED

    @property
    def status(self) -> SourceStatus:
        return SourceStatus(state=self._state)

    def _arrival_s(self, i: int) -> float:
        assert self._t0_s is not None
        return self._t0_s + (self._frames[i].timestamp_s - self._frames[0].timestamp_s)

    def read(self, timeout_s: float = 1.0) -> DepthFrame | None:
        if self._next >= len(self._frames):
            self._state = SourceState.ENDED
            return None
        if self._t0_s is None:
            self._t0_s = self._now()
        now_s = self._now()
        newest = self._next
        while newest + 1 < len(self._frames) and self._arrival_s(newest + 1) <= now_s:
            newest += 1
        wait_s = self._arrival_s(newest) - now_s
        if wait_s > timeout_s:
            self._sleep(timeout_s)
            return None
        if wait_s > 0:
            self._sleep(wait_s)  # the camera has not sent it yet
        self.dropped += newest - self._next
        self.delivered += 1
        self._next = newest + 1
        frame = self._frames[newest]
        if self._process is not None:
            frame = self._process(frame)
        return replace(frame, arrival_s=self._arrival_s(newest))


def sdk_filters(intr: Intrinsics, filters: FilterConfig | None = None) -> Callable[[DepthFrame], DepthFrame]:
    """`filters` (default MEASURE_FILTERS) on one raw frame, on the caller's thread: into
    the SDK through a software device, through the filter chain, back into a DepthFrame
    (what hardware/live.py's read() does with a camera's frame). `intr`: the raw frames'."""
    from hardware.software_device import SoftwareFilter
    from kiosk.analysis.analyzer import MEASURE_FILTERS

    run = SoftwareFilter(filters or MEASURE_FILTERS)

    def process(frame: DepthFrame) -> DepthFrame:
        out = run(frame)
        assert out is not None, "the SDK gave no frame"
        return out

    return process


def preload(rec: Path, raw: bool, raw_pass: bool) -> tuple[list[DepthFrame], Intrinsics, dict[str, Any]]:
    """Every frame of the recording, read before the run (unthrottled): raw (`raw`) or
    through MEASURE_FILTERS; and the SDK threads' CPU per frame for reading it. With
    `raw_pass` both, so the filters' cost is known (this machine, SDK playback thread)."""
    from hardware.playback import RecordingSource
    from kiosk.analysis.analyzer import MEASURE_FILTERS

    def one(filtered: bool) -> tuple[list[DepthFrame], Intrinsics, float]:
        frames: list[DepthFrame] = []
        cpu0, own0 = time.process_time(), time.thread_time()
        with RecordingSource(rec, realtime=False, filters=MEASURE_FILTERS if filtered else None) as src:
            while (f := src.read(5.0)) is not None:
                frames.append(f)
            intr = src.intrinsics
        sdk_s = (time.process_time() - cpu0) - (time.thread_time() - own0)
        return frames, intr, 1000 * sdk_s / max(len(frames), 1)

    frames, intr, ms = one(not raw)
    costs: dict[str, Any] = {"sdk_raw_ms" if raw else "sdk_filtered_ms": ms}
    if raw_pass:
        costs["sdk_filtered_ms" if raw else "sdk_raw_ms"] = one(raw)[2]
    return frames, intr, costs


def fitted_calibration(rec: Path) -> Calibration:
    """The calibration the kiosk loop fits on `rec`: the same call on the same first raw
    frames (kiosk/app/sources.py Calibrating), so its segment key is the loop's."""
    from hardware.playback import RecordingSource
    from kiosk.app.config import KioskConfig
    from kiosk.app.sources import Calibrating, KioskSources

    cfg = KioskConfig()
    calib = Calibrating(str(rec), cfg.station.calibration_frames)
    with RecordingSource(rec, realtime=False) as src:
        while not calib.ready(False) and (f := src.read(5.0)) is not None:
            calib.add(f)
    return calib.finish(KioskSources(cfg))[0]


def presegmented(frames: list[DepthFrame], rec: Path) -> list[DepthFrame]:
    """The frames with the athlete picked out of each (frame.pre), as the capture process's
    stage does, with the calibration the loop will fit (fitted_calibration)."""
    from dataclasses import replace

    from kiosk.analysis.presegment import SegmentStage, presegment
    from kiosk.core.profile_loader import load_profile

    stage = SegmentStage.of(fitted_calibration(rec), load_profile())
    return [replace(f, pre=presegment(f, stage)) for f in frames]


def save_raw(frames: list[DepthFrame], path: Path) -> dict[str, Any]:
    """The raw frames as one .npy at `path` (a capture process maps it instead of decoding
    the recording under a Pi's quota), and what `replay_camera` needs besides."""
    import numpy as np

    np.save(path, np.stack([f.depth for f in frames]))
    return {"frames_npy": str(path), "times_s": [f.timestamp_s for f in frames],
            "depth_scale_m": frames[0].depth_scale_m}


def replay_camera(frames_npy: str, times_s: list[float], depth_scale_m: float,
                  intrinsics: Intrinsics, filters: FilterConfig | None = None) -> ReplayCamera:
    """A capture process's camera (hardware/capture_process.py opener; module-level and
    picklable): the raw frames saved by `save_raw`, mapped, not read, handed out on the
    camera's clock and pushed through `filters` (default MEASURE_FILTERS) in the child, as a
    live camera's are."""
    import numpy as np

    depth = np.load(frames_npy, mmap_mode="r")
    frames = [DepthFrame(depth=depth[i], depth_scale_m=depth_scale_m, intrinsics=intrinsics,
                         timestamp_s=t, index=i) for i, t in enumerate(times_s)]
    return ReplayCamera(frames, intrinsics, sdk_filters(intrinsics, filters))
