"""Value types of the measurement core: inputs, segmentation, landmarks, metrics.

All frozen dataclasses. Frame: WORLD (docs/measurement.md): origin on the floor, +y up,
+x the athlete's forward, +z the athlete's right; metres, seconds, radians inside unless
a name says otherwise (`_mm`, `_deg`, `_in`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Points = npt.NDArray[np.float32]
Point2 = tuple[float, float]
"""A sagittal point (x, y), world metres."""


@dataclass(frozen=True)
class StationZone:
    """Box on the floor where the athlete stands, world metres. Points outside
    x in [x_min_m, x_max_m], z in [z_min_m, z_max_m] or above y_max_m are ignored.
    floor_noise_m: the stereo noise (RMS, metres) at the station, as the calibration's floor
    fit measured it: the floor's fuzz reaches about that high (legs.heel_edge reads the
    heel above it); 0 = not known."""

    x_min_m: float = -1.2
    x_max_m: float = 1.2
    z_min_m: float = -0.6
    z_max_m: float = 0.6
    y_max_m: float = 2.4
    floor_noise_m: float = 0.0

    def __post_init__(self) -> None:
        if not (self.x_max_m > self.x_min_m and self.z_max_m > self.z_min_m and self.y_max_m > 0.5):
            raise ValueError(f"degenerate station zone {self}")
        if not 0.0 <= self.floor_noise_m <= 0.5:  # also rejects NaN
            raise ValueError(f"floor noise {self.floor_noise_m} m out of range 0-0.5")


@dataclass(frozen=True, eq=False)
class PersonSegmentation:
    """Result of picking the athlete out of one frame's world points.

    points: (M, 3) float32 world points of the athlete (empty when person is False).
    indices: (M,) int64 indices of those points in the frame's input array.
    person: a standing, person-sized body was found in the zone.
    second_person: another person-sized body is in the zone as well.
    reason: why person is False ("" when it is True), for logs and the display.
    """

    points: Points
    indices: npt.NDArray[np.int64]
    person: bool
    second_person: bool
    reason: str = ""
    height_m: float = 0.0


@dataclass(frozen=True)
class Landmarks:
    """Sagittal landmarks of one frame (x, y) world metres; None where not found.

    heel/toe: the posterior/anterior ends of the foot (legs.py). heel_seen_x_m: this
    frame's observed heel edge (legs.heel_edge). buttocks: most posterior point with
    y >= 0.30 m. knee/hip/ankle/shoulder/neck_base: joint-centre estimates.
    sacrum/thoracic/head: back-contour landmarks (docs/measurement.md).
    trunk_axis: unit vector hip joint -> shoulder joint. dorsal: unit normal of the
    trunk axis pointing out of the back. thigh_dir/shank_dir: unit vectors up each segment.
    head_centroid: centroid of the head's points. com_x_m: silhouette centroid's x.
    spinal_curve_deg / neck_flexion_deg / lumbar_hollow_mm: raw (unsmoothed) values,
    see back.py.
    """

    heel: Point2
    toe: Point2
    buttocks: Point2
    ankle: Point2 | None
    knee: Point2 | None
    hip: Point2 | None
    shoulder: Point2 | None
    neck_base: Point2 | None
    sacrum: Point2 | None
    thoracic: Point2 | None
    head: Point2 | None
    head_centroid: Point2 | None
    trunk_axis: Point2 | None
    dorsal: Point2 | None
    thigh_dir: Point2 | None
    shank_dir: Point2 | None
    spine_mid: Point2 | None
    com_x_m: float
    stature_m: float
    heel_seen_x_m: float | None = None
    spinal_curve_deg: float | None = None
    neck_flexion_deg: float | None = None
    lumbar_hollow_mm: float | None = None


@dataclass(frozen=True)
class DowelGaps:
    """Perpendicular gaps between the back landmarks and the virtual dowel, mm (>= 0)."""

    head_mm: float
    thoracic_mm: float
    sacrum_mm: float
    resting_on: tuple[str, str]

    def to_json(self) -> dict[str, float]:
        return {
            "head": round(self.head_mm, 1),
            "thoracic": round(self.thoracic_mm, 1),
            "sacrum": round(self.sacrum_mm, 1),
        }


@dataclass(frozen=True)
class FrameMetrics:
    """Per-frame measurements, smoothed (see smoothing.py for the lag).

    Positions in world metres (x along the athlete's forward). hip_to_wall needs the
    drill's wall, so the frame carries buttocks_x_m and heel_x_m and the drill computes it.
    trunk_angle_deg: the hip -> shoulder line from vertical (unsigned, as reported);
    trunk_lean_deg: the same signed, + forward (the rep machine's and the upright gates').
    None = could not be measured in this frame.
    """

    t_s: float
    person: bool
    second_person: bool
    heel_x_m: float | None = None
    toe_x_m: float | None = None
    buttocks_x_m: float | None = None
    knee_x_m: float | None = None
    knee_flexion_deg: float | None = None
    trunk_angle_deg: float | None = None
    trunk_lean_deg: float | None = None
    dowel_gaps: DowelGaps | None = None
    neck_flexion_deg: float | None = None
    spinal_curve_deg: float | None = None
    lumbar_hollow_mm: float | None = None
    com_over_foot: float | None = None
    landmarks: Landmarks | None = None
    reason: str = ""


def hip_to_wall_mm(buttocks_x_m: float, heel_x_m: float, wall_distance_m: float) -> float:
    """(buttocks x - wall x) in mm, wall at heel_x - wall_distance (DESIGN.md).
    Negative = through the wall."""
    return (buttocks_x_m - (heel_x_m - wall_distance_m)) * 1000.0


def touches_wall(hip_to_wall_mm: float | None, tolerance_mm: float) -> bool:
    """The hips are at the wall: within `tolerance_mm` of it or through it. The one rule
    for a frame (the drill's DrillFrame.touching_wall: the screen's wall, the touch sound)
    and for a rep (judge.py: `wall_not_reached` when no frame of the rep touched)."""
    return hip_to_wall_mm is not None and hip_to_wall_mm <= tolerance_mm
