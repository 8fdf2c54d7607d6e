"""Markdown for the Pi-share benchmark (kiosk/evaluation/bench_pi.py): numbers in, text out."""

from __future__ import annotations

import argparse
import platform
import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kiosk.evaluation.bench_loop_report import FPS
from kiosk.evaluation.bench_pi_prose import PROSE

FRAME_MS = 1000.0 / FPS
MAIN_SHARE = 0.6  # issue 14.1: the loop's thread may use ~20 of a Pi 4's 33 ms per frame


@dataclass(frozen=True)
class Target:
    """A run: `ratio` = how many times slower one core of the target is than a core here
    (1: unthrottled); `filters_on_loop`: the SDK filters run on the loop's thread (as a live
    kiosk does today) instead of before the run (as a separate capture process would);
    `seg_elsewhere`: the athlete picked out of each frame before the run too, as the capture
    process's stage does (kiosk/analysis/presegment.py); `capture_proc`: through a real
    capture process on a core of its own at the same share (filters and segmentation there,
    on the camera's clock; bench_pi.child_capture)."""

    name: str
    ratio: float
    filters_on_loop: bool = False
    seg_elsewhere: bool = False
    capture_proc: bool = False
    unlimited: bool = False  # the SDK filters without the analysis box's range limit (before 2026-12-08)
    no_stage: bool = False  # the capture process without its segmentation stage (the loop segments)
    split: bool = False  # the capture split over two processes (hardware/capture_split.py)


DEFAULT_TARGETS = (Target("unthrottled", 1.0), Target("unthrottled-filters", 1.0, True),
                   Target("unthrottled-seg", 1.0, seg_elsewhere=True),
                   Target("pi4", 6.0), Target("pi4-filters", 6.0, True),
                   Target("pi4-seg", 6.0, seg_elsewhere=True),
                   Target("pi5", 2.2), Target("pi5-filters", 2.2, True), Target("pi4-at-4x", 4.0),
                   Target("unthrottled-proc", 1.0, capture_proc=True),
                   Target("pi4-proc", 6.0, capture_proc=True),
                   Target("pi4-proc-unlimited", 6.0, capture_proc=True, unlimited=True),
                   Target("pi4-proc-nostage", 6.0, capture_proc=True, no_stage=True),
                   Target("pi4-split", 6.0, capture_proc=True, split=True),
                   Target("pi5-proc", 2.2, capture_proc=True))


def parse_target(text: str) -> Target:
    """--target NAME=RATIO."""
    name, _, ratio = text.partition("=")
    if not ratio:
        raise argparse.ArgumentTypeError("NAME=RATIO, e.g. pi4=6.0 (NAME ending -filters: filters on loop, "
                                         "-seg: segmentation elsewhere too, -proc: a real capture process)")
    return Target(name, float(ratio), filters_on_loop=name.endswith("-filters"),
                  seg_elsewhere=name.endswith("-seg"), capture_proc="-proc" in name or "-split" in name,
                  unlimited=name.endswith("-unlimited"), no_stage=name.endswith("-nostage"),
                  split="-split" in name)


@dataclass(frozen=True)
class Run:
    target: Target
    result: dict[str, Any]  # run_kiosk's dict plus delivered/dropped (bench_pi.child)
    throttle: list[dict[str, int]] = field(default_factory=list)  # cpu.stat per cgroup


