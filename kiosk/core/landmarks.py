"""All sagittal landmarks of one frame from the athlete's points (docs/measurement.md).

The camera sees one side of the body; only the sagittal projection (x, y) is used, so it
does not matter whether the near side is +z or -z. Order: height profile -> heel, toe,
buttocks, leg joints (legs.py) -> trunk axis, shoulder, back contour, head (back.py) ->
silhouette centroid. Pure; ~1 ms for 15k points.
"""

from __future__ import annotations

import numpy as np

from kiosk.core.back import upper_body
from kiosk.core.legs import feet_profile, height_profile, lower_body
from kiosk.core.metrics import silhouette_centroid_x
from kiosk.core.thresholds import LandmarkConfig
from kiosk.core.types import Landmarks, Points


def top_of_body_m(points: Points, rank: int = 2) -> float:
    """Robust top of the athlete: the rank-th highest point's y, metres."""
    y = points[:, 1]
    k = min(rank, y.size - 1)
    return float(np.partition(y, y.size - 1 - k)[y.size - 1 - k])


def find_landmarks(
    points: Points, cfg: LandmarkConfig, stature_m: float | None = None
) -> tuple[Landmarks | None, str]:
    """Landmarks of the athlete's points (M, 3) world; `stature_m` is the standing height
    tracked over frames (None: this frame's top, which is right only when standing).
    Returns (None, reason) when the feet or the buttocks cannot be found."""
    if points.shape[0] < 50:
        return None, "too few points"
    x = points[:, 0].astype(np.float64)
    y = points[:, 1].astype(np.float64)
    top = top_of_body_m(points)
    stature = float(
        np.clip(stature_m if stature_m is not None else top, cfg.stature_min_m, cfg.stature_max_m)
    )
    prof = height_profile(x, y, top + cfg.bin_m, cfg)
    lower = lower_body(prof, feet_profile(x, y, cfg), stature, cfg)
    if lower is None:
        return None, "feet or hips not seen"
    upper = None
    if lower.hip is not None:
        upper = upper_body(x, y, lower.hip, lower.buttocks[0], stature, cfg)
    return Landmarks(
        heel=lower.heel,
        toe=lower.toe,
        buttocks=lower.buttocks,
        ankle=lower.ankle,
        knee=lower.knee,
        hip=lower.hip,
        shoulder=upper.shoulder if upper else None,
        neck_base=upper.neck_base if upper else None,
        sacrum=upper.sacrum if upper else None,
        thoracic=upper.thoracic if upper else None,
        head=upper.head if upper else None,
        head_centroid=upper.head_centroid if upper else None,
        trunk_axis=upper.axis if upper else None,
        dorsal=upper.dorsal if upper else None,
        thigh_dir=lower.thigh_dir,
        shank_dir=lower.shank_dir,
        spine_mid=upper.spine_mid if upper else None,
        com_x_m=silhouette_centroid_x(x, y),
        stature_m=stature,
        spinal_curve_deg=upper.spinal_curve_deg if upper else None,
        neck_flexion_deg=upper.neck_flexion_deg if upper else None,
    ), ""
