"""The frame-rate matrix (kiosk/evaluation/accuracy_rates.py): the same sessions at every D4xx rate
with and without drops, sharing one rendering per rate, and a report that says when a
session's reps differ between rates."""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path

from kiosk.evaluation.accuracy_frames import _cache_path
from kiosk.evaluation.accuracy_rates import BASES, DROPS, RATES_FPS, base_key, rates_markdown, rates_matrix
from kiosk.evaluation.accuracy_report import family_of
from kiosk.evaluation.accuracy_stats import CaseResult


def test_every_base_runs_at_every_rate_with_and_without_drops() -> None:
    cases = rates_matrix()
    assert len(cases) == len(BASES) * len(RATES_FPS) * len(DROPS)
    assert len({c.name for c in cases}) == len(cases)
    for base in BASES:
        mine = [c for c in cases if replace(c, fps=30, drop_frac=0.0, seed=0) == replace(base, seed=0)]
        assert {(c.fps, c.drop_frac) for c in mine} == {(f, d) for f in RATES_FPS for d in DROPS}
        assert len({c.seed for c in mine}) == 1  # one noise seed: only rate and drops differ


def test_a_case_with_drops_reads_its_twins_rendering_after_it() -> None:
    cases = rates_matrix()
    cache = Path("/cache")
    for i, case in enumerate(cases):
        if case.drop_frac > 0:
            twin = replace(case, drop_frac=0.0)
            assert _cache_path(case, cache, "frames") == _cache_path(twin, cache, "frames")
            assert cases.index(twin) < i


def test_both_families_are_in_the_matrix() -> None:
    families = {family_of(CaseResult(c.name, asdict(c))) for c in rates_matrix()}
    assert families == {"parametric", "mpfb"}


def _result(fps: int, drop: float, detected: int, faults: tuple[str, ...] = ()) -> CaseResult:
    case = replace(BASES[0], fps=fps, drop_frac=drop)
    return CaseResult(
        case.name, asdict(case), scripted_reps=2, detected_reps=detected,
        pairs=[((), faults)] * detected, errors={"hip_to_wall_mm": [3.0, -3.0]},
    )


def test_the_report_counts_a_session_alike_only_when_every_rate_found_the_same_reps() -> None:
    alike = [_result(f, d, 2) for f in RATES_FPS for d in DROPS]
    text = rates_markdown(alike, "2026-12-07", 1.0, 2)
    assert "every rate and drop: 1 of 1 base sessions" in text
    assert base_key(alike[0]) == base_key(alike[-1])
    one_lost = [*alike[:-1], _result(90, 0.1, 1)]
    assert "every rate and drop: 0 of 1 base sessions" in rates_markdown(one_lost, "2026-12-07", 1.0, 2)
    other_fault = [*alike[:-1], _result(90, 0.1, 2, ("back_rounded",))]
    assert "every rate and drop: 0 of 1 base sessions" in rates_markdown(other_fault, "2026-12-07", 1.0, 2)
    assert "| 90 | 0.1 | 2/2 | **no** | back_rounded, back_rounded |" in rates_markdown(
        other_fault, "2026-12-07", 1.0, 2
    )


def test_the_from_scratch_time_counts_each_rendering_once() -> None:
    # Each undropped case rendered its frames in 60 s; its dropped twin read the same frames
    # (and carries the same recorded time), so the whole matrix took 5 minutes, not 10.
    results = [_result(f, d, 2) for f in RATES_FPS for d in DROPS]
    for r in results:
        r.fresh_s, r.rendered = 60.0, False
    text = rates_markdown(results, "2026-12-07", 1.0, 2)
    assert "from scratch took 5.0 min of CPU" in text
    assert "0 cases rendered, 10 read from the frame cache" in text
    results[0].fresh_s = 0.0  # one rendering's time unknown: no total rather than a short one
    assert "from scratch" not in rates_markdown(results, "2026-12-07", 1.0, 2)
