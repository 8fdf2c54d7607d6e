"""Accuracy harness: the simulator over a matrix of athletes, placements and scripts,
measured exactly as `hinge-kiosk analyze` measures a recording, compared with the truth.

    .venv/bin/python -m kiosk.accuracy --out docs/accuracy.md          # full (~40 cases)
    .venv/bin/python -m kiosk.accuracy --quick --out /tmp/acc.md        # ~8 cases

Per case: the script is rendered at 848x480 through the SDK's software device, like a
camera; raw frames at `calibration_sample_indices` self-calibrate (floor, pose, station,
facing and heading from the hinge: kiosk/cmd_analyze.self_calibrate), placements whose
calibration check says the athlete is cut off are skipped, and every frame goes through
MEASURE_FILTERS (424x240) into `analyze_frames`. The comparison with the simulator's
exact per-frame truth is kiosk/accuracy_stats.py. `--cache DIR` keeps rendered frames so
re-runs after tuning the core skip the rendering (~50 ms/frame).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from calibration.validate import check
from hardware.frame import DepthFrame, Intrinsics
from hardware.sim.camera import Placement
from hardware.sim.source import SimConfig, SimulatedSource
from kiosk.accuracy_stats import CaseResult, compare, markdown
from kiosk.analysis import MEASURE_FILTERS, with_drill
from kiosk.cmd_analyze import analyze_frames, calibration_sample_indices, self_calibrate
from kiosk.core.profile_loader import load_profile
from kiosk.core.thresholds import Profile

WALL_SCRIPTS = ("wall_pass", "wall_progression", "wall_short")
AIM_HEIGHT_M = 1.0


@dataclass(frozen=True)
class Case:
    """One simulated session: who, where the camera is, which script."""

    script: str
    height_m: float = 1.78
    build: str = "average"
    camera: str = "D435"
    distance_m: float = 2.0
    camera_height_m: float = 1.0
    pitch_deg: float | None = None  # None: aimed at 1.0 m above the station, as an installer would
    side: str = "right"
    oblique_deg: float = 0.0
    seed: int = 0
    reps: int | None = None  # None: the script's default

    @property
    def name(self) -> str:
        return (
            f"{self.script} {self.height_m:.2f}m {self.build} {self.camera} {self.distance_m:.2f}m "
            f"h{self.camera_height_m:.2f} p{self.pitch:g} {self.side} obl{self.oblique_deg:g}"
        )

    @property
    def pitch(self) -> float:
        if self.pitch_deg is not None:
            return self.pitch_deg
        return round(math.degrees(math.atan2(self.camera_height_m - AIM_HEIGHT_M, self.distance_m)) + 0.5, 1)

    @property
    def dowel_reps(self) -> int:
        return 0 if self.script in WALL_SCRIPTS else 3

    def sim_config(self) -> SimConfig:
        placement = Placement(
            distance_m=self.distance_m,
            height_m=self.camera_height_m,
            pitch_deg=self.pitch,
            side=self.side,  # type: ignore[arg-type]
            oblique_deg=self.oblique_deg,
        )
        options = {} if self.reps is None else {"reps": self.reps}
        return SimConfig(
            script=self.script,
            script_options=options,
            height_m=self.height_m,
            build=self.build,
            placement=placement,
            camera=self.camera,
            seed=self.seed,
        )


QUICK: tuple[Case, ...] = (
    Case("dowel_reps", 1.78, "average", "D435", 2.2, 1.0, None, "right", 0.0, reps=2),
    Case("squat_pattern", 1.65, "slim", "D455", 2.3, 0.9, None, "left", 15.0, reps=2),
    Case("rounded_back", 1.85, "heavy", "D435", 2.5, 1.1, None, "right", 30.0, reps=2),
    Case("head_up", 1.95, "average", "D455", 2.5, 1.2, None, "left", 0.0, reps=2),
    Case("head_down", 1.55, "slim", "D435", 2.2, 0.85, None, "right", 20.0, reps=2),
    Case("weight_on_toes", 1.70, "heavy", "D455", 2.2, 1.0, None, "left", 30.0, reps=2),
    Case("wall_progression", 1.78, "average", "D435", 2.3, 1.0, None, "right", 10.0),
    Case("wall_short", 1.60, "average", "D455", 2.0, 0.7, None, "left", 25.0, reps=2),
)

FULL_SCRIPTS = (
    "dowel_reps",
    "squat_pattern",
    "rounded_back",
    "head_up",
    "head_down",
    "weight_on_toes",
    "wall_pass",
    "wall_progression",
    "wall_short",
)
_LEVELS: dict[str, tuple[Any, ...]] = {
    "height_m": (1.55, 1.65, 1.75, 1.85, 1.95),
    "build": ("slim", "average", "heavy"),
    "camera": ("D435", "D455"),
    "distance_m": (1.5, 2.0, 2.15, 2.3, 2.5),  # < ~1.9 m a D4xx (58 deg) cannot see 2 m tall: skipped
    "camera_height_m": (0.7, 0.85, 1.0, 1.1, 1.2),
    "side": ("left", "right"),
    "oblique_deg": (0.0, 10.0, 20.0, 30.0),
}


def full_matrix(per_script: int = 5, seed: int = 2024) -> tuple[Case, ...]:
    """Every script `per_script` times; each factor's levels spread evenly over the cases
    (a seeded permutation per factor, Latin-hypercube style)."""
    n = len(FULL_SCRIPTS) * per_script
    rng = np.random.default_rng(seed)
    cols = {k: [levels[i % len(levels)] for i in rng.permutation(n)] for k, levels in _LEVELS.items()}
    # Two reps of the fixed-wall scripts: wall_short's drill ends after max_fails_per_distance
    # (2) misses at one wall, and wall_pass's third wall (10 in) is out of a 1.55 m athlete's reach.
    short = {"wall_short": 2, "wall_pass": 2}
    return tuple(
        Case(
            FULL_SCRIPTS[i % len(FULL_SCRIPTS)],
            seed=i,
            reps=short.get(FULL_SCRIPTS[i % len(FULL_SCRIPTS)]),
            **{k: v[i] for k, v in cols.items()},
        )
        for i in range(n)
    )


@dataclass
class Capture:
    """A rendered case's measurement pass: frames after MEASURE_FILTERS (424x240), the
    truth row of each frame and the scripted reps (RepPlan fields) and extras."""

    frames: list[DepthFrame]
    truth: list[dict[str, Any]]
    reps: list[dict[str, Any]]
    meta: dict[str, Any] = field(default_factory=dict)


def render_samples(case: Case) -> list[DepthFrame]:
    """Raw 848x480 frames at the indices `analyze` samples for its self-calibration."""
    cfg = case.sim_config()
    raw = SimulatedSource(cfg)
    raw.start()
    try:
        return [
            DepthFrame(raw.render_depth(i / cfg.fps)[0], 0.001, raw.intrinsics, i / cfg.fps, i)
            for i in calibration_sample_indices(raw.n_frames)
        ]
    finally:
        raw.close()


def render_frames(case: Case) -> Capture:
    """Every frame through the SDK path (software device + MEASURE_FILTERS) and its truth."""
    cfg = case.sim_config()
    src = SimulatedSource(cfg, filters=MEASURE_FILTERS)
    frames: list[DepthFrame] = []
    with src:
        while (f := src.read(5.0)) is not None:
            frames.append(f)
    reps = [asdict(r) for r in src.script.reps]
    return Capture(
        frames,
        list(src.truth),
        reps,
        {"hinge_depth_in": src.script.hinge_depth_in, "facing": cfg.placement.facing},
    )


def _with(path: Path, suffix: str) -> Path:
    return path.parent / (path.name + suffix)  # names carry dots (1.78m): no with_suffix


def _save_frames(frames: list[DepthFrame], path: Path, extra: dict[str, Any]) -> None:
    np.savez_compressed(
        _with(path, ".npz"),
        depth=np.stack([f.depth for f in frames]),
        t=np.array([f.timestamp_s for f in frames]),
        i=np.array([f.index for f in frames]),
    )
    _with(path, ".json").write_text(json.dumps({**extra, "intrinsics": asdict(frames[0].intrinsics)}))


def _load_frames(path: Path) -> tuple[list[DepthFrame], dict[str, Any]]:
    doc = json.loads(_with(path, ".json").read_text())
    d = doc.pop("intrinsics")
    intr = Intrinsics(**{**d, "coeffs": tuple(d["coeffs"])})
    arr = np.load(_with(path, ".npz"))
    frames = [
        DepthFrame(z, 0.001, intr, float(t), int(i))
        for z, t, i in zip(arr["depth"], arr["t"], arr["i"], strict=True)
    ]
    return frames, doc


def _cached(path: Path | None) -> bool:
    return path is not None and _with(path, ".npz").exists() and _with(path, ".json").exists()


def samples_of(case: Case, cache: Path | None) -> list[DepthFrame]:
    path = None if cache is None else cache / (case.name.replace(" ", "_") + "__samples")
    if path is not None and _cached(path):
        return _load_frames(path)[0]
    samples = render_samples(case)
    if path is not None:
        _save_frames(samples, path, {})
    return samples


def capture_of(case: Case, cache: Path | None) -> Capture:
    path = None if cache is None else cache / (case.name.replace(" ", "_") + "__frames")
    if path is not None and _cached(path):
        frames, doc = _load_frames(path)
        return Capture(frames, doc["truth"], doc["reps"], doc["meta"])
    cap = render_frames(case)
    if path is not None:
        _save_frames(cap.frames, path, {"truth": cap.truth, "reps": cap.reps, "meta": cap.meta})
    return cap


def run_case(case: Case, profile: Profile, cache: Path | None = None) -> CaseResult:
    """Calibrate from the samples, check the placement, analyze every frame and compare."""
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
    try:
        walls = _script_walls(case)
    except ValueError as err:  # e.g. a wall beyond a short athlete's reach
        return CaseResult(case.name, asdict(case), skipped=f"script not possible: {err}")
    # The drill starts at the script's first wall, as an operator sets --wall-in to match.
    prof = with_drill(profile, wall_start_in=walls[0] if walls else None, dowel_reps=case.dowel_reps)
    cal = self_calibrate(samples_of(case, cache), None, "auto", prof, source=case.name)
    problems = check(cal)
    cut = [p for p in problems if "cut off" in p]
    if cut:
        return CaseResult(case.name, asdict(case), skipped=cut[0], problems=problems)
    cap = capture_of(case, cache)
    doc = analyze_frames(iter(cap.frames), cal, prof, case.name, len(cap.frames))
    return compare(case.name, asdict(case), doc, cap.truth, cap.reps, cap.meta, problems)


def _script_walls(case: Case) -> list[float]:
    from hardware.sim.body import Athlete
    from hardware.sim.motion import make_script

    cfg = case.sim_config()
    script = make_script(cfg.script, Athlete(height_m=cfg.height_m, build=cfg.build), **cfg.script_options)
    return [r.wall_distance_in for r in script.reps if r.wall_distance_in is not None]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m kiosk.accuracy", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help=f"the quick matrix ({len(QUICK)} cases)")
    p.add_argument("--out", default=None, metavar="MD", help="write the markdown report here")
    p.add_argument("--json", default=None, metavar="JSON", help="write per-case results here")
    p.add_argument("--cache", default=None, metavar="DIR", help="keep rendered frames here for re-runs")
    p.add_argument("--only", default=None, metavar="TEXT", help="only cases whose name contains TEXT")
    p.add_argument("--profile", default=None, metavar="TOML", help="threshold profile (default: built-in)")
    args = p.parse_args(argv)
    cases = QUICK if args.quick else full_matrix()
    if args.only:
        cases = tuple(c for c in cases if args.only in c.name)
    profile = load_profile(Path(args.profile) if args.profile else None)
    cache = Path(args.cache) if args.cache else None
    results: list[CaseResult] = []
    t0 = time.monotonic()
    for i, case in enumerate(cases):
        t1 = time.monotonic()
        res = run_case(case, profile, cache)
        results.append(res)
        print(
            f"[{i + 1}/{len(cases)}] {res.one_line()} ({time.monotonic() - t1:.0f} s)",
            file=sys.stderr,
            flush=True,
        )
    minutes = (time.monotonic() - t0) / 60.0
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    text = markdown(results, "quick" if args.quick else "full", stamp, minutes)
    if args.out:
        Path(args.out).write_text(text)
    else:
        print(text)
    if args.json:
        Path(args.json).write_text(json.dumps([r.to_json() for r in results], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
