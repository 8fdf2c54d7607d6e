"""Temporal smoothing of per-frame measurements: causal 3-median spike filter, then a
one-euro filter.

Why this pair: the 3-median replaces a single-frame spike (a flying pixel on the
silhouette edge, a hole over the knee: farther than `spike_units` from the median of the
last three samples, beyond the step the signal's own recent movement explains); samples
within `spike_units` of it are averaged with it, which costs half a frame of lag on a
slow movement instead of the plain median's whole frame (at 0.3 m/s of hip travel a frame
is 10 mm of hip-to-wall error at 30 fps). On the positions and joint angles (MOVING),
a sample further off whose step the last step explains passes as it is: at 6 fps a brisk
descent moves the trunk 10-20 deg a frame, and a test in units per frame called every
such sample a spike, one whole frame (167 ms) late. The shapes of the back and head
(curve, hollow, neck, dowel gaps) keep the plain test: they are judged at the bottom,
where the body is slow, and a jump there is noise to drop, not movement to follow.
The one-euro filter (Casiez et al., CHI 2012) smooths hard when the signal rests and
opens up with speed, so a rep's descent is not delayed. Lag at 30 fps with the defaults
(min_cutoff 2 Hz): at rest the time constant is 1/(2*pi*2 Hz) = 80 ms = 2.4 frames;
during a hinge the cutoff rises with speed (beta 0.15: hips at 0.3 m/s = 30 units/s ->
6.5 Hz, 0.7 frame; trunk at 60 deg/s -> 11 Hz, 0.4 frame), plus the spike filter's half
frame. Signals are scaled to "units" (1 deg, 1 cm, 0.01 of the foot) so one `beta`
serves them all.

Pure: state in, (value, state) out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from kiosk.core.thresholds import SmoothingConfig


@dataclass(frozen=True)
class EuroState:
    """One signal's filter state (in scaled units)."""

    t_s: float
    x: float
    dx: float
    last_raw: tuple[float, ...]
    prev_t_s: float | None = None


def _alpha(cutoff_hz: float, dt_s: float) -> float:
    tau = 1.0 / (2.0 * math.pi * cutoff_hz)
    return 1.0 / (1.0 + tau / dt_s)


def euro_step(
    state: EuroState | None,
    raw: float,
    t_s: float,
    cfg: SmoothingConfig,
    scale: float = 1.0,
    moves: bool = False,
) -> tuple[float, EuroState]:
    """Filter one sample of a signal measured in units of `scale`; returns the smoothed
    value (original units) and the new state. A new state starts when `state` is None,
    time went backwards, or the gap exceeds cfg.reset_after_s. moves: the signal follows
    the body's movement (a position or joint angle): a step its last step explains is
    not a spike."""
    v = raw / scale
    if state is None or t_s <= state.t_s or t_s - state.t_s > cfg.reset_after_s:
        return raw, EuroState(t_s=t_s, x=v, dx=0.0, last_raw=(v,))
    hist = (*state.last_raw[-2:], v)
    if cfg.median3 and len(hist) == 3:
        # A spike (farther than spike_units from the 3-median) is replaced by the median;
        # any other sample is averaged with it: on a steady movement (a ramp, where the
        # median is the previous sample) that is half a frame of lag instead of a whole one.
        med = sorted(hist)[1]
        off = abs(v - med)
        if off <= cfg.spike_units:
            v = 0.5 * (v + med)
        elif off > cfg.spike_units + (_expected_step(hist, state, t_s) if moves else 0.0):
            v = med
    dt = t_s - state.t_s
    dx = (v - state.x) / dt
    dx_hat = state.dx + _alpha(cfg.d_cutoff_hz, dt) * (dx - state.dx)
    cutoff = cfg.min_cutoff_hz + cfg.beta * abs(dx_hat)
    x_hat = state.x + _alpha(cutoff, dt) * (v - state.x)
    return x_hat * scale, EuroState(t_s=t_s, x=x_hat, dx=dx_hat, last_raw=hist, prev_t_s=state.t_s)


def _expected_step(hist: tuple[float, ...], state: EuroState, t_s: float) -> float:
    """How far this sample may move from the last one on the signal's own movement: twice
    the last step (a movement gathering speed: at 6 fps the start of a brisk descent
    steps 4, then 11, then 15 deg), scaled to this frame's interval (a dropped frame
    doubles it; the interval's ratio capped at 2)."""
    if state.prev_t_s is None or state.t_s <= state.prev_t_s:
        return 0.0
    ratio = min((t_s - state.t_s) / (state.t_s - state.prev_t_s), 2.0)
    return 2.0 * abs(hist[1] - hist[0]) * ratio


SCALES: dict[str, float] = {
    "heel_x_m": 0.01,
    "toe_x_m": 0.01,
    "buttocks_x_m": 0.01,
    "knee_x_m": 0.01,
    "knee_flexion_deg": 1.0,
    "trunk_lean_deg": 1.0,
    "neck_flexion_deg": 1.0,
    "spinal_curve_deg": 1.0,
    "lumbar_hollow_mm": 10.0,
    "gap_head_mm": 10.0,
    "gap_thoracic_mm": 10.0,
    "gap_sacrum_mm": 10.0,
    "com_over_foot": 0.01,
}
"""Unit of each smoothed signal (1 cm, 1 deg, 10 mm, 1% of the foot)."""

MOVING = frozenset(
    (
        "heel_x_m",
        "toe_x_m",
        "buttocks_x_m",
        "knee_x_m",
        "knee_flexion_deg",
        "trunk_lean_deg",
        "com_over_foot",
    )
)
"""The signals that follow the body's movement (see euro_step's `moves`)."""


@dataclass(frozen=True)
class SmootherState:
    """States of all signals, by name (see SCALES)."""

    signals: tuple[tuple[str, EuroState], ...] = ()

    def get(self, name: str) -> EuroState | None:
        for k, s in self.signals:
            if k == name:
                return s
        return None


def smooth_values(
    state: SmootherState, values: dict[str, float | None], t_s: float, cfg: SmoothingConfig
) -> tuple[dict[str, float | None], SmootherState]:
    """Smooth every named value; None passes through and leaves that signal's state
    alone (it resets itself after cfg.reset_after_s without samples)."""
    out: dict[str, float | None] = {}
    states = dict(state.signals)
    for name, raw in values.items():
        if raw is None or not math.isfinite(raw):
            out[name] = None
            continue
        out[name], states[name] = euro_step(
            states.get(name), raw, t_s, cfg, SCALES.get(name, 1.0), name in MOVING
        )
    return out, replace(state, signals=tuple(states.items()))
