"""End to end on simulated recordings: `hinge-kiosk analyze` against the simulator's truth.

Each case records a scripted athlete through the real path (hardware/recorder.py
record_sim: raycast body, D4xx noise, pyrealsense2 software device, the SDK's recorder ->
.db3 with the truth JSON beside it), then runs `hinge-kiosk analyze` (kiosk/cli/root.py main)
on the file with no calibration and `--facing auto`. Expected verdicts, rep counts, wall
distances and hinge depth are read from the truth file only (hardware/sim/scripts.py
plans them, hardware/sim/truth.py measures the body), never from the code under test.

Cost: every recording is rendered and analysed once per session, in worker processes
(E2E_WORKERS, default: up to 2). Scripts are shortened with ScriptOptions (one rep per
fault script, brisk timings): ~1400 frames, ~140 s of CPU in all. The tests that need the
recordings are marked `slow`; the bad-input tests are fast.
"""

from __future__ import annotations

import contextlib
import io
import json
import multiprocessing
import os
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

FAULT_OF_SCRIPT = {
    "squat_pattern": "knees_bent",
    "rounded_back": "back_rounded",
    "head_up": "head_not_neutral",
    "head_down": "head_not_neutral",
    "weight_on_toes": "weight_on_toes",
}
# Brisk timings (ScriptOptions): 0.8 s walks from/to 1.2 m, 1 s stand, 1.8 s reps, 0.6 s pauses.
BRISK: dict[str, Any] = {
    "absent_s": 0.2,
    "walk_s": 0.8,
    "enter_x_m": -1.2,
    "exit_x_m": 1.2,
    "stand_s": 1.0,
    "descend_s": 0.8,
    "hold_s": 0.25,
    "ascend_s": 0.8,
    "pause_s": 0.6,
}


@dataclass(frozen=True)
class Case:
    """One simulated recording and how it is analysed. analyze_args: extra CLI flags;
    facing_given: also analyse it with --facing <the placement's side>."""

    name: str
    script: str
    options: dict[str, Any]
    side: str = "right"
    oblique_deg: float = 0.0
    analyze_args: tuple[str, ...] = ()
    facing_given: bool = False
    seed: int = 0


CASES: dict[str, Case] = {
    c.name: c
    for c in (
        Case("squat_pattern", "squat_pattern", {"reps": 1}, "right", 0.0, seed=1),
        Case("rounded_back", "rounded_back", {"reps": 1}, "left", 15.0, facing_given=True, seed=2),
        Case("head_up", "head_up", {"reps": 1}, "right", 10.0, seed=3),
        Case("head_down", "head_down", {"reps": 1}, "left", 0.0, seed=4),
        Case("weight_on_toes", "weight_on_toes", {"reps": 1}, "right", 0.0, seed=5),
        Case("dowel_reps", "dowel_reps", {"reps": 2}, "left", 20.0, seed=6),
        # 7 in and 9 in pass, then one attempt at 11 in stops 60 mm short: hinge depth 9 in.
        Case(
            "wall_progression",
            "wall_progression",
            {"wall_start_in": 7.0, "wall_step_in": 2.0, "max_reach_in": 9.5, "fails": 1},
            "right",
            10.0,
            ("--wall-in", "7", "--step-in", "2", "--dowel-reps", "0"),
            seed=7,
        ),
    )
}


@dataclass
class Run:
    """A recorded and analysed case: files and counts (what the worker hands back)."""

    case: Case
    recording: Path
    frames_recorded: int
    frames_in_file: int
    truth: dict[str, Any] = field(default_factory=dict)
    doc: dict[str, Any] = field(default_factory=dict)
    doc_facing_given: dict[str, Any] | None = None
    seconds: float = 0.0


def _analyze(rec: Path, out: Path, *extra: str) -> dict[str, Any]:
    from kiosk.cli.root import main

    with contextlib.redirect_stdout(io.StringIO()):
        rc = main(["analyze", str(rec), "--json", str(out), *extra])
    assert rc == 0, f"analyze {rec.name} exited {rc}"
    doc: dict[str, Any] = json.loads(out.read_text())
    return doc


