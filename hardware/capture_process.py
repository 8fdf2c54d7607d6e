"""A frame source run in a process of its own, its frames handed over through shared memory.

Why: the SDK's filters (decimation, spatial: ~4 ms a frame here) run in the source's own
thread, but pyrealsense2 holds the GIL while they run, so they stall the kiosk loop's
thread as if they ran on it (measured: a Python thread next to `filter.process` gets half
its speed on two free cores). A Pi 4 has four cores: in a child process the capture and
filters run beside the loop instead of between its frames.

Contract (the FrameSource protocol): `start()` raises SourceError with the child's one-line
reason when the source cannot start; afterwards nothing raises into the loop. `read()`
returns the next frame or None (timeout, end, or the child gone); `status` carries the
child source's own status, or DISCONNECTED "capture process stopped ..." when the child
died and could not be started again.

Hand-over (hardware/capture_child.py is the child's side): the child writes each frame into
a free slot of a shared-memory ring of SLOTS frames and sends a small header over a pipe;
the reader copies the frame out and sends the slot back. The child waits for a free slot,
so a recording read without pacing still yields every frame in order. A camera does not
wait: with `newest_only` a read takes the newest frame that has come and gives the older
ones' slots back unread (counted in `dropped`), so a loop that fell behind catches up at
once instead of working through up to SLOTS stale frames (SLOTS frame periods of latency
on every cue after one slow frame).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import multiprocessing as mp
import os
import time
from multiprocessing.connection import Connection
from multiprocessing.shared_memory import SharedMemory
from typing import Any

import numpy as np

from hardware.capture_child import CHILD_POLL_S, SLOT_BYTES, SLOTS, Header, Opener, child_main
from hardware.capture_stage import Stage, StageFile
from hardware.frame import DepthFrame
from hardware.source import SourceBase, SourceError, SourceState, SourceStatus

RESTART_S = 3.0  # a dead child is started again at most this often
START_TIMEOUT_S = 30.0  # spawning, importing the SDK and opening the source
STOP_TIMEOUT_S = 3.0  # a clean stop before the child is killed

log = logging.getLogger(__name__)


class CaptureProcess(SourceBase):
    """The source `opener(**kwargs)` (a module-level function and picklable arguments: the
    child is spawned, not forked) run in a child process. `stage` (module-level too): work
    on each frame in the child, with the config last given to `set_stage`, while the child's
    core has room for it (capture_stage.py); its result arrives as the frame's `pre`.
    `newest_only`: a read takes the newest frame that has come (a camera's, or anything
    paced in real time); otherwise every frame in order (a recording read as fast as it goes)."""

    _what = "capture process"

    def __init__(self, opener: Opener, stage: Stage | None = None, newest_only: bool = False,
                 daemon: bool = True, start_timeout_s: float = START_TIMEOUT_S,
                 stop_timeout_s: float = STOP_TIMEOUT_S, **kwargs: Any) -> None:
        self._opener, self._kwargs, self._stage = opener, kwargs, stage
        self.newest_only = newest_only
        # A child that starts a capture process of its own (capture_split.py) may not be a
        # daemon; such a child is closed at exit, or multiprocessing would wait on it.
        self._daemon = daemon
        self._start_timeout_s, self._stop_timeout_s = start_timeout_s, stop_timeout_s
        self._dropped = 0
        self._held: list[tuple[Any, ...]] = []  # messages read past the frame taken (_newest)
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
        """Start the child; SourceError (one line) when it cannot: its own reason, no room
        for the frame ring, no process to be had, or no word from it in time."""
        self._wanted = True
        if not self._daemon:
            atexit.unregister(self.close)  # once, however often started
            atexit.register(self.close)
        try:
            self._spawn()
        except SourceError:
            raise
        except Exception as err:  # out of file descriptors, processes, memory; a config that will not pickle
            self._teardown()
            raise SourceError(f"the capture process could not start: {err}".splitlines()[0]) from None
        parent = self._conn
        assert parent is not None
        if not parent.poll(self._start_timeout_s):
            self._teardown()
            raise SourceError(f"the capture process did not start within {self._start_timeout_s:.0f} s")
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

    def _spawn(self) -> None:
        ctx = mp.get_context("spawn")
        parent, child = ctx.Pipe(duplex=True)
        self._conn, self._held = parent, []
        self._shm = SharedMemory(create=True, size=SLOT_BYTES * SLOTS)
        try:  # the pages now, or a full /dev/shm kills the child with SIGBUS at its first frame
            os.posix_fallocate(self._shm._fd, 0, SLOT_BYTES * SLOTS)  # type: ignore[attr-defined]
        except OSError as err:
            child.close()
            raise SourceError(f"no room in /dev/shm for the capture process's {SLOT_BYTES * SLOTS >> 20} MB "
                              f"frame ring ({err.strerror}): free memory or enlarge /dev/shm") from None
        self._proc = ctx.Process(target=child_main, args=(self._opener, self._kwargs, self._shm.name, child,
                                                      self._stage), daemon=self._daemon, name="hinge-capture")
        try:
            self._proc.start()
        finally:
            child.close()

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
        deadline_s = time.monotonic() + timeout_s  # statuses do not wait it out again
        try:
            if self._stage_due:
                self._hand_over_stage(conn)
            while (msg := self._recv(conn, max(deadline_s - time.monotonic(), 0.0))) is not None:
                if msg[0] == "status":
                    self._set_status(msg[1])
                    if self._status.state is SourceState.ENDED:
                        deadline_s = 0.0
                    continue
                return self._take(self._newest(conn, msg[1]) if self.newest_only else msg[1])
        except (EOFError, OSError):
            self._child_gone()
            if self._conn is conn:  # not restarted yet (at most every RESTART_S): do not spin
                time.sleep(min(timeout_s, CHILD_POLL_S))
            return None
        if self._proc is not None and not self._proc.is_alive():
            self._child_gone()
        return None

    def _recv(self, conn: Connection, timeout_s: float) -> tuple[Any, ...] | None:
        """The next message: one held back by `_newest` first, else the pipe's, or None."""
        if self._held:
            return self._held.pop(0)
        return conn.recv() if conn.poll(timeout_s) else None  # type: ignore[no-any-return]

    def _newest(self, conn: Connection, h: Header) -> Header:
        """`h`, or a newer frame already waiting in the pipe; older slots go back unread.
        Statuses between them are applied in order; those after the newest frame (the end of
        a recording, a lost camera) are held back for the next read, so they still come
        after the frame they followed."""
        after: list[tuple[Any, ...]] = []
        while conn.poll(0):
            msg = conn.recv()
            if msg[0] != "frame":
                after.append(msg)
                continue
            for status in after:
                self._set_status(status[1])
            after = []
            conn.send(("free", h.slot))
            self._dropped += 1
            h = msg[1]
        self._held.extend(after)
        return h

    def _take(self, h: Header) -> DepthFrame:
        assert self._shm is not None and self._conn is not None
        n = h.shape[0] * h.shape[1]
        buf = self._shm.buf
        assert buf is not None
        depth = np.frombuffer(buf, np.uint16, count=n, offset=h.slot * SLOT_BYTES)
        depth = depth.reshape(h.shape).copy()  # the slot goes back to the child at once
        self._conn.send(("free", h.slot))
        self._set_status(SourceStatus(SourceState.STREAMING, "", *self._status_extra()))
        return DepthFrame(depth=depth, depth_scale_m=h.depth_scale_m, intrinsics=h.intrinsics,
                          timestamp_s=h.timestamp_s, index=h.index, meta=h.meta, pre=h.pre,
                          arrival_s=h.arrival_s)

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
        except Exception as err:  # SourceError, and anything start() could not name
            why = f"capture process stopped (exit code {code}); restart failed: {err}".splitlines()[0]
            self._set_status(SourceStatus(SourceState.DISCONNECTED, why))

    @property
    def status(self) -> SourceStatus:
        return self._status

    @property
    def restarts(self) -> int:
        """How often a dead child was started again."""
        return self._restarts

    @property
    def dropped(self) -> int:
        """Frames passed over unread for a newer one (`newest_only`)."""
        return self._dropped

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
        if not self._daemon:
            atexit.unregister(self.close)  # closed for good: nothing to do at exit

    def _teardown(self) -> None:
        conn, proc, shm = self._conn, self._proc, self._shm
        self._conn = self._proc = self._shm = None
        if conn is not None:
            with contextlib.suppress(OSError, ValueError):
                conn.send(("stop",))
        if proc is not None and proc.pid is not None:  # a process that never started has nothing to join
            proc.join(self._stop_timeout_s)
            if proc.is_alive():
                proc.kill()
                proc.join(self._stop_timeout_s)
        if conn is not None:
            conn.close()
        if shm is not None:
            shm.close()
            with contextlib.suppress(FileNotFoundError):
                shm.unlink()
        if self._status.state is not SourceState.ENDED:
            self._set_status(SourceStatus(SourceState.STOPPED, self._status.message, *self._status_extra()))
