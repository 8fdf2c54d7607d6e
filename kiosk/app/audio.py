"""Sound cues, synthesized with numpy at start and played through pygame.mixer.

Four cues, told apart by pitch and rhythm as well as by which moment they mark:
- "start": two quick mid notes (the drill begins),
- "wall": a short high blip (the hips reached the virtual wall),
- "pass": a rising two-tone chime,
- "fail": a low double buzz.
With no audio device (mixer init fails, e.g. a Pi without a sound card, or SDL's audio
driver missing) the kiosk runs silent and says "sound off" in its status corner.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

SAMPLE_RATE_HZ = 44_100
CUES = ("start", "wall", "pass", "fail")

Wave = npt.NDArray[np.float64]


def _tone(freq_hz: float, dur_s: float, rate_hz: int, square: bool = False) -> Wave:
    """A tone with 5 ms attack and release ramps (no clicks); square adds the buzz."""
    t = np.arange(round(dur_s * rate_hz)) / rate_hz
    wave = np.sin(2 * np.pi * freq_hz * t)
    if square:  # odd harmonics: a buzzer's rasp, clearly not a chime
        wave = np.tanh(4.0 * wave)
    ramp = min(len(t) // 2, round(0.005 * rate_hz))
    env = np.ones_like(t)
    if ramp > 0:
        env[:ramp] = np.linspace(0.0, 1.0, ramp)
        env[-ramp:] = np.linspace(1.0, 0.0, ramp)
    return np.asarray(wave * env, dtype=np.float64)


def _silence(dur_s: float, rate_hz: int) -> Wave:
    return np.zeros(round(dur_s * rate_hz))


def synthesize(rate_hz: int = SAMPLE_RATE_HZ) -> dict[str, Wave]:
    """Every cue as a mono float wave in [-1, 1] at `rate_hz`."""
    return {
        "start": np.concatenate([_tone(660, 0.09, rate_hz), _silence(0.05, rate_hz),
                                 _tone(880, 0.12, rate_hz)]),
        "wall": _tone(1760, 0.07, rate_hz),
        "pass": np.concatenate([_tone(784, 0.14, rate_hz), _tone(1175, 0.26, rate_hz)]),
        "fail": np.concatenate([_tone(150, 0.16, rate_hz, square=True), _silence(0.07, rate_hz),
                                _tone(150, 0.16, rate_hz, square=True)]),
    }


def to_pcm(wave: Wave, channels: int, volume: float, size_bits: int = -16) -> npt.NDArray[Any]:
    """A wave as the mixer's sample array: int16 (or uint8), shape (n,) or (n, channels)."""
    scaled = np.clip(wave * volume, -1.0, 1.0)
    if abs(size_bits) == 8:
        pcm: npt.NDArray[Any] = ((scaled * 127.0) + 128.0).astype(np.uint8)
    else:
        pcm = (scaled * 32767.0).astype(np.int16)
    if channels > 1:
        pcm = np.ascontiguousarray(np.repeat(pcm[:, None], channels, axis=1))
    return pcm


class Audio:
    """The kiosk's sound. `play(name)` never raises; silent when muted or no device."""

    def __init__(self, muted: bool = False, volume: float = 0.8, enabled: bool = True) -> None:
        self.muted = muted
        self._sounds: dict[str, Any] = {}
        self.problem = "" if enabled else "disabled"
        if enabled:
            self._open(volume)

    def _open(self, volume: float) -> None:
        try:
            import pygame

            if pygame.mixer.get_init() is None:
                pygame.mixer.init(frequency=SAMPLE_RATE_HZ, size=-16, channels=2, buffer=512)
            init = pygame.mixer.get_init()
            if init is None:
                raise RuntimeError("mixer did not start")
            rate, size, channels = init
            for name, wave in synthesize(rate).items():
                self._sounds[name] = pygame.sndarray.make_sound(to_pcm(wave, channels, volume, size))
        except Exception as err:  # no device, no driver, or no sndarray: run silent
            self._sounds = {}
            self.problem = str(err).splitlines()[0] if str(err) else type(err).__name__
            log.warning("sound off: %s", self.problem)

    @property
    def available(self) -> bool:
        return bool(self._sounds)

    def toggle_mute(self) -> bool:
        self.muted = not self.muted
        return self.muted

    def play(self, name: str) -> bool:
        """Play a cue; True when it was handed to the mixer."""
        if self.muted or name not in self._sounds:
            return False
        try:
            self._sounds[name].play()
        except Exception as err:  # a device unplugged mid-run: log once, keep drawing
            log.warning("sound %s failed: %s", name, err)
            self._sounds = {}
            self.problem = str(err)
            return False
        return True

    @property
    def status(self) -> str:
        if not self.available:
            return "sound off"
        return "sound muted" if self.muted else "sound on"
