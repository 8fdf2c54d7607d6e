"""What one speed benchmark measured (kiosk/evaluation/bench.py fills it, bench_report.py
reads it): the Open3D baseline's settings, the per-frame times in milliseconds and counts of
both pipelines, the simulator's render times, and memory in MiB."""

from __future__ import annotations

import resource
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

WARMUP_FRAMES = 3  # first calls allocate SDK filter buffers and warm caches: not timed


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


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident set size of this process, MiB; current 0 where /proc is missing."""
    current_kb = 0.0
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmRSS:"):
                current_kb = float(line.split()[1])
    except OSError:
        pass
    return current_kb / 1024, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
