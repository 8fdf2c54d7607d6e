"""Drawing primitives shared by the renderer: palette, the shapes that tell
pass from fail without colour (a check mark, a cross), arrows and the side view (its
ground and its body apart: the renderer keeps a drawn ground). The attract screen's
demonstration is in demo.py; cached text (Text) in textbox.py.

All coordinates are pixels on the 1280x720 canvas.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import pygame

from kiosk.app import raster
from kiosk.app.scene import Scene
from kiosk.palette import BG as BG  # re-exported: the app draws with shapes.*
from kiosk.palette import CUE as CUE
from kiosk.palette import DIM as DIM
from kiosk.palette import PANEL as PANEL
from kiosk.palette import TEXT as TEXT
from kiosk.palette import Color as Color

GREEN: Color = (46, 204, 113)
GREEN_DARK: Color = (18, 92, 52)
RED: Color = (255, 77, 77)
RED_DARK: Color = (120, 24, 24)
BODY: Color = (140, 190, 240)
WALL: Color = (235, 150, 40)
WOOD: Color = (222, 170, 100)
FLOOR: Color = (90, 98, 110)

ToPx = Callable[[float, float], tuple[int, int]]


def check_mark(surf: pygame.Surface, centre: tuple[int, int], size_px: int, color: Color) -> None:
    cx, cy, s = centre[0], centre[1], size_px / 100.0
    pts = [(-45, 0), (-30, -15), (-12, 5), (32, -40), (47, -25), (-12, 35)]
    pygame.draw.polygon(surf, color, [(cx + x * s, cy + y * s) for x, y in pts])


def cross(surf: pygame.Surface, centre: tuple[int, int], size_px: int, color: Color) -> None:
    cx, cy, s = centre[0], centre[1], size_px / 100.0
    arm = [(-12, -45), (12, -45), (12, 45), (-12, 45)]
    for angle in (45.0, -45.0):
        c, n = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        pts = [(cx + (x * c - y * n) * s, cy + (x * n + y * c) * s) for x, y in arm]
        pygame.draw.polygon(surf, color, pts)


def arrow(surf: pygame.Surface, centre: tuple[int, int], length_px: int, right: bool, color: Color) -> None:
    """A fat horizontal arrow pointing right (or left)."""
    d = 1 if right else -1
    cx, cy, h = centre[0], centre[1], length_px / 2
    shaft, head = length_px * 0.12, length_px * 0.28
    pts = [(-h, -shaft), (h - head, -shaft), (h - head, -2.2 * shaft), (h, 0.0),
           (h - head, 2.2 * shaft), (h - head, shaft), (-h, shaft)]
    pygame.draw.polygon(surf, color, [(cx + d * x, cy + y) for x, y in pts])


MARKER_NAMES = {"head": "head", "thoracic": "upper back", "sacrum": "lower back"}  # plain words
MARKER_CLEAR_PX = 24  # words keep this far from a dowel marker's centre (its ring's radius is 18)


@dataclass(frozen=True)
class SceneLabel:
    """Words to put in the side view: the renderer places each at the first of `at`
    ((pixel, anchor) candidates) that keeps it inside the view, clear of the others and of
    the `avoid` rectangles."""

    text: str
    size: int
    color: Color
    at: tuple[tuple[tuple[int, int], str], ...]
    avoid: tuple[pygame.Rect, ...] = ()


@dataclass(frozen=True)
class Ground:
    """What the side view draws under the body, as a value: its panel, floor, spot (None: not
    shown) and wall. Equal grounds draw equal pixels: the renderer keeps a drawn one."""

    rect: tuple[int, int, int, int]
    x_min_m: float
    x_max_m: float
    y_max_m: float
    mirror: bool
    spot_x_m: tuple[float, float] | None
    on_spot: bool
    wall_x_m: float | None
    wall_touch: bool

    @staticmethod
    def of(scene: Scene, rect: pygame.Rect, show_spot: bool) -> Ground:
        # on_spot/wall_touch only where drawn: a hidden one must not make a new ground
        return Ground((rect.x, rect.y, rect.width, rect.height), scene.x_min_m, scene.x_max_m,
                      scene.y_max_m, scene.mirror, scene.spot_x_m if show_spot else None,
                      scene.on_spot and show_spot, scene.wall_x_m,
                      scene.wall_touch and scene.wall_x_m is not None)


def view_px(g: Ground) -> tuple[ToPx, float]:
    """World metres to pixels for the view window in g.rect (the window fitted and centred,
    the floor 5 cm above the bottom), and the pixels per metre."""
    rect = pygame.Rect(g.rect)
    w_m, h_m = g.x_max_m - g.x_min_m, g.y_max_m + 0.05
    scale = min(rect.width / w_m, rect.height / h_m)
    ox = rect.x + (rect.width - w_m * scale) / 2
    oy = rect.bottom - 0.05 * scale

    def px(x_m: float, y_m: float) -> tuple[int, int]:
        u = (g.x_max_m - x_m) if g.mirror else (x_m - g.x_min_m)
        return round(ox + u * scale), round(oy - y_m * scale)

    return px, scale


def draw_ground(surf: pygame.Surface, g: Ground) -> None:
    """The side view's panel, floor, spot and wall, from `g` alone (drawn before draw_body)."""
    px, _ = view_px(g)
    rect = pygame.Rect(g.rect)
    pygame.draw.rect(surf, PANEL, rect, border_radius=12)
    floor_y = px(0.0, 0.0)[1]
    pygame.draw.line(surf, FLOOR, (rect.x + 8, floor_y), (rect.right - 8, floor_y), 4)
    if g.spot_x_m is not None:
        a, b = px(g.spot_x_m[0], 0.0), px(g.spot_x_m[1], 0.0)
        pad = pygame.Rect(min(a[0], b[0]), floor_y - 4, abs(b[0] - a[0]), 12)
        pygame.draw.rect(surf, GREEN if g.on_spot else CUE, pad)
    if g.wall_x_m is not None:
        _wall(surf, g, px)


