"""Playback of RealSense recordings through the SDK: `.db3` (what librealsense 2.59's
recorder writes) and ROS1 `.bag` (older SDKs and most published recordings).

Analysis mode (realtime=False) delivers every frame in order, none dropped: the SDK's
playback thread blocks in our callback until the reader takes the frame. Demo mode
(realtime=True) paces those same frames by their own sensor timestamps. (The SDK's own
real-time mode follows the recorder's arrival clock, which for a software device is the
render rate, not the frame rate.)

Damaged recordings: the SDK stops the whole playback at the first message it cannot read
(a corrupt depth frame ends a 585-frame file at frame 200 as if it were the end). The
source notices a stop before the recording's last frame, seeks past the bad spot, restarts
the sensor and goes on, counting the frames it could not read (`report()`). A `.db3` is
SQLite: its own message index gives the exact time of every depth frame, so the skip lands
on the next frame and the count is exact; for a `.bag` the seek steps by the frame interval
and the count is estimated from the gap in the frames' sensor timestamps.

Beside this module: recording_file.py (the path checks, the SDK's errors in words, the
`.db3` index) and playback_skips.py (the count of frames read and skipped, where to seek).
"""

from __future__ import annotations

import contextlib
import datetime
import queue
import threading
import time
from pathlib import Path
from typing import Any

import pyrealsense2 as rs

from hardware.frame import DepthFrame, Intrinsics
from hardware.playback_skips import PlaybackReport, SkipLedger
from hardware.recording_file import check_recording_path, depth_frame_times, find_depth_stream, sdk_error_line
from hardware.rs_frames import FilterChain, depth_frame_from_rs, intrinsics_from_rs
from hardware.settings import FilterConfig
from hardware.source import SourceBase, SourceError, SourceState, SourceStatus

# The names callers import from here; some now live beside it (recording_file, playback_skips).
__all__ = ["MAX_RESUMES", "PROBE_TIMEOUT_S", "PlaybackReport", "RecordingSource", "check_recording_path",
           "count_frames", "depth_frame_times"]

