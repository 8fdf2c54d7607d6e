"""The capture process's own CPU per frame (issue 14.1), measured, never asserted.

The loop's thread gets lighter when the capture process (hardware/capture_process.py) also
picks the athlete out of each frame (kiosk/analysis/presegment.py), but that work lands on
the child's core, which on a Pi 4 already runs the SDK filters. This reads the recorded
session through a real CaptureProcess twice, the SDK filters alone and with the
segmentation stage, unpaced, and takes the child's CPU time (user + system, all its threads,
from /proc) per frame: what the child's core has to hold at 30 fps.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

SKIP_FRAMES = 15  # the child's start (spawn, imports, opening the recording) is not per frame


def _cpu_s(pid: int) -> float:
    """utime + stime of process `pid` (all its threads), seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child_ms_per_frame(rec: Path, stage: bool, frames: int) -> dict[str, Any]:
    """The capture child's CPU per frame over `frames` frames after SKIP_FRAMES, reading
    `rec` through MEASURE_FILTERS, with or without the segmentation stage; and how many of
    the frames came segmented."""
    from hardware.capture_process import CaptureProcess
    from kiosk.analysis.analyzer import MEASURE_FILTERS, Presegmented
    from kiosk.analysis.presegment import SegmentStage, presegment
    from kiosk.core.profile_loader import load_profile
    from kiosk.evaluation.bench_replay import fitted_calibration
    from kiosk.sources import open_source

    src = CaptureProcess(open_source, stage=presegment if stage else None, spec=str(rec),
                         filters=MEASURE_FILTERS, realtime=False)
    src.start()
    try:
        if stage:
            src.set_stage(SegmentStage.of(fitted_calibration(rec), load_profile()))
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
    """Both variants, filters alone first."""
    return {"filters": child_ms_per_frame(rec, False, frames), "stage": child_ms_per_frame(rec, True, frames)}


def capture_lines(costs: dict[str, Any], ratios: dict[str, float], frame_ms: float) -> list[str]:
    """Markdown: the child's CPU per frame here and at each Pi ratio, against a frame."""
    f, s = costs["filters"], costs["stage"]
    lines = ["## The capture process's own core", "",
             f"The child reading the recorded session through the SDK filters (playback decoding "
             f"included: a camera has USB handling instead), {f['frames']} frames, unpaced, its CPU "
             f"per frame from /proc (kiosk/evaluation/bench_capture.py):", "",
             "| child | ms per frame here | " + " | ".join(f"at {k} (x{v:g}), ms of {frame_ms:.1f}"
                                                          for k, v in ratios.items()) + " |",
             "|---|---:|" + "---:|" * len(ratios)]
    for label, c in (("filters", f), (f"filters + segmentation stage ({s['segmented']} of "
                                      f"{s['frames']} frames came segmented)", s)):
        lines.append(f"| {label} | {c['ms']:.1f} | "
                     + " | ".join(f"{c['ms'] * v:.0f}" for v in ratios.values()) + " |")
    lines.append("")
    return lines
