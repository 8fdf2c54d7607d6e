"""Fault injection for the simulated camera: what a gym floor does to a depth stream.

A `Fault` is active over script time [start_s, start_s + duration_s). Depth-level faults
change the z16 image before it is pushed through the SDK's software device, so they reach
the kiosk exactly as a real camera's bad frames would (through the SDK filters):

  drop           no frame for the window (USB hiccup, a frame timeout)
  freeze         the last good image again, with new timestamps (a stuck pipeline)
  zeros          an all-zero image (projector off, lens covered)
  garbage        uniform random depth (corrupted transfer)
  time_back      timestamps `amount` seconds in the past (clock reset on reconnect)
  holes          `amount` (0-1) of the athlete's pixels lost in blobs (dark clothing, sunlight)
  half_out       the image beyond the athlete's middle column is empty: half the body out of view
  second_person  another person (a standing copy of the athlete) `amount` metres further along
                 the sagittal axis, inside the station

The truth row of each frame names the active faults (`faults`), so tests judge the kiosk
against what was injected, never against its own output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

FaultKind = Literal["drop", "freeze", "zeros", "garbage", "time_back", "holes", "half_out", "second_person"]
FAULT_KINDS: tuple[str, ...] = ("drop", "freeze", "zeros", "garbage", "time_back", "holes", "half_out",
                                "second_person")
_HOLE_BLOB_PX = 6  # dark-clothing dropouts come in patches, not single pixels

Depth = npt.NDArray[np.uint16]


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    start_s: float
    duration_s: float
    amount: float = 0.0  # holes: fraction; time_back: seconds; second_person: metres along x

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {self.kind!r}; one of {', '.join(FAULT_KINDS)}")
        if self.duration_s <= 0:
            raise ValueError(f"fault {self.kind}: duration_s must be > 0")

    def active(self, t_s: float) -> bool:
        return self.start_s <= t_s < self.start_s + self.duration_s


def active(faults: tuple[Fault, ...], t_s: float) -> tuple[Fault, ...]:
    return tuple(f for f in faults if f.active(t_s))


def parse_fault(text: str) -> Fault:
    """`kind@start+duration[:amount]`, e.g. `holes@12+3:0.6` (seconds of script time)."""
    try:
        kind, rest = text.split("@", 1)
        window, _, amount = rest.partition(":")
        start, duration = window.split("+", 1)
        return Fault(kind.strip(), float(start), float(duration), float(amount) if amount else 0.0)  # type: ignore[arg-type]
    except ValueError as err:
        raise ValueError(f"bad fault {text!r} ({err}); write kind@start+duration[:amount], "
                         f"kinds: {', '.join(FAULT_KINDS)}") from None


def apply_depth_faults(
    depth: Depth,
    body: npt.NDArray[np.bool_],
    faults: tuple[Fault, ...],
    last_good: Depth | None,
    rng: np.random.Generator,
) -> Depth | None:
    """The image as the faulty camera delivers it; None = no frame (drop). `body`: the
    athlete's pixels in this render; `last_good`: the previous unfaulted image (freeze)."""
    out = depth
    for f in faults:
        if f.kind == "drop":
            return None
        if f.kind == "freeze" and last_good is not None:
            out = last_good.copy()
        elif f.kind == "zeros":
            out = np.zeros_like(depth)
        elif f.kind == "garbage":
            out = rng.integers(0, 65535, size=depth.shape, dtype=np.uint16)
        elif f.kind == "holes":
            out = _holes(out, body, f.amount, rng)
        elif f.kind == "half_out":
            out = _half_out(out, body)
    return out


def time_offset_s(faults: tuple[Fault, ...]) -> float:
    """Seconds to subtract from the frame's timestamp (time_back)."""
    return sum(f.amount or 1.0 for f in faults if f.kind == "time_back")


def second_person_offset_m(faults: tuple[Fault, ...]) -> float | None:
    for f in faults:
        if f.kind == "second_person":
            return f.amount or 0.8
    return None


def _holes(depth: Depth, body: npt.NDArray[np.bool_], fraction: float, rng: np.random.Generator) -> Depth:
    """Lose about `fraction` of the body's pixels, in blobs of ~_HOLE_BLOB_PX pixels."""
    h, w = depth.shape
    b = _HOLE_BLOB_PX
    coarse = rng.random(((h + b - 1) // b, (w + b - 1) // b)) < fraction
    mask = np.kron(coarse, np.ones((b, b), dtype=bool))[:h, :w] & body
    out = depth.copy()
    out[mask] = 0
    return out


def _half_out(depth: Depth, body: npt.NDArray[np.bool_]) -> Depth:
    """Empty every column beyond the athlete's middle one, as if the field of view ended there."""
    cols = np.flatnonzero(body.any(axis=0))
    if cols.size == 0:
        return depth
    out = depth.copy()
    out[:, int(np.median(cols)):] = 0
    return out
