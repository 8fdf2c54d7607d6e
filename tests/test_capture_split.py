"""The capture split over two child processes (hardware/capture_split.py): the same frames,
bit for bit, as the single filter chain; real SDK playback in the inner child, a real
software device and spatial filter in the outer one, real shared memory between them."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from hardware.capture_process import CaptureProcess
from hardware.capture_split import first_half, open_split, second_half
from hardware.playback import RecordingSource
from hardware.source import SourceState
from kiosk.analysis.analyzer import MEASURE_FILTERS
from kiosk.evaluation.bench_capture import children_of as _children
from kiosk.sources import open_source

try:  # the 20-frame SDK recording fixture
    from test_capture_process import Recorded, rec20
except ImportError:  # tests/ imported as a package
    from tests.test_capture_process import Recorded, rec20  # noqa: F401


def test_the_halves_make_up_the_chain() -> None:
    a, b = first_half(MEASURE_FILTERS), second_half(MEASURE_FILTERS)
    assert (a.decimation, a.min_distance_m, a.max_distance_m, a.spatial) == (2, 0.3, 4.5, False)
    m = MEASURE_FILTERS
    assert (b.decimation, b.spatial, b.spatial_alpha, b.spatial_delta, b.spatial_iterations) == (
        1, True, m.spatial_alpha, m.spatial_delta, m.spatial_iterations)


def test_split_frames_are_the_single_chains_bit_for_bit(rec20: Recorded) -> None:
    path, _ = rec20
    with RecordingSource(path, filters=MEASURE_FILTERS) as one:
        want = []
        while (f := one.read(5.0)) is not None:
            want.append(f)
    got = []
    with CaptureProcess(open_split, daemon=False, first_opener=open_source, filters=MEASURE_FILTERS,
                        first_newest_only=False, spec=str(path)) as split:
        while (f := split.read(5.0)) is not None:
            got.append(f)
        assert split.status.state is SourceState.ENDED
    assert len(got) == len(want) == 20
    for g, w in zip(got, want, strict=True):
        assert g.depth.shape == w.depth.shape == (240, 424)
        assert np.array_equal(g.depth, w.depth)
        assert (g.index, g.timestamp_s, g.depth_scale_m, g.intrinsics) == (w.index, w.timestamp_s,
                                                                           w.depth_scale_m, w.intrinsics)
        assert g.arrival_s is not None


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "zombie" not in status


def test_closing_the_split_ends_both_children(rec20: Recorded) -> None:
    path, _ = rec20
    split = CaptureProcess(open_split, daemon=False, newest_only=True, first_opener=open_source,
                           filters=MEASURE_FILTERS, first_newest_only=True, spec=str(path), realtime=True)
    split.start()
    outer = split.child_pid
    assert outer is not None
    inner = _children(outer)
    assert len(inner) == 1  # child A, the camera's half
    assert split.read(5.0) is not None
    split.close()
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in (outer, *inner)):
        time.sleep(0.05)
    assert not any(Path(f"/proc/{p}").exists() for p in (outer, *inner))


def test_auto_splits_with_four_cores_or_more() -> None:
    from pydantic import ValidationError

    from kiosk.app.config import CameraSection
    from kiosk.app.sources import split_capture

    assert [split_capture("auto", n) for n in (1, 2, 3, 4, 8)] == [False, False, False, True, True]
    assert split_capture("on", 2) and not split_capture("off", 8)
    with pytest.raises(ValidationError):
        CameraSection(capture_split="sometimes")  # type: ignore[arg-type]


def test_a_killed_half_is_started_again_and_frames_go_on(rec20: Recorded) -> None:
    """Either child may die (the SDK, memory): the camera's half is restarted by the outer
    child, the outer child (and with it a new camera's half) by the kiosk; the old camera's
    half goes away with its parent, and no shared memory is left behind."""
    import signal

    path, _ = rec20
    shm_before = set(os.listdir("/dev/shm"))
    split = CaptureProcess(open_split, daemon=False, newest_only=True, first_opener=open_source,
                           filters=MEASURE_FILTERS, first_newest_only=True, spec=str(path), realtime=True)
    split.start()
    try:
        outer = split.child_pid
        assert outer is not None and split.read(5.0) is not None
        (inner,) = _children(outer)
        os.kill(inner, signal.SIGKILL)
        after_inner = [split.read(1.0) for _ in range(12)]
        assert any(f is not None for f in after_inner[-6:])  # the outer child restarted its camera
        assert split.restarts == 0
        (orphan,) = _children(outer)  # the camera's half the outer child started again
        os.kill(outer, signal.SIGKILL)
        after_outer = [split.read(1.0) for _ in range(12)]
        assert split.restarts == 1 and any(f is not None for f in after_outer)
        deadline = time.monotonic() + 10.0
        while time.monotonic() < deadline and _alive(orphan):
            time.sleep(0.05)
        assert not _alive(orphan)  # it saw its parent go and stopped
    finally:
        split.close()
    from capture_fakes import orphan_rings

    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline and orphan_rings(shm_before):
        time.sleep(0.1)
    assert not orphan_rings(shm_before)


def test_the_inner_process_gives_up_before_its_owner() -> None:
    """Else the owner kills the outer child while it waits on the inner one, which is left
    with the camera and nobody told why."""
    from hardware.capture_process import START_TIMEOUT_S, STOP_TIMEOUT_S
    from hardware.capture_split import INNER_START_S, INNER_STOP_S

    assert INNER_START_S < START_TIMEOUT_S - 5.0 and 2 * INNER_STOP_S < STOP_TIMEOUT_S


def test_an_odd_frame_costs_that_frame_not_the_children() -> None:
    from capture_fakes import open_scripted

    with CaptureProcess(open_split, daemon=False, first_opener=open_scripted, filters=MEASURE_FILTERS,
                        first_newest_only=False, n=30, fps=0, bad_at=10) as split:
        got = []
        while (f := split.read(5.0)) is not None:
            got.append(f.index)
        assert split.restarts == 0 and split.status.state is SourceState.ENDED
    assert 10 not in got and len(got) == 29
