"""Comparison of an `analyze` document with the simulator's truth, and the harness's report.

Per-frame errors are taken on the frames where the athlete is at the station (truth phase
stand/descend/bottom/ascend; walking is out of scope for the sagittal measures) and the
core found them. hip_to_wall's truth uses the wall the drill actually had in that frame
(per_frame wall_distance_in), so a drill that advanced differently does not count as a
measurement error: truth = (buttocks_x - heel_x) + wall. Trunk angle truth is unsigned.
Reps are matched by the detected bottom falling inside a scripted rep's [start, end].
"""

from __future__ import annotations

import math
from collections import Counter
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
BUDGETS = {"hip_to_wall_mm": 10.0, "knee_flexion_deg": 4.0, "trunk_angle_deg": 4.0}
FAULTS = ("wall_not_reached", "knees_bent", "back_rounded", "head_not_neutral", "weight_on_toes")


@dataclass
class CaseResult:
    """One case's outcome. errors: per metric, measured - truth per compared frame."""

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
    pairs: list[tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=list)
    missed: list[tuple[str, ...]] = field(default_factory=list)
    hinge_depth: tuple[float | None, float | None] = (None, None)
    facing: tuple[str, str] = ("", "")

    @property
    def exact(self) -> int:
        return sum(1 for e, d in self.pairs if set(e) == set(d))

    @property
    def verdicts_right(self) -> bool:
        depth_ok = self.hinge_depth[0] == self.hinge_depth[1]
        return (
            self.exact == self.scripted_reps == self.detected_reps
            and depth_ok
            and self.facing[0] == self.facing[1]
        )

    def rms(self, metric: str) -> float:
        e = self.errors.get(metric, [])
        return math.sqrt(float(np.mean(np.square(e)))) if e else float("nan")

    def one_line(self) -> str:
        if self.skipped:
            return f"{self.name}: SKIPPED ({self.skipped})"
        return (
            f"{self.name}: h2w {self.rms('hip_to_wall_mm'):.1f} mm, knee {self.rms('knee_flexion_deg'):.1f}, "
            f"trunk {self.rms('trunk_angle_deg'):.1f} deg; reps {self.detected_reps}/{self.scripted_reps}, "
            f"exact {self.exact}; depth {self.hinge_depth[1]}/{self.hinge_depth[0]}; "
            f"{'OK' if self.verdicts_right else 'VERDICTS WRONG'}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "case": self.case,
            "skipped": self.skipped,
            "problems": self.problems,
            "rms": {m: _r(self.rms(m)) for m in METRICS},
            "bias": {m: _r(float(np.mean(v))) if v else None for m, v in self.errors.items()},
            "station_frames": self.station_frames,
            "found_frames": self.found_frames,
            "scripted_reps": self.scripted_reps,
            "detected_reps": self.detected_reps,
            "pairs": [[list(e), list(d)] for e, d in self.pairs],
            "missed": [list(m) for m in self.missed],
            "hinge_depth_in": {"truth": self.hinge_depth[0], "measured": self.hinge_depth[1]},
            "facing": {"truth": self.facing[0], "measured": self.facing[1]},
            "verdicts_right": self.verdicts_right,
        }


def _r(v: float) -> float | None:
    return None if not math.isfinite(v) else round(v, 2)


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
    """The CaseResult of one analyzed case against its truth rows and scripted reps."""
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
        if hit is not None:
            used.add(hit)
            res.pairs.append((tuple(reps[hit]["expected_faults"]), tuple(d["faults"])))
    res.missed = [tuple(r["expected_faults"]) for i, r in enumerate(reps) if i not in used]
    res.hinge_depth = (meta.get("hinge_depth_in"), doc["summary"]["hinge_depth_in"])
    res.facing = (str(meta.get("facing", "")), str(doc["facing"]))
    return res


def _stats(e: list[float]) -> tuple[float, float, float, float]:
    a = np.abs(np.asarray(e))
    if a.size == 0:
        return (math.nan,) * 4
    return (
        math.sqrt(float(np.mean(np.square(e)))),
        float(np.mean(e)),
        float(np.percentile(a, 95)),
        float(a.max()),
    )