def record_and_analyze(case: Case, folder: Path) -> Run:
    """Worker: record `case` through the SDK recorder, count its frames, analyse it."""
    from hardware.playback import count_frames
    from hardware.recorder import record_sim
    from hardware.sim.camera import Placement
    from hardware.sim.source import SimConfig

    t0 = time.monotonic()
    rec = folder / f"{case.name}.db3"
    placement = Placement(distance_m=2.2, height_m=1.0, pitch_deg=0.5, side=case.side,  # type: ignore[arg-type]
                          oblique_deg=case.oblique_deg)
    cfg = SimConfig(script=case.script, script_options={**BRISK, **case.options}, placement=placement,
                    seed=case.seed)
    res = record_sim(cfg, rec)
    assert res.truth_path is not None
    run = Run(case, rec, res.frames, count_frames(rec), truth=json.loads(res.truth_path.read_text()))
    run.doc = _analyze(rec, folder / f"{case.name}.json", *case.analyze_args)
    if case.facing_given:
        run.doc_facing_given = _analyze(
            rec, folder / f"{case.name}.given.json", *case.analyze_args, "--facing", case.side
        )
    run.seconds = time.monotonic() - t0
    return run


def _cost_s(case: Case) -> float:
    """Rough work of a case: script seconds, doubled when it is analysed twice."""
    from hardware.sim.body import Athlete
    from hardware.sim.motion import make_script

    duration = make_script(case.script, Athlete(height_m=1.78), **{**BRISK, **case.options}).duration_s
    return duration * (1.5 if case.facing_given else 1.0)


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """Every case recorded and analysed once (in parallel worker processes)."""
    folder = tmp_path_factory.mktemp("e2e_sim")
    workers = int(os.environ.get("E2E_WORKERS", str(min(2, os.cpu_count() or 1))))
    order = sorted(CASES.values(), key=lambda c: -_cost_s(c))  # longest first: workers end together
    if workers <= 1:
        return {c.name: record_and_analyze(c, folder) for c in order}
    ctx = multiprocessing.get_context("spawn")  # Open3D and the SDK hold threads: never fork them
    done: dict[str, Run] = {}
    for attempt in range(2):
        todo = [c for c in order if c.name not in done]
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            futures = {c.name: pool.submit(record_and_analyze, c, folder) for c in todo}
            for name, f in futures.items():
                try:
                    done[name] = f.result()
                except BrokenProcessPool:
                    if attempt:
                        raise
        if len(done) < len(order):
            # pyrealsense2 2.59's software device has crashed a worker (a general protection
            # fault inside the SDK, seen once in ~50 runs): the cases it took down run again once,
            # and the crash stays visible in the test log.
            lost = len(order) - len(done)
            warnings.warn(f"an SDK worker crashed; {lost} case(s) recorded again", stacklevel=1)
    return done


def scripted_reps(run: Run) -> list[dict[str, Any]]:
    reps: list[dict[str, Any]] = run.truth["reps"]
    return reps


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_rep_count_and_verdicts_match_the_script(runs: dict[str, Run], name: str) -> None:
    run = runs[name]
    want, got = scripted_reps(run), run.doc["reps"]
    table = [(r["index"], r["start_s"], r["end_s"], r["faults"]) for r in got]
    assert len(got) == len(want), f"{len(got)} reps analysed, {len(want)} scripted: {table}"
    for w, g in zip(want, got, strict=True):
        assert set(g["faults"]) == set(w["expected_faults"]), (w, g)
        assert g["passed"] is w["passed"] and g["passed"] is (not g["faults"])
        # The same rep: its analysed bottom lies inside the scripted rep.
        assert w["start_s"] <= g["bottom_s"] <= w["end_s"], (w, g)
        if w["wall_distance_in"] is not None:
            assert g["wall_distance_in"] == pytest.approx(w["wall_distance_in"]), (w, g)
    summary = run.doc["summary"]
    assert summary["reps"] == len(want)
    assert summary["passed"] == sum(w["passed"] for w in want)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(FAULT_OF_SCRIPT))
