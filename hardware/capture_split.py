"""The capture's work split over two child processes, for a board whose one core cannot
hold the SDK filters and the athlete's segmentation at the camera's rate.

Why: at a Pi 4 core's share (docs/performance-pi.md, the "-proc" columns) one capture
process spends ~7 ms of this machine's time a frame (the SDK's decimation, threshold and
spatial filters, the segmentation stage), ~43 ms of a 33 ms frame on a Pi 4 core, and the
kiosk holds ~23 fps. A Pi has four cores. Split, child A (an inner CaptureProcess) reads
the camera through the chain's first half (decimation, threshold); child B, the capture
process the kiosk sees, takes A's newest frame, pushes it into an SDK software device at
its decimated size and runs the second half (the spatial filter), then the stage. Each
child then does about half the work, at one more hand-over through shared memory.

The result is the single chain's, bit for bit: the spatial filter reads only the
thresholded depth and its units, which the software device carries as the camera's did
(tests/test_capture_split.py). Frames keep A's timestamp, index, metadata and arrival.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from hardware.capture_process import CaptureProcess
from hardware.frame import DepthFrame, Intrinsics
from hardware.settings import FilterConfig
from hardware.source import FrameSource, SourceBase, SourceStatus

# A software device's nominal rate; the SDK's filters do not read it.
NOMINAL_FPS = 30
# The inner process gives up before the outer one's owner does (capture_process.py's
# START_TIMEOUT_S, STOP_TIMEOUT_S): else the owner kills the outer child while it still
# waits on the inner one, which is left behind with the camera and no one told why.
INNER_START_S = 20.0
INNER_STOP_S = 1.0  # joined, then killed and joined: 2 s of the owner's 3
log = logging.getLogger(__name__)


def first_half(cfg: FilterConfig) -> FilterConfig:
    """The chain up to the spatial filter: decimation and threshold."""
    return cfg.model_copy(update={"spatial": False, "temporal": False, "hole_filling": False})


def second_half(cfg: FilterConfig) -> FilterConfig:
    """The rest: the spatial filter (and temporal / hole filling when set), no decimation
    and no threshold (FilterChain leaves out a 0-16 m threshold)."""
    return cfg.model_copy(update={"decimation": 1, "min_distance_m": 0.0, "max_distance_m": 16.0})


class SecondHalf(SourceBase):
    """Another source's frames through `filters` on this process's SDK (a software device
    made at the frames' own size, again whenever it changes). The contract of FrameSource:
    read() returns None for no frame and never raises for one frame's failure."""

    _what = "capture (second half)"

    def __init__(self, inner: FrameSource, filters: FilterConfig) -> None:
        from hardware.software_device import SoftwareFilter  # the SDK: only in the child that runs this

        self._inner, self._filter = inner, SoftwareFilter(filters, NOMINAL_FPS)

    def start(self) -> None:
        self._inner.start()

    def read(self, timeout_s: float = 1.0) -> DepthFrame | None:
        f = self._inner.read(timeout_s)
        if f is None:
            return None
        try:
            return self._filter(f)
        except Exception:  # one odd frame (a size the device was not made for) costs that frame
            log.warning("capture second half: frame %s skipped", f.index, exc_info=True)
            self._filter.close()  # the next frame makes the device again
            return None

    @property
    def intrinsics(self) -> Intrinsics:
        return self._inner.intrinsics

    @property
    def online(self) -> bool:
        return self._inner.online

    @property
    def status(self) -> SourceStatus:
        return self._inner.status

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._inner.close()
        self._filter.close()


def open_split(first_opener: Any, filters: FilterConfig, first_newest_only: bool,
               **kwargs: Any) -> FrameSource:
    """Child B's source (a CaptureProcess opener: module-level, picklable arguments): child A
    runs `first_opener(filters=first_half(filters), **kwargs)` (kiosk.sources.open_source) in a
    process of its own, and B the second half on A's frames, the newest first when
    `first_newest_only` (a camera)."""
    inner = CaptureProcess(first_opener, newest_only=first_newest_only, filters=first_half(filters),
                           start_timeout_s=INNER_START_S, stop_timeout_s=INNER_STOP_S, **kwargs)
    return SecondHalf(inner, second_half(filters))
