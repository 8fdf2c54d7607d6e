"""Whether the capture process's core has room for its stage this frame.

The capture process (capture_process.py) reads the camera and runs the SDK filters; its
stage (a later layer's work on each frame, kiosk/analysis/presegment.py) takes load off the
loop's core, but only helps while the child's own core keeps up with the camera: a Pi 4 core
may already spend most of a 33 ms frame on the filters (docs/performance-pi.md), and a
stage on top would make the child drop frames the loop could have measured. A frame
skipped by the stage is not lost: the loop does that work itself.

The gate measures, in the child, its CPU time per frame outside the stage (all its threads:
the SDK's, the filters') and the stage's own, each smoothed over about BUSY_WINDOW_FRAMES
frames, against the frames' period by their sensor timestamps (not the wall clock: an
unpaced recording read is judged by the camera time it stands for). The stage runs while
both together stay within MAX_BUSY_FRAC of the period. A stage's first run after a new
config builds its caches and is not its cost; a stage held off is tried again every
PROBE_EVERY_S and the probe's cost replaces the one that held it off, so a cost measured
once (the core busy with something else then) does not keep it off for good. Seconds
throughout.
"""

from __future__ import annotations

import time
from collections.abc import Callable

MAX_BUSY_FRAC = 0.8  # of a frame period: the child's core keeps a fifth for USB and jitter
BUSY_WINDOW_FRAMES = 15  # smoothing: about half a second at 30 fps
MIN_PERIOD_S = 1.0 / 120.0  # a timestamp step shorter than any D4xx mode's: not a period
MAX_PERIOD_S = 1.0  # longer: a gap in the stream, not a period
PROBE_EVERY_S = 2.0  # a stage held off runs once this often (sensor time) to measure it again


class StageGate:
    """Feed `frame(timestamp_s)` once per frame before deciding, `allows()`, and report a
    stage's run with `ran(cpu_s)`; `new_config()` when the stage's config changes;
    `process_cpu_s` is the child's CPU clock (all threads)."""

    def __init__(self, process_cpu_s: Callable[[], float] = time.process_time) -> None:
        self._cpu = process_cpu_s
        self._k = 2.0 / (BUSY_WINDOW_FRAMES + 1)
        self._last_t_s: float | None = None
        self._last_cpu_s = process_cpu_s()
        self._stage_s = 0.0  # this frame's stage CPU, taken out of the child's own
        self.period_s: float | None = None  # smoothed frame period
        self.base_s: float | None = None  # smoothed child CPU per frame without the stage
        self.stage_s: float | None = None  # smoothed stage CPU per frame it ran
        self._warm = False  # the stage has run once on its config (caches built)
        self._tried_t_s = float("-inf")  # sensor time the stage last ran
        self._probing = False  # this frame's run is a probe of a stage held off

    def frame(self, timestamp_s: float) -> None:
        """A frame arrived (sensor time, seconds): the CPU since the last one, less the
        stage's, is one sample of the child's own cost per frame."""
        cpu_s = self._cpu()
        if self._last_t_s is not None:
            step_s = timestamp_s - self._last_t_s
            if MIN_PERIOD_S <= step_s <= MAX_PERIOD_S:
                self.period_s = self._ema(self.period_s, step_s)
                self.base_s = self._ema(self.base_s, max(cpu_s - self._last_cpu_s - self._stage_s, 0.0))
        self._last_t_s, self._last_cpu_s, self._stage_s = timestamp_s, cpu_s, 0.0

    def allows(self) -> bool:
        """Room for the stage this frame: always until a period and a cost are known, and
        once every PROBE_EVERY_S when held off."""
        if self.period_s is None or self.base_s is None or self._last_t_s is None:
            return True
        if self.base_s + (self.stage_s or 0.0) <= MAX_BUSY_FRAC * self.period_s:
            return True
        self._probing = self._last_t_s - self._tried_t_s >= PROBE_EVERY_S
        return self._probing

    def new_config(self) -> None:
        """The stage's config changed: its next run builds caches again, not its cost."""
        self._warm = False

    def ran(self, cpu_s: float) -> None:
        """The stage ran on this frame for `cpu_s` of CPU."""
        self._stage_s = cpu_s
        self._tried_t_s = self._last_t_s if self._last_t_s is not None else self._tried_t_s
        if self._warm:
            # A probe's one fresh measurement replaces the cost that held the stage off.
            self.stage_s = cpu_s if self._probing else self._ema(self.stage_s, cpu_s)
        self._warm, self._probing = True, False

    def _ema(self, old: float | None, new: float) -> float:
        return new if old is None else old + self._k * (new - old)
