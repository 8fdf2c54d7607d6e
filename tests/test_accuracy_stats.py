"""The accuracy harness's comparison and counting (kiosk/evaluation/accuracy_stats.py) and its report,
on hand-built analyze documents and truth rows: no simulator, no rendering."""

from __future__ import annotations

import math
from typing import Any

import pytest

from kiosk.core.drill import INCH_M
from kiosk.evaluation.accuracy_report import markdown
from kiosk.evaluation.accuracy_stats import (
    CaseResult,
    compare,
    error_stats,
    fault_confusion,
    group_by,
    label_confusion,
    pool,
    rms,
)

CASE = {"script": "x", "camera": "D435", "oblique_deg": 0.0, "distance_m": 2.0, "height_m": 1.75,
        "camera_height_m": 1.0, "build": "average"}


def _truth(phase: str, butt_mm: float, knee: float, trunk: float, person: bool = True) -> dict[str, Any]:
    return {"person": person, "phase": phase, "buttocks_x_mm": butt_mm, "heel_x_mm": 0.0,
            "knee_flexion_deg": knee, "trunk_angle_deg": trunk,
            "dowel_gaps_mm": {"head": 0.0, "thoracic": 0.0, "sacrum": 10.0}}


def _frame(h2w: float | None, knee: float, trunk: float, wall_in: float = 6.0) -> dict[str, Any]:
    return {"person": h2w is not None, "hip_to_wall_mm": h2w, "knee_flexion_deg": knee,
            "trunk_angle_deg": trunk, "dowel_gaps_mm": {"head": 1.0, "thoracic": 0.0, "sacrum": 7.0},
            "wall_distance_in": wall_in}


def _doc(frames: list[dict[str, Any]], reps: list[tuple[float, list[str]]], depth: float | None = None,
         facing: str = "right") -> dict[str, Any]:
    return {"per_frame": frames, "facing": facing, "summary": {"hinge_depth_in": depth},
            "reps": [{"bottom_s": b, "faults": f} for b, f in reps]}


WALL_MM = 6.0 * INCH_M * 1000.0


def test_frame_errors_use_the_drills_wall_and_only_station_frames_where_found() -> None:
    truth = [
        _truth("walk", -100.0, 0.0, 0.0),  # walking: not compared
        _truth("stand", -100.0, 5.0, -3.0),  # trunk truth is unsigned
        _truth("bottom", -300.0, 20.0, 60.0),
        _truth("ascend", -200.0, 10.0, 30.0),  # core lost the athlete here
        _truth("absent", 0.0, 0.0, 0.0, person=False),
    ]
    frames = [
        _frame(999.0, 0.0, 0.0),
        _frame(-100.0 + WALL_MM + 4.0, 7.0, 3.0),
        _frame(-300.0 + WALL_MM - 6.0, 17.0, 62.0),
        _frame(None, 0.0, 0.0),
        _frame(None, 0.0, 0.0),
    ]
    r = compare("c", CASE, _doc(frames, []), truth, [], {}, [])
    assert (r.station_frames, r.found_frames) == (3, 2)
    assert r.errors["hip_to_wall_mm"] == pytest.approx([4.0, -6.0])
    assert r.errors["knee_flexion_deg"] == pytest.approx([2.0, -3.0])
    assert r.errors["trunk_angle_deg"] == pytest.approx([0.0, 2.0])
    assert r.errors["gap_sacrum_mm"] == pytest.approx([-3.0, -3.0])
    assert r.bottom_errors["hip_to_wall_mm"] == pytest.approx([-6.0])
    assert r.rms("hip_to_wall_mm") == pytest.approx(math.sqrt((16.0 + 36.0) / 2.0))


