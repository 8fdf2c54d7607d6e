"""What the athlete teaches the station reaches the loop as one signal, Observer.learnt,
which the station saves for a live camera (kiosk/app/station.py). A heading learnt from a rep
but never applied between reps (the athlete left mid-rep, no clean standing frame came)
is applied when the next athlete starts: that is learnt too, and must be saved. An
adversarial review found the signal missed this path (the loop's old identity check on
the session's calibration caught it). The full path through a hinge is
tests/test_kiosk_heading.py; here the learner's waiting result is set directly."""

from __future__ import annotations

from test_kiosk_facing_votes import PROFILE, calibration

from kiosk.app.observe import Observer


def test_a_heading_waiting_at_a_new_athlete_is_reported_as_learnt() -> None:
    obs = Observer(calibration("right"), PROFILE)
    turned = calibration("left")
    obs._turned = turned  # the HeadingLearner's result, still waiting for a gap between reps
    obs.new_session()
    assert obs.calibration is turned and obs.learnt is turned


def test_the_operators_calibration_is_not_reported_as_learnt() -> None:
    obs = Observer(calibration("right"), PROFILE)
    obs.set_calibration(calibration("left"))
    obs.new_session()
    assert obs.learnt is None
