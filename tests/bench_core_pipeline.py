"""Timing of the per-frame measurement core on a synthetic frame (not a test).

    .venv/bin/python tests/bench_core_pipeline.py

Prints the median and p90 of `measure_frame` over repeated calls on ~100k world points
(a 424x240 decimated frame with floor and walls in view) on one core.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core_synth import Camera, Pose, Wall, body_samples, render

from kiosk.core.pipeline import PipelineState, measure_frame
from kiosk.core.thresholds import Profile
from kiosk.core.types import StationZone


def main() -> None:
    profile, zone = Profile(), StationZone()
    walls = (Wall((0.0, 0.0, 1.0), -2.2, 6.0, 3.0), Wall((1.0, 0.0, 0.0), 2.5, 6.0, 3.0))
    for label, pose, cam in (
        ("standing, 1.5 m", Pose(), Camera(distance_m=1.5)),
        ("hinge 60 deg, 2.0 m", Pose(shank_deg=5, knee_deg=18, trunk_deg=60), Camera(distance_m=2.0)),
        (
            "hinge 45 deg, 2.5 m oblique 30",
            Pose(shank_deg=5, knee_deg=18, trunk_deg=45),
            Camera(distance_m=2.5, oblique_deg=30),
        ),
    ):
        pts, nrm, truth = body_samples(pose)
        world, _, body = render([(pts, nrm)], cam, walls=walls)
        state = PipelineState(stature_m=truth.stature_m)
        times = []
        for i in range(60):
            t0 = time.perf_counter()
            _, _state2 = measure_frame(world, zone, profile, i / 30.0, state)
            times.append((time.perf_counter() - t0) * 1e3)
        times = times[5:]
        print(
            f"{label:32s} points {world.shape[0]:6d} (body {int(body.sum()):5d})  "
            f"median {statistics.median(times):.2f} ms  p90 {sorted(times)[int(0.9 * len(times))]:.2f} ms"
        )


if __name__ == "__main__":
    main()