def test_reps_are_matched_by_bottom_time_and_counted() -> None:
    scripted = [
        {"start_s": 0.0, "end_s": 4.0, "expected_faults": ["knees_bent"]},
        {"start_s": 5.0, "end_s": 9.0, "expected_faults": []},
        {"start_s": 10.0, "end_s": 14.0, "expected_faults": ["back_rounded"]},
    ]
    # rep 1 right, rep 2 a false knees_bent, rep 3 missed, one extra rep at 20 s.
    doc = _doc([], [(2.0, ["knees_bent"]), (7.0, ["knees_bent"]), (20.0, [])], depth=8.0, facing="left")
    r = compare("c", CASE, doc, [], scripted, {"hinge_depth_in": 10.0, "facing": "right"}, [])
    assert r.pairs == [(("knees_bent",), ("knees_bent",)), ((), ("knees_bent",))]
    assert r.missed == [("back_rounded",)] and r.spurious == [()]
    assert r.exact == 1 and not r.verdicts_right
    why = "; ".join(r.wrong())
    for part in ("rep 2: scripted clean, measured knees_bent", "(back_rounded) not detected",
                 "extra rep", "hinge depth 8.0", "facing left"):
        assert part in why
    conf = fault_confusion([r])
    assert (conf["knees_bent"].tp, conf["knees_bent"].fp, conf["knees_bent"].tn) == (1, 1, 2)
    assert (conf["back_rounded"].fn, conf["back_rounded"].tn) == (1, 3)
    assert not conf["knees_bent"].right and conf["weight_on_toes"].right
    rows, cells = label_confusion([r])
    assert rows == {"knees_bent": 1, "clean": 1, "back_rounded": 1, "none": 1}
    assert cells[("clean", "knees_bent")] == 1 and cells[("back_rounded", "missed")] == 1
    assert cells[("none", "pass")] == 1


def test_a_fully_right_case_and_the_statistics() -> None:
    scripted = [{"start_s": 0.0, "end_s": 4.0, "expected_faults": []}]
    meta = {"hinge_depth_in": 6.0, "facing": "right"}
    r = compare("ok", CASE, _doc([], [(2.0, [])], 6.0), [], scripted, meta, [])
    assert r.verdicts_right and r.wrong() == []
    assert rms([3.0, -4.0]) == pytest.approx(math.sqrt(12.5))
    assert math.isnan(rms([]))
    v, bias, p95, mx = error_stats([1.0, -3.0])
    assert (v, bias, mx) == pytest.approx((math.sqrt(5.0), -1.0, 3.0)) and 1.0 < p95 <= 3.0
    other = CaseResult("b", {**CASE, "camera": "D455"}, errors={"hip_to_wall_mm": [5.0]})
    skipped = CaseResult("s", CASE, skipped="calibration failed")
    groups = group_by([r, other, skipped], lambda c: c.case["camera"])
    assert list(groups) == ["D435", "D455"] and groups["D435"] == [r]
    assert pool([r, other], "hip_to_wall_mm") == [5.0]


def test_report_says_when_a_target_is_missed_and_lists_the_wrong_case() -> None:
    bad = CaseResult("bad case", CASE, errors={"hip_to_wall_mm": [12.0, -12.0], "knee_flexion_deg": [1.0]},
                     pairs=[(("head_not_neutral",), ())], scripted_reps=1, detected_reps=1)
    text = markdown([bad], "quick", "2000-01-01", 1.0)
    assert "| hip_to_wall_mm RMS <= 8 | 12.0 | **no** |" in text
    assert "| knee_flexion_deg RMS <= 3 | 1.0 | yes |" in text
    assert "`bad case`: rep 1: scripted head_not_neutral, measured clean" in text
    assert "| head_not_neutral | 0 | 1 | 0 | 0 | **no** |" in text


def test_report_gives_hip_to_wall_without_the_placements_calibrate_moves_nearer() -> None:
    near = CaseResult("near", CASE, errors={"hip_to_wall_mm": [3.0, -3.0]})
    far = CaseResult("far", {**CASE, "distance_m": 2.5}, errors={"hip_to_wall_mm": [30.0, 30.0]},
                     problems=["Depth noise at the station is about 23 mm, enough to move the virtual "
                               "wall by centimetres: move the camera nearer, within 2.3 m of the station"])
    text = markdown([near, far], "quick", "2000-01-01", 1.0)
    assert "| hip_to_wall_mm RMS <= 8 | 21.3 | **no** |" in text
    assert "1 case(s) had a placement `calibrate` asks to move nearer" in text
    assert "without them hip_to_wall_mm is 3.0 mm RMS, bias +0.0 mm." in text
    assert "move nearer" not in markdown([near], "quick", "2000-01-01", 1.0)
