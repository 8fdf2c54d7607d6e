"""Comparison of an `analyze` document with the simulator's truth, and the statistics the
accuracy report is made of (pure: no I/O, no simulator).

Per-frame errors are taken on the frames where the athlete is at the station (truth phase
stand/descend/bottom/ascend; walking is out of scope for the sagittal measures) and the
core found them. hip_to_wall's truth uses the wall the drill actually had in that frame
(per_frame wall_distance_in), so a drill that advanced differently does not count as a
measurement error: truth = (buttocks_x - heel_x) + wall, millimetres. Trunk angle truth
is unsigned (degrees). Reps are matched by the detected bottom falling inside a scripted
rep's [start, end] (seconds); a detected rep matching none is `spurious`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kiosk.core.drill import INCH_M

STATION_PHASES = ("stand", "descend", "bottom", "ascend")
METRICS = (
    "hip_to_wall_mm",
    "knee_flexion_deg",
    "trunk_angle_deg",
    "gap_head_mm",
    "gap_thoracic_mm",
    "gap_sacrum_mm",
)
BUDGETS = {"hip_to_wall_mm": 8.0, "knee_flexion_deg": 3.0, "trunk_angle_deg": 3.0}  # RMS, DESIGN.md
BIAS_BUDGET_MM = 3.0  # |mean| of hip_to_wall_mm's error
VERDICT_TARGET = 0.99  # share of reps whose verdict and named faults are right
FAULTS = ("wall_not_reached", "knees_bent", "back_rounded", "head_not_neutral", "weight_on_toes")
Faults = tuple[str, ...]


@dataclass
class CaseResult:
    """One case's outcome. errors: per metric, measured - truth per compared frame (mm or
    deg as the metric's name says); bottom_errors: the same on the frames held at the bottom.
    pairs: (scripted, detected) fault sets of the matched reps; missed: scripted reps with
    no detected rep; spurious: detected reps with no scripted rep."""

    name: str
    case: dict[str, Any]
    skipped: str | None = None
    problems: list[str] = field(default_factory=list)
    errors: dict[str, list[float]] = field(default_factory=dict)
    bottom_errors: dict[str, list[float]] = field(default_factory=dict)
    station_frames: int = 0
    found_frames: int = 0
    frames_ok: bool = True
    scripted_reps: int = 0
    detected_reps: int = 0
    pairs: list[tuple[Faults, Faults]] = field(default_factory=list)
    missed: list[Faults] = field(default_factory=list)
    spurious: list[Faults] = field(default_factory=list)
    hinge_depth: tuple[float | None, float | None] = (None, None)  # (truth, measured), inches
    facing: tuple[str, str] = ("", "")  # (truth, measured)
    run_s: float = 0.0  # wall-clock seconds the harness spent on the case
    rendered: bool = True  # False: the frames came from the --cache
    fresh_s: float = 0.0  # wall-clock seconds of the run that rendered the frames (0: unknown)

    @property
    def exact(self) -> int:
        return sum(1 for e, d in self.pairs if set(e) == set(d))

    def wrong(self) -> list[str]:
        """Why the case's verdicts are not all right, in words; [] when they are."""
        why = [
            f"rep {i + 1}: scripted {label(e)}, measured {label(d)}"
            for i, (e, d) in enumerate(self.pairs)
            if set(e) != set(d)
        ]
        why += [f"scripted rep ({label(e)}) not detected" for e in self.missed]
        why += [f"extra rep detected ({label(d)})" for d in self.spurious]
        if self.hinge_depth[0] != self.hinge_depth[1]:
            why.append(f"hinge depth {self.hinge_depth[1]} in, truth {self.hinge_depth[0]} in")
        if self.facing[0] != self.facing[1]:
            why.append(f"facing {self.facing[1]}, truth {self.facing[0]}")
        if not self.frames_ok:
            why.append("per_frame does not have one entry per frame")
        return why

    @property
    def verdicts_right(self) -> bool:
        return not self.skipped and not self.wrong()

    def rms(self, metric: str) -> float:
        return rms(self.errors.get(metric, []))

    def one_line(self) -> str:
        if self.skipped:
            return f"{self.name}: SKIPPED ({self.skipped})"
        return (
            f"{self.name}: h2w {self.rms('hip_to_wall_mm'):.1f} mm, knee {self.rms('knee_flexion_deg'):.1f}, "
            f"trunk {self.rms('trunk_angle_deg'):.1f} deg; reps {self.detected_reps}/{self.scripted_reps}, "
            f"exact {self.exact}; depth {self.hinge_depth[1]}/{self.hinge_depth[0]}; "
            f"{'OK' if self.verdicts_right else 'VERDICTS WRONG: ' + '; '.join(self.wrong())}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "case": self.case,
            "skipped": self.skipped,
            "problems": self.problems,
            "rms": {m: _r(self.rms(m)) for m in METRICS},
            "bias": {m: _r(float(np.mean(v))) if v else None for m, v in self.errors.items()},
            "bottom_rms": {m: _r(rms(v)) for m, v in self.bottom_errors.items()},
            "station_frames": self.station_frames,
            "found_frames": self.found_frames,
            "scripted_reps": self.scripted_reps,
            "detected_reps": self.detected_reps,
            "pairs": [[list(e), list(d)] for e, d in self.pairs],
            "missed": [list(m) for m in self.missed],
            "spurious": [list(m) for m in self.spurious],
            "hinge_depth_in": {"truth": self.hinge_depth[0], "measured": self.hinge_depth[1]},
            "facing": {"truth": self.facing[0], "measured": self.facing[1]},
            "verdicts_right": self.verdicts_right,
            "wrong": self.wrong(),
            "run_s": round(self.run_s, 1),
            "rendered": self.rendered,
            "fresh_s": round(self.fresh_s, 1),
        }


