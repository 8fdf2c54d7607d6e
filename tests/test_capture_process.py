"""The capture process (hardware/capture_process.py): a source run in a child process,
frames handed over through shared memory. Real paths: recordings written by the SDK's
recorder, read by the SDK's playback in the child; a real SIGKILL; real POSIX shared memory."""

from __future__ import annotations

import os
import signal
import threading
from multiprocessing.shared_memory import SharedMemory
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from hardware.capture_process import CaptureProcess
from hardware.playback import RecordingSource
from hardware.source import FrameSource, SourceError, SourceState
from kiosk.sources import open_source

try:
    from test_recording_damage import _record
except ImportError:  # tests/ imported as a package
    from tests.test_recording_damage import _record


Recorded = tuple[Path, list[npt.NDArray[np.uint16]]]


@pytest.fixture(scope="module")
def rec20(tmp_path_factory: pytest.TempPathFactory) -> Recorded:
    path = tmp_path_factory.mktemp("capture") / "rec20.db3"
    return path, _record(path, 20, seed=3)


def test_every_frame_arrives_bit_exact_and_in_order_then_the_end(rec20: Recorded) -> None:
    path, depths = rec20
    with CaptureProcess(open_source, spec=str(path)) as src:
        assert src.child_pid is not None and src.child_pid != os.getpid()
        got = []
        while (f := src.read(5.0)) is not None:
            got.append(f)
        assert src.status.state is SourceState.ENDED
        assert src.status.message == "end of recording after 20 frames"
    with RecordingSource(path) as direct:
        first = direct.read(5.0)
    assert first is not None
    assert [f.index for f in got] == list(range(20))
    assert all((f.depth == d).all() for f, d in zip(got, depths, strict=True))
    assert got[0].timestamp_s == first.timestamp_s and got[0].intrinsics == first.intrinsics
    assert got[0].depth_scale_m == first.depth_scale_m


def test_a_source_that_cannot_start_raises_the_childs_one_line_reason(tmp_path: Path) -> None:
    bad = tmp_path / "take.db3"
    bad.write_bytes(b"not a recording")
    with pytest.raises(SourceError) as in_process:
        open_source(str(bad)).start()
    with pytest.raises(SourceError) as child:
        CaptureProcess(open_source, spec=str(bad)).start()
    assert str(child.value) == str(in_process.value) and "\n" not in str(child.value)


def test_a_killed_child_is_restarted_and_nothing_raises(rec20: Recorded) -> None:
    path, _ = rec20
    src = CaptureProcess(open_source, spec=str(path), realtime=True)
    src.start()
    try:
        assert src.read(5.0) is not None
        first_pid, first_shm = src.child_pid, src.shared_memory_name
        assert first_pid is not None and first_shm is not None
        os.kill(first_pid, signal.SIGKILL)
        frames_after = [src.read(2.0) for _ in range(8)]
        assert src.restarts == 1 and src.child_pid not in (None, first_pid)
        assert any(f is not None for f in frames_after)  # the recording plays again
        with pytest.raises(FileNotFoundError):  # the dead child's ring was released
            SharedMemory(name=first_shm)
    finally:
        src.close()


def test_close_releases_the_shared_memory_and_the_child(rec20: Recorded) -> None:
    path, _ = rec20
    src = CaptureProcess(open_source, spec=str(path), realtime=True)
    src.start()
    name, pid = src.shared_memory_name, src.child_pid
    assert name is not None and pid is not None and src.read(5.0) is not None
    src.close()
    with pytest.raises(FileNotFoundError):
        SharedMemory(name=name)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert src.read(0.1) is None and src.status.state is SourceState.STOPPED


