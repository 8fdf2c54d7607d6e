"""The rep machine's time rules (kiosk/core/reps.py): how long the trunk held past a bar,
when it crossed a threshold between two frames, and how fast a value moves.

Pure: timestamps in seconds, trunk angles in degrees (any object with `t_s` and
`trunk_angle_deg`, e.g. reps.RepSample). Every rule here is in seconds and reads the same
movement alike at 6 and at 90 fps, with jitter and dropped frames.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from statistics import median
from typing import Protocol


class Timed(Protocol):
    @property
    def t_s(self) -> float: ...
    @property
    def trunk_angle_deg(self) -> float | None: ...


def held_over(samples: Sequence[Timed], bar_deg: float, hold_s: float) -> bool:
    """The trunk stayed past `bar_deg` for `hold_s` without a break: a run of samples past
    it spans hold_s, counting each sample for one frame period (the median spacing, so a
    dropped frame after a lone sample does not stretch it). Noise that lifts a held lean
    over the bar for a frame or two does not make a rep, at any frame rate."""
    times = [x.t_s for x in samples]
    period_s = median([b - a for a, b in pairwise(times) if b > a] or [0.0])
    first = last = None
    for x in samples:
        a = x.trunk_angle_deg
        if a is None:
            continue
        if a < bar_deg:
            first = last = None
            continue
        first, last = (x.t_s if first is None else first), x.t_s
        if last - first + period_s >= hold_s:
            return True
    return False


def crossing_s(before: Timed, after: Timed, bar_deg: float) -> float | None:
    """When the trunk crossed `bar_deg` between two consecutive frames (s), by linear
    interpolation; None when they do not lie on opposite sides of it (or one has no angle).

    A frame's own time is up to a whole frame period off the crossing (0.17 s at 6 fps,
    0.01 s at 90), so a duration measured between frames read one period longer at 6 fps
    than at 90 and the rep's minimum duration dropped short hinges more often at 90."""
    a, b = before.trunk_angle_deg, after.trunk_angle_deg
    if a is None or b is None or (a - bar_deg) * (b - bar_deg) > 0.0 or a == b:
        return None
    frac = (bar_deg - a) / (b - a)
    return before.t_s + frac * (after.t_s - before.t_s)


def rose_past_s(frames: Sequence[Timed], bar_deg: float) -> float | None:
    """When the trunk last rose past `bar_deg` (s): between the last frame at or under it
    (the final frame excluded) and the next one; None when no frame is under it."""
    for i in range(len(frames) - 2, -1, -1):
        a = frames[i].trunk_angle_deg
        if a is not None and a <= bar_deg:
            c = crossing_s(frames[i], frames[i + 1], bar_deg)
            return frames[i].t_s if c is None else c
    return None


def fell_back(frames: Sequence[Timed], since_s: float, bar_deg: float) -> tuple[int, float] | None:
    """The first frame from `since_s` on with the trunk at or under `bar_deg`: (its index,
    when the trunk crossed the bar before it, s); None when no such frame."""
    for i, x in enumerate(frames):
        a = x.trunk_angle_deg
        if x.t_s >= since_s and a is not None and a <= bar_deg:
            c = crossing_s(frames[i - 1], x, bar_deg) if i > 0 else None
            return i, x.t_s if c is None else c
    return None


def slope_per_s(points: list[tuple[float, float | None]]) -> float:
    """Least-squares slope (units per second) of the (t_s, value) points with a value; 0
    for fewer than 3."""
    pts = [(t, v) for t, v in points if v is not None]
    if len(pts) < 3:
        return 0.0
    t_mean = sum(t for t, _ in pts) / len(pts)
    v_mean = sum(v for _, v in pts) / len(pts)
    var = sum((t - t_mean) ** 2 for t, _ in pts)
    return 0.0 if var <= 0.0 else sum((t - t_mean) * (v - v_mean) for t, v in pts) / var
