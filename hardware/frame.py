"""Depth frame and intrinsics: the one value every camera source hands out.

Pure data, no SDK import, so the measurement core and calibration can use it
without pulling in pyrealsense2.

Camera frame (RealSense convention): +x right in the image, +y down, +z along
the optical axis, metres.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class Intrinsics:
    """Pinhole intrinsics of a depth stream, pixels. Distortion is ignored
    (D4xx depth is rectified; the SDK reports zero coefficients)."""

    width: int
    height: int
    fx: float
    fy: float
    ppx: float
    ppy: float
    model: str = "brown_conrady"
    coeffs: tuple[float, float, float, float, float] = (0.0, 0.0, 0.0, 0.0, 0.0)

    def scaled(self, factor: float) -> Intrinsics:
        """Intrinsics of the same camera at `factor` times the resolution
        (e.g. 0.5 after decimation by 2)."""
        return Intrinsics(
            width=round(self.width * factor),
            height=round(self.height * factor),
            fx=self.fx * factor,
            fy=self.fy * factor,
            ppx=(self.ppx + 0.5) * factor - 0.5,
            ppy=(self.ppy + 0.5) * factor - 0.5,
            model=self.model,
            coeffs=self.coeffs,
        )


@dataclass(frozen=True, eq=False)
class DepthFrame:
    """One depth image.

    depth: (height, width) uint16, 0 = no data; metres = depth * depth_scale_m.
    timestamp_s: sensor timestamp in seconds (monotonic within one source run).
    index: frame number as the source counts it (0-based for recordings).
    pre: what a later layer's stage worked out from this frame ahead of the loop, in the
    capture process (hardware/capture_process.py; kiosk/analysis/presegment.py), opaque
    here; None when nothing was.
    arrival_s: when the frame reached this host, on the host's monotonic clock
    (time.perf_counter: CLOCK_MONOTONIC on Linux, the same in every process), before any
    filtering or hand-over; frame-to-cue latency starts here. None when the source does
    not know (a recording read as fast as it goes).
    """

    depth: npt.NDArray[np.uint16]
    depth_scale_m: float
    intrinsics: Intrinsics
    timestamp_s: float
    index: int
    meta: dict[str, float] = field(default_factory=dict)
    pre: object = None
    arrival_s: float | None = None

    def depth_m(self) -> npt.NDArray[np.float32]:
        """Depth in metres as float32, 0 where the camera has no data."""
        return self.depth.astype(np.float32) * np.float32(self.depth_scale_m)