@pytest.mark.parametrize("split", ["off", "on"])
def test_the_kiosk_loop_judges_a_rep_through_the_capture_process(tmp_path: Path, split: str) -> None:
    """The loop with `camera.capture_process = "on"`: the simulated athlete rendered and
    filtered in the child (with `capture_split = "on"`, over two children: rendered and
    decimated in one, spatially filtered and segmented in the other), the same screens
    and verdict as in one process."""
    from hardware.sim.source import SimConfig
    from kiosk.app.config import CameraSection, KioskConfig, SimSection
    from kiosk.app.flow import FlowConfig
    from kiosk.app.sources import KioskSources

    try:
        from test_kiosk_app import SHORT, KeyedRenderer, check_verdicts, is_subsequence, make_loop, screens
    except ImportError:
        from tests.test_kiosk_app import (
            SHORT,
            KeyedRenderer,
            check_verdicts,
            is_subsequence,
            make_loop,
            screens,
        )

    options = {**SHORT, "reps": 1, "absent_s": 2.0}
    cfg = KioskConfig(flow=FlowConfig(result_empty_s=1.0, result_min_s=1.0), sim=SimSection(loop=False),
                      camera=CameraSection(capture_process="on", capture_split=split))  # type: ignore[arg-type]
    opened: list[type] = []

    class Spy(KioskSources):
        def open(self, spec: str, for_calibration: bool = False,
                 depth_limit_m: float | None = None) -> FrameSource:
            src = super().open(spec, for_calibration, depth_limit_m)
            opened.append(type(src))
            openers.append(getattr(src, "_opener", None))
            return src

    openers: list[object] = []
    sources = Spy(cfg, sim=SimConfig(script="squat_pattern", script_options=options), realtime=False)
    display = KeyedRenderer()
    try:
        loop, parts = make_loop(display, tmp_path, "squat_pattern", options, sources=sources)
        assert loop.run(max_frames=15 + round(30 * 12.5)) == 0
    finally:
        display.close()
    got = screens(parts)
    assert is_subsequence(["attract", "detected", "stance", "dowel", "result"], got), got
    assert check_verdicts(parts) == [False], got  # the scripted squat rep fails, as in one process
    assert opened and set(opened) == {CaptureProcess}  # calibration frames and the drill's
    from hardware.capture_split import open_split

    assert (open_split in openers) == (split == "on")
    assert openers[0] is not open_split  # the calibration's raw frames: one child


def _kiosk_on_recording(tmp_path: Path, rec: Path, capture: str) -> tuple[list[str], list[bool], int, int]:
    """The kiosk loop over a recording, its capture process `capture` ("on"/"off"): the
    screens, the verdicts, frames the analysis took and frames that came segmented."""
    from kiosk.app.config import CameraSection, KioskConfig, SimSection
    from kiosk.app.flow import FlowConfig
    from kiosk.app.sources import KioskSources

    try:
        from test_kiosk_app import KeyedRenderer, check_verdicts, make_loop, screens
    except ImportError:
        from tests.test_kiosk_app import KeyedRenderer, check_verdicts, make_loop, screens

    cfg = KioskConfig(flow=FlowConfig(result_empty_s=1.0, result_min_s=1.0), sim=SimSection(loop=False),
                      camera=CameraSection(capture_process=capture))  # type: ignore[arg-type]
    display = KeyedRenderer()
    frames = 0
    try:
        loop, parts = make_loop(display, tmp_path / capture, "squat_pattern", {}, spec=str(rec),
                                sources=KioskSources(cfg, realtime=False))
        loop.run(max_frames=15 + round(30 * 12.5))
        assert loop.session is not None
        frames = sum(1 for t in parts.transitions if t.key)  # screens drawn: at least one a frame
        seg = loop.session.observer.presegmented
    finally:
        display.close()
    return screens(parts), check_verdicts(parts), frames, seg


def test_the_capture_process_picks_the_athlete_out_and_the_verdict_stands(tmp_path: Path) -> None:
    """A recorded athlete through the kiosk loop with the capture process on: the child
    reads, filters and, once the station has handed it the calibration, segments each frame
    (kiosk/analysis/presegment.py; reading a recording leaves its core room, capture_stage.py);
    the loop measures those frames without segmenting them again, with the same screens and
    verdict as in one process."""
    from hardware.recorder import record_sim
    from hardware.sim.source import SimConfig

    try:
        from test_kiosk_app import SHORT
    except ImportError:
        from tests.test_kiosk_app import SHORT

    rec = tmp_path / "squat.db3"
    record_sim(SimConfig(script="squat_pattern", script_options={**SHORT, "reps": 1, "absent_s": 2.0}), rec)
    one = _kiosk_on_recording(tmp_path, rec, "off")
    two = _kiosk_on_recording(tmp_path, rec, "on")
    assert one[:2] == two[:2] and one[1] == [False], (one, two)  # the scripted squat rep fails
    assert one[3] == 0 and two[3] >= 30 * 8, (one, two)


