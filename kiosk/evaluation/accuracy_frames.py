"""The accuracy harness's frames: a case rendered through the SDK's software device like a
camera (calibration samples raw at 848x480, the measured pass through MEASURE_FILTERS at
424x240, with the simulator's truth per frame), the frame cache that keeps them between
runs (`--cache DIR`, ~60 MB a case), and frames dropped as a camera drops them.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from hardware.frame import DepthFrame, Intrinsics
from hardware.sim.source import SimulatedSource
from kiosk.analysis.analyzer import MEASURE_FILTERS
from kiosk.analysis.recording import calibration_sample_indices
from kiosk.evaluation.accuracy_cases import Case
from kiosk.results.paths import write_private


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
    # Each file replaced whole (write_private): a run killed mid-write leaves the cache as
    # it was, never a torn file that a later run (or a case's twin with drops) would read.
    buf = io.BytesIO()
    np.savez_compressed(
        buf,
        depth=np.stack([f.depth for f in frames]),
        t=np.array([f.timestamp_s for f in frames]),
        i=np.array([f.index for f in frames]),
    )
    write_private(_with(path, ".npz"), buf.getvalue())
    _write_json(_with(path, ".json"), {**extra, "intrinsics": asdict(frames[0].intrinsics)})


def _write_json(path: Path, doc: dict[str, Any]) -> None:
    write_private(path, json.dumps(doc).encode())


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


def _cache_path(case: Case, cache: Path | None, kind: str) -> Path | None:
    # Frames are dropped after rendering (drop_frames): a case with and without drops
    # shares one rendering.
    name = replace(case, drop_frac=0.0).name
    return None if cache is None else cache / (name.replace(" ", "_") + f"__{kind}")


def is_cached(case: Case, cache: Path | None) -> bool:
    """Both the calibration samples and the measured frames of `case` are in `cache`."""
    return all(_cached(_cache_path(case, cache, k)) for k in ("samples", "frames"))


def samples_of(case: Case, cache: Path | None) -> list[DepthFrame]:
    path = _cache_path(case, cache, "samples")
    if path is not None and _cached(path):
        return _load_frames(path)[0]
    samples = render_samples(case)
    if path is not None:
        _save_frames(samples, path, {})
    return samples


def capture_of(case: Case, cache: Path | None) -> Capture:
    path = _cache_path(case, cache, "frames")
    if path is not None and _cached(path):
        frames, doc = _load_frames(path)
        return Capture(frames, doc["truth"], doc["reps"], doc["meta"])
    cap = render_frames(case)
    if path is not None:
        _save_frames(cap.frames, path, {"truth": cap.truth, "reps": cap.reps, "meta": cap.meta})
    return cap


def stamp_case_time(case: Case, cache: Path, seconds: float) -> None:
    """Remember in the cache how long the case took when its frames were rendered."""
    path = _cache_path(case, cache, "frames")
    if path is not None and _cached(path):
        doc = json.loads(_with(path, ".json").read_text())
        doc["meta"]["case_s"] = round(seconds, 1)
        _write_json(_with(path, ".json"), doc)


def drop_frames(cap: Capture, frac: float, seed: int) -> Capture:
    """The capture as a camera that dropped `frac` of its frames (seeded; never the first):
    the frames and their truth rows go together, timestamps keep their gaps."""
    if frac <= 0.0:
        return cap
    keep = np.random.default_rng(seed).random(len(cap.frames)) >= frac
    keep[0] = True
    idx = np.flatnonzero(keep)
    return Capture([cap.frames[i] for i in idx], [cap.truth[i] for i in idx], cap.reps, cap.meta)