def _r(v: float) -> float | None:
    return None if not math.isfinite(v) else round(v, 2)


def label(faults: Iterable[str]) -> str:
    """A rep's fault set as one label: faults joined by '+', or 'clean'."""
    fs = sorted(faults)
    return "+".join(fs) if fs else "clean"


def rms(e: Iterable[float]) -> float:
    """Root mean square; NaN for no values."""
    a = np.asarray(list(e), dtype=np.float64)
    return math.sqrt(float(np.mean(np.square(a)))) if a.size else math.nan


def error_stats(e: list[float]) -> tuple[float, float, float, float]:
    """(RMS, bias = mean, 95th percentile of |e|, max |e|); NaNs for no values."""
    a = np.asarray(e, dtype=np.float64)
    if a.size == 0:
        return (math.nan,) * 4
    return rms(e), float(np.mean(a)), float(np.percentile(np.abs(a), 95)), float(np.abs(a).max())


def pool(results: Iterable[CaseResult], metric: str, bottom: bool = False) -> list[float]:
    """Every compared frame's error of `metric` over `results` (bottom: held frames only)."""
    return [v for r in results for v in (r.bottom_errors if bottom else r.errors).get(metric, [])]


def _frame_errors(m: dict[str, Any], tr: dict[str, Any]) -> dict[str, float]:
    out: dict[str, float] = {}
    if m["hip_to_wall_mm"] is not None:
        truth = tr["buttocks_x_mm"] - tr["heel_x_mm"] + m["wall_distance_in"] * INCH_M * 1000.0
        out["hip_to_wall_mm"] = m["hip_to_wall_mm"] - truth
    if m["knee_flexion_deg"] is not None:
        out["knee_flexion_deg"] = m["knee_flexion_deg"] - tr["knee_flexion_deg"]
    if m["trunk_angle_deg"] is not None:
        out["trunk_angle_deg"] = m["trunk_angle_deg"] - abs(tr["trunk_angle_deg"])
    if m["dowel_gaps_mm"] is not None:
        for k in ("head", "thoracic", "sacrum"):
            out[f"gap_{k}_mm"] = m["dowel_gaps_mm"][k] - tr["dowel_gaps_mm"][k]
    return out


