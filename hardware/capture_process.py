"""A frame source run in a process of its own, its frames handed over through shared memory.

Why: the SDK's filters (decimation, spatial: ~4 ms a frame here) run in the source's own
thread, but pyrealsense2 holds the GIL while they run, so they stall the kiosk loop's
thread as if they ran on it (measured: a Python thread next to `filter.process` gets half
its speed on two free cores). A Pi 4 has four cores: in a child process the capture and
filters run beside the loop instead of between its frames.

Contract (the FrameSource protocol): `start()` raises SourceError with the child's one-line
reason when the source cannot start; afterwards nothing raises into the loop. `read()`
returns the next frame or None (timeout, end, or the child gone); `status` carries the
child source's own status, or ERROR "capture process stopped" when the child died.

Hand-over: the child writes each frame into a free slot of a shared-memory ring of SLOTS
frames and sends a small header over a pipe; the reader copies the frame out and sends the
slot back. The child waits for a free slot (no frame is dropped here; a live camera's own
queue drops the oldest while it waits), so a recording read without pacing still yields
every frame in order.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from multiprocessing.shared_memory import SharedMemory
from typing import Any

import numpy as np

from hardware.capture_stage import ChildStage, Stage, StageFile
from hardware.frame import DepthFrame, Intrinsics
from hardware.source import FrameSource, SourceBase, SourceError, SourceState, SourceStatus

SLOTS = 4  # frames in flight between the child and the reader
SLOT_BYTES = 1280 * 720 * 2  # the largest z16 frame of a D4xx mode (recordings may carry it)
RESTART_S = 3.0  # a dead child is started again at most this often
START_TIMEOUT_S = 30.0  # spawning, importing the SDK and opening the source
STOP_TIMEOUT_S = 3.0  # a clean stop before the child is killed
CHILD_POLL_S = 0.05  # how long the child's read waits before it looks at its pipe again

Opener = Callable[..., FrameSource]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Header:
    """One frame in slot `slot`: shape, scale, intrinsics, time and index."""

    slot: int
    shape: tuple[int, int]
    depth_scale_m: float
    intrinsics: Intrinsics
    timestamp_s: float
    index: int
    meta: dict[str, float]
    pre: object = None


def _child(opener: Opener, kwargs: dict[str, Any], shm_name: str, conn: Connection,
           stage: Stage | None = None) -> None:
    """The child: open and start the source, then stream frames into the shared ring until
    told to stop or the parent goes away. Never raises: failures go to the parent."""
    try:
        src = opener(**kwargs)
        src.start()
        intr = src.intrinsics
    except Exception as err:  # the parent raises it as one line
        conn.send(("error", str(err).splitlines()[0] if str(err) else type(err).__name__))
        return
    shm = SharedMemory(name=shm_name)  # the parent made it and unlinks it
    try:
        conn.send(("started", intr, src.status))
        _stream(src, shm, SLOT_BYTES, conn, stage)
    except (BrokenPipeError, EOFError, OSError):
        pass  # the parent went away: nothing to tell
    finally:
        with contextlib.suppress(Exception):
            src.close()
        shm.close()


def _stream(src: FrameSource, shm: SharedMemory, slot_bytes: int, conn: Connection,
            stage: Stage | None = None) -> None:
    free = list(range(SLOTS))
    last_status = src.status
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
        status = src.status
        if status != last_status:
            conn.send(("status", status))
            last_status = status
        if frame is None:
            continue
        depth = np.ascontiguousarray(frame.depth, dtype=np.uint16)
        if depth.nbytes > slot_bytes:  # larger than any D4xx mode: say so, skip it
            too_big = SourceStatus(SourceState.WAITING, f"frame {depth.shape} too large, skipped")
            conn.send(("status", too_big))
            continue
        pre = staged.run(frame)
        slot = free.pop()
        view = np.ndarray(depth.shape, np.uint16, buffer=shm.buf, offset=slot * slot_bytes)
        view[...] = depth
        del view  # no exported buffer may outlive the frame: shm.close() would refuse
        h = _Header(slot, depth.shape, frame.depth_scale_m, frame.intrinsics,  # type: ignore[arg-type]
                    frame.timestamp_s, frame.index, dict(frame.meta), pre)
        try:
            conn.send(("frame", h))
        except (OSError, EOFError):
            raise
        except Exception:  # a stage result that does not pickle: the frame goes without it
            conn.send(("frame", replace(h, pre=None)))


class CaptureProcess(SourceBase):
    """The source `opener(**kwargs)` (a module-level function and picklable arguments: the
    child is spawned, not forked) run in a child process. `stage` (module-level too): work
    on each frame in the child, with the config last given to `set_stage`, while the child's
    core has room for it (capture_stage.py); its result arrives as the frame's `pre`."""

    _what = "capture process"

    def __init__(self, opener: Opener, stage: Stage | None = None, **kwargs: Any) -> None:
        self._opener, self._kwargs, self._stage = opener, kwargs, stage
        self._stage_config: object = None
        self._stage_file = StageFile()
        self._stage_due = False  # a config to hand over at the next read
        self._proc: Any = None
        self._conn: Connection | None = None
        self._shm: SharedMemory | None = None
        self._status = SourceStatus(SourceState.STOPPED)
        self._restart_at = 0.0
        self._restarts = 0
        self._wanted = False  # started and not closed by its owner: a dead child is restarted

    def start(self) -> None:
        self._wanted = True
        ctx = mp.get_context("spawn")
        parent, child = ctx.Pipe(duplex=True)
        self._shm = SharedMemory(create=True, size=SLOT_BYTES * SLOTS)
        self._proc = ctx.Process(target=_child, args=(self._opener, self._kwargs, self._shm.name, child,
                                                      self._stage), daemon=True, name="hinge-capture")
        self._proc.start()
        child.close()
        self._conn = parent
        if not parent.poll(START_TIMEOUT_S):
            self._teardown()
            raise SourceError(f"the capture process did not start within {START_TIMEOUT_S:.0f} s")
        try:
            msg = parent.recv()
        except EOFError:
            self._teardown()
            code = self._proc.exitcode if self._proc is not None else None
            raise SourceError(f"the capture process exited at start (exit code {code})") from None
        if msg[0] == "error":
            self._teardown()
            raise SourceError(msg[1])
        _, self._intr, self._status = msg
        self._state = self._status.state
        self._stage_due = self._stage_config is not None  # a restarted child gets the stage it had

    def set_stage(self, config: object) -> None:
        """The stage's config, handed to the child at the next read (at most one message a
        read: a burst of them could fill the pipe while the child waits to send a frame) and
        used from the next frame it reads on; kept for a restarted child. A config that
        cannot be written turns the stage off. Never raises."""
        self._stage_config, self._stage_due = config, self._stage is not None

    def _hand_over_stage(self, conn: Connection) -> None:
        self._stage_due = False
        path = self._stage_file.write(self._stage_config)
        with contextlib.suppress(OSError, ValueError):
            conn.send(("stage", path))

    def read(self, timeout_s: float = 1.0) -> DepthFrame | None:
        conn = self._conn
        if conn is None or self._shm is None:
            if self._wanted:  # a restart failed: try again in a while
                self._child_gone()
            time.sleep(min(timeout_s, CHILD_POLL_S))  # no child: wait, do not spin the loop
            return None
        try:
            if self._stage_due:
                self._hand_over_stage(conn)
            while conn.poll(timeout_s):
                msg = conn.recv()
                if msg[0] == "status":
                    self._set_status(msg[1])
                    timeout_s = 0.0 if self._status.state is SourceState.ENDED else timeout_s
                    continue
                return self._take(msg[1])
        except (EOFError, OSError):
            self._child_gone()
            if self._conn is conn:  # not restarted yet (at most every RESTART_S): do not spin
                time.sleep(min(timeout_s, CHILD_POLL_S))
            return None
        if self._proc is not None and not self._proc.is_alive():
            self._child_gone()
        return None

    def _take(self, h: _Header) -> DepthFrame:
        assert self._shm is not None and self._conn is not None
        n = h.shape[0] * h.shape[1]
        buf = self._shm.buf
        assert buf is not None
        depth = np.frombuffer(buf, np.uint16, count=n, offset=h.slot * SLOT_BYTES)
        depth = depth.reshape(h.shape).copy()  # the slot goes back to the child at once
        self._conn.send(("free", h.slot))
        self._set_status(SourceStatus(SourceState.STREAMING, "", *self._status_extra()))
        return DepthFrame(depth=depth, depth_scale_m=h.depth_scale_m, intrinsics=h.intrinsics,
                          timestamp_s=h.timestamp_s, index=h.index, meta=h.meta, pre=h.pre)

    def _status_extra(self) -> tuple[str | None, str | None, str | None]:
        s = self._status
        return s.usb_type, s.device_name, s.serial

    def _set_status(self, status: SourceStatus) -> None:
        self._status, self._state = status, status.state

    def _child_gone(self) -> None:
        """The child died (killed, out of memory, a crash in the SDK): say so as a lost
        camera and start it again, at most every RESTART_S, so the kiosk keeps running."""
        if self._status.state is SourceState.ENDED:
            return
        now = time.monotonic()
        if now < self._restart_at:
            return
        self._restart_at = now + RESTART_S
        code = self._proc.exitcode if self._proc is not None else None
        self._teardown()
        try:
            self.start()
            self._restarts += 1
            log.warning("capture process stopped (exit code %s); restarted", code)
        except SourceError as err:
            why = f"capture process stopped (exit code {code}); restart failed: {err}"
            self._set_status(SourceStatus(SourceState.DISCONNECTED, why))

    @property
    def status(self) -> SourceStatus:
        return self._status

    @property
    def restarts(self) -> int:
        """How often a dead child was started again."""
        return self._restarts

    @property
    def child_pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def shared_memory_name(self) -> str | None:
        return self._shm.name if self._shm is not None else None

    def close(self) -> None:
        self._wanted = False
        self._teardown()
        self._stage_file.remove()

    def _teardown(self) -> None:
        conn, proc, shm = self._conn, self._proc, self._shm
        self._conn = self._proc = self._shm = None
        if conn is not None:
            with contextlib.suppress(OSError, ValueError):
                conn.send(("stop",))
        if proc is not None:
            proc.join(STOP_TIMEOUT_S)
            if proc.is_alive():
                proc.kill()
                proc.join(STOP_TIMEOUT_S)
        if conn is not None:
            conn.close()
        if shm is not None:
            shm.close()
            with contextlib.suppress(FileNotFoundError):
                shm.unlink()
        if self._status.state is not SourceState.ENDED:
            self._set_status(SourceStatus(SourceState.STOPPED, self._status.message, *self._status_extra()))