MAX_RESUMES = 256  # seeks past damage in one playback before it gives up (complete=False)
PROBE_TIMEOUT_S = 5.0  # one probe run that neither yields a frame nor stops counts as failed


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
        self._queue: queue.Queue[tuple[int | None, DepthFrame | Exception]] = queue.Queue(maxsize=queue_size)
        self._stop = threading.Event()
        self._discard = threading.Event()  # a probe run is being stopped: drop its frames
        self._sensor: Any = None
        self._playback: Any = None
        self._intr: Intrinsics | None = None
        self._state = SourceState.STOPPED
        self._message = ""
        self._device_name: str | None = None
        self._depth_scale_m = 0.001
        self._pace_origin: tuple[float, float] | None = None  # (wall clock, frame timestamp)
        # Damage bookkeeping (file times in ns, the playback device's position clock); start()
        # gives it the recording's index, length and frame rate.
        self._profile: Any = None
        self._ledger = SkipLedger()
        self._resumes = 0
        self._gave_up = False
        self._runs = 0  # sensor starts issued
        self._plays = 0  # PLAYING notifications seen
        self._run_started = 0.0

    def start(self) -> None:
        check_recording_path(self.path)
        try:
            dev = rs.context().load_device(str(self.path))
            self._playback = dev.as_playback()
            self._playback.set_real_time(False)
            self._playback.set_status_changed_callback(self._on_status)
            sensor, profile, sensor_index = find_depth_stream(dev, self.path)
            self._device_name = (
                dev.get_info(rs.camera_info.name) if dev.supports(rs.camera_info.name) else None
            )
            self._depth_scale_m = float(sensor.as_depth_sensor().get_depth_scale())
            self._intr = intrinsics_from_rs(profile.as_video_stream_profile().intrinsics)
            self._profile = profile
            self._ledger = SkipLedger(
                index=depth_frame_times(self.path, sensor_index, int(profile.stream_index())),
                duration_ns=int(self._playback.get_duration().total_seconds() * 1e9),
                frame_ns=1e9 / max(int(profile.fps()), 1),
            )
            self._sensor = sensor
            self._start_run()
        except SourceError:
            raise
        except RuntimeError as err:
            raise SourceError(sdk_error_line(self.path, err)) from None
        self._state = SourceState.STREAMING

    def _start_run(self) -> None:
        """Open and start the depth sensor: the playback runs from the current position."""
        self._runs += 1
        self._run_started = time.monotonic()
        self._sensor.open(self._profile)
        self._sensor.start(self._on_frame)

    def _on_status(self, status: Any) -> None:
        # SDK thread: PLAYING once per run, STOPPED at the end of the file or at a read failure.
        if status == rs.playback_status.playing:
            self._plays += 1

    def _on_frame(self, frame: Any) -> None:
        # Runs on the SDK's playback thread. Copy out and block until taken (no drops). In
        # non-real-time playback the callback runs inside the read of this frame's message,
        # so the device's position is this frame's file time.
        if self._discard.is_set():
            return
        playback = self._playback
        pos: int | None = None
        with contextlib.suppress(RuntimeError):
            pos = int(playback.get_position()) if playback is not None else None
        item: DepthFrame | Exception
        try:
            item = depth_frame_from_rs(self._filters.process(frame), self._depth_scale_m)
        except Exception as err:  # an odd frame must not kill the SDK thread
            item = err
        while not (self._stop.is_set() or self._discard.is_set()):
            try:
                self._queue.put((pos, item), timeout=0.1)
                return
            except queue.Full:
                continue

    def read(self, timeout_s: float = 1.0) -> DepthFrame | None:
        if self._state in (SourceState.STOPPED, SourceState.ENDED):
            return None
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                pos, item = self._queue.get(timeout=min(0.05, max(deadline - time.monotonic(), 0.001)))
            except queue.Empty:
                if self._finished():
                    if self._resume_past_damage():
                        deadline = time.monotonic() + timeout_s
                        continue
                    self._state = SourceState.ENDED
                    skipped = self._ledger.frames_skipped
                    self._message = f"end of recording after {self._ledger.frames_read} frames" + (
                        f" ({skipped} unreadable frames skipped)" if skipped else ""
                    )
                    return None
                if time.monotonic() >= deadline:
                    self._state = SourceState.WAITING
                    return None
                continue
            self._ledger.account(pos, None if isinstance(item, Exception) else item.timestamp_s)
            if isinstance(item, Exception):
                self._ledger.frame_unreadable()
                self._message = f"skipped an unreadable frame: {item}"
                continue
            self._ledger.frame_read(item.timestamp_s)
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
        """The current run has stopped and every frame it delivered was taken. The run's own
        PLAYING notification must have come first (a restarted sensor reads as stopped for a
        moment); after a second without it, the device's status alone decides."""
        if self._playback is None or not self._queue.empty():
            return False
        if self._playback.current_status() != rs.playback_status.stopped:
            return False
        return self._plays >= self._runs or time.monotonic() - self._run_started > 1.0

    # --- damaged recordings ------------------------------------------------------------------

    def _restart_at(self, target_ns: int) -> None:
        """Seek to a file time and start a new run there (RuntimeError from the SDK)."""
        with contextlib.suppress(RuntimeError):  # the SDK stopped it at the failure
            self._sensor.stop()
        with contextlib.suppress(RuntimeError):
            self._sensor.close()
        self._playback.seek(datetime.timedelta(microseconds=target_ns // 1000))
        self._start_run()

    def _probe_ns(self, target_ns: int) -> int | None:
        """File time of the first frame a run from `target_ns` yields (None when it stops
        on damage first); the run is stopped again and what it delivered dropped."""
        pos: int | None = None
        try:
            self._restart_at(target_ns)
        except RuntimeError:
            return None
        deadline = time.monotonic() + PROBE_TIMEOUT_S
        while time.monotonic() < deadline and not self._stop.is_set():
            try:
                got, _ = self._queue.get(timeout=0.02)
            except queue.Empty:
                if self._finished():
                    break
                continue
            pos = got if got is not None else target_ns
            break
        self._discard.set()
        try:
            self._drain()
            with contextlib.suppress(RuntimeError):
                self._sensor.stop()
            self._drain()
        finally:
            self._discard.clear()
        return pos

    def _drain(self) -> None:
        with contextlib.suppress(queue.Empty):
            while True:
                self._queue.get_nowait()

    def _resume_past_damage(self) -> bool:
        """After the playback stopped: True when it stopped short of the last frame and was
        restarted past the bad spot; False at the real end (remaining unreadable frames
        counted), or when it gives up (MAX_RESUMES)."""
        if self._playback is None or self._sensor is None or self._ledger.at_end():
            return False
        if self._resumes >= MAX_RESUMES:
            self._gave_up = True
            return False
        target = self._ledger.next_seek_ns(self._probe_ns)
        if target is None:  # nothing readable after the damage: the rest is skipped
            self._ledger.skip_to_end()
            return False
        try:
            self._restart_at(target)
        except RuntimeError as err:
            self._gave_up = True
            self._message = f"could not seek past a damaged frame: {err}"
            return False
        self._resumes += 1
        self._ledger.seeked()
        return True

    def report(self) -> PlaybackReport:
        """What this playback read and skipped so far (complete once it has ended)."""
        return self._ledger.report(complete=self._state is SourceState.ENDED and not self._gave_up)

    @property
    def status(self) -> SourceStatus:
        return SourceStatus(state=self._state, message=self._message, device_name=self._device_name)

    @property
    def frames_read(self) -> int:
        return self._ledger.frames_read

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
