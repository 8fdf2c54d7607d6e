"""A rep must hold the trunk past `min_rep_trunk_deg` for `rep_hold_s` (reps._held_over).

With the bar at the start threshold (10 deg), a lean held just under it (reading a screen
with the hips 40 mm back) became a rep wherever noise lifted one or two frames over it: in
an adversarial sweep through the project's smoothing, a 9 deg lean held 2 s counted 32 of
40 times (docs/measurement.md, "Frame rates"). The ground truth below is the script: a
held lean whose trunk sits at 9 deg and reads 11 deg on single frames (a noise spike), and
a real shallow hinge held past 10 deg, at every D4xx rate with jitter and 10 % of frames
dropped."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kiosk.core.reps import RepRecord, RepSample, RepState, rep_step, settle
from kiosk.core.thresholds import Profile

CFG = Profile().reps
RATES_FPS = [6.0, 15.0, 30.0, 60.0, 90.0]
STAND_BUTT_X_M = -0.074


def _run(fps: float, seed: int, peak_deg: float, hold_s: float, spike_every: int = 0) -> list[RepRecord]:
    """1.5 s standing (trunk 2 deg), 0.8 s down to `peak_deg` with the hips 40 mm back,
    held `hold_s`, 0.8 s up, 1.5 s standing. spike_every > 0: every that many frames past
    the start of the hold reads 2 deg more (one frame at a time)."""
    rng = np.random.default_rng(seed)
    t, n, state, reps = 0.0, 0, RepState(), []
    down_at, up_at = 1.5, 1.5 + 0.8 + hold_s
    while t < up_at + 0.8 + 1.5:
        if t < down_at or t >= up_at + 0.8:
            w = 0.0
        elif t < down_at + 0.8:
            w = 0.5 - 0.5 * math.cos(math.pi * (t - down_at) / 0.8)
        elif t < up_at:
            w = 1.0
        else:
            w = 0.5 + 0.5 * math.cos(math.pi * (t - up_at) / 0.8)
        trunk = 2.0 + (peak_deg - 2.0) * w
        held = down_at + 0.8 <= t < up_at
        if spike_every and held:
            n += 1
            trunk += 2.0 if n % spike_every == 0 else 0.0
        s = RepSample(t_s=t, person=True, heel_x_m=0.0, buttocks_x_m=STAND_BUTT_X_M - 0.040 * w,
                      trunk_angle_deg=trunk, knee_flexion_deg=8.0)
        if rng.random() >= 0.1:
            state, rec = rep_step(state, s, CFG)
            if rec is not None:
                reps.append(rec)
        t += (1.0 + rng.uniform(-0.2, 0.2)) / fps
    last = settle(state, CFG)
    return reps + ([last] if last is not None else [])


@pytest.mark.parametrize("fps", RATES_FPS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_single_frames_over_the_bar_do_not_make_a_held_lean_a_rep(fps: float, seed: int) -> None:
    """A 9 deg lean held 2 s whose every third frame reads 11 deg: past both start
    thresholds on those frames, never held past 10 deg. Counted at every rate with the
    bar read from the single highest sample."""
    assert _run(fps, seed, 9.0, 2.0, spike_every=3) == []


@pytest.mark.parametrize("fps", RATES_FPS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_shallow_hinge_held_past_the_bar_is_a_rep(fps: float, seed: int) -> None:
    """The same movement to 11 deg, held 0.4 s (a near miss of the wall): one rep."""
    reps = _run(fps, seed, 11.0, 0.4)
    assert len(reps) == 1 and reps[0].complete
