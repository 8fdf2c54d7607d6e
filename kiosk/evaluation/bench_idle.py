"""How much of the kiosk loop's per-frame CPU is the host waking from idle (make bench).

The paced loop (kiosk/evaluation/bench_loop.py) sleeps between frames: at 30 fps the main thread is
busy a few ms of each 33 ms. On this shared host the same `FrameAnalyzer.process` then
takes about twice the CPU time it takes back to back: caches and the core's state go
cold while the thread sleeps (a virtual CPU here; whether a Pi's frequency governor does
the same is not measured). The loop's main-thread median therefore says as much about
the host as about the code. This measures the analysis alone on the same recorded
frames, back to back and with the loop's idle gap before each frame, so the report can
show both in one run.

Benchmark only: thread CPU time (time.thread_time), never asserted in a test.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from hardware.playback import RecordingSource
from kiosk.analysis.analyzer import MEASURE_FILTERS, FrameAnalyzer
from kiosk.analysis.recording import sample_for_calibration, self_calibrate
from kiosk.core.profile_loader import load_profile

GAPS_S = (0.0, 0.005, 0.028)  # back to back; a short sleep; the paced loop's idle at 30 fps
FIRST_FRAME, N_FRAMES = 300, 400  # a stretch of the session with the athlete at the station


def analysis_ms_by_gap(recording: Path, gaps_s: tuple[float, ...] = GAPS_S) -> dict[float, float]:
    """Median thread CPU (ms) of FrameAnalyzer.process over the frames with the athlete in
    view, per idle gap (seconds slept before each frame). Frames are read once, through
    the SDK's playback and MEASURE_FILTERS as the kiosk reads them, before any timing."""
    profile = load_profile()
    samples, _ = sample_for_calibration(recording)
    cal = self_calibrate(samples, None, "auto", profile, source=str(recording))
    frames = []
    with RecordingSource(recording, filters=MEASURE_FILTERS) as src:
        while (f := src.read(5.0)) is not None:
            frames.append(f)
    frames = frames[FIRST_FRAME:FIRST_FRAME + N_FRAMES]
    out: dict[float, float] = {}
    for gap_s in gaps_s:
        analyzer = FrameAnalyzer(cal, profile)
        spent_ms: list[float] = []
        for f in frames:
            if gap_s > 0.0:
                time.sleep(gap_s)
            t0 = time.thread_time()
            res = analyzer.process(f)
            dt_ms = 1000.0 * (time.thread_time() - t0)
            if res.metrics.person:
                spent_ms.append(dt_ms)
        out[gap_s] = float(np.median(spent_ms)) if spent_ms else float("nan")
    return out


def idle_lines(ms_by_gap: dict[float, float]) -> list[str]:
    """The report's section for analysis_ms_by_gap's result."""
    base = ms_by_gap.get(0.0, float("nan"))
    lines = [
        "## The analysis alone: back to back and with the loop's idle gaps",
        "",
        "`FrameAnalyzer.process` on 400 frames of the same recording (athlete in view), the",
        "thread's CPU time per frame (kiosk/evaluation/bench_idle.py). The paced loop sleeps between",
        "frames; on this host that alone makes the same code cost more CPU per frame.",
        "",
        "| idle before each frame | analysis, median ms | ratio to back to back |",
        "|---|---:|---:|",
    ]
    for gap_s, ms in ms_by_gap.items():
        lines.append(f"| {1000 * gap_s:.0f} ms | {ms:.2f} | {ms / base:.2f}x |")
    return lines
