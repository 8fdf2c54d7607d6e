"""The attract screen's demonstration: a stick figure hinging back to a wall with a dowel on
its back, on a 4 s loop (shows a passer-by the movement before they step in). Moved out of
shapes.py as it was; coordinates are pixels on the 1280x720 canvas.
"""

from __future__ import annotations

import math

import pygame

from kiosk.app.shapes import BODY, FLOOR, GREEN, WALL, WOOD

# --- the attract screen's demonstration: a stick figure hinging to a wall, dowel on its back ---
# Figure geometry in metres, forward +x (drawn mirrored when the station faces left).

DEMO_PERIOD_S = 4.0
SHANK_M, THIGH_M, TRUNK_M, NECK_M = 0.45, 0.45, 0.55, 0.22
DEMO_WALL_X_M = -0.42


def _add(p: tuple[float, float], length_m: float, angle_deg: float) -> tuple[float, float]:
    """p plus a segment of length_m at angle_deg from vertical (+ = leaning forward)."""
    a = math.radians(angle_deg)
    return p[0] + length_m * math.sin(a), p[1] + length_m * math.cos(a)


def pose_at(t_s: float) -> tuple[dict[str, tuple[float, float]], float, float]:
    """Joint positions of the demo at time t_s (standing, hinging to ~70 deg and back),
    the trunk angle (deg) and the hinge depth (0 standing, 1 at the bottom)."""
    depth = 0.5 - 0.5 * math.cos(2 * math.pi * (t_s % DEMO_PERIOD_S) / DEMO_PERIOD_S)
    trunk_deg, knee_deg = 70.0 * depth, 18.0 * depth
    ankle = (0.0, 0.08)
    knee = _add(ankle, SHANK_M, 0.5 * knee_deg)
    hip = _add(knee, THIGH_M, -0.5 * knee_deg - 0.25 * trunk_deg)
    shoulder = _add(hip, TRUNK_M, trunk_deg)
    head = _add(shoulder, NECK_M * 0.6, trunk_deg)
    joints = {"heel": (-0.06, 0.0), "toe": (0.2, 0.0), "ankle": ankle, "knee": knee, "hip": hip,
              "shoulder": shoulder, "head": head}
    return joints, trunk_deg, depth


def draw_demo(surf: pygame.Surface, rect: pygame.Rect, t_s: float, mirror: bool = False) -> None:
    scale = rect.height / 2.1
    base_x = rect.centerx + (0.12 if not mirror else -0.12) * scale
    floor_y = rect.bottom - 40

    def px(p: tuple[float, float]) -> tuple[int, int]:
        x = -p[0] if mirror else p[0]
        return round(base_x + x * scale), round(floor_y - p[1] * scale)

    j, trunk_deg, depth = pose_at(t_s)
    pygame.draw.line(surf, FLOOR, (rect.x + 20, floor_y), (rect.right - 20, floor_y), 4)
    touch = depth > 0.93
    wall_px = px((DEMO_WALL_X_M, 0.0))[0]
    pygame.draw.line(surf, GREEN if touch else WALL, (wall_px, floor_y), (wall_px, px((0, 1.5))[1]), 10)
    for j0, j1 in (("toe", "heel"), ("ankle", "knee"), ("knee", "hip"), ("hip", "shoulder")):
        pygame.draw.line(surf, BODY, px(j[j0]), px(j[j1]), 18)
    pygame.draw.line(surf, BODY, px(j["heel"]), px(j["ankle"]), 18)
    pygame.draw.circle(surf, BODY, px(j["head"]), round(0.11 * scale))
    # The dowel: along the back, from behind the head to below the hips.
    tr = math.radians(trunk_deg)
    back = (-math.cos(tr) * 0.09, math.sin(tr) * 0.09)
    axis = (math.sin(tr), math.cos(tr))
    lo = (j["hip"][0] + back[0] - 0.12 * axis[0], j["hip"][1] + back[1] - 0.12 * axis[1])
    hi = (j["head"][0] + back[0] + 0.08 * axis[0], j["head"][1] + back[1] + 0.08 * axis[1])
    pygame.draw.line(surf, WOOD, px(lo), px(hi), 10)
    for p in (j["hip"], j["shoulder"], j["head"]):
        pygame.draw.circle(surf, GREEN, px((p[0] + back[0], p[1] + back[1])), 11)
