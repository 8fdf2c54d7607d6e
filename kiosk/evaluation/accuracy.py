"""Accuracy harness: the simulator over a matrix of athletes, placements and scripts,
measured exactly as `hinge-kiosk analyze` measures a recording, compared with the truth.

    .venv/bin/python -m kiosk.evaluation.accuracy --matrix both --jobs 2 --out docs/accuracy.md
    .venv/bin/python -m kiosk.evaluation.accuracy --quick --out /tmp/acc.md        # 8 cases
    ... --matrix full (parametric, where the core is tuned) | validation (MPFB2, never tuned on)
    ... --matrix rates (the same sessions at 6-90 fps, with drops: kiosk/evaluation/accuracy_rates.py)
    ... --cache DIR                                                     # keep rendered frames

Cases and matrices: kiosk/evaluation/accuracy_cases.py; rendering and the frame cache:
kiosk/evaluation/accuracy_frames.py. Per case: the script is rendered at 848x480
through the SDK's software device, like a camera; raw frames at
`calibration_sample_indices` self-calibrate (floor, pose, station, facing and heading from
the hinge: kiosk/analysis/recording.py self_calibrate); the calibration check's placement problems
are recorded (a case is skipped only when calibration fails); every frame goes through
MEASURE_FILTERS (424x240) into `analyze_frames`. The comparison with the simulator's
exact per-frame truth is kiosk/evaluation/accuracy_stats.py, the report kiosk/evaluation/accuracy_report.py.
`--cache DIR` keeps rendered frames (~60 MB a case) so re-runs after tuning the core skip
the rendering (~50 ms/frame; the analysis is ~4 ms/frame).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from calibration.errors import CalibrationError
from calibration.validate import check
from kiosk.analysis.analyzer import with_drill
from kiosk.analysis.recording import analyze_frames, self_calibrate
from kiosk.core.profile_loader import load_profile
from kiosk.core.thresholds import Profile
from kiosk.evaluation.accuracy_cases import QUICK, Case, full_matrix
from kiosk.evaluation.accuracy_frames import capture_of, drop_frames, is_cached, samples_of, stamp_case_time
from kiosk.evaluation.accuracy_rates import rates_markdown, rates_matrix
from kiosk.evaluation.accuracy_report import markdown
from kiosk.evaluation.accuracy_stats import CaseResult, compare
from kiosk.evaluation.accuracy_validation import holdout_matrix, validation_matrix


def run_case(case: Case, profile: Profile, cache: Path | None = None) -> CaseResult:
    """Calibrate from the samples, check the placement, analyze every frame and compare."""
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
    try:
        walls = _script_walls(case)
    except ValueError as err:  # e.g. a wall beyond a short athlete's reach, a body out of reach
        return CaseResult(case.name, asdict(case), skipped=f"not possible: {err}")
    # The drill starts at the script's first wall, as an operator sets --wall-in to match.
    # The drill never ends early here (max fails at one wall): every scripted rep is
    # judged, so a script may fail one wall more often than a session would allow.
    prof = with_drill(
        profile,
        wall_start_in=walls[0] if walls else None,
        dowel_reps=case.dowel_reps,
        max_fails_per_distance=10,
    )
    try:
        cal = self_calibrate(samples_of(case, cache), None, "auto", prof, source=case.name)
    except CalibrationError as err:
        return CaseResult(case.name, asdict(case), skipped=f"calibration failed: {err}")
    # Placement problems (e.g. a 2 m athlete's head cut off at 1.5 m) are recorded, not
    # skipped: the athlete of the case may well fit, and the measurement says whether.
    problems = check(cal)
    cap = drop_frames(capture_of(case, cache), case.drop_frac, case.seed)
    doc = analyze_frames(iter(cap.frames), cal, prof, case.name, len(cap.frames))
    res = compare(case.name, asdict(case), doc, cap.truth, cap.reps, cap.meta, problems)
    res.fresh_s = float(cap.meta.get("case_s", 0.0))
    return res


def _script_walls(case: Case) -> list[float]:
    from hardware.sim.bodies import body_from_spec
    from hardware.sim.motion import make_script

    cfg = case.sim_config()
    body = body_from_spec(cfg.body, cfg.height_m, cfg.build)
    # An MPFB2 person is built on first use: a body MakeHuman cannot make (a BMI out of
    # the macros' reach) fails here, before any frame, not in a worker mid-run.
    body.foot_length_m()
    script = make_script(cfg.script, body, **cfg.script_options)
    return [r.wall_distance_in for r in script.reps if r.wall_distance_in is not None]


def _run_one(case: Case, profile: Profile, cache: Path | None) -> CaseResult:
    t1 = time.monotonic()
    rendered = not is_cached(case, cache)
    res = run_case(case, profile, cache)
    res.run_s, res.rendered = time.monotonic() - t1, rendered
    if rendered:
        res.fresh_s = res.run_s
        if cache is not None:
            stamp_case_time(case, cache, res.run_s)
    return res


def run_cases(cases: tuple[Case, ...], profile: Profile, cache: Path | None, jobs: int) -> list[CaseResult]:
    """Every case, in `jobs` worker processes (spawned: Open3D and the SDK hold threads),
    results in the cases' order; progress on stderr."""
    results: dict[int, CaseResult] = {}

    def done(i: int, res: CaseResult) -> None:
        results[i] = res
        line = f"[{len(results)}/{len(cases)}] {res.one_line()} ({res.run_s:.0f} s)"
        print(line, file=sys.stderr, flush=True)

    if jobs <= 1:
        for i, case in enumerate(cases):
            done(i, _run_one(case, profile, cache))
    else:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
            futures = {pool.submit(_run_one, case, profile, cache): i for i, case in enumerate(cases)}
            for fut in as_completed(futures):
                done(futures[fut], fut.result())
    return [results[i] for i in range(len(cases))]


