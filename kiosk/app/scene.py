"""The side view: the athlete's silhouette, the floor spot, the virtual wall and the virtual
dowel with its three contact markers, as plain values in world metres (x, y) for render.py.

The view window is fixed around the station (it does not follow the athlete) so the
wall and the body keep their place on screen; `mirror` puts world +x (the athlete's
forward) on the screen's left when the camera sees the athlete facing left.

`frozen`: the picture is the bottom of the rep just judged (the deepest frame, or the one
where the back left the dowel), held while its verdict shows, with the fault marked: the
hips' shortfall to the wall as a bracket and its length, the back markers over their limit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kiosk.app.observe import XY, Observation
from kiosk.core import Landmarks

WINDOW_HALF_X_M = 1.3  # about the station: a hinge reaches ~1 m forward, ~0.5 m back
WINDOW_TOP_M = 2.25
SPOT_HALF_X_M = 0.2
DOWEL_OVERHANG_M = 0.12  # the dowel sticks out past the head and the sacrum


@dataclass(frozen=True)
class Marker:
    """A dowel contact: name "head" | "thoracic" | "sacrum", position, gap and in contact."""

    name: str
    xy_m: tuple[float, float]
    gap_mm: float
    ok: bool


@dataclass(frozen=True, eq=False)
class Scene:
    body_xy_m: XY
    x_min_m: float
    x_max_m: float
    y_max_m: float
    mirror: bool
    spot_x_m: tuple[float, float]
    wall_x_m: float | None = None
    wall_touch: bool = False
    dowel: tuple[tuple[float, float], tuple[float, float]] | None = None
    markers: tuple[Marker, ...] = ()
    on_spot: bool = False
    frozen: bool = False  # the judged rep's bottom, not the live view
    # The hips' miss: (buttocks (x, y), its label, e.g. "6 cm short"); drawn to the wall.
    miss: tuple[tuple[float, float], str] | None = None


def build_scene(obs: Observation, station_x_m: float, mirror: bool, gap_limit_head_mm: float,
                gap_limit_back_mm: float, show_wall: bool,
                show_dowel: bool = True, frozen: bool = False, miss_label: str = "") -> Scene:
    d = obs.drill
    wall_x = obs.wall_x_m if show_wall else None
    touch = wall_x is not None and d.touching_wall
    dowel: tuple[tuple[float, float], tuple[float, float]] | None = None
    markers: tuple[Marker, ...] = ()
    if show_dowel and obs.landmarks is not None and d.dowel_gaps is not None:
        dowel, markers = _dowel(obs.landmarks, d.dowel_gaps.head_mm, d.dowel_gaps.thoracic_mm,
                                d.dowel_gaps.sacrum_mm, d.dowel_gaps.resting_on,
                                gap_limit_head_mm, gap_limit_back_mm)
    miss = None
    if miss_label and wall_x is not None and not touch and obs.landmarks is not None:
        b = obs.landmarks.buttocks
        miss = ((float(b[0]), float(b[1])), miss_label)
    return Scene(body_xy_m=obs.body_xy_m, x_min_m=station_x_m - WINDOW_HALF_X_M,
                 x_max_m=station_x_m + WINDOW_HALF_X_M, y_max_m=WINDOW_TOP_M, mirror=mirror,
                 spot_x_m=(station_x_m - SPOT_HALF_X_M, station_x_m + SPOT_HALF_X_M), wall_x_m=wall_x,
                 wall_touch=touch, dowel=dowel, markers=markers, on_spot=obs.on_spot, frozen=frozen,
                 miss=miss)


def _dowel(lm: Landmarks, head_mm: float, thoracic_mm: float, sacrum_mm: float,
           resting_on: tuple[str, str], limit_head_mm: float, limit_back_mm: float,
           ) -> tuple[tuple[tuple[float, float], tuple[float, float]] | None, tuple[Marker, ...]]:
    """The dowel as a segment resting on the two landmarks the core says it rests on,
    spanning all three plus an overhang; markers green (ok) or red by the gap limits."""
    pts = {"head": lm.head, "thoracic": lm.thoracic, "sacrum": lm.sacrum}
    if any(p is None for p in pts.values()):
        return None, ()
    gaps = {"head": head_mm, "thoracic": thoracic_mm, "sacrum": sacrum_mm}
    limits = {"head": limit_head_mm, "thoracic": limit_back_mm, "sacrum": limit_back_mm}
    markers = tuple(Marker(name, (float(p[0]), float(p[1])), gaps[name], gaps[name] <= limits[name])
                    for name, p in pts.items() if p is not None)
    a_name, b_name = resting_on
    a, b = pts.get(a_name), pts.get(b_name)
    if a is None or b is None:
        return None, markers
    pa, pb = np.array(a, dtype=np.float64), np.array(b, dtype=np.float64)
    length = float(np.linalg.norm(pb - pa))
    if length < 1e-6:
        return None, markers
    u = (pb - pa) / length
    along = [float(np.dot(np.array(p, dtype=np.float64) - pa, u)) for p in pts.values() if p is not None]
    lo, hi = min(along) - DOWEL_OVERHANG_M, max(along) + DOWEL_OVERHANG_M
    p0, p1 = pa + lo * u, pa + hi * u
    return ((float(p0[0]), float(p0[1])), (float(p1[0]), float(p1[1]))), markers
