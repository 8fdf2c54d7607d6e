"""Fault injection (issue 6): the real kiosk loop on the simulated athlete while the
simulated camera misbehaves (hardware/sim/faults.py: the bad frames go through the SDK's
software device and filters like a real camera's). The kiosk must keep running, ping the
watchdog every iteration, count no rep that was not done, and tell an athlete it cannot
judge why ("cannot see you clearly", "only one person") instead of a verdict.

Fault windows are placed from the script's own rep plan (ground truth), never from what
the kiosk measured.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_kiosk_app import KeyedRenderer, SpyAudio, StepClock, Supervisor

from hardware.sim.anthropometry import Athlete
from hardware.sim.faults import Fault, parse_fault
from hardware.sim.motion import make_script
from hardware.sim.source import SimConfig
from hardware.source import SourceState, SourceStatus
from kiosk.analysis.analyzer import with_drill
from kiosk.app.config import KioskConfig, SimSection
from kiosk.app.flow import FlowConfig, Screen
from kiosk.app.loop import KioskLoop, LoopParts
from kiosk.app.sources import KioskSources
from kiosk.app.view import ViewModel
from kiosk.core.profile_loader import load_profile

OPTIONS = {"reps": 2, "walk_s": 1.5, "enter_x_m": -1.6, "exit_x_m": 1.6, "absent_s": 1.5, "pause_s": 2.5,
           "stand_s": 2.5}
CAL_FRAMES = 15


class SpyRenderer(KeyedRenderer):
    """The real renderer, remembering every view's lines (transitions keep only key changes)."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[tuple[str, ...]] = []

    def draw(self, vm: ViewModel) -> None:
        self.lines.append((vm.cue, *vm.lines))  # the big cue line, then the smaller ones
        super().draw(vm)


@pytest.fixture(scope="module")
def display() -> Iterator[SpyRenderer]:
    r = SpyRenderer()
    yield r
    r.close()


def plan() -> tuple[float, float, float, float]:
    """(rep0 start, rep0 end, rep1 start, rep1 end) of the script, seconds."""
    reps = make_script("dowel_reps", Athlete(), **OPTIONS).reps
    return reps[0].start_s, reps[0].end_s, reps[1].start_s, reps[1].end_s


def run(display: SpyRenderer, tmp: Path, faults: tuple[Fault, ...]) -> tuple[KioskLoop, LoopParts, int]:
    display.lines.clear()
    cfg = KioskConfig(flow=FlowConfig(result_empty_s=1.0, result_min_s=1.0), sim=SimSection(loop=False))
    sim = SimConfig(script="dowel_reps", script_options=dict(OPTIONS), faults=faults)
    profile = with_drill(load_profile(), dowel_reps=2)
    parts = LoopParts(sources=KioskSources(cfg, sim=sim, realtime=False), profile=profile, cfg=cfg,
                      display=display, audio=SpyAudio(), clock=StepClock(), supervisor=Supervisor(),
                      screenshot_dir=tmp)
    script = make_script("dowel_reps", Athlete(), **OPTIONS)
    frames = CAL_FRAMES + round(30 * script.duration_s)
    loop = KioskLoop(parts, "sim")
    assert loop.run(max_frames=frames) == 0  # kept running: no exit, no error status
    return loop, parts, frames


def judged(loop: KioskLoop) -> list[bool]:
    """Verdicts of every rep the kiosk judged: finished sessions, and the one in progress
    unless it is the result on screen (already among the finished)."""
    s = loop.session
    assert s is not None
    flows = list(s.finished)
    if s.flow.screen is not Screen.RESULT:
        flows.append(s.flow.reps)
    return [r.passed for reps in flows for r in reps]