def draw_body(surf: pygame.Surface, scene: Scene,
              rect: pygame.Rect) -> tuple[list[SceneLabel], list[pygame.Rect]]:
    """Over the ground: silhouette, dowel and markers; for the judged rep's bottom (scene.frozen)
    the fault marked: the hips' shortfall to the wall as a bracket, a back marker off the dowel
    joined to it in red. Returns the labels to place (a marker that lost contact is named beside
    it, the shortfall's length by its bracket) and rectangles holding every pixel drawn."""
    px, scale = view_px(Ground.of(scene, rect, False))
    drawn = [_silhouette(surf, scene, px, scale)]  # each shape's first draw bounds it
    if scene.dowel is not None:
        drawn.append(pygame.draw.line(surf, (60, 40, 20), px(*scene.dowel[0]), px(*scene.dowel[1]), 16))
        pygame.draw.line(surf, WOOD, px(*scene.dowel[0]), px(*scene.dowel[1]), 10)
    labels: list[SceneLabel] = []
    behind = scene.mirror  # world -x (the back) is on the screen's left unless mirrored
    r = MARKER_CLEAR_PX
    marks = tuple(pygame.Rect(px(*m.xy_m), (0, 0)).inflate(2 * r + 1, 2 * r + 1) for m in scene.markers)
    for m in scene.markers:
        c = px(*m.xy_m)
        if m.ok:  # contact: a filled green disc
            drawn.append(pygame.draw.circle(surf, GREEN, c, 15))
            pygame.draw.circle(surf, TEXT, c, 15, 3)
            continue
        if scene.frozen and scene.dowel is not None:  # the gap itself, marker to dowel
            drawn.append(pygame.draw.line(surf, RED, c, px(*_foot(m.xy_m, scene.dowel)), 8))
        drawn.append(pygame.draw.circle(surf, RED, c, 18, 5))
        cross(surf, c, 26, RED)
        d = 1 if behind else -1  # towards the back's side first, then the other
        near, far = ("left", "right") if d > 0 else ("right", "left")
        labels.append(SceneLabel(MARKER_NAMES.get(m.name, m.name), 44, RED, (
            ((c[0] + 24 * d, c[1] - 30), f"bottom{near}"), ((c[0] + 24 * d, c[1] + 30), f"top{near}"),
            ((c[0] - 24 * d, c[1] - 30), f"bottom{far}"), ((c[0] - 24 * d, c[1] + 30), f"top{far}"),
            ((c[0], c[1] - 36), "midbottom"), ((c[0], c[1] + 36), "midtop"))))
    if scene.miss is not None and scene.wall_x_m is not None:
        labels.append(_miss(surf, scene, px, marks, drawn))
    return labels, drawn


