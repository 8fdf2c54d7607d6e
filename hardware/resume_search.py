"""Where to resume a playback that stopped at damage, when the recording has no index of
its frames' file times (a ROS1 `.bag`; a `.db3` carries its own, see playback.py).

A recording's file clock is the recorder's arrival clock. Frames arrive in bursts far
closer than the median interval (a software device's pushes, a camera's frames queued
behind a USB hiccup) and after stalls many intervals long, so no fixed step is safe: a step
of whole median intervals jumps readable frames after a burst, and a small one crawls
through a stall. The search below probes the playback itself instead. A probe seeks to a
file time and plays: it either yields the first readable frame at or after that time, or
stops at a frame it cannot read. Steps double from `unit_ns` until a probe yields a frame,
then the gap between the last failing and the first yielding time is halved down to
`unit_ns`. A resume lands at most `unit_ns` past the end of a damaged stretch, in
O(log(gap / unit)) probes.

Pure: the probe is passed in, so the search is tested on any timeline without the SDK.
"""

from __future__ import annotations

from collections.abc import Callable

MAX_PROBES = 96  # one search; doubling from 1 us covers far more than any recording


def find_resume_ns(
    stopped_after_ns: int,
    unit_ns: float,
    end_ns: int,
    probe: Callable[[int], int | None],
) -> int | None:
    """File time (ns) to resume at after the playback stopped on the frame following
    `stopped_after_ns` (the file time of the last frame read, or -1 before the first).

    probe(t): the file time of the first frame a playback from `t` yields, None when it
    stops on unreadable data first. unit_ns: the precision, half the shortest interval seen
    between frames (so at most one readable frame could lie within it). end_ns: the
    recording's length. Returns the earliest probed time that yields a frame, or None when
    nothing readable follows (or the probes ran out)."""
    unit = max(int(unit_ns), 1_000)  # the SDK seeks in microseconds
    lo = stopped_after_ns  # invariant: a playback from lo stops before yielding a frame
    hi: int | None = None
    step = unit
    probes = 0
    while hi is None:
        if lo >= end_ns or probes >= MAX_PROBES:
            return None
        target = min(lo + step, end_ns)  # the last frame may lie short of a doubled step
        probes += 1
        if probe(target) is None:
            lo = target
            step *= 2
        else:
            hi = target
    while hi - lo > unit and probes < MAX_PROBES:
        mid = (lo + hi) // 2
        probes += 1
        if probe(mid) is None:
            lo = mid
        else:
            hi = mid
    return hi
