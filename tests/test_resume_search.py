"""Where a playback without a frame index resumes after damage (hardware/resume_search.py).

The timelines are file clocks as a recorder writes them: bursts far closer than the median
interval and stalls many intervals long (measured on software-device recordings made while
both cores were busy: intervals from 0.3x to 20x the median). The probe plays the timeline
as the SDK does: from a file time, the first frame at or after it, stopping at a damaged one.
A fixed step of whole median intervals (what the playback used before) jumps readable
frames on these clocks; the search must land on the first readable frame every time."""

from __future__ import annotations

import bisect

import numpy as np
import pytest

from hardware.resume_search import find_resume_ns


def _probe_on(times_ns: list[int], bad: set[int]):  # type: ignore[no-untyped-def]
    calls: list[int] = []

    def probe(t: int) -> int | None:
        calls.append(t)
        i = bisect.bisect_left(times_ns, t)
        if i == len(times_ns) or i in bad:
            return None
        return times_ns[i]

    return probe, calls


def _bursty_clock(n: int, seed: int) -> list[int]:
    rng = np.random.default_rng(seed)
    steps = rng.choice([0.3, 0.9, 1.0, 1.1, 10.0, 20.0], p=[0.15, 0.3, 0.3, 0.15, 0.07, 0.03], size=n)
    return [int(x) for x in np.cumsum(steps * 450_000)]


def _resume_index(times: list[int], bad: set[int], first_bad: int) -> int | None:
    probe, _ = _probe_on(times, bad)
    intervals = np.diff(times[: max(first_bad, 2)])
    unit = 0.5 * float(intervals.min()) if len(intervals) else 450_000.0
    after = times[first_bad - 1] if first_bad > 0 else -1
    got = find_resume_ns(after, unit, times[-1], probe)
    return None if got is None else bisect.bisect_left(times, got)


@pytest.mark.parametrize("seed", range(40))
def test_resumes_on_the_first_readable_frame_on_a_bursty_clock(seed: int) -> None:
    times = _bursty_clock(120, seed)
    rng = np.random.default_rng(1000 + seed)
    start = int(rng.integers(1, 100))
    length = int(rng.integers(1, 15))
    bad = set(range(start, start + length))
    assert _resume_index(times, bad, start) == start + length


def test_damage_at_the_start_and_to_the_end() -> None:
    times = _bursty_clock(60, 7)
    assert _resume_index(times, {0, 1, 2}, 0) == 3
    assert _resume_index(times, set(range(50, 60)), 50) is None


def test_a_long_stretch_costs_a_logarithmic_number_of_probes() -> None:
    times = [i * 33_333_333 for i in range(3000)]  # 100 s at 30 fps, regular
    bad = set(range(100, 1900))  # a minute of damage
    probe, calls = _probe_on(times, bad)
    got = find_resume_ns(times[99], 0.5 * 33_333_333, times[-1], probe)
    assert got is not None and bisect.bisect_left(times, got) == 1900
    assert len(calls) <= 2 * int(np.log2(1800 * 2)) + 2


def test_the_old_fixed_step_jumps_frames_on_the_same_clocks() -> None:
    """The control: stepping whole median intervals (1.5, 2.5, ... past the last frame read)
    misses readable frames on these clocks, so the timelines above do test the search."""
    missed = 0
    for seed in range(40):
        times = _bursty_clock(120, seed)
        rng = np.random.default_rng(1000 + seed)
        start = int(rng.integers(1, 100))
        length = int(rng.integers(1, 15))
        bad = set(range(start, start + length))
        median = float(np.median(np.diff(times[: start + 1]))) if start > 1 else 450_000.0
        for k in range(1, 400):
            i = bisect.bisect_left(times, int(times[start - 1] + (k + 0.5) * median))
            if i >= len(times) or i not in bad:
                missed += i != start + length
                break
    assert missed >= 5