MATRICES = ("quick", "full", "validation", "both", "holdout", "rates")


def matrix(kind: str) -> tuple[Case, ...]:
    """The cases of a matrix: quick/full (parametric family, where the core is tuned),
    validation (the MPFB2 family, never tuned on), both (full + validation), holdout (MPFB2
    people nobody has looked at: only to report a frozen change), rates
    (kiosk/evaluation/accuracy_rates.py)."""
    if kind == "holdout":
        return holdout_matrix()
    if kind == "rates":
        return rates_matrix()
    if kind == "quick":
        return QUICK
    if kind == "full":
        return full_matrix()
    if kind == "validation":
        return validation_matrix()
    return full_matrix() + validation_matrix()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m kiosk.evaluation.accuracy",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--matrix", choices=MATRICES, default="full", help="which cases (default: full)")
    p.add_argument("--quick", action="store_true", help=f"the quick matrix ({len(QUICK)} cases)")
    p.add_argument("--out", default=None, metavar="MD", help="write the markdown report here")
    p.add_argument("--json", default=None, metavar="JSON", help="write per-case results here")
    p.add_argument("--cache", default=None, metavar="DIR", help="keep rendered frames here for re-runs")
    p.add_argument("--only", default=None, metavar="TEXT", help="only cases whose name contains TEXT")
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="worker processes (default 1)")
    p.add_argument("--profile", default=None, metavar="TOML", help="threshold profile (default: built-in)")
    args = p.parse_args(argv)
    kind = "quick" if args.quick else args.matrix
    cases = matrix(kind)
    if args.only:
        cases = tuple(c for c in cases if args.only in c.name)
    profile = load_profile(Path(args.profile) if args.profile else None)
    cache = Path(args.cache) if args.cache else None
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
    t0, jobs = time.monotonic(), max(1, args.jobs)
    results = run_cases(cases, profile, cache, jobs)
    minutes = (time.monotonic() - t0) / 60.0
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    if kind == "rates":
        text = rates_markdown(results, stamp, minutes, jobs)
    else:
        text = markdown(results, kind, stamp, minutes, jobs)
    if args.out:
        Path(args.out).write_text(text)
    else:
        print(text)
    if args.json:
        Path(args.json).write_text(json.dumps([r.to_json() for r in results], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
