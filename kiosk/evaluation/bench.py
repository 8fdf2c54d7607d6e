"""Speed benchmark (never a test; DESIGN.md "Budgets"): our per-frame path against a
straightforward Open3D pipeline, same process, same frames, one core.

    python -m kiosk.evaluation.bench [--frames N] [--json] [--out docs/performance.md] [--cpu K]

Frames: N simulated 848x480 z16 frames spread over the "session" script (walk in, stand,
hinge, walk out) at the default placement, rendered once up front, then pushed again
through a `SoftwareDepthDevice` so the SDK filters run on real SDK frames while timed.
Ours: decimation x2, threshold, spatial (MEASURE_FILTERS) -> copy out of the SDK ->
`FrameAnalyzer.process` (deprojection of the analysis box's pixels only, segmentation,
landmarks, metrics, drill; the box rays are built once per analyzer, outside the timing).
"analysis" is everything after the SDK filters, measured end to end; the per-stage rows
re-run the core's pure functions in the same order from the same state. Baseline: raw
full-resolution depth -> Open3D cloud -> voxel -> RANSAC plane -> DBSCAN -> largest cluster.
Times in milliseconds; --json prints exactly analysis_ms_median, baseline_ms_median, ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from calibration.calibrate import calibrate
from calibration.errors import CalibrationError
from kiosk.core.profile_loader import load_profile
from kiosk.evaluation.bench_report import loadavg, machine_info, markdown, text_table
from kiosk.evaluation.bench_run import BenchRun, rss_mb
from kiosk.evaluation.bench_timing import render_frames, time_baseline, time_ours

DEFAULT_FRAMES = 150
# Read by OpenMP (Open3D), OpenBLAS and MKL (numpy) when they load: one core, one thread.
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
CALIBRATION_FRAMES = 24


def _pin_one_core(cpu: int) -> str:
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity)"
    try:
        os.sched_setaffinity(0, {cpu})
    except OSError as err:
        return f"not pinned (CPU {cpu}: {err.strerror})"
    return f"pinned to CPU {cpu}"


def run_bench(n_frames: int, cpu: int = 0, log: TextIO | None = None) -> BenchRun:
    """The whole benchmark; progress lines go to `log` (default stderr), never stdout."""
    out = log or sys.stderr
    run = BenchRun(n_frames=n_frames, phases={})
    run.env = machine_info()
    run.env["pinning"] = _pin_one_core(cpu)
    run.env["threads"] = ", ".join(f"{v}={os.environ.get(v, 'unset')}" for v in THREAD_VARS)
    run.mem_mb["rss_before_open3d"] = rss_mb()[0]
    t0 = time.perf_counter()
    import open3d  # noqa: F401  (measured here: the simulator and the baseline need it)

    run.env["open3d_import_s"] = f"{time.perf_counter() - t0:.2f}"
    run.mem_mb["rss_after_open3d"] = rss_mb()[0]
    print(f"bench: rendering {n_frames} simulated frames ...", file=out, flush=True)
    frames, sim_cfg = render_frames(n_frames, run)
    run.n_frames = len(frames)
    run.mem_mb["frames_held"] = sum(f.depth.nbytes for f in frames) / 2**20
    step = max(1, len(frames) // CALIBRATION_FRAMES)
    cal = calibrate(frames[::step], facing=sim_cfg.placement.facing, source="bench: simulated session")
    print("bench: timing our pipeline ...", file=out, flush=True)
    time_ours(frames, cal, load_profile(None), run)
    print("bench: timing the Open3D baseline ...", file=out, flush=True)
    time_baseline(frames, cal, run)
    run.mem_mb["peak_rss"] = rss_mb()[1]
    run.env["loadavg_end"] = loadavg()
    return run


def build_arg_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m kiosk.evaluation.bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--frames", type=int, default=DEFAULT_FRAMES, metavar="N", help="frames (default 150)")
    p.add_argument("--json", action="store_true",
                   help="print only {analysis_ms_median, baseline_ms_median, ratio} on stdout")
    p.add_argument("--out", default=None, metavar="MD", help="write the report (e.g. docs/performance.md)")
    p.add_argument("--cpu", type=int, default=0, metavar="K", help="core to pin to (default 0)")
    return p


def _reexec_single_threaded(argv: Sequence[str]) -> None:
    """numpy is loaded by the time main() runs, so its thread pools exist: when the thread
    variables are not all 1, start the benchmark again in a fresh process that has them."""
    if all(os.environ.get(v) == "1" for v in THREAD_VARS):
        return
    os.environ.update(dict.fromkeys(THREAD_VARS, "1"))
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", "kiosk.evaluation.bench", *argv])


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_arg_parser().parse_args(argv)
    _reexec_single_threaded(argv)
    if args.frames < 1:
        print("bench: --frames must be >= 1", file=sys.stderr)
        return 2
    try:
        run = run_bench(args.frames, cpu=args.cpu)
    except CalibrationError as err:
        print(f"bench: calibration of the simulated frames failed: {err}", file=sys.stderr)
        return 1
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(markdown(run))
        print(f"bench: wrote {args.out}", file=sys.stderr)
    if args.json:
        print(json.dumps(run.summary()))
    else:
        print(text_table(run))
    return 0


if __name__ == "__main__":
    sys.exit(main())
