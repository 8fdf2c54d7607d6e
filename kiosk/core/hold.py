"""Whether a rep held its trunk past a bar: the rep machine's depth test (kiosk/core/reps.py).

Pure: timestamps in seconds, trunk angles in degrees (any object with `t_s` and
`trunk_angle_deg`, e.g. reps.RepSample).
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