def test_fault_script_shows_exactly_its_fault(runs: dict[str, Run], name: str) -> None:
    got = runs[name].doc["reps"]
    assert got, "no rep analysed"
    assert all(r["faults"] == [FAULT_OF_SCRIPT[name]] for r in got), [r["faults"] for r in got]


@pytest.mark.slow
def test_clean_dowel_reps_all_pass(runs: dict[str, Run]) -> None:
    run = runs["dowel_reps"]
    assert all(not w["expected_faults"] for w in scripted_reps(run))
    assert [r["passed"] for r in run.doc["reps"]] == [True] * len(scripted_reps(run))


@pytest.mark.slow
def test_wall_progression_hinge_depth(runs: dict[str, Run]) -> None:
    run = runs["wall_progression"]
    want = scripted_reps(run)
    passed_walls = [w["wall_distance_in"] for w in want if w["passed"]]
    # The scripted plan (from the truth file): 7 and 9 pass, 11 is missed.
    assert passed_walls == [7.0, 9.0] and [w["wall_distance_in"] for w in want if not w["passed"]] == [11.0]
    assert run.doc["summary"]["hinge_depth_in"] == pytest.approx(max(passed_walls))
    # At the bottom of each rep the buttocks meet the scripted wall: 5 mm through on a pass,
    # 60 mm short on the miss (truth hip_to_wall_mm); the analysis reads it within 15 mm
    # (measured 1-5 mm off).
    for w, g in zip(want, run.doc["reps"], strict=True):
        truth_min = min(
            row["hip_to_wall_mm"]
            for row in run.truth["per_frame"]
            if row.get("rep_index") == w["index"] and row["hip_to_wall_mm"] is not None
        )
        assert abs(g["min_hip_to_wall_mm"] - truth_min) <= 15.0, (g["min_hip_to_wall_mm"], truth_min)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_one_per_frame_entry_per_recording_frame(runs: dict[str, Run], name: str) -> None:
    run = runs[name]
    per_frame = run.doc["per_frame"]
    assert run.frames_in_file == run.frames_recorded == len(run.truth["per_frame"])
    assert len(per_frame) == run.frames_in_file
    t = np.array([f["t_s"] for f in per_frame])
    t_truth = np.array([row["t_s"] for row in run.truth["per_frame"]])
    assert np.allclose(t - t[0], t_truth - t_truth[0], atol=2e-3)
    assert run.doc["fps"] == pytest.approx(run.truth["fps"], rel=0.01)
    # Nobody in the first (absent) frames; somebody during every scripted rep's bottom hold.
    assert not per_frame[0]["person"]
    bottoms = [i for i, row in enumerate(run.truth["per_frame"]) if row["phase"] == "bottom"]
    assert bottoms and all(per_frame[i]["person"] for i in bottoms)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_bottom_trunk_angle_matches_truth(runs: dict[str, Run], name: str) -> None:
    """At each scripted bottom hold the analysed trunk angle is the body's within 6 deg
    (median over the hold). A coarse end-to-end check: the 4 deg RMS budget is the accuracy
    harness's (kiosk/evaluation/accuracy.py). Measured: 0.8-4.75 deg, reading more lean than the truth."""
    run = runs[name]
    for rep in scripted_reps(run):
        rows = [
            (i, row)
            for i, row in enumerate(run.truth["per_frame"])
            if row["phase"] == "bottom" and row["rep_index"] == rep["index"]
        ]
        got = [run.doc["per_frame"][i]["trunk_angle_deg"] for i, _ in rows]
        assert None not in got, got
        err = float(np.median([g - row["trunk_angle_deg"] for g, (_, row) in zip(got, rows, strict=True)]))
        assert abs(err) <= 6.0, (rep["index"], err)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_auto_facing_is_the_placements(runs: dict[str, Run], name: str) -> None:
    run = runs[name]
    assert run.doc["facing"] == run.truth["facing"] == run.case.side


