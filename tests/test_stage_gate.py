"""The capture process runs its stage only while its core has room (hardware/stage_gate.py):
decided from the child's CPU per frame against the frames' own period, at every D4xx
frame rate, with dropped frames, and reopened when the load falls. The CPU clock is the
child's process clock, stood in for by a counter the test advances."""

from __future__ import annotations

import pytest

from hardware.stage_gate import MAX_BUSY_FRAC, PROBE_EVERY_S, StageGate


class Child:
    """A capture child: each frame costs `base_s` of CPU outside the stage, and the stage
    `stage_s` when the gate lets it run. Counts the frames the stage ran on."""

    def __init__(self, fps: float) -> None:
        self.cpu_s = 0.0
        self.t_s = 0.0
        self.period_s = 1.0 / fps
        self.gate = StageGate(lambda: self.cpu_s)
        self.ran = 0

    def frames(self, n: int, base_s: float, stage_s: float, drop_every: int = 0,
               first_s: float | None = None) -> list[bool]:
        """`first_s`: the stage's first run costs this (its caches built) instead."""
        out = []
        for i in range(n):
            self.t_s += self.period_s * (2 if drop_every and i % drop_every == 0 else 1)
            self.cpu_s += base_s
            self.gate.frame(self.t_s)
            allowed = self.gate.allows()
            if allowed:
                cost_s = first_s if first_s is not None and self.ran == 0 else stage_s
                self.cpu_s += cost_s
                self.gate.ran(cost_s)
                self.ran += 1
            out.append(allowed)
        return out


@pytest.mark.parametrize("fps", [6, 15, 30, 60, 90])
@pytest.mark.parametrize("drop_every", [0, 10])
def test_the_stage_runs_while_the_core_has_room_at_every_rate(fps: int, drop_every: int) -> None:
    """Filters at 30 % of a period and a stage at 10 %: every frame gets the stage."""
    child = Child(fps)
    p = child.period_s
    assert all(child.frames(3 * fps, base_s=0.3 * p, stage_s=0.1 * p, drop_every=drop_every))


@pytest.mark.parametrize("fps", [6, 15, 30, 60, 90])
def test_a_busy_core_stops_the_stage_and_a_quiet_one_restarts_it(fps: int) -> None:
    """Filters at 75 % of a period plus a 10 % stage is over MAX_BUSY_FRAC: after half a
    second or so the stage stops (the loop segments those frames); when the filters' cost
    falls to 40 %, it runs again within about a second."""
    child = Child(fps)
    p = child.period_s
    assert 0.75 + 0.1 > MAX_BUSY_FRAC >= 0.4 + 0.1
    busy = child.frames(2 * fps, base_s=0.75 * p, stage_s=0.1 * p)
    assert sum(busy[-fps:]) <= 1  # the last second: no stage (one probe at the most)
    quiet = child.frames(2 * fps, base_s=0.4 * p, stage_s=0.1 * p)
    assert all(quiet[-fps // 2 or -1:])  # room again: the stage is back


def test_the_stage_own_cost_counts() -> None:
    """Filters alone fit (60 %), filters plus a 30 % stage do not: the stage's own CPU is
    not hidden in the child's per-frame cost, and the gate does not flap every frame."""
    child = Child(30)
    p = child.period_s
    got = child.frames(90, base_s=0.6 * p, stage_s=0.3 * p)
    assert got[0] and sum(got[30:]) <= 1  # off, but for one probe in two seconds
    assert child.gate.base_s == pytest.approx(0.6 * p, rel=0.05)


def test_a_gap_in_the_stream_is_not_a_period() -> None:
    """A two-second gap (the camera re-plugged) teaches nothing about the period."""
    child = Child(30)
    child.frames(30, base_s=0.2 / 30, stage_s=0.05 / 30)
    period = child.gate.period_s
    child.t_s += 2.0
    child.frames(1, base_s=0.2 / 30, stage_s=0.05 / 30)
    assert child.gate.period_s == period


def test_a_first_run_that_builds_caches_is_not_the_stage_cost() -> None:
    """The stage's first frame after a new calibration builds its rays and background model
    (ten periods' worth here): that is not what each frame costs, and the stage keeps running."""
    child = Child(30)
    p = child.period_s
    assert all(child.frames(60, base_s=0.3 * p, stage_s=0.1 * p, first_s=10 * p))
    child.gate.new_config()  # a new calibration: caches again
    child.ran = 0
    assert all(child.frames(60, base_s=0.3 * p, stage_s=0.1 * p, first_s=10 * p))


def test_a_stage_held_off_is_tried_again() -> None:
    """A stage measured as too costly (the core was busy with something else then) is run
    once every PROBE_EVERY_S; when it has become cheap it runs on every frame again."""
    child = Child(30)
    p = child.period_s
    child.frames(60, base_s=0.5 * p, stage_s=0.5 * p)
    assert sum(child.frames(30, base_s=0.5 * p, stage_s=0.5 * p)) <= 1  # held off
    later = child.frames(round(2 * PROBE_EVERY_S * 30), base_s=0.5 * p, stage_s=0.1 * p)
    assert all(later[-30:])
