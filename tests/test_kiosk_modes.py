"""The loop's modes as a pure state machine (kiosk/app/modes.py): every transition the
loop relies on, from events alone, with the retry times in seconds. The loop's own
tests (test_kiosk_app.py: camera loss, failed calibration, errors in an iteration)
drive the same machine through real sources and screens."""

from __future__ import annotations

import math

import pytest

from kiosk.app import modes
from kiosk.app.modes import (
    ERROR_HOLD_S,
    RETRY_CAMERA_S,
    RETRY_S,
    CalibrationFailed,
    Crashed,
    ModeState,
    Opened,
    OpenFailed,
    Retry,
    SourceEnded,
    Tick,
    mode_step,
)
from kiosk.app.ports import Mode


def _run(s: ModeState, *events: modes.ModeEvent) -> tuple[ModeState, list[Retry | None]]:
    retries = []
    for ev in events:
        s, r = mode_step(s, ev)
        retries.append(r)
    return s, retries


def test_a_config_error_stays_whatever_happens() -> None:
    s = modes.initial("kiosk.toml: [camera] fps = 7 is not allowed")
    assert s.mode is Mode.CONFIG_ERROR
    end, retries = _run(s, Opened(True), OpenFailed("x", True, 1.0), Crashed("y", 2.0), Tick(1e9))
    assert end == s and retries == [None] * 4


@pytest.mark.parametrize(("calibrated", "mode"), [(True, Mode.RUNNING), (False, Mode.CALIBRATING)])
def test_an_opened_source_runs_or_calibrates(calibrated: bool, mode: Mode) -> None:
    s, _ = _run(modes.initial(None), Opened(calibrated))
    assert s == ModeState(mode)


def test_a_missing_live_camera_is_retried_every_few_seconds_until_it_opens() -> None:
    s, r = _run(modes.initial(None), OpenFailed("no device", live_camera=True, now_s=10.0))
    assert s == ModeState(Mode.NO_CAMERA, "no device", 10.0 + RETRY_CAMERA_S)
    s, r = _run(s, Tick(10.0 + RETRY_CAMERA_S - 0.01))
    assert r == [None]
    s, r = _run(s, Tick(10.0 + RETRY_CAMERA_S))
    assert r == [Retry.LIVE] and s.retry_at_s == pytest.approx(10.0 + 2 * RETRY_CAMERA_S)
    s, _ = _run(s, OpenFailed("no device", True, 13.0), Tick(14.0), Opened(False))
    assert s == ModeState(Mode.CALIBRATING) and math.isinf(s.retry_at_s)


def test_a_bad_recording_or_simulator_is_a_status_that_stays() -> None:
    s, r = _run(modes.initial(None), OpenFailed("not a recording", live_camera=False, now_s=0.0), Tick(1e6))
    assert s == ModeState(Mode.SOURCE_ERROR, "not a recording") and r == [None, None]
    s, r = _run(ModeState(Mode.RUNNING), SourceEnded("the recording has ended"), Tick(1e6))
    assert s.mode is Mode.SOURCE_ERROR and r == [None, None]


def test_a_failed_calibration_is_retried_after_the_station_clears() -> None:
    s, r = _run(ModeState(Mode.CALIBRATING), CalibrationFailed("No floor found", 5.0), Tick(5.0 + RETRY_S))
    assert r == [None, Retry.SAME] and s.mode is Mode.CAL_FAILED and math.isinf(s.retry_at_s)
    s, _ = _run(s, Opened(False))
    assert s.mode is Mode.CALIBRATING


def test_an_error_in_an_iteration_is_shown_then_the_same_source_again() -> None:
    crash = Crashed("ValueError: odd frame", 20.0)
    s, r = _run(ModeState(Mode.RUNNING), crash, Tick(20.0 + ERROR_HOLD_S / 2))
    assert s.mode is Mode.ERROR and s.message == "ValueError: odd frame" and r == [None, None]
    s, r = _run(s, Tick(20.0 + ERROR_HOLD_S))
    assert r == [Retry.SAME]
    s, r = _run(s, Tick(1e6))  # retried once, not at every tick while it reopens
    assert r == [None]
    s, _ = _run(s, Opened(True))
    assert s == ModeState(Mode.RUNNING)


def test_running_and_calibrating_never_retry() -> None:
    for mode in (Mode.RUNNING, Mode.CALIBRATING):
        s, r = _run(ModeState(mode), Tick(0.0), Tick(1e9))
        assert s == ModeState(mode) and r == [None, None]
