"""The capture process's child side (hardware/capture_process.py is the parent's): open the
source, then stream its frames into the shared-memory ring until told to stop.

Protocol over the pipe. Child to parent: ("error", line) or ("started", intrinsics,
status) once; then ("frame", Header) and ("status", SourceStatus). Parent to child:
("free", slot), ("stage", path or None) and ("stop",). The child writes a frame only into a
slot the parent has given back, so the parent decides what is dropped (newest-only) and a
recording read without pacing still yields every frame in order.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from multiprocessing.shared_memory import SharedMemory
from typing import Any

import numpy as np

from hardware.capture_stage import ChildStage, Stage
from hardware.frame import Intrinsics
from hardware.source import FrameSource, SourceState, SourceStatus

SLOTS = 4  # frames in flight between the child and the reader
SLOT_BYTES = 1280 * 720 * 2  # the largest z16 frame of a D4xx mode (recordings may carry it)
CHILD_POLL_S = 0.05  # how long the child's read waits before it looks at its pipe again
PR_SET_PDEATHSIG = 1  # prctl(2): a signal for this process when its parent dies

Opener = Callable[..., FrameSource]


@dataclass(frozen=True)
class Header:
    """One frame in slot `slot`: shape, scale, intrinsics, times and index, and the stage's
    result. `arrival_s`: the frame's DepthFrame.arrival_s, or when the child's read returned
    it (the host's monotonic clock, the same in both processes)."""

    slot: int
    shape: tuple[int, int]
    depth_scale_m: float
    intrinsics: Intrinsics
    timestamp_s: float
    index: int
    meta: dict[str, float]
    pre: object = None
    arrival_s: float | None = None


def _follow_parent() -> None:
    """End with the parent: SIGTERM when it dies (Linux; a killed outer half of a split
    would otherwise leave this one holding the camera), and SIGTERM ends this process
    through its `finally`, so the ring and the source are released."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    parent = os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # it died before the request was made
        sys.exit(0)


def child_main(opener: Opener, kwargs: dict[str, Any], shm_name: str, conn: Connection,
               stage: Stage | None = None) -> None:
    """The child: open and start the source, then stream frames into the shared ring until
    told to stop or the parent goes away. Never raises: failures go to the parent."""
    _follow_parent()
    shm = SharedMemory(name=shm_name)  # the parent made it; whoever ends first unlinks it
    try:
        try:
            src = opener(**kwargs)
            src.start()
            intr = src.intrinsics
        except Exception as err:  # the parent raises it as one line
            with contextlib.suppress(OSError, EOFError):  # a parent gone meanwhile is not told
                conn.send(("error", str(err).splitlines()[0] if str(err) else type(err).__name__))
            return
        try:
            conn.send(("started", intr, src.status))
            stream(src, shm, SLOT_BYTES, conn, stage)
        except (BrokenPipeError, EOFError, OSError):
            pass  # the parent went away: nothing to tell
        finally:
            with contextlib.suppress(Exception):
                src.close()
    finally:
        shm.close()
        # The parent keeps its own mapping and ignores a ring already gone; a parent killed
        # outright (the outer half of a split) could not free it at all.
        with contextlib.suppress(FileNotFoundError):
            shm.unlink()


def stream(src: FrameSource, shm: SharedMemory, slot_bytes: int, conn: Connection,
           stage: Stage | None = None) -> None:
    """Read `src` into free slots of `shm` and announce each frame, until ("stop",)."""
    free = list(range(SLOTS))
    last_status = src.status
    told_too_big: tuple[int, ...] | None = None  # the shape last said to be too large
    staged = ChildStage(stage)  # the stage only while this core has room for it
    while True:
        while conn.poll(0 if free else CHILD_POLL_S):
            msg = conn.recv()
            if msg[0] == "stop":
                return
            if msg[0] == "stage":  # ("stage", path or None): StageFile, not the pipe (its docstring)
                staged.configure(msg[1])
                continue
            free.append(msg[1])  # ("free", slot)
        if not free:
            continue
        frame = src.read(CHILD_POLL_S)
        read_s = time.perf_counter()
        status = src.status
        if status != last_status:
            conn.send(("status", status))
            last_status = status
        if frame is None:
            continue
        depth = np.ascontiguousarray(frame.depth, dtype=np.uint16)
        if depth.nbytes > slot_bytes:  # larger than any D4xx mode: say so (once a run of them), skip it
            if told_too_big != depth.shape:
                too_big = SourceStatus(SourceState.WAITING, f"frame {depth.shape} too large, skipped")
                conn.send(("status", too_big))
                told_too_big = depth.shape
            continue
        told_too_big = None
        pre = staged.run(frame)
        slot = free.pop()
        view = np.ndarray(depth.shape, np.uint16, buffer=shm.buf, offset=slot * slot_bytes)
        view[...] = depth
        del view  # no exported buffer may outlive the frame: shm.close() would refuse
        h = Header(slot, depth.shape, frame.depth_scale_m, frame.intrinsics,  # type: ignore[arg-type]
                   frame.timestamp_s, frame.index, dict(frame.meta), pre,
                   read_s if frame.arrival_s is None else frame.arrival_s)
        try:
            conn.send(("frame", h))
        except (OSError, EOFError):
            raise
        except Exception:  # a stage result that does not pickle: the frame goes without it
            conn.send(("frame", replace(h, pre=None)))