Seg = tuple[tuple[float, float], tuple[float, float]]


def _foot(p: tuple[float, float], seg: Seg) -> tuple[float, float]:
    """The point of the segment's line nearest p (where a gap meets the dowel)."""
    (ax, ay), (bx, by) = seg
    vx, vy = bx - ax, by - ay
    n = vx * vx + vy * vy
    t = ((p[0] - ax) * vx + (p[1] - ay) * vy) / n if n > 0 else 0.0
    return ax + t * vx, ay + t * vy


def _miss(surf: pygame.Surface, scene: Scene, px: ToPx, marks: tuple[pygame.Rect, ...],
          drawn: list[pygame.Rect]) -> SceneLabel:
    """The hips' shortfall: a bracket from the buttocks to the wall at hip height; its length over
    it or, clear of the markers (the sacrum's is just above the hips), on the wall's side."""
    assert scene.miss is not None and scene.wall_x_m is not None
    (bx, by), label = scene.miss
    a, b = px(bx, by), px(scene.wall_x_m, by)
    drawn.append(pygame.draw.line(surf, CUE, a, b, 6))
    for x in (a[0], b[0]):
        drawn.append(pygame.draw.line(surf, CUE, (x, a[1] - 22), (x, a[1] + 22), 6))
    mid = ((a[0] + b[0]) // 2, a[1])
    out = -1 if b[0] < a[0] or (b[0] == a[0] and not scene.mirror) else 1  # from the wall away from the body
    side = "right" if out < 0 else "left"
    wall_x = b[0] + 16 * out  # clear of the wall's 8 px line
    return SceneLabel(label, 48, CUE, (
        ((mid[0], mid[1] - 28), "midbottom"), ((wall_x, mid[1]), f"mid{side}"),
        ((wall_x, mid[1] - 28), f"bottom{side}"), ((a[0], mid[1] - 28), f"bottom{side}"),
        ((wall_x, mid[1] + 28), f"top{side}"), ((mid[0], mid[1] + 28), "midtop")), avoid=marks)


def _wall(surf: pygame.Surface, g: Ground, px: ToPx) -> None:
    assert g.wall_x_m is not None
    front = px(g.wall_x_m, 0.0)[0]
    back_edge = g.rect[0] if not g.mirror else g.rect[0] + g.rect[2]
    x0, x1 = sorted((front, back_edge))
    top = px(0.0, 1.7)[1]
    floor_y = px(0.0, 0.0)[1]
    color = GREEN if g.wall_touch else WALL
    slab = pygame.Surface((max(1, x1 - x0), floor_y - top), pygame.SRCALPHA)
    slab.fill((*color, 60))
    for k in range(-slab.get_height(), slab.get_width(), 28):  # hatching: reads as a solid wall
        pygame.draw.line(slab, (*color, 110), (k, slab.get_height()), (k + slab.get_height(), 0), 3)
    surf.blit(slab, (x0, top))
    pygame.draw.line(surf, color, (front, top), (front, floor_y), 8)


def _silhouette(surf: pygame.Surface, scene: Scene, px: ToPx, scale: float) -> pygame.Rect:
    """The body's points on a 1.5 cm grid, pinholes closed, scaled up (raster.py)."""
    body = raster.body_cells(scene.body_xy_m, scene.x_min_m, scene.x_max_m, scene.y_max_m, scene.mirror)
    if body is None:
        return pygame.Rect(0, 0, 0, 0)
    grid = raster.grid_size(scene.x_min_m, scene.x_max_m, scene.y_max_m)
    size = (round(grid[0] * raster.CELL_M * scale), round(grid[1] * raster.CELL_M * scale))
    at = px(scene.x_max_m if scene.mirror else scene.x_min_m, scene.y_max_m)
    return raster.draw_cells(surf, *body, grid, at, size, BODY)
