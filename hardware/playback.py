"""Playback of RealSense recordings through the SDK: `.db3` (what librealsense 2.59's
recorder writes) and ROS1 `.bag` (older SDKs and most published recordings).

Analysis mode (realtime=False) delivers every frame in order, none dropped: the SDK's
playback thread blocks in our callback until the reader takes the frame. Demo mode
(realtime=True) paces those same frames by their own sensor timestamps. (The SDK's own
real-time mode follows the recorder's arrival clock, which for a software device is the
render rate, not the frame rate.)
"""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path
from typing import Any

import pyrealsense2 as rs

from hardware.frame import DepthFrame, Intrinsics
from hardware.rs_frames import FilterChain, FilterConfig, depth_frame_from_rs, intrinsics_from_rs
from hardware.source import SourceBase, SourceError, SourceState, SourceStatus

RECORDING_SUFFIXES = (".db3", ".bag")


def check_recording_path(path: Path) -> None:
    """One-line SourceError for a path that cannot be a recording."""
    if not path.exists():
        raise SourceError(f"recording not found: {path} (check the path)")
    if path.is_dir():
        raise SourceError(f"{path} is a directory; give a .db3 or .bag recording file")
    if path.suffix.lower() not in RECORDING_SUFFIXES:
        raise SourceError(f"{path.name}: not a RealSense recording (expected .db3 or .bag)")
    if path.stat().st_size == 0:
        raise SourceError(f"{path.name}: file is empty; record it again")


def _sdk_error_line(path: Path, err: Exception) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    low = text.lower()
    if "malformed" in low or "truncat" in low or "unexpected end" in low or "not a database" in low:
        return f"{path.name}: recording is truncated or corrupt ({text}); record it again"
    if "version" in low or "ros reader" in low or "unknown" in low:
        return f"{path.name}: not a RealSense recording the SDK can read ({text})"
    return f"{path.name}: cannot open recording: {text}"


class RecordingSource(SourceBase):
    """Frames of a recording's depth stream, through the SDK's playback device."""

    _what = "recording"

    def __init__(
        self,
        path: Path | str,
        realtime: bool = False,
        filters: FilterConfig | None = None,
        queue_size: int = 4,
    ) -> None:
        self.path = Path(path)
        self.realtime = realtime
        self._filters = FilterChain(filters or FilterConfig.off())
        self._queue: queue.Queue[DepthFrame | Exception] = queue.Queue(maxsize=queue_size)
        self._stop = threading.Event()
        self._sensor: Any = None
        self._playback: Any = None
        self._intr: Intrinsics | None = None
        self._state = SourceState.STOPPED
        self._message = ""
        self._device_name: str | None = None
        self._depth_scale_m = 0.001
        self._count = 0
        self._pace_origin: tuple[float, float] | None = None  # (wall clock, frame timestamp)

    def start(self) -> None:
        check_recording_path(self.path)
        try:
            dev = rs.context().load_device(str(self.path))
            self._playback = dev.as_playback()
            self._playback.set_real_time(False)
            sensor, profile = self._depth_stream(dev)
            self._device_name = (
                dev.get_info(rs.camera_info.name) if dev.supports(rs.camera_info.name) else None
            )
            self._depth_scale_m = float(sensor.as_depth_sensor().get_depth_scale())
            self._intr = intrinsics_from_rs(profile.as_video_stream_profile().intrinsics)
            sensor.open(profile)
            sensor.start(self._on_frame)
            self._sensor = sensor
        except SourceError:
            raise
        except RuntimeError as err:
            raise SourceError(_sdk_error_line(self.path, err)) from None
        self._state = SourceState.STREAMING

    def _depth_stream(self, dev: Any) -> tuple[Any, Any]:
        for sensor in dev.query_sensors():
            for profile in sensor.get_stream_profiles():
                if profile.stream_type() == rs.stream.depth and profile.format() == rs.format.z16:
                    return sensor, profile
        raise SourceError(f"{self.path.name}: recording has no z16 depth stream; record with depth enabled")

    def _on_frame(self, frame: Any) -> None:
        # Runs on the SDK's playback thread. Copy out and block until taken (no drops).
        item: DepthFrame | Exception
        try:
            item = depth_frame_from_rs(self._filters.process(frame), self._depth_scale_m)
        except Exception as err:  # an odd frame must not kill the SDK thread
            item = err
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def read(self, timeout_s: float = 1.0) -> DepthFrame | None:
        if self._state in (SourceState.STOPPED, SourceState.ENDED):
            return None
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                item = self._queue.get(timeout=min(0.05, max(deadline - time.monotonic(), 0.001)))
            except queue.Empty:
                if self._finished():
                    self._state = SourceState.ENDED
                    self._message = f"end of recording after {self._count} frames"
                    return None
                if time.monotonic() >= deadline:
                    self._state = SourceState.WAITING
                    return None
                continue
            if isinstance(item, Exception):
                self._message = f"skipped an unreadable frame: {item}"
                continue
            self._count += 1
            self._state = SourceState.STREAMING
            if self.realtime:
                self._pace(item.timestamp_s)
            return item

    def _pace(self, timestamp_s: float) -> None:
        now = time.monotonic()
        if self._pace_origin is None or timestamp_s < self._pace_origin[1]:
            self._pace_origin = (now, timestamp_s)  # first frame, or the stream jumped back
            return
        due = self._pace_origin[0] + (timestamp_s - self._pace_origin[1])
        if due > now:
            time.sleep(min(due - now, 1.0))

    def _finished(self) -> bool:
        return (
            self._playback is not None
            and self._playback.current_status() == rs.playback_status.stopped
            and self._queue.empty()
        )

    @property
    def status(self) -> SourceStatus:
        return SourceStatus(state=self._state, message=self._message, device_name=self._device_name)

    @property
    def frames_read(self) -> int:
        return self._count

    def close(self) -> None:
        self._stop.set()
        if self._sensor is not None:
            try:
                self._sensor.stop()
                self._sensor.close()
            except RuntimeError:
                pass  # already stopped at the end of the file
            self._sensor = None
        self._playback = None
        if self._state is not SourceState.ENDED:
            self._state = SourceState.STOPPED


def count_frames(path: Path | str, frame_timeout_s: float = 5.0) -> int:
    """Number of depth frames in a recording (reads it through once, non-real-time)."""
    with RecordingSource(path) as src:
        while src.read(frame_timeout_s) is not None:
            pass
        return src.frames_read
