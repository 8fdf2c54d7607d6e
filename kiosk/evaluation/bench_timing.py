"""The speed benchmark's timed passes (kiosk/evaluation/bench.py runs them in this order):
the simulated frames rendered once, our per-frame path over them, and the Open3D baseline
over the same raw frames. Each appends its per-frame times (ms) and counts to the BenchRun;
warm-up frames run but are not recorded. What each pass covers: bench.py's docstring."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from calibration.model import Calibration
from hardware.frame import DepthFrame
from hardware.rs_frames import FilterChain, depth_frame_from_rs
from hardware.settings import FilterConfig
from hardware.sim.source import SimConfig, SimulatedSource
from hardware.software_device import SoftwareDepthDevice
from kiosk.analysis.analyzer import MEASURE_FILTERS, FrameAnalyzer
from kiosk.analysis.depth_limit import depth_limit_m, measure_filters
from kiosk.core import Profile, drill_step, measure_frame
from kiosk.core.landmarks import find_landmarks
from kiosk.core.person import segment_person
from kiosk.evaluation.bench_run import BenchRun

_FLOOR_COS = float(np.cos(np.radians(10.0)))  # plane normal within 10 deg of world up


def _ms_since(t0_s: float) -> float:
    return (time.perf_counter() - t0_s) * 1e3


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
    """`cfg` (MEASURE_FILTERS, maybe range-limited) split into one chain per SDK filter,
    so each can be timed."""
    off = {"decimation": 1, "min_distance_m": 0.0, "max_distance_m": 16.0, "spatial": False,
           "temporal": False, "hole_filling": False}
    parts: list[tuple[str, dict[str, Any]]] = [("decimation", {"decimation": cfg.decimation}),
             ("threshold", {"min_distance_m": cfg.min_distance_m, "max_distance_m": cfg.max_distance_m}),
             ("spatial", {"spatial": cfg.spatial})]
    return [(key, FilterChain(cfg.model_copy(update={**off, **on}))) for key, on in parts]


def _ours_one(dev: SoftwareDepthDevice, chains: list[tuple[str, FilterChain]], analyzer: FrameAnalyzer,
              f: DepthFrame, t_s: float, index: int, run: BenchRun | None,
              unlimited: list[tuple[str, FilterChain]] | None = None) -> None:
    """One frame through our path; run=None is a warm-up (nothing recorded). `unlimited`:
    threshold and spatial without the box's range limit, timed on the same decimated
    frame for comparison (not in the totals)."""
    t0 = time.perf_counter()
    sdk = dev.push(f.depth, t_s, index)
    push_ms = _ms_since(t0)
    ms: dict[str, float] = {}
    for key, chain in chains:
        t0 = time.perf_counter()
        sdk = chain.process(sdk)
        ms[key] = _ms_since(t0)
        if key == "decimation" and unlimited:
            other = sdk
            for other_key, other_chain in unlimited:
                t1 = time.perf_counter()
                other = other_chain.process(other)
                ms[other_key + "_unlimited"] = _ms_since(t1)
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
        find_landmarks(seg.points, profile.landmarks, pipe0.stature_m, body=profile.body_model)
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
    """Our path as the kiosk runs it: MEASURE_FILTERS with the range limit of the analysis
    box (kiosk/analysis/depth_limit.py); its threshold and spatial also without it."""
    limit_m = depth_limit_m(cal, profile)
    run.env["depth_limit_m"] = "none" if limit_m is None else f"{limit_m:.2f}"
    chains = _single_filter_chains(measure_filters(limit_m))
    unlimited = _single_filter_chains(MEASURE_FILTERS)[1:]
    dev = SoftwareDepthDevice(frames[0].intrinsics, fps=30)
    index = 0
    try:
        for rec, offset_s in ((None, 0.0), (run, 1000.0)):  # warm-up pass, then the timed pass
            analyzer = FrameAnalyzer(cal, profile)
            for f in frames[:run.warmup_frames] if rec is None else frames:
                _ours_one(dev, chains, analyzer, f, f.timestamp_s + offset_s, index, rec, unlimited)
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
