"""The capture process's own CPU per frame (issue 14.1), measured, never asserted.

The loop's thread gets lighter when the capture process (hardware/capture_process.py) also
picks the athlete out of each frame (kiosk/analysis/presegment.py), but that work lands on
the child's core, which on a Pi 4 already runs the SDK filters. This reads the recorded
session through a real CaptureProcess twice, the SDK filters alone and with the
segmentation stage, unpaced, and takes the child's CPU time (user + system, all its threads,
from /proc) per frame: what the child's core has to hold at 30 fps. `MeasuredCapture` is the
same CaptureProcess for bench_pi.py's "-proc" columns, which run the child on a core of its
own under a Pi core's share, on the camera's clock.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from hardware.capture_process import CaptureProcess
from hardware.frame import DepthFrame

SKIP_FRAMES = 15  # the child's start (spawn, imports, opening the recording) is not per frame


def _cpu_s(pid: int) -> float:
    """utime + stime of process `pid` (all its threads), seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child_ms_per_frame(rec: Path, stage: bool, frames: int, limited: bool = True) -> dict[str, Any]:
    """The capture child's CPU per frame over `frames` frames after SKIP_FRAMES, reading
    `rec` through MEASURE_FILTERS (range-limited to the analysis box as the kiosk does, or
    not: `limited`), with or without the segmentation stage; and how many of the frames came
    segmented."""
    from kiosk.analysis.analyzer import Presegmented
    from kiosk.analysis.depth_limit import depth_limit_m, measure_filters
    from kiosk.analysis.presegment import SegmentStage, presegment
    from kiosk.core.profile_loader import load_profile
    from kiosk.evaluation.bench_replay import fitted_calibration
    from kiosk.sources import open_source

    cal, profile = fitted_calibration(rec), load_profile()
    filters = measure_filters(depth_limit_m(cal, profile) if limited else None)
    src = CaptureProcess(open_source, stage=presegment if stage else None, spec=str(rec),
                         filters=filters, realtime=False)
    src.start()
    try:
        if stage:
            src.set_stage(SegmentStage.of(cal, profile))
        pid = src.child_pid
        assert pid is not None
        for _ in range(SKIP_FRAMES):
            src.read(10.0)
        cpu0, n, seg = _cpu_s(pid), 0, 0
        while n < frames and (f := src.read(10.0)) is not None:
            n += 1
            seg += isinstance(f.pre, Presegmented)
        cpu_s = _cpu_s(pid) - cpu0
    finally:
        src.close()
    return {"frames": n, "ms": 1000.0 * cpu_s / max(n, 1), "segmented": seg}


def capture_costs(rec: Path, frames: int = 600) -> dict[str, Any]:
    """The filters without the range limit (as before 2026-12-08), with it, and with it and
    the stage."""
    return {"unlimited": child_ms_per_frame(rec, False, frames, limited=False),
            "filters": child_ms_per_frame(rec, False, frames), "stage": child_ms_per_frame(rec, True, frames)}


def capture_lines(costs: dict[str, Any], ratios: dict[str, float], frame_ms: float) -> list[str]:
    """Markdown: the child's CPU per frame here and at each Pi ratio, against a frame."""
    u, f, s = costs["unlimited"], costs["filters"], costs["stage"]
    lines = ["## The capture process's own core", "",
             f"The child reading the recorded session through the SDK filters (playback decoding "
             f"included: a camera has USB handling instead), {f['frames']} frames, unpaced, its CPU "
             f"per frame from /proc (kiosk/evaluation/bench_capture.py):", "",
             "| child | ms per frame here | " + " | ".join(f"at {k} (x{v:g}), ms of {frame_ms:.1f}"
                                                          for k, v in ratios.items()) + " |",
             "|---|---:|" + "---:|" * len(ratios)]
    for label, c in (("filters, range to 4.5 m (before 2026-12-08)", u),
                     ("filters, range limited to the analysis box (kiosk/analysis/depth_limit.py)", f),
                     (f"filters, limited, + segmentation stage ({s['segmented']} of "
                      f"{s['frames']} frames came segmented)", s)):
        lines.append(f"| {label} | {c['ms']:.1f} | "
                     + " | ".join(f"{c['ms'] * v:.0f}" for v in ratios.values()) + " |")
    lines.append("")
    return lines


def children_of(pid: int) -> list[int]:
    """The child processes of `pid` (every thread's)."""
    out: list[int] = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError):
            out += [int(c) for c in Path(f"/proc/{pid}/task/{tid}/children").read_text().split()]
    return out


def _place(pid: int, cpu: int | None, cgroup: Path | None) -> None:
    """Every thread of `pid` onto core `cpu`, and the process into the cgroup v1 group."""
    if cpu is not None:
        for tid in os.listdir(f"/proc/{pid}/task"):
            os.sched_setaffinity(int(tid), {cpu})
    if cgroup is not None:
        (cgroup / "cgroup.procs").write_text(str(pid))


class MeasuredCapture(CaptureProcess):
    """A CaptureProcess whose child, once started, is moved to core `cpu` (every thread)
    and into the cgroup v1 group `cgroup` (a Pi core's share), and which notes what it hands
    over (count, first and last sensor time) and its child's CPU time until closed."""

    def __init__(self, *args: Any, cpu: int | None = None, cgroup: Path | None = None,
                 inner_cgroup: Path | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cpu, self._cgroup, self._inner_cgroup = cpu, cgroup, inner_cgroup
        self.handed, self.child_cpu_s, self.inner_cpu_s = 0, 0.0, 0.0
        self._inner: list[tuple[int, float]] = []  # a split's camera child: (pid, CPU at start)
        self.first_s: float | None = None
        self.last_s: float | None = None
        self._cpu0: float | None = None

    def start(self) -> None:
        super().start()
        pid = self.child_pid
        assert pid is not None
        _place(pid, self._cpu, None)
        if self._cgroup is not None:
            (self._cgroup / "cgroup.procs").write_text(str(pid))  # every thread of it
        for inner in children_of(pid):  # a split's camera half (hardware/capture_split.py)
            _place(inner, self._cpu, self._inner_cgroup)
            self._inner.append((inner, _cpu_s(inner)))
        self._cpu0 = _cpu_s(pid)  # spawning and imports are not per frame

    def read(self, timeout_s: float = 1.0) -> DepthFrame | None:
        f = super().read(timeout_s)
        if f is not None:
            self.handed += 1
            self.first_s = f.timestamp_s if self.first_s is None else self.first_s
            self.last_s = f.timestamp_s
        return f

    def close(self) -> None:
        pid = self.child_pid
        if pid is not None and self._cpu0 is not None:
            with contextlib.suppress(OSError):
                self.child_cpu_s += _cpu_s(pid) - self._cpu0
                for inner, cpu0 in self._inner:
                    self.inner_cpu_s += _cpu_s(inner) - cpu0
            self._cpu0, self._inner = None, []
        super().close()

    def offered(self, times_s: list[float]) -> int:
        """Frames the camera's clock offered between the first and last handed over."""
        if self.first_s is None or self.last_s is None:
            return 0
        return sum(self.first_s - 1e-6 <= t <= self.last_s + 1e-6 for t in times_s)
