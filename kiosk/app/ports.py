"""The loop's collaborators as protocols (the composition root passes real ones, tests
pass their own), the wall clock, and small values the loop hands out.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from hardware.source import SourceState, SourceStatus
from kiosk.app.flow import FlowState
from kiosk.app.view_model import ViewModel


class Clock(Protocol):
    def now_s(self) -> float: ...

    def pace(self, period_s: float) -> None: ...


class Display(Protocol):
    def poll(self) -> list[str]: ...

    def draw(self, vm: ViewModel) -> None: ...

    def save(self, path: Path) -> None: ...


class Sound(Protocol):
    def play(self, name: str) -> bool: ...

    def toggle_mute(self) -> bool: ...

    @property
    def status(self) -> str: ...


class Supervisor(Protocol):
    def ready(self, status: str) -> None: ...

    def status(self, text: str) -> None: ...

    def tick(self) -> None: ...


class Mode(enum.Enum):
    """What the loop is doing: the station running, calibrating, or a full-screen status."""

    CONFIG_ERROR = "config error"
    NO_CAMERA = "no camera"
    SOURCE_ERROR = "source error"
    CALIBRATING = "calibrating"
    CAL_FAILED = "calibration failed"
    RUNNING = "running"
    ERROR = "error"


class MonotonicClock:
    """Loop time in monotonic seconds; `pace` sleeps out the rest of a loop period (a
    source that blocks until its next frame leaves nothing to sleep)."""

    def __init__(self) -> None:
        self._next_s: float | None = None

    def now_s(self) -> float:
        return time.monotonic()

    def pace(self, period_s: float) -> None:
        now = time.monotonic()
        if self._next_s is not None and self._next_s > now:
            time.sleep(self._next_s - now)
            now = self._next_s
        self._next_s = now + period_s


@dataclass(frozen=True)
class Transition:
    """A change of what is on screen (tests read these)."""

    index: int
    t_s: float
    key: str
    view: ViewModel
    flow: FlowState | None


def camera_text(st: SourceStatus | None) -> str:
    if st is None:
        return "camera: none"
    name = st.device_name or "camera"
    if st.state is SourceState.STREAMING:
        return f"{name}: USB 2, too slow" if (st.usb_type or "").startswith("2") else f"{name}: ok"
    return f"{name}: {st.state.value}"
