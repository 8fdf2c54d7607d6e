"""Plain-text rendering of analysis results for a terminal."""

from __future__ import annotations

from typing import Any

FAULT_WORDS = {
    "wall_not_reached": "hips short of wall",
    "knees_bent": "knees bent",
    "back_rounded": "back rounded",
    "head_not_neutral": "head out of line",
    "weight_on_toes": "weight on toes",
}


def rep_table(doc: dict[str, Any]) -> str:
    """The rep table and summary of an `analyze` document."""
    lines = [
        f"{'rep':>3}  {'time s':>11}  {'wall in':>7}  {'hip-wall mm':>11}  {'knee deg':>8}  "
        f"{'trunk deg':>9}  verdict"
    ]
    for r in doc["reps"]:
        verdict = "PASS" if r["passed"] else "FAIL: " + ", ".join(FAULT_WORDS.get(f, f) for f in r["faults"])
        lines.append(
            f"{r['index']:>3}  {r['start_s']:>5.1f}-{r['end_s']:<5.1f}  {r['wall_distance_in']:>7.0f}  "
            f"{r['min_hip_to_wall_mm']:>11.0f}  {r['max_knee_flexion_deg']:>8.0f}  "
            f"{r['max_trunk_angle_deg']:>9.0f}  {verdict}"
        )
    if not doc["reps"]:
        lines.append("  (no reps found)")
    s = doc["summary"]
    depth = "none passed" if s["hinge_depth_in"] is None else f"{s['hinge_depth_in']:.0f} in"
    lines.append(
        f"{s['passed']}/{s['reps']} reps passed; hinge depth {depth}; "
        f"{len(doc['per_frame'])} frames at {doc['fps']:.0f} fps, athlete facing {doc['facing']}"
    )
    return "\n".join(lines)
