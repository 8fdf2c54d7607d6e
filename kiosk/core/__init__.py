"""Measurement core and drill state machine: pure numpy/dataclass code, no I/O.

Per frame:   metrics, pstate = measure_frame(points_world, zone, profile, t_s, pstate)
             dstate, frame = drill_step(dstate, metrics, profile)   # frame.to_json() -> per_frame
Per rep:     frame.completed (RepResult | None); summary(dstate.reps) -> DESIGN.md summary.
Profile:     profile_loader.load_profile(path | None) -> Profile (the only file I/O here).
"""

from kiosk.core.drill import DrillFrame, DrillState, RepResult, drill_step, summary
from kiosk.core.pipeline import PipelineState, measure_frame
from kiosk.core.thresholds import Profile
from kiosk.core.types import DowelGaps, FrameMetrics, Landmarks, StationZone, hip_to_wall_mm

__all__ = [
    "DowelGaps",
    "DrillFrame",
    "DrillState",
    "FrameMetrics",
    "Landmarks",
    "PipelineState",
    "Profile",
    "RepResult",
    "StationZone",
    "drill_step",
    "hip_to_wall_mm",
    "measure_frame",
    "summary",
]
