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
import resource
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from calibration.calibrate import calibrate
from calibration.errors import CalibrationError
from calibration.model import Calibration
from hardware.frame import DepthFrame
from hardware.rs_frames import FilterChain, depth_frame_from_rs
from hardware.settings import FilterConfig
from hardware.sim.source import SimConfig, SimulatedSource
from hardware.software_device import SoftwareDepthDevice
from kiosk.analysis.analyzer import MEASURE_FILTERS, FrameAnalyzer
from kiosk.core import Profile, drill_step, measure_frame
from kiosk.core.landmarks import find_landmarks
from kiosk.core.person import segment_person
from kiosk.core.profile_loader import load_profile
from kiosk.evaluation.bench_report import loadavg, machine_info, markdown, text_table

DEFAULT_FRAMES = 150
# Read by OpenMP (Open3D), OpenBLAS and MKL (numpy) when they load: one core, one thread.
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
WARMUP_FRAMES = 3  # first calls allocate SDK filter buffers and warm caches: not timed
CALIBRATION_FRAMES = 24


@dataclass(frozen=True)
class BaselineConfig:
    """The Open3D baseline's settings. Voxel: the middle of the 2-5 cm range. RANSAC: Open3D's
    default 100 iterations (1000, as in its tutorial, costs ~7x more; at 5 cm voxels the back
    wall out-votes the floor). DBSCAN's eps spans two voxels so a surface stays one cluster."""

    voxel_m: float = 0.03
    plane_dist_m: float = 0.02
    ransac_iterations: int = 100
    dbscan_eps_m: float = 0.06
    dbscan_min_points: int = 10
    seed: int = 0


_FLOOR_COS = float(np.cos(np.radians(10.0)))  # plane normal within 10 deg of world up


@dataclass
class BenchRun:
    """Everything measured; per-frame lists in ms (times) or counts. `mem_mb`: RSS in MiB."""

    n_frames: int
    phases: dict[str, int]
    baseline: BaselineConfig = field(default_factory=BaselineConfig)
    warmup_frames: int = WARMUP_FRAMES
    ours_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    base_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    counts: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    render_ms: list[float] = field(default_factory=list)
    push_ms: list[float] = field(default_factory=list)
    base_floor_found: int = 0
    mem_mb: dict[str, float] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)

    def median_ms(self, which: str) -> float:
        src = self.base_ms if which == "baseline" else self.ours_ms
        return float(np.median(src[which]))

    def summary(self) -> dict[str, float]:
        """The --json object: exactly these three keys."""
        ours, base = self.median_ms("analysis"), self.median_ms("baseline")
        return {"analysis_ms_median": round(ours, 4), "baseline_ms_median": round(base, 4),
                "ratio": round(base / ours, 2)}


def _ms_since(t0_s: float) -> float:
    return (time.perf_counter() - t0_s) * 1e3