def big_stage(frame: object, config: object) -> npt.NDArray[np.float64]:
    """A stage whose result is larger than a pipe's buffer (module-level: the spawned child
    imports it by name)."""
    return np.full(400_000, 1.0)


def test_a_large_stage_config_and_large_results_never_block_each_other(rec20: Recorded) -> None:
    """A stage config (a calibration with its background model) and a frame's stage result
    can each be larger than a pipe's buffer. Sent both ways down the one pipe, the parent
    blocked sending the config while the child is blocked sending a frame held both for good
    (the kiosk benchmark hung so); the config goes through a private file (StageFile)."""
    path, _ = rec20
    config = np.zeros(1_000_000)  # 8 MB
    done, got = threading.Event(), []

    def run() -> None:
        with CaptureProcess(open_source, stage=big_stage, spec=str(path)) as src:
            for i in range(20):
                src.set_stage(config + i)  # a new config every frame
                f = src.read(5.0)
                if f is None:
                    break
                got.append(f.pre is not None)
        done.set()

    threading.Thread(target=run, daemon=True).start()
    assert done.wait(90.0), "the loop and the capture child blocked each other"
    assert len(got) == 20 and sum(got) >= 15, got


def raising_stage(frame: object, config: object) -> object:
    raise RuntimeError("a stage that fails")


def unpicklable_stage(frame: object, config: object) -> object:
    return lambda: None


@pytest.mark.parametrize("stage", [raising_stage, unpicklable_stage], ids=["raises", "unpicklable"])
def test_a_failing_stage_costs_its_result_not_the_child(rec20: Recorded, stage: object) -> None:
    """A stage that raises, or whose result cannot cross to the loop, gives frames without
    a result; the child stays up (it crash-looped every 3 s before, found by an adversarial
    review) and every frame still arrives."""
    path, _ = rec20
    with CaptureProcess(open_source, stage=stage, spec=str(path)) as src:  # type: ignore[arg-type]
        src.set_stage("config")
        pid = src.child_pid
        got = []
        while (f := src.read(5.0)) is not None:
            got.append(f)
        assert src.restarts == 0 and src.child_pid == pid
    assert len(got) == 20 and all(f.pre is None for f in got)


def test_a_burst_of_stage_configs_never_blocks_the_loop(rec20: Recorded) -> None:
    """Hundreds of configs set without reading in between: one hand-over a read, so the
    parent never fills the pipe while the child waits to send a frame (a burst of 500
    deadlocked both, found by an adversarial review)."""
    path, _ = rec20
    done, got = threading.Event(), []

    def run() -> None:
        with CaptureProcess(open_source, stage=big_stage, spec=str(path)) as src:
            for i in range(500):
                src.set_stage(np.full(100_000, float(i)))
            while (f := src.read(5.0)) is not None:
                got.append(f)
        done.set()

    threading.Thread(target=run, daemon=True).start()
    assert done.wait(90.0), "the loop and the capture child blocked each other"
    assert len(got) == 20


def _wait_until_ring_full() -> None:
    """Give the unpaced child time to fill every slot (it then waits for one back)."""
    import time

    time.sleep(1.0)


def test_newest_only_takes_the_newest_frame_waiting_and_gives_the_rest_back(rec20: Recorded) -> None:
    """A loop that fell behind a camera catches up at once: the read takes the newest of
    the frames that came meanwhile, the older ones' slots go back unread and are counted,
    and the end of the recording still comes after its last frame."""
    from hardware.capture_child import SLOTS

    path, depths = rec20
    with CaptureProcess(open_source, newest_only=True, spec=str(path)) as src:
        _wait_until_ring_full()
        first = src.read(5.0)
        assert first is not None and first.index == SLOTS - 1 and src.dropped == SLOTS - 1
        assert (first.depth == depths[SLOTS - 1]).all()
        got = [first]
        while (f := src.read(5.0)) is not None:
            got.append(f)
            _wait_until_ring_full()
        assert src.status.state is SourceState.ENDED
    indices = [f.index for f in got]
    assert indices == sorted(set(indices)) and indices[-1] == 19
    assert len(got) + src.dropped == 20  # every frame was either read or passed over
    assert all((f.depth == depths[f.index]).all() for f in got)


