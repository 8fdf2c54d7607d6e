"""All sagittal landmarks of one frame from the athlete's points (docs/measurement.md).

The camera sees one side of the body; only the sagittal projection (x, y) is used, so it
does not matter whether the near side is +z or -z. Order: height profile -> heel, toe,
buttocks, leg joints (legs.py) -> trunk axis, shoulder, back contour, head (back.py; the
head's line: head.py) -> silhouette centroid. Pure; ~1 ms for 15k points.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from kiosk.core.back import UpperBody, trunk_axis, upper_body
from kiosk.core.body_model import BODY_MODEL, BodyModelConfig
from kiosk.core.legs import LowerBody, heel_edge, height_profile, lower_body
from kiosk.core.metrics import segment_com_x, silhouette_centroid_x
from kiosk.core.profile import F64
from kiosk.core.surface import cell_edges, spread_weight
from kiosk.core.thresholds import LandmarkConfig
from kiosk.core.types import Landmarks, Point2, Points


def top_of_body_m(points: Points, rank: int = 2) -> float:
    """Robust top of the athlete: the rank-th highest point's y, metres."""
    y = points[:, 1]
    k = min(rank, y.size - 1)
    return float(np.partition(y, y.size - 1 - k)[y.size - 1 - k])


def find_landmarks(
    points: Points, cfg: LandmarkConfig, stature_m: float | None = None, heel_offset_m: float | None = None,
    floor_noise_m: float = 0.0, body: BodyModelConfig = BODY_MODEL,
) -> tuple[Landmarks | None, str]:
    """Landmarks of the athlete's points (M, 3) world; `stature_m` is the standing height
    tracked over frames (None: this frame's top, which is right only when standing);
    `heel_offset_m` the athlete's heel offset behind the ankle learnt over frames (None:
    the heel is this frame's observed edge); `floor_noise_m` the stereo noise at the
    station (StationZone.floor_noise_m; 0 = unknown), which sets where the heel is read;
    `body` the body model's proportions (the profile's body_model section).
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
    seen = heel_edge(x, y, cfg, floor_noise_m)
    lower = lower_body(prof, seen, stature, cfg, body, heel_offset_m)
    if lower is None:
        return None, "feet or hips not seen"
    z = points[:, 2].astype(np.float64)
    rear_x = rear_surface_x(x, y, z, lower.buttocks, cfg)
    lower = replace(lower, buttocks=(rear_x, lower.buttocks[1]))
    upper = None
    if lower.hip is not None:
        chain_hip = lower.hip
        solved = trunk_axis(x, y, chain_hip, lower.buttocks[0], stature, cfg, body)
        if solved is not None and body.hip_buttocks_weight_frac > 0:
            # The pelvis model needs only the trunk's axis at the chain's hip; the landmarks
            # at that hip only when none are found at the blended one.
            hip = _pelvis_hip(chain_hip, lower.buttocks, solved[0], stature, body)
            lower = replace(lower, hip=hip)
            upper = upper_body(x, y, hip, lower.buttocks[0], stature, cfg, body, z) or upper_body(
                x, y, chain_hip, lower.buttocks[0], stature, cfg, body, z
            )
        elif solved is not None:
            upper = upper_body(x, y, chain_hip, lower.buttocks[0], stature, cfg, body, z)
    return Landmarks(
        heel=lower.heel,
        heel_seen_x_m=None if seen is None else seen[0],
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
        com_x_m=_com_x(lower, upper, stature, body) or silhouette_centroid_x(x, y),
        stature_m=stature,
        spinal_curve_deg=upper.spinal_curve_deg if upper else None,
        neck_flexion_deg=upper.neck_flexion_deg if upper else None,
        lumbar_hollow_mm=upper.lumbar_hollow_mm if upper else None,
    ), ""


def _com_x(
    lower: LowerBody, upper: UpperBody | None, stature_m: float, body: BodyModelConfig
) -> float | None:
    """Segment-model centre of mass x, None without the joints. The arms hang from the
    shoulders (in a hinge) or rest on the thighs (standing): their centre is taken midway
    between the shoulder and the knee in x."""
    if upper is None or upper.head_centroid is None or None in (lower.ankle, lower.knee, lower.hip):
        return None
    assert lower.ankle is not None and lower.knee is not None and lower.hip is not None
    arm_x = 0.5 * (upper.shoulder[0] + lower.knee[0])
    return segment_com_x(
        lower.heel[0],
        body.foot_frac * stature_m,
        lower.ankle,
        lower.knee,
        lower.hip,
        upper.shoulder,
        upper.head_centroid,
        arm_x,
    )


def _pelvis_hip(
    chain_hip: Point2, buttocks: Point2, axis: Point2, stature_m: float, body: BodyModelConfig
) -> Point2:
    """The hip joint with its x blended toward the pelvis model: the buttocks' rearmost
    point is a cheek's back (a ~0.11 m ball, pelvis_radius_frac) whose centre sits behind
    and below the joint (buttock_x/y_frac, turned with the pelvis, which leans with the
    trunk). The leg chain (ankle + shank + thigh) puts x 20-60 mm off when a segment's
    direction is 2-4 deg off; the buttocks are measured to a few mm. y stays the chain's."""
    lean = math.atan2(axis[0], axis[1])
    c, s = math.cos(lean), math.sin(lean)
    model_x = buttocks[0] + stature_m * (
        body.pelvis_radius_frac + body.buttock_x_frac * c + body.buttock_y_frac * s
    )
    w = body.hip_buttocks_weight_frac
    return w * model_x + (1.0 - w) * chain_hip[0], chain_hip[1]


def rear_surface_x(x: F64, y: F64, z: F64, rear: Point2, cfg: LandmarkConfig) -> float:
    """The buttocks' rearmost x (world metres) made robust to stereo noise along the rays.

    `rear` is the profile's extreme (an order statistic per height bin). Seen square-on,
    the rear is a sliver on the silhouette at grazing incidence: the noise runs along z
    and the extreme is right. Seen from behind the side, the camera sees the back of the
    buttocks across their width and the noise along the rays has an x part: the extreme of
    hundreds of such points reads 10-25 mm behind the surface. The points within
    rear_patch_m of `rear` then span a wide z range; there the rear is taken from cells
    (rear_cell_m square in y and z) as the lowest cell's rear_cell_quantile of x, which
    the noise does not bias. The z spread (std) blends the two: up to rear_spread_min_m
    the extreme, from rear_spread_full_m the cells."""
    if cfg.rear_spread_full_m <= 0.0:
        return rear[0]
    near = (np.abs(y - rear[1]) < cfg.rear_patch_m) & (x < rear[0] + cfg.rear_patch_m)
    if np.count_nonzero(near) < 4 * cfg.rear_cell_min_points:
        return rear[0]
    xs, ys, zs = x[near], y[near], z[near]
    w = spread_weight(float(zs.std()), cfg.rear_spread_min_m, cfg.rear_spread_full_m)
    if w == 0.0:
        return rear[0]
    cell = cell_edges(
        np.zeros(xs.size, dtype=np.int64), -xs, ys - rear[1], zs, 1,
        cfg.rear_cell_m, cfg.rear_cell_min_points, cfg.rear_cell_quantile,
    )[0]
    if np.isnan(cell):
        return rear[0]
    return rear[0] + w * (-float(cell) - rear[0])