def _rss_mb() -> float:
    """Current resident set size, MiB (0 where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return 0.0


def _pin_one_core(cpu: int) -> str:
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity)"
    try:
        os.sched_setaffinity(0, {cpu})
    except OSError as err:
        return f"not pinned (CPU {cpu}: {err.strerror})"
    return f"pinned to CPU {cpu}"


def render_frames(n: int, run: BenchRun) -> tuple[list[DepthFrame], SimConfig]:
    """n unfiltered frames spread evenly over the session script (script time kept)."""
    src = SimulatedSource(SimConfig(), filters=FilterConfig.off())
    src.start()
    frames: list[DepthFrame] = []
    phases: Counter[str] = Counter()
    try:
        stride = max(1, src.n_frames // n)
        for i in list(range(0, src.n_frames, stride))[:n]:
            t_s = i / src.cfg.fps
            t0 = time.perf_counter()
            depth, row = src.render_depth(t_s)
            run.render_ms.append(_ms_since(t0))
            phases[str(row["phase"])] += 1
            frames.append(DepthFrame(depth=np.ascontiguousarray(depth, dtype=np.uint16), depth_scale_m=0.001,
                                     intrinsics=src.intrinsics, timestamp_s=t_s, index=i))
    finally:
        src.close()
    run.phases = dict(phases)
    return frames, src.cfg


def _single_filter_chains(cfg: FilterConfig) -> list[tuple[str, FilterChain]]:
    """MEASURE_FILTERS split into one chain per SDK filter, so each can be timed."""
    off = {"decimation": 1, "min_distance_m": 0.0, "max_distance_m": 16.0, "spatial": False,
           "temporal": False, "hole_filling": False}
    parts: list[tuple[str, dict[str, Any]]] = [("decimation", {"decimation": cfg.decimation}),
             ("threshold", {"min_distance_m": cfg.min_distance_m, "max_distance_m": cfg.max_distance_m}),
             ("spatial", {"spatial": cfg.spatial})]
    return [(key, FilterChain(cfg.model_copy(update={**off, **on}))) for key, on in parts]


def _ours_one(dev: SoftwareDepthDevice, chains: list[tuple[str, FilterChain]], analyzer: FrameAnalyzer,
              f: DepthFrame, t_s: float, index: int, run: BenchRun | None) -> None:
    """One frame through our path; run=None is a warm-up (nothing recorded)."""
    t0 = time.perf_counter()
    sdk = dev.push(f.depth, t_s, index)
    push_ms = _ms_since(t0)
    ms: dict[str, float] = {}
    for key, chain in chains:
        t0 = time.perf_counter()
        sdk = chain.process(sdk)
        ms[key] = _ms_since(t0)
    pipe0, drill0 = analyzer.pipeline, analyzer.drill
    t0 = time.perf_counter()
    frame = depth_frame_from_rs(sdk, f.depth_scale_m)
    ms["copy"] = _ms_since(t0)
    if analyzer.t0_s is None:  # once per analyzer and stream: reported, not timed per frame
        t_rays = time.perf_counter()
        analyzer.rays(frame)
        if run is not None:
            run.env["box_rays_ms"] = f"{_ms_since(t_rays):.1f}"
        t0 += time.perf_counter() - t_rays
    analyzer.process(frame)
    ms["analysis"] = _ms_since(t0)
    # Per-stage: the core is pure, so re-run its steps in measure_frame's order from the
    # state this frame started with (same inputs, same results as inside process()).
    profile, zone = analyzer.profile, analyzer.zone
    assert analyzer.t0_s is not None and drill0 is not None
    t0 = time.perf_counter()
    pts = analyzer.world_points(frame)
    ms["world"] = _ms_since(t0)
    t0 = time.perf_counter()
    cam = analyzer.calibration.pose.translation
    seg = segment_person(pts, zone, profile.segmentation, cam)
    ms["segment"] = _ms_since(t0)
    t0 = time.perf_counter()
    if seg.person:
        find_landmarks(seg.points, profile.landmarks, pipe0.stature_m)
    ms["find_landmarks"] = _ms_since(t0)
    t0 = time.perf_counter()
    metrics, _ = measure_frame(pts, zone, profile, frame.timestamp_s - analyzer.t0_s, pipe0, cam)
    ms["landmarks_metrics"] = max(_ms_since(t0) - ms["segment"], 0.0)
    t0 = time.perf_counter()
    drill_step(drill0, metrics, profile)
    ms["drill"] = _ms_since(t0)
    if run is None:
        return
    ms["filters"] = ms["decimation"] + ms["threshold"] + ms["spatial"]
    ms["total"] = ms["filters"] + ms["analysis"]
    for key, value in ms.items():
        run.ours_ms[key].append(value)
    run.push_ms.append(push_ms)
    run.counts["world_points"].append(float(pts.shape[0]))
    run.counts["valid_pixels"].append(float(np.count_nonzero(frame.depth)))
    run.counts["body_points"].append(float(seg.points.shape[0]))
    run.counts["person"].append(float(metrics.person))


def time_ours(frames: Sequence[DepthFrame], cal: Calibration, profile: Profile, run: BenchRun) -> None:
    chains = _single_filter_chains(MEASURE_FILTERS)
    dev = SoftwareDepthDevice(frames[0].intrinsics, fps=30)
    index = 0
    try:
        for rec, offset_s in ((None, 0.0), (run, 1000.0)):  # warm-up pass, then the timed pass
            analyzer = FrameAnalyzer(cal, profile)
            for f in frames[:run.warmup_frames] if rec is None else frames:
                _ours_one(dev, chains, analyzer, f, f.timestamp_s + offset_s, index, rec)
                index += 1
    finally:
        dev.close()


def time_baseline(frames: Sequence[DepthFrame], cal: Calibration, run: BenchRun) -> None:
    import open3d as o3d  # already imported (and measured) by main()

    cfg = run.baseline
    o3d.utility.random.seed(cfg.seed)
    intr = frames[0].intrinsics
    pinhole = o3d.camera.PinholeCameraIntrinsic(intr.width, intr.height, intr.fx, intr.fy, intr.ppx, intr.ppy)
    up_cam = cal.pose.r[1]  # world +y in camera coordinates: a floor normal is parallel to it
    trunc_m = MEASURE_FILTERS.max_distance_m
    for k, f in enumerate(list(frames[:1]) + list(frames)):  # first frame once more as warm-up
        ms: dict[str, float] = {}
        t0 = time.perf_counter()
        cloud = o3d.geometry.PointCloud.create_from_depth_image(
            o3d.geometry.Image(f.depth),  # type: ignore[call-overload]  # stubs: Buffer, not ndarray
            pinhole, depth_scale=1.0 / f.depth_scale_m, depth_trunc=trunc_m)
        ms["cloud"] = _ms_since(t0)
        t0 = time.perf_counter()
        vox = cloud.voxel_down_sample(cfg.voxel_m)
        ms["voxel"] = _ms_since(t0)
        t0 = time.perf_counter()
        plane, inliers = vox.segment_plane(cfg.plane_dist_m, 3, cfg.ransac_iterations)
        ms["plane"] = _ms_since(t0)
        t0 = time.perf_counter()
        rest = vox.select_by_index(inliers, invert=True)
        ms["remove_floor"] = _ms_since(t0)
        t0 = time.perf_counter()
        labels = np.asarray(rest.cluster_dbscan(eps=cfg.dbscan_eps_m, min_points=cfg.dbscan_min_points))
        ms["dbscan"] = _ms_since(t0)
        t0 = time.perf_counter()
        sizes = np.bincount(labels[labels >= 0])
        keep = np.flatnonzero(labels == int(np.argmax(sizes))) if sizes.size else np.zeros(0, dtype=np.int64)
        largest = rest.select_by_index(keep.tolist())
        ms["largest"] = _ms_since(t0)
        if k == 0:
            continue
        ms["baseline"] = sum(ms.values())
        for key, value in ms.items():
            run.base_ms[key].append(value)
        run.counts["base_cloud_points"].append(float(len(cloud.points)))
        run.counts["base_voxel_points"].append(float(len(vox.points)))
        run.counts["base_largest_points"].append(float(len(largest.points)))
        run.base_floor_found += int(abs(float(np.dot(np.asarray(plane[:3]), up_cam))) >= _FLOOR_COS)


def run_bench(n_frames: int, cpu: int = 0, log: TextIO | None = None) -> BenchRun:
    """The whole benchmark; progress lines go to `log` (default stderr), never stdout."""
    out = log or sys.stderr
    run = BenchRun(n_frames=n_frames, phases={})
    run.env = machine_info()
    run.env["pinning"] = _pin_one_core(cpu)
    run.env["threads"] = ", ".join(f"{v}={os.environ.get(v, 'unset')}" for v in THREAD_VARS)
    run.mem_mb["rss_before_open3d"] = _rss_mb()
    t0 = time.perf_counter()
    import open3d  # noqa: F401  (measured here: the simulator and the baseline need it)

    run.env["open3d_import_s"] = f"{time.perf_counter() - t0:.2f}"
    run.mem_mb["rss_after_open3d"] = _rss_mb()
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
    run.mem_mb["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux
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
