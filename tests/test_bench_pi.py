"""kiosk/evaluation/bench_pi.py's parts: the cgroup quota helper and the replayed camera's clock.
No timing is asserted: the camera runs on a fake clock; the cgroup test checks files."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pytest

from hardware.frame import DepthFrame, Intrinsics
from hardware.source import SourceState
from kiosk.evaluation.bench_pi import CGROUP_CPU, CpuQuota, ReplayCamera, cgroup_cpu_writable

INTR = Intrinsics(width=4, height=2, fx=1.0, fy=1.0, ppx=2.0, ppy=1.0)


def _frames(n: int, period_s: float = 1 / 30) -> list[DepthFrame]:
    depth = np.zeros((2, 4), np.uint16)
    return [DepthFrame(depth=depth, depth_scale_m=0.001, intrinsics=INTR,
                       timestamp_s=10.0 + i * period_s, index=i) for i in range(n)]


class FakeClock:
    def __init__(self) -> None:
        self.t_s = 100.0

    def now(self) -> float:
        return self.t_s

    def sleep(self, dt_s: float) -> None:
        self.t_s += dt_s


def test_a_fast_reader_gets_every_frame_at_its_arrival() -> None:
    clock = FakeClock()
    cam = ReplayCamera(_frames(5), INTR, now=clock.now, sleep=clock.sleep)
    got = [cam.read(1.0) for _ in range(5)]
    assert [f.index for f in got if f is not None] == [0, 1, 2, 3, 4]
    assert (cam.delivered, cam.dropped) == (5, 0)
    assert clock.t_s == pytest.approx(100.0 + 4 / 30)  # waited for each frame, never ahead of the camera
    assert cam.read(1.0) is None and cam.status.state is SourceState.ENDED


def test_a_slow_reader_gets_the_newest_frame_and_the_rest_are_dropped() -> None:
    clock = FakeClock()
    cam = ReplayCamera(_frames(10), INTR, now=clock.now, sleep=clock.sleep)
    first = cam.read(1.0)
    clock.t_s += 0.1  # a 100 ms iteration: frames 1-3 have arrived meanwhile
    second = cam.read(1.0)
    assert first is not None and second is not None
    assert (first.index, second.index) == (0, 3)
    assert (cam.delivered, cam.dropped) == (2, 2)
    assert second.arrival_s == pytest.approx(100.0 + 3 / 30)  # latency counts from the arrival


def test_the_filters_run_on_the_readers_frame_only() -> None:
    clock = FakeClock()
    seen: list[int] = []

    def process(f: DepthFrame) -> DepthFrame:
        seen.append(f.index)
        return f

    cam = ReplayCamera(_frames(10), INTR, process, now=clock.now, sleep=clock.sleep)
    cam.read(1.0)
    clock.t_s += 0.2
    cam.read(1.0)
    assert seen == [0, 6]


def test_a_quota_under_the_kernels_minimum_is_refused() -> None:
    with pytest.raises(ValueError, match="1000 us"):
        CpuQuota("never-made", 0.05, 10_000)


needs_cgroup = pytest.mark.skipif(
    not cgroup_cpu_writable() or os.geteuid() != 0, reason="cgroup v1 cpu controller not writable here"
)


def _cpu_cgroup(pid: int) -> str:
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if "cpu" in controllers.split(","):
            return path
    return ""


@needs_cgroup
def test_the_quota_group_holds_the_process_and_is_removed_after() -> None:
    name = f"hinge-test-{uuid.uuid4().hex[:8]}"
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        with CpuQuota(name, 1 / 6.5, 10_000) as quota:
            assert (quota.path / "cpu.cfs_period_us").read_text().strip() == "10000"
            assert (quota.path / "cpu.cfs_quota_us").read_text().strip() == "1538"
            quota.add_process(proc.pid)
            assert _cpu_cgroup(proc.pid) == f"/{name}"
            assert set(quota.stats()) >= {"nr_periods", "nr_throttled", "throttled_time"}
        assert not (CGROUP_CPU / name).exists()
        assert _cpu_cgroup(proc.pid) == "/"  # back in the root group, still running
        assert proc.poll() is None
    finally:
        proc.kill()
        proc.wait()


@needs_cgroup
def test_the_group_is_removed_when_the_body_fails() -> None:
    name = f"hinge-test-{uuid.uuid4().hex[:8]}"
    with pytest.raises(RuntimeError), CpuQuota(name, 0.5, 10_000):
        raise RuntimeError("the benchmark failed")
    assert not (CGROUP_CPU / name).exists()


def test_a_proc_column_runs_a_real_capture_process_on_its_own_core(tmp_path: Path) -> None:
    """The "-proc" columns' camera: raw frames saved once, replayed in a capture process's
    child on the camera's clock through the SDK filters (decimated 848x480 -> 424x240), on
    the core it was given; each frame says when it arrived, the run says what it handed over."""
    from kiosk.evaluation.bench_capture import MeasuredCapture
    from kiosk.evaluation.bench_pi_report import parse_target
    from kiosk.evaluation.bench_replay import replay_camera, save_raw

    assert parse_target("pi4-proc=6").capture_proc and not parse_target("pi4=6").capture_proc
    intr = Intrinsics(width=848, height=480, fx=420.0, fy=420.0, ppx=424.0, ppy=240.0)
    depth = np.full((480, 848), 2000, np.uint16)
    raw = [DepthFrame(depth=depth + i, depth_scale_m=0.001, intrinsics=intr,
                      timestamp_s=5.0 + i / 30, index=i) for i in range(6)]
    saved = save_raw(raw, tmp_path / "raw.npy")
    cpu = sorted(os.sched_getaffinity(0))[-1]
    cap = MeasuredCapture(replay_camera, newest_only=True, cpu=cpu, intrinsics=intr, **saved)
    cap.start()
    try:
        pid = cap.child_pid
        assert pid is not None and os.sched_getaffinity(pid) == {cpu}
        got = []
        while (f := cap.read(2.0)) is not None:
            got.append(f)
    finally:
        cap.close()
    assert got and all(f.depth.shape == (240, 424) and f.arrival_s is not None for f in got)
    first = round((got[0].timestamp_s - 5.0) * 30)  # the replay may start past frame 0
    assert cap.handed == len(got) and cap.offered(saved["times_s"]) == 6 - first
    assert cap.child_cpu_s > 0.0
