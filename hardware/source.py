"""The camera-source contract every source (live, recording, simulator) follows.

Pupil-Capture style: `read()` never raises into the caller's loop for a lost or
late frame; it returns None and the source reports why through `status`.
Errors that make a source unusable at start (missing file, no camera) raise
`SourceError` from `start()` with a one-line message meant for a person.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

from hardware.frame import DepthFrame, Intrinsics


class SourceError(Exception):
    """A source cannot be used. str(err) is one line: the problem and what to do."""


class SourceState(enum.Enum):
    STOPPED = "stopped"
    STREAMING = "streaming"
    WAITING = "waiting"  # started, no frame within the last timeout
    DISCONNECTED = "disconnected"
    ENDED = "ended"  # a recording or script reached its end


@dataclass(frozen=True)
class SourceStatus:
    state: SourceState
    message: str = ""
    usb_type: str | None = None  # e.g. "3.2"; "2.1" means a USB 2 link (too slow for 848x480@30)
    device_name: str | None = None
    serial: str | None = None


@runtime_checkable
class FrameSource(Protocol):
    """start() -> read(timeout_s) repeatedly -> close(). Also a context manager."""

    def start(self) -> None: ...

    def read(self, timeout_s: float = 1.0) -> DepthFrame | None: ...

    @property
    def intrinsics(self) -> Intrinsics: ...

    @property
    def online(self) -> bool: ...

    @property
    def status(self) -> SourceStatus: ...

    def close(self) -> None: ...

    def __enter__(self) -> FrameSource: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...


class SourceBase:
    """Context-manager plumbing and the state/intrinsics bookkeeping the SDK-backed
    sources share. Subclasses set `_state` and, once started, `_intr`."""

    _what = "source"  # named in the not-started error
    _state: SourceState = SourceState.STOPPED
    _intr: Intrinsics | None = None

    @property
    def intrinsics(self) -> Intrinsics:
        if self._intr is None:
            raise SourceError(f"{self._what} not started; call start() first")
        return self._intr

    @property
    def online(self) -> bool:
        return self._state in (SourceState.STREAMING, SourceState.WAITING)

    def start(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