@pytest.mark.slow
def test_facing_given_agrees_with_auto(runs: dict[str, Run]) -> None:
    run = next(r for r in runs.values() if r.doc_facing_given is not None)
    auto, given = run.doc, run.doc_facing_given
    assert given is not None
    assert given["facing"] == auto["facing"] == run.case.side
    assert given["summary"] == auto["summary"]
    assert [r["faults"] for r in given["reps"]] == [r["faults"] for r in auto["reps"]]
    assert len(given["per_frame"]) == len(auto["per_frame"])
    both = [
        (a["trunk_angle_deg"], g["trunk_angle_deg"])
        for a, g in zip(auto["per_frame"], given["per_frame"], strict=True)
        if a["trunk_angle_deg"] is not None and g["trunk_angle_deg"] is not None
    ]
    assert len(both) > 0.5 * len(auto["per_frame"])
    assert max(abs(a - g) for a, g in both) <= 1.0


# --- bad input: non-zero exit, one line on stderr, no traceback ---------------------------


@pytest.fixture(scope="module")
def small_recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A valid 6-frame .db3 (random depth) through the SDK recorder."""
    from hardware.frame import Intrinsics
    from hardware.software_device import SoftwareDepthDevice

    intr = Intrinsics(width=848, height=480, fx=426.0, fy=426.0, ppx=423.5, ppy=239.5)
    path = tmp_path_factory.mktemp("bad_input") / "small.db3"
    rng = np.random.default_rng(3)
    dev = SoftwareDepthDevice(intr, fps=30, record_to=path)
    for i in range(6):
        assert dev.push(rng.integers(500, 3000, size=(480, 848), dtype=np.uint16), i / 30.0, i) is not None
    dev.close()
    return path


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """kiosk.cli.root.main as the console script runs it (sys.exit(main())): exit code and
    stderr. An exception escaping main is what prints a traceback: it fails the test."""
    from kiosk.cli.root import main

    try:
        rc = main(argv)
    except SystemExit as exc:  # argparse
        rc = exc.code if isinstance(exc.code, int) else 1
    except Exception as exc:
        pytest.fail(f"traceback: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    return rc, capsys.readouterr().err


def _bad_file(folder: Path, kind: str, good: Path) -> Path:
    if kind == "empty":
        p = folder / "empty.db3"
        p.write_bytes(b"")
    elif kind == "truncated":
        p = folder / "truncated.db3"
        data = good.read_bytes()
        p.write_bytes(data[: len(data) // 3])
    elif kind == "text_as_bag":
        p = folder / "notes.bag"
        p.write_text("session notes, not a recording\n" * 20)
    else:
        p = folder / "missing.db3"
    return p


@pytest.mark.parametrize(
    ("kind", "needle"),
    [
        ("empty", "empty"),
        ("truncated", "truncated or corrupt"),
        ("text_as_bag", "not a RealSense recording"),
        ("missing", "not found"),
    ],
)
def test_bad_recording_is_one_line(
    tmp_path: Path, small_recording: Path, capsys: pytest.CaptureFixture[str], kind: str, needle: str
) -> None:
    rec = _bad_file(tmp_path, kind, small_recording)
    rc, err = run_cli(["analyze", str(rec), "--json", str(tmp_path / "out.json")], capsys)
    assert rc != 0
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert needle in err and rec.name in err, err
    assert not (tmp_path / "out.json").exists()


@pytest.mark.parametrize("wall_in", ["-5", "1000", "six"])
def test_bad_wall_in_is_one_line(
    tmp_path: Path, small_recording: Path, capsys: pytest.CaptureFixture[str], wall_in: str
) -> None:
    rc, err = run_cli(
        ["analyze", str(small_recording), "--wall-in", wall_in, "--json", str(tmp_path / "o.json")], capsys
    )
    assert rc == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert "--wall-in" in err, err