def _q_ms(values: list[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return 1000 * (statistics.median(s) if q == 0.5 else s[min(len(s) - 1, round(q * (len(s) - 1)))])


def _f(value: float | None, fmt: str = ".1f") -> str:
    return "-" if value is None else format(value, fmt)


def metrics(run: Run) -> dict[str, Any]:
    """The numbers of one run, in display units (ms, fps, %)."""
    r = run.result
    it: list[float] = r["iter_cpu_s"]
    frames = max(int(r["delivered"]), 1)
    offered = int(r["delivered"]) + int(r["dropped"])
    lat = [v for vals in r["sound_latency_s"].values() for v in vals]
    drawn = [v for vals in r["draw_latency_s"].values() for v in vals]
    periods = sum(t.get("nr_periods", 0) for t in run.throttle[:1])
    throttled = sum(t.get("nr_throttled", 0) for t in run.throttle[:1])
    cap = run.throttle[1] if len(run.throttle) > 1 else {}
    cam = run.throttle[2] if len(run.throttle) > 2 else {}
    return {
        "offered": offered, "held": int(r["delivered"]), "dropped": int(r["dropped"]),
        "dropped_pct": 100.0 * int(r["dropped"]) / offered if offered else 0.0,
        "fps": (r["frames"] - 1) / r["frames_span_s"] if r["frames_span_s"] > 0 else 0.0,
        "main_med_ms": _q_ms(it, 0.5), "main_p95_ms": _q_ms(it, 0.95),
        "main_per_frame_ms": 1000 * sum(it) / frames,
        "other_per_frame_ms": 1000 * max(r["cpu_s"] - sum(it), 0.0) / frames,
        "cue_med_ms": _q_ms(lat, 0.5), "cue_p95_ms": _q_ms(lat, 0.95), "cue_max_ms": _q_ms(lat, 1.0),
        "drawn_med_ms": _q_ms(drawn, 0.5), "drawn_max_ms": _q_ms(drawn, 1.0), "cues": len(lat),
        "first_frame_s": r["first_frame_after_s"], "reps": r["reps"], "wall_s": r["wall_s"],
        "throttled_pct": 100.0 * throttled / periods if periods else None,
        "presegmented": int(r.get("presegmented", 0)),
        "capture_ms": r.get("capture_ms"),
        "capture_throttled_pct": (100.0 * cap["nr_throttled"] / cap["nr_periods"]
                                  if cap.get("nr_periods") else None),
        "capture_a_ms": r.get("capture_a_ms"),
        "capture_a_throttled_pct": (100.0 * cam["nr_throttled"] / cam["nr_periods"]
                                    if cam.get("nr_periods") else None),
    }


def _header(run: Run, period_us: int) -> str:
    t = run.target
    unlimited = " without the range limit" if t.unlimited else ""
    stage = "" if t.no_stage else ", segmentation"
    proc = f"a capture process on a core of its own (filters{unlimited}{stage})"
    if t.split:
        proc = "the capture split over two processes, each a core of its own (hardware/capture_split.py)"
    where = ("filters on loop" if t.filters_on_loop
             else "filters and segmentation elsewhere" if t.seg_elsewhere
             else proc if t.capture_proc else "filters elsewhere")
    if t.ratio <= 1.0:
        return f"{t.name}: one core here, {where}"
    return f"{t.name}: quota {round(period_us / t.ratio)}/{period_us} us ({100 / t.ratio:.0f} %), {where}"


ROWS: tuple[tuple[str, str, str], ...] = (
    ("frames offered by the camera clock", "offered", "d"),
    ("frames held (analysed and drawn)", "held", "d"),
    ("frames dropped", "dropped", "d"),
    ("dropped, % of offered", "dropped_pct", ".0f"),
    ("achieved fps (30 offered)", "fps", ".1f"),
    ("loop-thread CPU per iteration, median ms (of this machine)", "main_med_ms", ".1f"),
    ("loop-thread CPU per iteration, p95 ms", "main_p95_ms", ".1f"),
    ("loop-thread CPU per held frame, mean ms", "main_per_frame_ms", ".1f"),
    ("other threads (SDL, audio, SDK software device) per held frame, ms", "other_per_frame_ms", ".1f"),
    ("frame-to-cue (sound), median ms", "cue_med_ms", ".0f"),
    ("frame-to-cue (sound), p95 ms", "cue_p95_ms", ".0f"),
    ("frame-to-cue (sound), max ms", "cue_max_ms", ".0f"),
    ("frame-to-cue (drawn), median / max ms", "drawn", ""),
    ("cue events (wall, pass, fail)", "cues", "d"),
    ("reps judged", "reps", "d"),
    ("frames that came segmented (the capture process's stage)", "presegmented", "d"),
    ("calibration + first analysed frame, s", "first_frame_s", ".1f"),
    ("periods throttled, % (loop thread's group)", "throttled_pct", ".0f"),
    ("capture process: CPU per frame it read, ms (of this machine)", "capture_ms", ".1f"),
    ("capture process: periods throttled, % (its own group)", "capture_throttled_pct", ".0f"),
    ("split: the camera's half, CPU per frame, ms", "capture_a_ms", ".1f"),
    ("split: the camera's half, periods throttled, %", "capture_a_throttled_pct", ".0f"),
    ("wall time of the run, s", "wall_s", ".0f"),
)


def table(runs: list[Run], period_us: int) -> list[str]:
    ms = [metrics(r) for r in runs]
    lines = ["| | " + " | ".join(_header(r, period_us) for r in runs) + " |",
             "|---|" + "---:|" * len(runs)]
    for label, key, fmt in ROWS:
        if key == "drawn":
            cells = [f"{_f(m['drawn_med_ms'], '.0f')} / {_f(m['drawn_max_ms'], '.0f')}" for m in ms]
        else:
            cells = [_f(m[key], fmt) for m in ms]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def budget_lines(runs: list[Run]) -> list[str]:
    """What each Pi target leaves the loop's thread, against what it used here (issue 14.1)."""
    base = next((metrics(r) for r in runs if r.target.ratio <= 1.0 and not r.target.filters_on_loop), None)
    out = []
    for r in runs:
        if "sdk_raw_ms" in r.result and "sdk_filtered_ms" in r.result:
            raw, filt = r.result["sdk_raw_ms"], r.result["sdk_filtered_ms"]
            out.append(f"- The SDK filters cost ~{filt - raw:.1f} ms per frame here (reading the recording "
                       f"with them {filt:.1f} ms, without {raw:.1f} ms, SDK thread CPU, unthrottled, "
                       f"{r.target.name}'s preload).")
    for r in runs:
        t = r.target
        if t.ratio <= 1.0:
            continue
        m = metrics(r)
        allowed_ms = MAIN_SHARE * FRAME_MS / t.ratio
        kind = (t.filters_on_loop, t.seg_elsewhere, t.capture_proc)
        same = [metrics(u) for u in runs if u.target.ratio <= 1.0
                and (u.target.filters_on_loop, u.target.seg_elsewhere, u.target.capture_proc) == kind]
        ref = same[0] if same else base
        need = ref["main_med_ms"] if ref else None
        total = (ref["main_per_frame_ms"] + ref["other_per_frame_ms"]) if ref else None
        out.append(
            f"- **{t.name}** (ratio {t.ratio:g}): {m['fps']:.1f} fps held, {m['dropped_pct']:.0f} % "
            f"of frames dropped, frame-to-cue median {_f(m['cue_med_ms'], '.0f')} ms. One Pi core is "
            f"{FRAME_MS / t.ratio:.1f} ms of this machine per 33.3 ms frame; the loop thread's budget "
            f"({MAIN_SHARE:.0%} of it) is {allowed_ms:.1f} ms here, its median unthrottled use "
            f"{_f(need)} ms; the whole process needs {_f(total)} ms per frame unthrottled.")
    return out


def markdown(runs: list[Run], profiled: Run | None, period_us: int, load: tuple[float, float, float],
             load_start: tuple[float, float, float] | None = None, capture: list[str] | None = None) -> str:
    """The report: the side-by-side table, the budgets, the optional profile, then how it
    was measured, where the ratios come from and what a quota does not model."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Kiosk loop on a Raspberry Pi's CPU share",
        "",
        f"Generated by `make bench-pi` (`python -m kiosk.evaluation.bench_pi`) on {stamp}. "
        "A benchmark, not a test;",
        "**not measured on a Raspberry Pi**: a core of this machine held to a Pi core's share by a",
        f"cgroup v1 CFS quota (period {period_us // 1000} ms). Load average "
        + (f"at the start {' '.join(f'{x:.2f}' for x in load_start)}, " if load_start else "")
        + f"at the end {' '.join(f'{x:.2f}' for x in load)} (a shared 2-core machine; other work ran too).",
        f"CPU: {platform.processor() or platform.machine()}, Python {platform.python_version()}.",
        "",
        "## Result",
        "",
        *table(runs, period_us),
        "",
        *budget_lines(runs),
        "",
        *(capture or []),
    ]
    if profiled is not None:
        m = metrics(profiled)
        lines += [
            f"## Where the loop thread's time goes ({profiled.target.name}, cProfile on thread CPU time)",
            "",
            f"A separate run under the same quota with the profiler on ({m['fps']:.1f} fps held; the",
            "profiler's own cost slows it). tottime = CPU in the function itself:",
            "",
            "```",
            *[ln.rstrip() for ln in str(profiled.result.get("profile", "")).strip().splitlines()[-26:]],
            "```",
            "",
        ]
    lines.append(PROSE)
    return "\n".join(lines)