def test_stream_faults_between_reps_change_nothing(display: SpyRenderer, tmp_path: Path) -> None:
    s0, e0, s1, _ = plan()
    pause = (e0 + s1) / 2
    faults = (
        parse_fault(f"drop@{s0 - 1.6:.2f}+0.4"),  # standing on the spot before the first rep
        parse_fault(f"garbage@{s0 - 1.0:.2f}+0.2"),
        parse_fault(f"zeros@{pause - 0.6:.2f}+0.3"),  # between the reps
        parse_fault(f"freeze@{pause:.2f}+0.3"),
        parse_fault(f"time_back@{pause + 0.5:.2f}+0.2:1.0"),
    )
    loop, parts, frames = run(display, tmp_path, faults)
    sup = parts.supervisor
    assert isinstance(sup, Supervisor) and sup.ticks == frames  # the watchdog was pinged throughout
    assert not any(t.key.startswith("status-error") for t in parts.transitions)
    assert judged(loop) == [True, True], [t.key for t in parts.transitions]


def test_holes_and_a_second_person_are_told_not_judged(display: SpyRenderer, tmp_path: Path) -> None:
    s0, e0, _, e1 = plan()
    bottom0 = (s0 + e0) / 2
    faults = (
        Fault("holes", bottom0 - 0.6, 1.2, 0.85),  # dark clothing over most of the body mid-rep
        Fault("second_person", e0 + 0.3, 1.5, 0.9),  # someone steps into the station between reps
        Fault("half_out", e1 + 0.4, 1.0),  # half the body out of view after the last rep
    )
    loop, parts, frames = run(display, tmp_path, faults)
    sup = parts.supervisor
    assert isinstance(sup, Supervisor) and sup.ticks == frames
    said = [" ".join(lines) for lines in display.lines]
    assert any("Cannot see you clearly" in s for s in said), "holes were not told to the athlete"
    assert any("Only one person" in s for s in said), "the second person was not told"
    unclear = [t.key for t in parts.transitions if t.key.endswith("-unclear")]
    assert len(unclear) >= 2, [t.key for t in parts.transitions]  # its own screen state each time
    assert len(judged(loop)) <= 2  # no rep that was not done


class Unplugged:
    """A real simulated source whose cable is pulled for frames [pull, plug): read() gives
    nothing and the status says disconnected, as LiveSource does."""

    def __init__(self, src: Any, pull: int, plug: int) -> None:
        self._src, self.pull, self.plug, self.calls = src, pull, plug, 0

    def read(self, timeout_s: float = 1.0) -> Any:
        self.calls += 1
        if self.pull <= self.calls < self.plug:
            return None
        return self._src.read(timeout_s)

    @property
    def status(self) -> SourceStatus:
        if self.pull <= self.calls < self.plug:
            return SourceStatus(state=SourceState.DISCONNECTED,
                                message="camera disconnected: check the USB cable")
        return self._src.status  # type: ignore[no-any-return]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._src, name)


class PullsTheCable(KioskSources):
    def open(self, spec: str, for_calibration: bool = False,
             depth_limit_m: float | None = None):  # type: ignore[no-untyped-def]
        src = super().open(spec, for_calibration, depth_limit_m)
        return src if for_calibration else Unplugged(src, pull=150, plug=210)


def test_camera_unplugged_mid_session_is_shown_within_a_second(display: SpyRenderer, tmp_path: Path) -> None:
    cfg = KioskConfig(sim=SimSection(loop=False))
    sim = SimConfig(script="dowel_reps", script_options=dict(OPTIONS), max_seconds=9.0)
    parts = LoopParts(sources=PullsTheCable(cfg, sim=sim, realtime=False), profile=load_profile(), cfg=cfg,
                      display=display, audio=SpyAudio(), clock=StepClock(), supervisor=Supervisor(),
                      screenshot_dir=tmp_path)
    loop = KioskLoop(parts, "sim")
    frames = CAL_FRAMES + 260
    assert loop.run(max_frames=frames) == 0
    sup = parts.supervisor
    assert isinstance(sup, Supervisor) and sup.ticks == frames  # watchdog pinged while unplugged
    keys = [(t.index, t.key) for t in parts.transitions]
    lost = [i for i, k in keys if k == "status-camera-lost"]
    assert lost, keys
    pulled_at = CAL_FRAMES + 150 - 1  # the loop's iteration whose read first got nothing
    assert (lost[0] - pulled_at) / 30.0 <= 1.0, keys  # on screen within a second
    back = [i for i, k in keys if i > lost[0] and not k.startswith("status")]
    assert back, keys  # frames again: the station carries on by itself
    assert loop.session is not None  # same session: the calibration and athlete were kept