def _pool(results: list[CaseResult], metric: str, bottom: bool = False) -> list[float]:
    return [v for r in results for v in (r.bottom_errors if bottom else r.errors).get(metric, [])]


def _label(faults: tuple[str, ...]) -> str:
    return "+".join(faults) if faults else "clean"


def markdown(results: list[CaseResult], kind: str, date: str, minutes: float) -> str:
    """The docs/accuracy.md report."""
    ran = [r for r in results if not r.skipped]
    lines = [
        f"# Measurement accuracy on the simulator ({kind} matrix, {date})",
        "",
        f"{len(results)} cases, {len(ran)} measured, {len(results) - len(ran)} skipped "
        f"(placement cut the athlete off); run time {minutes:.0f} min.",
        "",
        "## Per-frame errors (measured - truth), all measured cases pooled",
        "",
        "| metric | RMS | bias | p95 abs | max abs | frames | budget | bottom RMS |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for m in METRICS:
        rms, bias, p95, mx = _stats(_pool(ran, m))
        brms = _stats(_pool(ran, m, bottom=True))[0]
        budget = f"<= {BUDGETS[m]:g}" + (" ok" if rms <= BUDGETS[m] else " **over**") if m in BUDGETS else "-"
        lines.append(
            f"| {m} | {rms:.1f} | {bias:+.1f} | {p95:.1f} | {mx:.1f} | {len(_pool(ran, m))} | "
            f"{budget} | {brms:.1f} |"
        )
    found = sum(r.found_frames for r in ran)
    station = sum(r.station_frames for r in ran)
    lines += ["", f"Athlete found in {found}/{station} station frames.", ""]
    lines += _verdicts(ran) + _cases(results)
    return "\n".join(lines) + "\n"


def _verdicts(ran: list[CaseResult]) -> list[str]:
    conf: Counter[tuple[str, str]] = Counter()
    rows: Counter[str] = Counter()
    for r in ran:
        for e, d in r.pairs:
            rows[_label(e)] += 1
            for f in d or ("pass",):
                conf[(_label(e), f)] += 1
        for e in r.missed:
            rows[_label(e)] += 1
            conf[(_label(e), "missed")] += 1
    cols = [*FAULTS, "pass", "missed"]
    lines = [
        "## Verdicts",
        "",
        "Rows: scripted faults of a rep; columns: what `analyze` reported for it "
        "(a rep may show several faults).",
        "",
        "| scripted \\ detected | reps | " + " | ".join(cols) + " |",
        "|---|---|" + "---|" * len(cols),
    ]
    for row in sorted(rows):
        lines.append(f"| {row} | {rows[row]} | " + " | ".join(str(conf[(row, c)] or "") for c in cols) + " |")
    exact = sum(r.exact for r in ran)
    scripted = sum(r.scripted_reps for r in ran)
    detected = sum(r.detected_reps for r in ran)
    right = sum(r.verdicts_right for r in ran)
    lines += [
        "",
        f"Reps: {detected} detected / {scripted} scripted; exact fault set on {exact}; "
        f"cases with every verdict, rep count, hinge depth and facing right: {right}/{len(ran)}.",
        "",
    ]
    return lines


def _cases(results: list[CaseResult]) -> list[str]:
    lines = [
        "## Cases",
        "",
        "| case | h2w RMS mm | knee RMS | trunk RMS | gaps RMS h/t/s mm | reps det/scr | "
        "exact | depth in meas/truth | facing | ok |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if r.skipped:
            lines.append(f"| {r.name} | skipped: {r.skipped} | | | | | | | | |")
            continue
        gaps = "/".join(f"{r.rms(f'gap_{k}_mm'):.0f}" for k in ("head", "thoracic", "sacrum"))
        lines.append(
            f"| {r.name} | {r.rms('hip_to_wall_mm'):.1f} | {r.rms('knee_flexion_deg'):.1f} | "
            f"{r.rms('trunk_angle_deg'):.1f} | {gaps} | {r.detected_reps}/{r.scripted_reps} | {r.exact} | "
            f"{r.hinge_depth[1]}/{r.hinge_depth[0]} | {r.facing[1]}/{r.facing[0]} | "
            f"{'yes' if r.verdicts_right else '**no**'} |"
        )
    return [*lines, ""]
