"""Operator menu behind a PIN (only a PBKDF2 hash stored), kiosk config errors as one
line, and sound with no audio device."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kiosk.app.audio import CUES, Audio, synthesize, to_pcm
from kiosk.app.config import RESOLUTIONS, ConfigError, KioskConfig, load_config, parse_config, path_or_none
from kiosk.app.operator import (
    DEFAULT_PIN_HASH,
    LOCKOUT_S,
    MENU_IDLE_S,
    Action,
    MenuMode,
    MenuState,
    hash_pin,
    menu_idle,
    menu_key,
    parse_pin_hash,
    verify_pin,
)
from tests.pin_text import shows_pin

PIN_HASH = hash_pin("4711", iterations=2_000)  # cheap for tests; the kiosk uses 100k


def press(keys: list[str], state: MenuState | None = None, now_s: float = 0.0,
          pin_hash: str = PIN_HASH) -> tuple[MenuState, list[Action]]:
    s = state or MenuState()
    actions = []
    for k in keys:
        s, a = menu_key(s, k, now_s, pin_hash)
        if a is not None:
            actions.append(a)
    return s, actions


def test_pin_hash_is_salted_pbkdf2_and_verifies() -> None:
    h1, h2 = hash_pin("4711", iterations=2_000), hash_pin("4711", iterations=2_000)
    assert h1 != h2 and not shows_pin(h1, "4711")  # salted; the PIN itself is never stored
    assert h1.startswith("pbkdf2_sha256$2000$")
    assert verify_pin("4711", h1) and not verify_pin("4712", h1)
    assert verify_pin("2580", DEFAULT_PIN_HASH)
    with pytest.raises(ValueError):
        parse_pin_hash("sha1$x")
    with pytest.raises(ValueError):
        hash_pin("12a4")


def test_menu_opens_only_with_the_right_pin() -> None:
    s, _ = press(["menu", "1", "2", "3", "4", "enter"])
    assert s.mode is MenuMode.PIN and s.message.startswith("Wrong PIN")
    s, actions = press(["4", "7", "1", "1", "enter"], s)
    assert s.mode is MenuMode.OPEN and actions == []
    s, actions = press(["2", "3"], s)
    assert actions == [Action.TOGGLE_UNITS, Action.TOGGLE_MUTE] and s.mode is MenuMode.OPEN
    s, actions = press(["4"], s)
    assert actions == [Action.RESET_SESSION] and s.mode is MenuMode.CLOSED
    s, actions = press(["menu", "4", "7", "1", "1", "enter", "5"])
    assert actions == [Action.QUIT]
    s, actions = press(["menu", "4", "7", "1", "1", "enter", "1"])
    assert actions == [Action.RECALIBRATE]


def test_digits_do_nothing_while_the_menu_is_closed() -> None:
    s, actions = press(["1", "5", "enter", "s"])
    assert s.mode is MenuMode.CLOSED and actions == []


def test_three_wrong_pins_lock_the_prompt() -> None:
    s, _ = press(["menu", *"000", "enter", *"111", "enter", *"222", "enter"])
    assert "locked" in s.message
    s, _ = press([*"4711", "enter"], s, now_s=1.0)
    assert s.mode is MenuMode.PIN  # still locked, even with the right PIN
    s, _ = press(["escape", "menu", *"4711", "enter"], s, now_s=LOCKOUT_S + 1.0)
    assert s.mode is MenuMode.OPEN


def test_an_abandoned_menu_closes_itself() -> None:
    s, _ = press(["menu", *"4711", "enter"])
    assert menu_idle(s, 1.0).mode is MenuMode.OPEN
    assert menu_idle(s, MENU_IDLE_S + 1.0).mode is MenuMode.CLOSED


def test_config_defaults_and_toml() -> None:
    cfg = parse_config('[camera]\nsource = "sim"\n[display]\nunits = "cm"\n[flow]\nverdict_s = 3.0\n'
                       '[sim]\nscript = "squat_pattern"\n')
    assert cfg.camera.source == "sim" and cfg.display.units == "cm" and cfg.flow.verdict_s == 3.0
    assert cfg.sim.script == "squat_pattern" and cfg.operator.effective_pin_hash == DEFAULT_PIN_HASH
    assert KioskConfig().display.units == "in" and path_or_none("") is None


@pytest.mark.parametrize(("text", "message"), [
    ('[display]\nunits = "mm"', "kiosk.toml: display.units = \"mm\" is not allowed (allowed: 'in' or 'cm')"),
    ("[audio]\nvolume = 3", "kiosk.toml: audio.volume = 3 is out of range (allowed 0 to 1)"),
    ("[flow]\nverdict_s = 99", "kiosk.toml: flow.verdict_s = 99 is out of range (allowed 0.5 to 10)"),
    ("[station]\nstation_distance_m = 9",
     "kiosk.toml: station.station_distance_m = 9 is out of range (allowed 0.5 to 4)"),
    ("[camera]\nwidth = 800", "kiosk.toml: camera: resolution 800x480 is not allowed (allowed: 848x480"),
    ('units = "cm"', "kiosk.toml: unknown key 'units'"),
    ('[operator]\npin_hash = "1234"', "kiosk.toml: operator.pin_hash = \"1234\": expected pbkdf2_sha256$"),
    ("[display]\nunits = ", "kiosk.toml: not valid TOML"),
    ('[results]\nsync_to = "mysql://x/y"', "kiosk.toml: results.sync_to = \"mysql://x/y\": must start with postgresql://"),
    # A password in the address is refused without being echoed to the screen or the journal.
    ('[results]\nsync_to = "postgresql://kiosk:s3cret@club/hinge"',
     "kiosk.toml: results.sync_to has a password in it: remove it"),
])
def test_config_errors_are_one_line_naming_key_value_and_range(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(text)
    assert str(err.value).startswith(message) and "\n" not in str(err.value)
    assert "s3cret" not in str(err.value)


def test_config_errors_name_every_mistake_in_one_bounded_line() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config('[display]\nunits = "mm"\n[audio]\nvolume = 3\n[flow]\nverdict_s = 99\n')
    assert str(err.value) == ("kiosk.toml: 3 problems: display.units = \"mm\" is not allowed (allowed: "
                              "'in' or 'cm'); audio.volume = 3 is out of range (allowed 0 to 1); "
                              "flow.verdict_s = 99 is out of range (allowed 0.5 to 10)")
    # Twelve out-of-range values: the first ones named, the rest counted, still one line.
    text = ("[audio]\nvolume = 3\n[sim]\nseed = -1\nathlete_height_m = 9\ndistance_m = 0\n"
            "camera_height_m = 0\ndowel_reps = 99\n[screenshots]\nmax_files = 0\n[results]\n"
            "sync_interval_s = 0\n[camera]\nfps = 1\n[station]\ncalibration_frames = 1\n"
            "station_distance_m = 9\n")
    with pytest.raises(ConfigError) as err:
        parse_config(text)
    msg = str(err.value)
    assert msg.startswith("kiosk.toml: 11 problems: ") and "\n" not in msg and len(msg) < 500, msg
    shown = msg.count(" is out of range ")
    assert 3 <= shown < 11 and msg.endswith(f" (and {11 - shown} more)"), msg
    # Unknown keys are named together.
    with pytest.raises(ConfigError) as err:
        parse_config("\n".join(f"k{i} = 1" for i in range(12)))
    assert str(err.value) == ("kiosk.toml: 12 problems: unknown keys 'k0', 'k1', 'k2', 'k3', 'k4', 'k5', "
                              "'k6', 'k7', ... (typos, or keys from another version)")


def test_config_file_missing_or_absent(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")
    (tmp_path / "kiosk.toml").write_text('[display]\nunits = "cm"\n')
    cfg, path = load_config(tmp_path / "kiosk.toml")
    assert cfg.display.units == "cm" and path == tmp_path / "kiosk.toml"


def test_tones_are_distinct_and_fit_the_mixer_format() -> None:
    waves = synthesize(22_050)
    assert set(waves) == set(CUES)
    assert all(np.abs(w).max() <= 1.0 and 0.05 < len(w) / 22_050 < 0.6 for w in waves.values())
    spectra = {k: np.argmax(np.abs(np.fft.rfft(w))) * 22_050 / len(w) for k, w in waves.items()}
    assert spectra["wall"] > 1500 and spectra["fail"] < 500  # a high blip, a low buzz
    pcm = to_pcm(waves["pass"], 2, 0.5)
    assert pcm.dtype == np.int16 and pcm.shape == (len(waves["pass"]), 2)


def test_audio_plays_through_the_dummy_driver() -> None:
    audio = Audio()
    assert audio.available and audio.status == "sound on"
    assert audio.play("pass")
    audio.toggle_mute()
    assert audio.status == "sound muted" and not audio.play("pass")


def test_no_audio_device_means_silent_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    import pygame

    pygame.mixer.quit()
    monkeypatch.setenv("SDL_AUDIODRIVER", "no-such-device")
    try:
        audio = Audio()
        assert not audio.available and audio.status == "sound off" and audio.problem
        assert audio.play("wall") is False
    finally:
        pygame.mixer.quit()  # the next Audio() starts the mixer again on the restored driver


def test_the_installers_example_config_is_valid() -> None:
    """hardware/pi/install.sh writes /etc/hinge-kiosk/kiosk.toml from this file."""
    example = Path(__file__).resolve().parents[1] / "hardware" / "pi" / "kiosk.toml.example"
    cfg, path = load_config(example)
    assert path == example and cfg.camera.source == "live" and cfg.camera.serial == ""
    assert cfg.station.calibration == "/var/lib/hinge-kiosk/calibration.json"
    assert cfg.operator.effective_pin_hash == DEFAULT_PIN_HASH  # empty: the default PIN


def test_config_resolutions_match_the_live_source() -> None:
    from hardware.live import RESOLUTIONS as LIVE

    assert RESOLUTIONS == LIVE
