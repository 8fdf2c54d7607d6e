"""Per-frame metrics from landmarks (docs/measurement.md, 'Metrics').

Pure functions on sagittal points (x, y), world metres; angles out in degrees, gaps in mm.
"""

from __future__ import annotations

import math

import numpy as np

from kiosk.core.profile import F64
from kiosk.core.types import DowelGaps, Point2


def angle_between_deg(u: Point2, v: Point2) -> float:
    """Unsigned angle between two direction vectors, degrees."""
    cross = u[0] * v[1] - u[1] * v[0]
    dot = u[0] * v[0] + u[1] * v[1]
    return abs(math.degrees(math.atan2(cross, dot)))


def knee_flexion_deg(shank_dir: Point2, thigh_dir: Point2) -> float:
    """180 - hip-knee-ankle angle = angle between the shank and thigh directions (both
    pointing up the leg); 0 = straight leg."""
    return angle_between_deg(shank_dir, thigh_dir)


def trunk_angle_deg(trunk_axis: Point2) -> float:
    """Angle of the hip -> shoulder line from vertical: 0 upright, 90 horizontal."""
    return angle_between_deg(trunk_axis, (0.0, 1.0))


def trunk_lean_deg(trunk_axis: Point2) -> float:
    """trunk_angle_deg with a sign: + toward the athlete's forward (world +x), - leaning
    back. The rep machine and the upright gates read it: a trunk read a few degrees
    behind vertical (the shoulder model is a few centimetres off on some bodies) is
    upright, never the start of a hinge."""
    return math.degrees(math.atan2(trunk_axis[0], trunk_axis[1]))


_PAIRS: tuple[tuple[str, str, str], ...] = (
    ("head", "thoracic", "sacrum"),
    ("head", "sacrum", "thoracic"),
    ("thoracic", "sacrum", "head"),
)


def dowel_gaps(head: Point2, thoracic: Point2, sacrum: Point2, dorsal: Point2) -> DowelGaps:
    """Gaps to the virtual dowel: of the three lines through two landmarks, the one with
    the third on its anterior side (or on it); each gap is the perpendicular distance.
    `dorsal`: unit vector out of the back (orients 'anterior').

    When the back is convex between the landmarks (the apex behind the head-sacrum line),
    two lines qualify; the dowel is the one nearer the back, i.e. with the smaller gap at
    the free landmark (the simulator's truth uses the same tie-break); exact ties go to
    the head-thoracic line, so a rounded back shows its gap at the sacrum."""
    pts = {"head": head, "thoracic": thoracic, "sacrum": sacrum}
    best: tuple[float, float, tuple[str, str], str] | None = None
    for p_name, q_name, r_name in _PAIRS:
        p, q, r = pts[p_name], pts[q_name], pts[r_name]
        d = (q[0] - p[0], q[1] - p[1])
        length = math.hypot(*d)
        if length < 1e-6:
            continue
        nrm = (-d[1] / length, d[0] / length)
        if nrm[0] * dorsal[0] + nrm[1] * dorsal[1] < 0:
            nrm = (-nrm[0], -nrm[1])
        signed = (r[0] - p[0]) * nrm[0] + (r[1] - p[1]) * nrm[1]  # + = dorsal of the line
        if signed > 1e-4:
            continue
        if best is None or -signed < best[0] - 1e-9:
            best = (-signed, -signed, (p_name, q_name), r_name)
    gaps = {name: 0.0 for name in pts}
    resting: tuple[str, str] = ("head", "thoracic")
    if best is not None:  # None only for coincident landmarks: all gaps 0
        gaps[best[3]] = best[1] * 1000.0
        resting = best[2]
    return DowelGaps(
        head_mm=gaps["head"], thoracic_mm=gaps["thoracic"], sacrum_mm=gaps["sacrum"], resting_on=resting
    )


def com_over_foot(com_x_m: float, heel_x_m: float, toe_x_m: float) -> float | None:
    """Silhouette centroid's x between heel (0) and toe (1); None for a degenerate foot."""
    foot = toe_x_m - heel_x_m
    if foot < 0.05:
        return None
    return (com_x_m - heel_x_m) / foot


def silhouette_centroid_x(x: F64, y: F64, cell_m: float = 0.02) -> float:
    """x of the centroid of the sagittal silhouette: the occupied (x, y) cells, each
    counted once, so point density (near vs far, facing vs grazing) does not weigh."""
    ix = np.floor(x / cell_m).astype(np.int64)
    iy = np.floor(y / cell_m).astype(np.int64)
    key = np.unique((ix - ix.min()) * (int(iy.max() - iy.min()) + 1) + (iy - iy.min()))
    cols = key // (int(iy.max() - iy.min()) + 1) + ix.min()
    return float((cols.mean() + 0.5) * cell_m)


# Winter's segment masses (fraction of body mass) and centre-of-mass positions (fraction
# of the segment from its distal joint): feet, shanks, thighs (both sides), trunk
# (hip joint -> shoulder joint), head and neck, arms (both, hanging from the shoulders).
_FOOT, _SHANK, _THIGH, _TRUNK, _HEAD, _ARMS = 0.029, 0.093, 0.200, 0.497, 0.081, 0.100
_SHANK_COM, _THIGH_COM, _TRUNK_COM = 0.567, 0.567, 0.5


def segment_com_x(
    heel_x_m: float,
    foot_m: float,
    ankle: Point2,
    knee: Point2,
    hip: Point2,
    shoulder: Point2,
    head: Point2,
    arm_x_m: float,
) -> float:
    """x of the body's centre of mass from the joint estimates and Winter's segment table
    (metres): the silhouette's centroid weighs the thin legs like the trunk and reads 0.1-0.2
    of the foot short of the true centre of mass. arm_x_m: the hanging arms' centre."""
    parts = (
        (_FOOT, heel_x_m + 0.44 * foot_m),
        (_SHANK, ankle[0] + _SHANK_COM * (knee[0] - ankle[0])),
        (_THIGH, knee[0] + _THIGH_COM * (hip[0] - knee[0])),
        (_TRUNK, hip[0] + _TRUNK_COM * (shoulder[0] - hip[0])),
        (_HEAD, head[0]),
        (_ARMS, arm_x_m),
    )
    return sum(m * x for m, x in parts) / sum(m for m, _ in parts)
