"""`analyze`'s self-orientation on wall sessions whose hinges never move the head far enough
to read the heading (calibration.heading.heading_from_shallow_hinge, kiosk/analysis/orient.py).

Two sessions of the tuning matrix (kiosk/evaluation/accuracy_cases.py), heavy builds at wall reps of
6-8 in, 20 and 30 deg behind the side: rendered at the frames `analyze` samples for its
self-calibration, calibrated and oriented as `analyze` does; the heading is checked against
the placement's exact pose. Without the shallow-hinge reading the world stayed on the
image axis, 20 and 30 deg off, and hip-to-wall read 19 and 10 mm RMS (docs/accuracy.md).
"""

from __future__ import annotations

import pytest
from test_orient import heading_error_deg

from calibration.calibrate import calibrate
from kiosk.analysis import orient
from kiosk.analysis.orient import orient_calibration
from kiosk.core.thresholds import Profile
from kiosk.evaluation.accuracy import matrix
from kiosk.evaluation.accuracy_frames import render_samples

CASES = {
    "wall_near 1.95m heavy D455 2.00m h1.20 p5 right obl20 brisk": 20.0,
    "wall_pass 1.65m heavy D455 1.75m h1.10 p7.5 left obl30 brisk": 30.0,
}
TOL_DEG = 6.0  # the shallow readings of the tuning family: per-case medians within ~5 deg


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_shallow_wall_session_still_gives_the_heading(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    case = next(c for c in matrix("full") if c.name == name)
    truth = case.sim_config().placement.pose()
    samples = render_samples(case)
    cal = calibrate(samples, facing="auto", source=name)
    profile = Profile()
    with monkeypatch.context() as m:
        # The head's travel alone (heading_from_hinge) reads no hinge of these sessions:
        # without the shallow reading nothing turns the world.
        m.setattr(orient, "heading_from_shallow_hinge", lambda s, h: None)
        assert orient_calibration(cal, samples, profile, decide_facing=True).yaw_deg is None
    got = orient_calibration(cal, samples, profile, decide_facing=True)
    assert got.yaw_deg is not None, "no heading measured"
    err = heading_error_deg(got.calibration.pose, truth)
    assert abs(err) <= TOL_DEG, f"heading off by {err:.1f} deg (the image axis is {CASES[name]:.0f} deg off)"
