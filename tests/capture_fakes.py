"""A scripted frame source for the capture process's tests (module-level, so a spawned
child can open it): frames on a clock, a status that may change with every frame, frames
of an odd size, a slow start or close."""

from __future__ import annotations

import time

import numpy as np

from hardware.frame import DepthFrame, Intrinsics
from hardware.source import SourceBase, SourceState, SourceStatus

INTR = Intrinsics(64, 48, 50.0, 50.0, 31.5, 23.5)


class Scripted(SourceBase):
    """`n` frames of `shape` at `fps` (0: as fast as read); `status_every`: a new status
    message every that many frames; `bad_at`: that frame one row taller (an odd frame)."""

    def __init__(self, n: int = 50, fps: float = 30.0, status_every: int = 0,
                 shape: tuple[int, int] = (48, 64), bad_at: int | None = None, **_ignored: object) -> None:
        self.n, self.fps, self.status_every, self.shape, self.bad_at = n, fps, status_every, shape, bad_at
        self.i = 0
        self._msg = ""
        self._t0: float | None = None

    def start(self) -> None:
        self._intr, self._state = INTR, SourceState.STREAMING

    def read(self, timeout_s: float = 1.0) -> DepthFrame | None:
        if self.i >= self.n:
            self._state, self._msg = SourceState.ENDED, f"end after {self.n}"
            time.sleep(min(timeout_s, 0.01))
            return None
        self._t0 = time.monotonic() if self._t0 is None else self._t0
        if self.fps:
            wait_s = self._t0 + self.i / self.fps - time.monotonic()
            if wait_s > timeout_s:
                time.sleep(timeout_s)
                return None
            time.sleep(max(wait_s, 0.0))
        i, self.i = self.i, self.i + 1
        if self.status_every and i % self.status_every == 0:
            self._msg = f"frame {i}"
        rows, cols = self.shape
        depth = np.full((rows + (i == self.bad_at), cols), i + 1, np.uint16)
        return DepthFrame(depth, 0.001, INTR, i / 30.0, i, arrival_s=time.perf_counter())

    @property
    def status(self) -> SourceStatus:
        return SourceStatus(self._state, self._msg)

    def close(self) -> None:
        self._state = SourceState.STOPPED


def open_scripted(**kwargs: object) -> Scripted:
    return Scripted(**kwargs)  # type: ignore[arg-type]


def orphan_rings(before: set[str]) -> set[str]:
    """Shared-memory rings made since `before` (a listing of /dev/shm) that no live process
    holds open or maps: leaked ones. Rings of tests running beside this one are held by
    their owners, so they do not count."""
    import os

    new = {n for n in set(os.listdir("/dev/shm")) - before if n.startswith("psm_")}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            held = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
            with open(f"/proc/{pid}/maps", encoding="ascii", errors="replace") as maps:
                held |= {line.split()[-1] for line in maps if "/dev/shm/" in line}
        except OSError:  # gone meanwhile, or not ours to read
            continue
        new -= {n for n in new if f"/dev/shm/{n}" in held}
    return new
