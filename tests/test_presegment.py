"""The athlete picked out ahead of the loop (kiosk/analysis/presegment.py): a frame that
arrives segmented measures exactly as one the analyzer segments itself; a segmentation
made for another calibration is not used; the stage never raises. Frames: the simulator's
athlete through a rep, rendered with the exact calibration (tests/test_analysis_speedpath)."""

from __future__ import annotations

import functools
from dataclasses import replace

import numpy as np

from calibration.model import Calibration
from calibration.zone import zone_at
from hardware.frame import DepthFrame
from hardware.sim.source import SimConfig, SimulatedSource
from kiosk.analysis.analyzer import FrameAnalyzer, FrameResult, Presegmented
from kiosk.analysis.presegment import SegmentStage, presegment

try:
    from test_analysis_speedpath import PLACEMENT, PROFILE, STATURE_M, _scene
except ImportError:  # tests/ imported as a package
    from tests.test_analysis_speedpath import PLACEMENT, PROFILE, STATURE_M, _scene

FPS = 15.0
SCRIPT = {"reps": 1, "absent_s": 0.2, "walk_s": 0.8, "enter_x_m": -1.2, "exit_x_m": 1.2}


@functools.lru_cache(maxsize=1)
def _rep() -> tuple[tuple[DepthFrame, ...], Calibration]:
    """The simulator's athlete walking in and through one hinge, at FPS."""
    _, cal = _scene()
    src = SimulatedSource(SimConfig(script="dowel_reps", script_options=SCRIPT, placement=PLACEMENT,
                                    height_m=STATURE_M, seed=7))
    src.start()
    try:
        frames = []
        for i in range(int(8.0 * FPS)):
            depth, _ = src.render_depth(1.0 + i / FPS)
            frames.append(DepthFrame(depth, 0.001, src.intrinsics, 1.0 + i / FPS, i))
    finally:
        src.close()
    return tuple(frames), cal


def _run(frames: list[DepthFrame], cal: Calibration) -> tuple[FrameAnalyzer, list[FrameResult]]:
    a = FrameAnalyzer(cal, PROFILE, pause_on_second_person=True)
    return a, [a.process(f) for f in frames]


def _same(got: list[FrameResult], want: list[FrameResult]) -> None:
    for g, w in zip(got, want, strict=True):
        assert np.array_equal(g.body_m, w.body_m)
        assert repr(g.metrics) == repr(w.metrics) and repr(g.drill) == repr(w.drill)


def test_a_frame_segmented_ahead_measures_as_one_segmented_here() -> None:
    frames, cal = _rep()
    stage = SegmentStage.of(cal, PROFILE)
    pre = [replace(f, pre=presegment(f, stage)) for f in frames]
    assert all(isinstance(f.pre, Presegmented) for f in pre)
    ahead, got = _run(pre, cal)
    here, want = _run(list(frames), cal)
    assert ahead.presegmented == len(frames) and here.presegmented == 0
    assert sum(r.metrics.person for r in want) > len(frames) // 2  # the athlete was measured
    assert len(ahead.reps) == len(here.reps) == 1
    _same(got, want)


def test_a_segmentation_made_for_another_calibration_is_not_used() -> None:
    """The heading turned or the facing was decided while frames were in flight: their
    segmentation is of the old world frame, and the analyzer segments them again."""
    frames, cal = _rep()
    moved = replace(cal, zone=zone_at(0.3, 0.0))
    stale = SegmentStage.of(moved, PROFILE)
    assert stale.key != SegmentStage.of(cal, PROFILE).key
    pre = [replace(f, pre=presegment(f, stale)) for f in frames[:30]]
    ahead, got = _run(pre, cal)
    _, want = _run(list(frames[:30]), cal)
    assert ahead.presegmented == 0
    _same(got, want)


def test_the_stage_never_raises() -> None:
    """Anything but a stage, or a frame the stage cannot read, gives no segmentation (the
    loop then segments the frame itself): the capture process's loop never sees an error."""
    frames, cal = _rep()
    assert presegment(frames[0], None) is None and presegment(frames[0], "stage") is None
    broken = replace(frames[0], depth=np.zeros((3, 5), dtype=np.uint16))  # not the stream's shape
    assert presegment(broken, SegmentStage.of(cal, PROFILE)) is None
