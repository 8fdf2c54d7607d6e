"""The bookkeeping of a playback that meets damage: which of a recording's depth frames it
read, how many it could not read and where, and where to seek to resume past a damaged
stretch.

No SDK here, only two clocks: file times in ns (the playback device's position, the
recorder's arrival clock) and the frames' sensor timestamps in s. playback.py books every
frame the SDK delivers, and when a run stops asks whether that was the recording's real end
and where to go on. With a `.db3`'s own index of depth-frame file times
(recording_file.depth_frame_times) the count is exact and a resume lands on the next frame;
without it (a `.bag`) the count is estimated from the gap in sensor timestamps and the
resume point is searched by probing the playback (resume_search.py).
"""

from __future__ import annotations

import bisect
import statistics
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from hardware.resume_search import find_resume_ns

MAX_SKIP_RUNS_KEPT = 20  # skip runs listed in the report (the count covers all of them)


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

class SkipLedger:
    """What one playback of a recording read and skipped so far, booked frame by frame in
    the order the SDK delivered them.

    index: every depth frame's file time (ns, ascending) from a `.db3`'s own table, or None
    (a `.bag`; also dropped once a frame's file time is not in it, then counts are estimated).
    duration_ns: the recording's length on the file clock. frame_ns: the nominal frame
    interval (1e9 / the stream's fps), used until the frames show the real one."""

    def __init__(self, index: list[int] | None = None, duration_ns: int = 0,
                 frame_ns: float = 1e9 / 30) -> None:
        self._index = index
        self._duration_ns = duration_ns
        self._frame_ns = frame_ns
        self._recent_ns: deque[int] = deque(maxlen=31)  # file-time steps between frames
        self._recent_ts: deque[float] = deque(maxlen=31)  # sensor-timestamp steps
        self._odd_since_frame = 0  # frames that would not convert since the last good one
        self._last_ns: int | None = None  # file time of the last frame taken from the SDK
        self._last_ts: float | None = None  # its sensor timestamp (s), for the report
        self.frames_read = 0
        self.frames_skipped = 0
        self._longest_skip = 0
        self._skips: list[tuple[float | None, int]] = []
        self._count_at_skip = -1
        self._attempts = 0  # seeks since the last frame arrived

    def frame_read(self, timestamp_s: float) -> None:
        """Book a frame that converted (after `account` placed it): one more read."""
        if self._last_ts is not None and timestamp_s > self._last_ts:
            self._recent_ts.append(timestamp_s - self._last_ts)
        self._last_ts = timestamp_s
        self._odd_since_frame = 0
        self.frames_read += 1

    def frame_unreadable(self) -> None:
        """Book a frame the SDK delivered that would not convert (after `account`)."""
        self._add_skip(1)
        self._odd_since_frame += 1

    def account(self, pos: int | None, ts: float | None) -> None:
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
        self.frames_skipped += n
        if self._skips and self.frames_read == self._count_at_skip:
            n += self._skips[-1][1]
            self._skips[-1] = (self._skips[-1][0], n)
        else:
            self._skips.append((self._last_ts, n))
            del self._skips[MAX_SKIP_RUNS_KEPT:]
        self._count_at_skip = self.frames_read
        self._longest_skip = max(self._longest_skip, n)

    def _frame_interval_ns(self) -> float:
        return float(statistics.median(self._recent_ns)) if self._recent_ns else self._frame_ns

    def at_end(self) -> bool:
        """The last frame booked is the recording's last (without the index: it lies within
        three frame intervals of the end), so a stop there is the real end."""
        if self._last_ns is None:
            return False
        if self._index is not None:
            return self._last_ns >= self._index[-1]
        return self._duration_ns - self._last_ns <= 3 * self._frame_interval_ns()

    def next_seek_ns(self, probe: Callable[[int], int | None]) -> int | None:
        """Where to resume after the playback stopped short. With the .db3 index: one frame
        past the bad one, then further (1, 2, ... 8 frames, then doubling) while resumes keep
        failing before a frame arrives. Without it: the earliest file time the playback
        itself shows to yield a frame (resume_search.py). None when nothing readable follows."""
        if self._index is None:
            unit_ns = 0.5 * min(self._recent_ns, default=self._frame_ns)
            after_ns = self._last_ns if self._last_ns is not None else -1
            return find_resume_ns(after_ns, unit_ns, self._duration_ns, probe)
        a = self._attempts
        step = a + 1 if a < 8 else 2 ** (a - 4)
        first_unread = bisect.bisect_right(self._index, self._last_ns) if self._last_ns is not None else 0
        j = first_unread + step
        return self._index[j] if j < len(self._index) else None

    def _unread_to_end(self) -> int:
        if self._index is not None:
            lo = bisect.bisect_right(self._index, self._last_ns) if self._last_ns is not None else 0
            return len(self._index) - lo
        dt = self._frame_interval_ns()
        base = self._last_ns if self._last_ns is not None else -dt
        return max(round((self._duration_ns - base) / dt), 1)

    def seeked(self) -> None:
        """A seek past damage was made (the steps of the next one grow until a frame arrives)."""
        self._attempts += 1

    def skip_to_end(self) -> None:
        """Nothing readable follows the damage: the rest of the recording counts as skipped."""
        self._add_skip(self._unread_to_end())
        self._last_ns = self._index[-1] if self._index is not None else self._duration_ns

    def report(self, complete: bool) -> PlaybackReport:
        """The counts so far; `complete` as the playback knows it (it reached the end)."""
        return PlaybackReport(
            frames_read=self.frames_read,
            frames_skipped=self.frames_skipped,
            longest_skip=self._longest_skip,
            complete=complete,
            exact=self._index is not None,
            skips=tuple(self._skips),
        )