def compare(
    name: str,
    case: dict[str, Any],
    doc: dict[str, Any],
    truth: list[dict[str, Any]],
    reps: list[dict[str, Any]],
    meta: dict[str, Any],
    problems: list[str],
) -> CaseResult:
    """The CaseResult of one analyzed case (the `analyze` document) against its per-frame
    truth rows, its scripted reps (start_s, end_s, expected_faults) and meta
    (hinge_depth_in, facing)."""
    res = CaseResult(name, case, problems=problems, frames_ok=len(doc["per_frame"]) == len(truth))
    res.errors = {m: [] for m in METRICS}
    res.bottom_errors = {m: [] for m in METRICS}
    for m, tr in zip(doc["per_frame"], truth, strict=False):
        if not tr["person"] or tr["phase"] not in STATION_PHASES:
            continue
        res.station_frames += 1
        if not m["person"]:
            continue
        res.found_frames += 1
        for k, v in _frame_errors(m, tr).items():
            res.errors[k].append(v)
            if tr["phase"] == "bottom":
                res.bottom_errors[k].append(v)
    res.scripted_reps, res.detected_reps = len(reps), len(doc["reps"])
    used: set[int] = set()
    for d in doc["reps"]:
        hit = next(
            (i for i, r in enumerate(reps) if r["start_s"] <= d["bottom_s"] <= r["end_s"] and i not in used),
            None,
        )
        if hit is None:
            res.spurious.append(tuple(d["faults"]))
            continue
        used.add(hit)
        res.pairs.append((tuple(reps[hit]["expected_faults"]), tuple(d["faults"])))
    res.missed = [tuple(r["expected_faults"]) for i, r in enumerate(reps) if i not in used]
    res.hinge_depth = (meta.get("hinge_depth_in"), doc["summary"]["hinge_depth_in"])
    res.facing = (str(meta.get("facing", "")), str(doc["facing"]))
    return res


@dataclass(frozen=True)
class FaultCounts:
    """One fault's 2x2 over reps: scripted yes/no x detected yes/no. A scripted rep that
    was not detected counts as not detected; an extra detected rep as not scripted."""

    tp: int = 0
    fn: int = 0
    fp: int = 0
    tn: int = 0

    @property
    def right(self) -> bool:
        return self.fn == 0 and self.fp == 0


def fault_confusion(results: Iterable[CaseResult]) -> dict[str, FaultCounts]:
    """Per fault name of FAULTS, the scripted-vs-detected counts over every rep."""
    counts = {f: Counter[str]() for f in FAULTS}
    for r in results:
        reps = [*r.pairs, *((e, ()) for e in r.missed), *(((), d) for d in r.spurious)]
        for scripted, detected in reps:
            for f in FAULTS:
                key = {(True, True): "tp", (True, False): "fn", (False, True): "fp", (False, False): "tn"}
                counts[f][key[(f in scripted, f in detected)]] += 1
    return {f: FaultCounts(c["tp"], c["fn"], c["fp"], c["tn"]) for f, c in counts.items()}


def label_confusion(results: Iterable[CaseResult]) -> tuple[Counter[str], Counter[tuple[str, str]]]:
    """Reps per scripted label, and (scripted label, detected fault | 'pass' | 'missed')
    counts; a rep with two detected faults counts in both columns. Spurious reps have the
    scripted label 'none'."""
    rows: Counter[str] = Counter()
    cells: Counter[tuple[str, str]] = Counter()
    for r in results:
        for e, d in [*r.pairs, *((("none",), d) for d in r.spurious)]:
            row = "none" if e == ("none",) else label(e)
            rows[row] += 1
            for f in d or ("pass",):
                cells[(row, f)] += 1
        for e in r.missed:
            rows[label(e)] += 1
            cells[(label(e), "missed")] += 1
    return rows, cells


def group_by(results: Iterable[CaseResult], key: Callable[[CaseResult], Any]) -> dict[Any, list[CaseResult]]:
    """Measured (not skipped) results grouped by `key`, groups in sorted key order."""
    groups: dict[Any, list[CaseResult]] = {}
    for r in results:
        if not r.skipped:
            groups.setdefault(key(r), []).append(r)
    return {k: groups[k] for k in sorted(groups)}
