"""`analyze` passes on what makes its numbers less certain about the set-up: calibrate's
placement advice and a facing the hinge never decided (the JSON contract still says
"right" then, so a warning and `facing_decided` must say it was not decided)."""

from __future__ import annotations

from kiosk.analysis.recording import setup_warnings

try:
    from test_calibration_validate import GOOD, Placement, _cal
except ImportError:  # tests/ imported as a package
    from tests.test_calibration_validate import GOOD, Placement, _cal


def test_a_good_placement_with_a_decided_facing_warns_of_nothing() -> None:
    assert setup_warnings(_cal(GOOD)) == []
    assert setup_warnings(_cal(Placement(2.3, 1.0, 2.0, side="left"))) == []


def test_placement_advice_is_passed_on_in_calibrates_words() -> None:
    lines = setup_warnings(_cal(Placement(2.3, 0.35, 2.0)))
    assert "camera placement: Camera is 0.35 m high; mount it at roughly hip height (0.7-1.2 m)" in lines
    assert all(line.startswith("camera placement: ") for line in lines)


def test_an_undecided_facing_is_said_and_the_fix_named() -> None:
    lines = setup_warnings(_cal(GOOD, facing="auto"))
    assert len(lines) == 1
    assert "facing was not decided" in lines[0] and "--facing left or --facing right" in lines[0]
