"""Depth frames -> per-frame metrics and judged reps: the composition the kiosk loop and
`hinge-kiosk analyze` share.

Frame path: SDK filters (decimation, threshold, spatial; never temporal) happen in the
source; here: deproject -> world (calibration pose) -> measurement core -> drill state
machine. Compute only: no drawing, no files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from calibration.geometry import deproject
from calibration.model import Calibration
from calibration.zone import StationZone as CalZone
from hardware.frame import DepthFrame
from hardware.rs_frames import FilterConfig
from kiosk.core import (
    DrillFrame,
    DrillState,
    PipelineState,
    Profile,
    RepResult,
    StationZone,
    drill_step,
    measure_frame,
    summary,
)

# The filters the measurement is tuned for: decimation x2 (848x480 -> 424x240), range
# limits, edge-preserving spatial smoothing. The temporal filter smears motion: off.
MEASURE_FILTERS = FilterConfig(
    decimation=2, min_distance_m=0.3, max_distance_m=4.5, spatial=True, temporal=False, hole_filling=False
)


# The calibration's zone says where the feet go; a hinge reaches further: the head ~1.0 m
# in front of the heels, the buttocks ~0.45 m behind (either way while facing is "auto").
HINGE_REACH_X_M = 0.7
HINGE_REACH_Z_M = 0.2


def core_zone(zone: CalZone) -> StationZone:
    """The calibration's station box grown by the hinge's reach, as the core's zone (world m)."""
    half_x = zone.size_x_m / 2 + HINGE_REACH_X_M
    half_z = zone.size_z_m / 2 + HINGE_REACH_Z_M
    return StationZone(
        x_min_m=zone.centre_x_m - half_x,
        x_max_m=zone.centre_x_m + half_x,
        z_min_m=zone.centre_z_m - half_z,
        z_max_m=zone.centre_z_m + half_z,
        y_max_m=zone.top_m,
    )


def with_drill(
    profile: Profile,
    wall_start_in: float | None = None,
    step_in: float | None = None,
    dowel_reps: int | None = None,
) -> Profile:
    """The profile with drill settings overridden (None keeps the profile's value); the
    result is validated against the profile's bounds."""
    drill = profile.drill.model_dump()
    for key, value in (("wall_start_in", wall_start_in), ("step_in", step_in), ("dowel_reps", dowel_reps)):
        if value is not None:
            drill[key] = value
    data = profile.model_dump()
    data["drill"] = drill
    return Profile.model_validate(data)


@dataclass
class FrameAnalyzer:
    """Stateful wrapper over the pure core: feed frames in order, get DrillFrames."""

    calibration: Calibration
    profile: Profile
    t0_s: float | None = None
    pipeline: PipelineState = field(default_factory=PipelineState)
    drill: DrillState | None = None
    reps: list[RepResult] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.zone = core_zone(self.calibration.zone)
        self.drill = DrillState.start(self.profile)

    def world_points(self, frame: DepthFrame) -> np.ndarray[Any, np.dtype[np.float32]]:
        cam = deproject(frame.depth_m(), frame.intrinsics)
        return self.calibration.pose.to_world(cam)

    def process(self, frame: DepthFrame) -> DrillFrame:
        if self.t0_s is None:
            self.t0_s = frame.timestamp_s
        t_s = frame.timestamp_s - self.t0_s
        metrics, self.pipeline = measure_frame(
            self.world_points(frame), self.zone, self.profile, t_s, self.pipeline
        )
        assert self.drill is not None
        self.drill, out = drill_step(self.drill, metrics, self.profile)
        if out.completed is not None:
            self.reps.append(out.completed)
        return out

    def summary(self) -> dict[str, Any]:
        return summary(self.reps)
