"""Per-frame ground truth of the simulated athlete, from its exact geometry.

Every quantity follows docs/measurement.md and is computed from the posed mesh and the
skeleton (SimBody.landmarks), never estimated, for either body family. Sagittal
quantities use the x-y projection.

Dowel tie-break (the doc leaves it open): when the thoracic apex lies behind the
head-sacrum line, two lines (head-thoracic, thoracic-sacrum) have the third landmark on
their anterior side; the dowel is the one nearer the back, i.e. with the smaller gap
at the free landmark. A rounded back (the apex far behind) therefore rests the dowel on
the head and the apex and shows the gap at the sacrum, as the doc describes. A dropped
head also yields a convex triple; the smaller gap is then at the sacrum too (the head
leaves the line by more), so the head faults are told apart by neck_flexion_deg, and
back_rounded by spinal flexion (docs/measurement.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from hardware.sim.bodies import BodyLike, as_body
from hardware.sim.landmarks import BodyLandmarks, trunk_axis
from hardware.sim.skeleton import Pose

FloatArray = npt.NDArray[np.float64]
DOWEL_POINTS: tuple[str, ...] = ("head", "thoracic", "sacrum")


@dataclass(frozen=True)
class FrameTruth:
    """Ground truth of one frame (metres, degrees; None when nobody is in view).

    hip_to_wall_mm: buttocks x minus wall x (None without a wall); negative = through it.
    knee_flexion_deg: 180 - hip-knee-ankle angle, mean of both legs (equal when standing).
    dowel_gaps_mm: perpendicular gap of head/thoracic/sacrum to the dowel (two are 0);
    dowel_support: the two landmarks it rests on. spinal_flexion_deg: upper thorax against
    pelvis beyond neutral. com_over_foot: 0 heel, 1 toe. heel/toe/knee/buttocks x: world x.
    """

    person_present: bool
    hip_to_wall_mm: float | None = None
    knee_flexion_deg: float | None = None
    trunk_angle_deg: float | None = None
    dowel_gaps_mm: dict[str, float] | None = None
    dowel_support: tuple[str, str] | None = None
    neck_flexion_deg: float | None = None
    spinal_flexion_deg: float | None = None
    com_over_foot: float | None = None
    heel_x_m: float | None = None
    toe_x_m: float | None = None
    knee_x_m: float | None = None
    buttocks_x_m: float | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict, millimetres and degrees (the edge units)."""

        def mm(x: float | None) -> float | None:
            return None if x is None else round(x * 1000.0, 3)

        def r(x: float | None) -> float | None:
            return None if x is None else round(x, 4)

        return {
            "person": self.person_present,
            "hip_to_wall_mm": r(self.hip_to_wall_mm),
            "knee_flexion_deg": r(self.knee_flexion_deg),
            "trunk_angle_deg": r(self.trunk_angle_deg),
            "dowel_gaps_mm": None if self.dowel_gaps_mm is None
            else {k: round(v, 3) for k, v in self.dowel_gaps_mm.items()},
            "dowel_support": None if self.dowel_support is None else list(self.dowel_support),
            "neck_flexion_deg": r(self.neck_flexion_deg),
            "spinal_flexion_deg": r(self.spinal_flexion_deg),
            "com_over_foot": r(self.com_over_foot),
            "heel_x_mm": mm(self.heel_x_m),
            "toe_x_mm": mm(self.toe_x_m),
            "knee_x_mm": mm(self.knee_x_m),
            "buttocks_x_mm": mm(self.buttocks_x_m),
        }


def lean_deg(v: FloatArray) -> float:
    """Lean of a sagittal vector from vertical, degrees (+ = top towards +x)."""
    return math.degrees(math.atan2(float(v[0]), float(v[1])))


def knee_flexion_deg(hip: FloatArray, knee: FloatArray, ankle: FloatArray) -> float:
    """180 minus the hip-knee-ankle angle in the sagittal projection (unsigned)."""
    a, b = hip[:2] - knee[:2], ankle[:2] - knee[:2]
    cos = float(a @ b) / float(np.linalg.norm(a) * np.linalg.norm(b))
    return 180.0 - math.degrees(math.acos(max(-1.0, min(1.0, cos))))


def dowel(points: dict[str, FloatArray], anterior: FloatArray) -> tuple[tuple[str, str], dict[str, float]]:
    """The dowel resting on three sagittal back points (metres): the line through two of
    them with the third on its anterior side; ties go to the smaller gap (module doc).
    Returns the supporting pair and each point's gap in millimetres."""
    best: tuple[float, tuple[str, str], str] | None = None
    fallback: tuple[float, tuple[str, str], str] | None = None
    triples = (("head", "thoracic", "sacrum"), ("head", "sacrum", "thoracic"), ("thoracic", "sacrum", "head"))
    for i, j, k in triples:
        p, q, r = points[i][:2], points[j][:2], points[k][:2]
        d = (q - p) / np.linalg.norm(q - p)
        m = np.array([-d[1], d[0]])
        if m @ anterior < 0:
            m = -m
        gap = float((r - p) @ m)
        cand = (gap, (i, j), k)
        if gap >= -1e-9 and (best is None or gap < best[0]):
            best = cand
        if fallback is None or gap > fallback[0]:
            fallback = cand
    chosen = best if best is not None else fallback  # never None: three lines were tried
    assert chosen is not None
    gap, pair, third = chosen
    gaps = {name: 0.0 for name in DOWEL_POINTS}
    gaps[third] = max(gap, 0.0) * 1000.0
    return pair, gaps


def frame_truth(athlete: BodyLike, pose: Pose | None, wall_x_m: float | None) -> FrameTruth:
    """Ground truth of the body (an Athlete or any SimBody) in `pose` (None = nobody in
    view) with the virtual wall at x = wall_x_m (None = no wall drill)."""
    if pose is None:
        return FrameTruth(person_present=False)
    body = as_body(athlete)
    lm: BodyLandmarks = body.landmarks(pose)
    hip, sh = np.asarray(lm.hip_joint), np.asarray(lm.shoulder)
    _, n = trunk_axis(hip, sh)
    pair, gaps = dowel({name: np.asarray(getattr(lm, name)) for name in DOWEL_POINTS}, -n)
    j = body.leg_joints(pose)
    knees = [knee_flexion_deg(j[f"hip_{s}"], j[f"knee_{s}"], j[f"ankle_{s}"]) for s in "lr"]
    spinal = body.spinal_flexion_deg(pose)
    heel_x, toe_x = lm.heel[0], lm.toe[0]
    return FrameTruth(
        person_present=True,
        hip_to_wall_mm=None if wall_x_m is None else (lm.buttocks[0] - wall_x_m) * 1000.0,
        knee_flexion_deg=float(np.mean(knees)),
        trunk_angle_deg=lean_deg(sh - hip),
        dowel_gaps_mm=gaps,
        dowel_support=pair,
        neck_flexion_deg=lean_deg(np.asarray(lm.head_top) - np.asarray(lm.neck_base)) - lean_deg(sh - hip),
        spinal_flexion_deg=spinal,
        com_over_foot=(lm.com[0] - heel_x) / (toe_x - heel_x),
        heel_x_m=heel_x,
        toe_x_m=toe_x,
        knee_x_m=lm.knee[0],
        buttocks_x_m=lm.buttocks[0],
    )
