"""The capture process's stage: whether the child's core has room for it this frame
(StageGate), and how its config reaches the child (StageFile).

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

import logging
import os
import pickle
import shutil
import stat
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from hardware.frame import DepthFrame

log = logging.getLogger(__name__)
# A later layer's work on each frame in the child (kiosk/analysis/presegment.py): (frame,
# its config as last handed over) -> what the frame carries to the loop as `frame.pre`.
Stage = Callable[[DepthFrame, object], object]

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


class StageFile:
    """The stage's config handed to the child through a file in a private directory (0700,
    under /dev/shm where there is one), the pipe carrying only its path. A config (a
    calibration with its background model) is larger than a pipe's buffer: the parent
    blocked sending it while the child is blocked sending a frame would hold both for good
    (it did, in the kiosk benchmark). Written under a fresh name without following links,
    then renamed over the last; a failed write (a full disk) leaves the stage off."""

    def __init__(self, base_dir: str | None = None) -> None:
        self._base = base_dir  # None: /dev/shm where writable, else the system's temp dir
        self._dir: Path | None = None
        self._n = 0

    def write(self, config: object) -> str | None:
        """The config's path for the child; None when it could not be written."""
        try:
            if self._dir is None:
                shm = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
                base = self._base or shm or tempfile.gettempdir()
                _sweep(Path(base))
                self._dir = Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-", dir=base))
            self._n += 1
            tmp, final = self._dir / f"stage.{self._n}.tmp", self._dir / "stage.pickle"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(pickle.dumps(config, protocol=5))
                os.replace(tmp, final)
            finally:
                tmp.unlink(missing_ok=True)  # a write that failed half-way leaves nothing
            return str(final)
        except Exception as err:  # a full disk, an unpicklable config: never into the loop
            log.warning("capture stage not handed over (%s): the loop segments its frames", err)
            if self._dir is not None and not self._dir.is_dir():
                self._dir = None  # removed under us: made again by the next write
            return None

    def remove(self) -> None:
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None


_PREFIX = "hinge-stage-"


def _sweep(base: Path) -> None:
    """Remove the stage directories of kiosk processes that are gone (killed before they
    could clean up): /dev/shm is memory, and a kiosk restarted by systemd after each crash
    must not fill it. Only this user's directories whose pid no longer runs."""
    for d in base.glob(f"{_PREFIX}*-*"):
        pid = d.name[len(_PREFIX):].split("-", 1)[0]
        try:
            if not pid.isdigit() or d.is_symlink() or d.stat().st_uid != os.getuid():
                continue
        except OSError:
            continue  # swept by another kiosk at the same moment
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(d, ignore_errors=True)
        except PermissionError:
            pass  # someone else's live process


def read_stage(path: str) -> object:
    """The child's side of StageFile: the config at `path`, None when it cannot be read (or
    is not a regular file: a FIFO planted there would block the child)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise OSError(f"{path} is not a regular file")
            return pickle.load(f)
    except Exception as err:  # a config the child cannot read: no stage, never a dead child
        log.warning("capture stage config unreadable (%s)", err)
        return None


class ChildStage:
    """The child's side of a stage: the function, its config as last handed over (a
    StageFile path, or None: off), and the gate. `run(frame)` never raises: a stage that
    fails gives no result for that frame (the loop does the work) and is logged once."""

    def __init__(self, stage: Stage | None) -> None:
        self.stage = stage
        self.config: object = None
        self.gate = StageGate()
        self._logged = False

    def configure(self, path: str | None) -> None:
        self.config = None if path is None else read_stage(path)
        self.gate.new_config()

    def run(self, frame: DepthFrame) -> object:
        self.gate.frame(frame.timestamp_s)
        if self.stage is None or self.config is None or not self.gate.allows():
            return None
        t0_s = time.thread_time()
        try:
            return self.stage(frame, self.config)
        except Exception:
            if not self._logged:
                log.exception("capture stage failed; the loop does its work")
                self._logged = True
            return None
        finally:
            self.gate.ran(time.thread_time() - t0_s)
