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


def verdict_words(passed: bool, faults: list[str] | tuple[str, ...]) -> str:
    """"PASS", "FAIL: knees bent, ..." or a bare "FAIL" (a coach's FAIL names no fault)."""
    if passed:
        return "PASS"
    words = ", ".join(FAULT_WORDS.get(f, f) for f in faults)
    return f"FAIL: {words}" if words else "FAIL"


def reps_lines(reps: list[dict[str, Any]]) -> list[str]:
    """One line per rep (DESIGN.md `reps` entries) under a header. An entry with
    "drill": "dowel" shows "dowel" for the wall columns: no wall is judged in that drill."""
    lines = [
        f"{'rep':>3}  {'time s':>11}  {'wall in':>7}  {'hip-wall mm':>11}  {'knee deg':>8}  "
        f"{'trunk deg':>9}  verdict"
    ]
    for r in reps:
        verdict = verdict_words(r["passed"], r["faults"])
        if r.get("drill") == "dowel":
            wall, h2w = f"{'dowel':>7}", f"{'-':>11}"
        else:
            wall, h2w = f"{r['wall_distance_in']:>7.0f}", f"{r['min_hip_to_wall_mm']:>11.0f}"
        lines.append(
            f"{r['index']:>3}  {r['start_s']:>5.1f}-{r['end_s']:<5.1f}  {wall}  {h2w}  "
            f"{r['max_knee_flexion_deg']:>8.0f}  "
            f"{r['max_trunk_angle_deg']:>9.0f}  {verdict}"
        )
    if not reps:
        lines.append("  (no reps found)")
    return lines


def summary_line(summary: dict[str, Any]) -> str:
    depth = "none passed" if summary["hinge_depth_in"] is None else f"{summary['hinge_depth_in']:.0f} in"
    return f"{summary['passed']}/{summary['reps']} reps passed; hinge depth {depth}"


def rep_table(doc: dict[str, Any]) -> str:
    """The rep table and summary of an `analyze` document."""
    lines = reps_lines(doc["reps"])
    for r in doc.get("incomplete_reps", []):
        times = f"{r['start_s']:>5.1f}-{r['end_s']:<5.1f}"
        lines.append(f"  -  {times}  incomplete: never stood up again (no verdict)")
    lines.append(
        f"{summary_line(doc['summary'])}; {len(doc['per_frame'])} frames at {doc['fps']:.0f} fps, "
        f"athlete facing {doc['facing']}"
    )
    lines += [f"warning: {w}" for w in doc.get("warnings", [])]
    return "\n".join(lines)
