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
"""

from __future__ import annotations

import bisect
import contextlib
import datetime
import queue
import sqlite3
import statistics
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyrealsense2 as rs

from hardware.frame import DepthFrame, Intrinsics
from hardware.resume_search import find_resume_ns
from hardware.rs_frames import FilterChain, depth_frame_from_rs, intrinsics_from_rs
from hardware.settings import FilterConfig
from hardware.source import SourceBase, SourceError, SourceState, SourceStatus

RECORDING_SUFFIXES = (".db3", ".bag")
MAX_RESUMES = 256  # seeks past damage in one playback before it gives up (complete=False)
MAX_SKIP_RUNS_KEPT = 20  # skip runs listed in the report (the count covers all of them)
PROBE_TIMEOUT_S = 5.0  # one probe run that neither yields a frame nor stops counts as failed


@dataclass(frozen=True)
class PlaybackReport:
    """How much of a recording one playback read.

    frames_skipped: frames that could not be read (the SDK failed on them, they would not
    convert, or they lay in a stretch the seek had to jump); exact for a `.db3` (its own
    index), estimated from the gap in sensor timestamps for a `.bag`. longest_skip: the most
    consecutive frames skipped. complete: the playback got through to the recording's last
    frame, every frame read or counted as skipped (False when it gave up, timed out or was
    closed early). skips: (timestamp in seconds of the last frame read before the gap, or
    None at the start; frames skipped), the first MAX_SKIP_RUNS_KEPT runs."""

    frames_read: int
    frames_skipped: int
    longest_skip: int
    complete: bool
    exact: bool
    skips: tuple[tuple[float | None, int], ...] = ()

    @property
    def frames_total(self) -> int:
        return self.frames_read + self.frames_skipped


def depth_frame_times(path: Path, sensor_index: int = 0, stream_index: int = 0) -> list[int] | None:
    """File times (ns from the recording's start, what the playback device's position
    reports) of every depth frame of a `.db3` recording, in order, read from its own SQLite
    message table; None for a `.bag` or when the table cannot be read."""
    if path.suffix.lower() != ".db3":
        return None
    pattern = f"/device_*/sensor_{sensor_index}/Depth_{stream_index}/image/data*"
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
        try:
            rows = con.execute(
                "SELECT m.timestamp FROM messages m JOIN topics t ON t.id = m.topic_id "
                "WHERE t.name GLOB ? ORDER BY m.timestamp",
                (pattern,),
            ).fetchall()
        finally:
            con.close()
    except (sqlite3.Error, ValueError, OSError):
        return None
    times = [int(r[0]) for r in rows if isinstance(r[0], int)]
    return times or None


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
        self._count = 0
        self._pace_origin: tuple[float, float] | None = None  # (wall clock, frame timestamp)
        # Damage bookkeeping (file times in ns, the playback device's position clock).
        self._profile: Any = None
        self._index: list[int] | None = None  # every depth frame's file time (.db3)
        self._duration_ns = 0
        self._frame_ns = 1e9 / 30
        self._recent_ns: deque[int] = deque(maxlen=31)  # file-time steps between frames
        self._recent_ts: deque[float] = deque(maxlen=31)  # sensor-timestamp steps
        self._odd_since_frame = 0  # frames that would not convert since the last good one
        self._last_ns: int | None = None  # file time of the last frame taken from the SDK
        self._last_ts: float | None = None  # its sensor timestamp (s), for the report
        self._skipped = 0
        self._longest_skip = 0
        self._skips: list[tuple[float | None, int]] = []
        self._count_at_skip = -1
        self._attempts = 0  # seeks since the last frame arrived
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
            sensor, profile, sensor_index = self._depth_stream(dev)
            self._device_name = (
                dev.get_info(rs.camera_info.name) if dev.supports(rs.camera_info.name) else None
            )
            self._depth_scale_m = float(sensor.as_depth_sensor().get_depth_scale())
            self._intr = intrinsics_from_rs(profile.as_video_stream_profile().intrinsics)
            self._profile = profile
            self._duration_ns = int(self._playback.get_duration().total_seconds() * 1e9)
            self._frame_ns = 1e9 / max(int(profile.fps()), 1)
            self._index = depth_frame_times(self.path, sensor_index, int(profile.stream_index()))
            self._sensor = sensor
            self._start_run()
        except SourceError:
            raise
        except RuntimeError as err:
            raise SourceError(_sdk_error_line(self.path, err)) from None
        self._state = SourceState.STREAMING

    def _depth_stream(self, dev: Any) -> tuple[Any, Any, int]:
        for i, sensor in enumerate(dev.query_sensors()):
            for profile in sensor.get_stream_profiles():
                if profile.stream_type() == rs.stream.depth and profile.format() == rs.format.z16:
                    return sensor, profile, i
        raise SourceError(f"{self.path.name}: recording has no z16 depth stream; record with depth enabled")

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
                    self._message = f"end of recording after {self._count} frames" + (
                        f" ({self._skipped} unreadable frames skipped)" if self._skipped else ""
                    )
                    return None
                if time.monotonic() >= deadline:
                    self._state = SourceState.WAITING
                    return None
                continue
            self._account(pos, None if isinstance(item, Exception) else item.timestamp_s)
            if isinstance(item, Exception):
                self._add_skip(1)
                self._odd_since_frame += 1
                self._message = f"skipped an unreadable frame: {item}"
                continue
            if self._last_ts is not None and item.timestamp_s > self._last_ts:
                self._recent_ts.append(item.timestamp_s - self._last_ts)
            self._last_ts = item.timestamp_s
            self._odd_since_frame = 0
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
        """The current run has stopped and every frame it delivered was taken. The run's own
        PLAYING notification must have come first (a restarted sensor reads as stopped for a
        moment); after a second without it, the device's status alone decides."""
        if self._playback is None or not self._queue.empty():
            return False
        if self._playback.current_status() != rs.playback_status.stopped:
            return False
        return self._plays >= self._runs or time.monotonic() - self._run_started > 1.0

    # --- damaged recordings ------------------------------------------------------------------

    def _account(self, pos: int | None, ts: float | None) -> None:
        """Book a frame the SDK delivered at file time `pos` (sensor timestamp `ts`, None if
        it would not convert): count the frames between it and the previous one that never
        arrived. Exact with the .db3 index; without it, estimated after a seek from the gap
        in sensor timestamps (the file's clock is the recorder's arrival clock, irregular)."""
        if pos is None:
            return
        if self._index is not None:
            at = bisect.bisect_left(self._index, pos)
            if at == len(self._index) or self._index[at] != pos:
                self._index = None  # the file's clock is not the index's: estimate instead
        if self._index is not None:
            lo = bisect.bisect_right(self._index, self._last_ns) if self._last_ns is not None else 0
            missing = bisect.bisect_left(self._index, pos) - lo
        elif not self._attempts:
            missing = 0
        elif ts is not None and self._last_ts is not None:
            step = float(statistics.median(self._recent_ts)) if self._recent_ts else self._frame_ns / 1e9
            missing = round((ts - self._last_ts) / step) - 1 - self._odd_since_frame
        else:  # damage before the first frame, or a frame that would not convert
            base = self._last_ns if self._last_ns is not None else -self._frame_ns
            missing = round((pos - base) / self._frame_interval_ns()) - 1
        if missing > 0:
            self._add_skip(missing)
        if self._last_ns is not None and pos > self._last_ns:
            self._recent_ns.append(pos - self._last_ns)
        self._last_ns = pos
        self._attempts = 0

    def _add_skip(self, n: int) -> None:
        """Count n unreadable frames; with no frame read since the last skip they extend
        that run (a stretch of damage met in several seeks is one run)."""
        self._skipped += n
        if self._skips and self._count == self._count_at_skip:
            n += self._skips[-1][1]
            self._skips[-1] = (self._skips[-1][0], n)
        else:
            self._skips.append((self._last_ts, n))
            del self._skips[MAX_SKIP_RUNS_KEPT:]
        self._count_at_skip = self._count
        self._longest_skip = max(self._longest_skip, n)

    def _frame_interval_ns(self) -> float:
        return float(statistics.median(self._recent_ns)) if self._recent_ns else self._frame_ns

    def _at_end(self) -> bool:
        if self._last_ns is None:
            return False
        if self._index is not None:
            return self._last_ns >= self._index[-1]
        return self._duration_ns - self._last_ns <= 3 * self._frame_interval_ns()

    def _next_seek_ns(self) -> int | None:
        """Where to resume after the playback stopped short. With the .db3 index: one frame
        past the bad one, then further (1, 2, ... 8 frames, then doubling) while resumes keep
        failing before a frame arrives. Without it: the earliest file time the playback
        itself shows to yield a frame (resume_search.py). None when nothing readable follows."""
        if self._index is None:
            unit_ns = 0.5 * min(self._recent_ns, default=self._frame_ns)
            after_ns = self._last_ns if self._last_ns is not None else -1
            return find_resume_ns(after_ns, unit_ns, self._duration_ns, self._probe_ns)
        a = self._attempts
        step = a + 1 if a < 8 else 2 ** (a - 4)
        first_unread = bisect.bisect_right(self._index, self._last_ns) if self._last_ns is not None else 0
        j = first_unread + step
        return self._index[j] if j < len(self._index) else None

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

    def _unread_to_end(self) -> int:
        if self._index is not None:
            lo = bisect.bisect_right(self._index, self._last_ns) if self._last_ns is not None else 0
            return len(self._index) - lo
        dt = self._frame_interval_ns()
        base = self._last_ns if self._last_ns is not None else -dt
        return max(round((self._duration_ns - base) / dt), 1)

    def _resume_past_damage(self) -> bool:
        """After the playback stopped: True when it stopped short of the last frame and was
        restarted past the bad spot; False at the real end (remaining unreadable frames
        counted), or when it gives up (MAX_RESUMES)."""
        if self._playback is None or self._sensor is None or self._at_end():
            return False
        if self._resumes >= MAX_RESUMES:
            self._gave_up = True
            return False
        target = self._next_seek_ns()
        if target is None:  # nothing readable after the damage: the rest is skipped
            self._add_skip(self._unread_to_end())
            self._last_ns = self._index[-1] if self._index is not None else self._duration_ns
            return False
        try:
            self._restart_at(target)
        except RuntimeError as err:
            self._gave_up = True
            self._message = f"could not seek past a damaged frame: {err}"
            return False
        self._resumes += 1
        self._attempts += 1
        return True

    def report(self) -> PlaybackReport:
        """What this playback read and skipped so far (complete once it has ended)."""
        return PlaybackReport(
            frames_read=self._count,
            frames_skipped=self._skipped,
            longest_skip=self._longest_skip,
            complete=self._state is SourceState.ENDED and not self._gave_up,
            exact=self._index is not None,
            skips=tuple(self._skips),
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