def test_in_order_a_slow_reader_still_gets_every_frame(rec20: Recorded) -> None:
    path, _ = rec20
    with CaptureProcess(open_source, spec=str(path)) as src:
        _wait_until_ring_full()
        got = [src.read(5.0) for _ in range(3)]
        assert [f.index for f in got if f is not None] == [0, 1, 2] and src.dropped == 0


def test_a_frame_carries_when_it_reached_the_host_across_the_process(rec20: Recorded) -> None:
    """arrival_s is the child's read on the host's monotonic clock: after the start, before
    the hand-over; the ring's wait is part of a frame's age, so latency measures count it."""
    import time

    path, _ = rec20
    t0 = time.perf_counter()
    with CaptureProcess(open_source, spec=str(path)) as src:
        _wait_until_ring_full()
        f = src.read(5.0)
        handed_s = time.perf_counter()
    assert f is not None and f.arrival_s is not None
    assert t0 < f.arrival_s < handed_s - 0.5  # it waited in the ring while the reader slept


@pytest.mark.parametrize("newest_only", [False, True])
def test_a_late_reader_of_a_paced_source_sees_fresh_frames_only_when_newest(rec20: Recorded,
                                                                            newest_only: bool) -> None:
    """A reader taking 100 ms a frame behind a 30 fps source: in order, each frame waits
    behind the ring's others (~0.3 s old when taken); newest-only, under one reader period."""
    import time

    path, _ = rec20
    ages: list[float] = []
    with CaptureProcess(open_source, newest_only=newest_only, spec=str(path), realtime=True) as src:
        while (f := src.read(5.0)) is not None:
            assert f.arrival_s is not None
            ages.append(time.perf_counter() - f.arrival_s)
            time.sleep(0.1)
    late = sorted(ages[3:])[len(ages[3:]) // 2]  # the median once the ring had time to fill
    if newest_only:
        assert late < 0.1, ages
    else:
        assert late > 0.2, ages


def test_newest_first_holds_when_the_status_changes_with_every_frame() -> None:
    """The simulator's status counts frames: a status between every two frames must not
    turn newest-first back into oldest-first (each read then got the oldest frame)."""
    import itertools
    import time

    from capture_fakes import open_scripted

    with CaptureProcess(open_scripted, newest_only=True, n=1000, fps=30, status_every=1) as src:
        got = []
        for _ in range(10):
            if (f := src.read(2.0)) is not None:
                got.append(f.index)
            time.sleep(0.2)  # a slow loop: ~6 frames come per read
        assert src.dropped > 20
    assert got == sorted(got) and max(b - a for a, b in itertools.pairwise(got)) >= 3


def test_a_stream_of_statuses_never_holds_a_read_past_its_timeout() -> None:
    """Frames too large for a slot: the child says so once, and read() returns by its
    timeout with the reason as the status (it looped on statuses for good)."""
    import time

    from capture_fakes import open_scripted

    with CaptureProcess(open_scripted, n=100_000, fps=0, shape=(800, 1280)) as src:
        t0 = time.monotonic()
        assert src.read(1.0) is None and src.read(1.0) is None
        assert time.monotonic() - t0 < 4.0
        assert src.status.state is SourceState.WAITING and "too large" in src.status.message


def test_a_start_that_cannot_spawn_says_so_in_one_line_and_leaves_no_ring() -> None:
    before = set(os.listdir("/dev/shm"))
    src = CaptureProcess(open_source, spec=lambda: None)  # a config that will not pickle
    with pytest.raises(SourceError) as err:
        src.start()
    assert str(err.value).startswith("the capture process could not start") and "\n" not in str(err.value)
    from capture_fakes import orphan_rings

    assert not orphan_rings(before)
    src.close()
