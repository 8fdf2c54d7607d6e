"""The report's side view: the stored best-rep silhouette with the virtual wall and dowel.

The database keeps only the athlete's points at the rep's deepest frame (silhouette.py: a
grayscale raster, `mm_per_px` per cell, floor on the bottom row, athlete facing +x = right)
and the rep's `min_hip_to_wall_mm`; the wall and dowel are reconstructed from them:

- Buttocks: the rearmost (leftmost) occupied cell at least 0.3 m above the floor, as the
  kiosk measures hip-to-wall (DESIGN.md). Its cell's rear edge is the buttocks' x, so the
  drawing is within one cell (10 mm at the default resolution) of the measurement.
- Wall: a vertical line `min_hip_to_wall_mm` behind the buttocks (in front of them when the
  value is negative: the hips went through the wall). This uses the rep's closest approach,
  which is the deepest frame the silhouette was taken at, so the two agree.
- Dowel: not stored. Drawn as the straight edge resting on the back: the back's contour
  (the rearmost cell of each row and the top cell of each column between 0.25 and 0.9 of
  the body's height) is wrapped in its convex hull, and the longest hull edge facing up and
  back is the dowel, extended over the contour points within 60 mm of it (sacrum to head).
  An approximation of the kiosk's live dowel (kiosk/core/back.py), which fits landmarks
  rather than the hull: a rounded back shows as a gap under this line at the lumbar spine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pygame

from kiosk.app.shapes import WALL, WOOD, Text
from kiosk.results.report_draw import INK, MUTED, RULE, STRIPE

HIP_MIN_M = 0.30
BAND = (0.25, 0.9)
NEAR_DOWEL_MM = 60.0
Px = tuple[float, float]  # (column, row) in silhouette pixels, rows down from the top


@dataclass(frozen=True)
class SideGeometry:
    buttocks_px: Px | None
    wall_col: float | None
    dowel_px: tuple[Px, Px] | None


def _hull(pts: npt.NDArray[np.float64]) -> list[tuple[float, float]]:
    """Convex hull, counter-clockwise (Andrew's monotone chain), of (N, 2) points, y up."""
    p = sorted({(float(a), float(b)) for a, b in pts})
    if len(p) < 3:
        return p

    def turn(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[tuple[float, float]] = []
    upper: list[tuple[float, float]] = []
    for q in p:
        while len(lower) >= 2 and turn(lower[-2], lower[-1], q) <= 0:
            lower.pop()
        lower.append(q)
    for q in reversed(p):
        while len(upper) >= 2 and turn(upper[-2], upper[-1], q) <= 0:
            upper.pop()
        upper.append(q)
    return lower[:-1] + upper[:-1]


def _dowel(occ: npt.NDArray[np.bool_], mm_per_px: float) -> tuple[Px, Px] | None:
    h = occ.shape[0]
    rows = np.flatnonzero(occ.any(axis=1))
    if len(rows) == 0:
        return None
    height = h - rows[0]
    lo, hi = h - BAND[1] * height, h - BAND[0] * height  # row limits (rows grow downwards)
    pts = [(float(np.argmax(occ[r])), float(h - r - 0.5)) for r in range(h) if lo <= r <= hi and occ[r].any()]
    for c in np.flatnonzero(occ.any(axis=0)):
        top = int(np.argmax(occ[:, c]))
        if lo <= top <= hi:
            pts.append((c + 0.5, float(h - top)))
    if len(pts) < 3:
        return None
    arr = np.array(pts)  # x right, y up, in pixels
    hull = _hull(arr)
    best, best_len = None, 0.0
    for a, b in zip(hull, hull[1:] + hull[:1], strict=True):
        dx, dy = b[0] - a[0], b[1] - a[1]
        nx, ny = dy, -dx  # outward normal of a counter-clockwise hull
        if nx <= 0 and ny >= 0 and math.hypot(dx, dy) > best_len:
            best, best_len = (a, b), math.hypot(dx, dy)
    if best is None:
        return None
    start = np.array(best[0])
    d = (np.array(best[1]) - start) / best_len
    rel = arr - start
    near = np.abs(rel[:, 0] * d[1] - rel[:, 1] * d[0]) <= NEAR_DOWEL_MM / mm_per_px
    t = rel[near] @ d
    t0, t1 = float(t.min()), float(t.max())
    p0, p1 = start + d * t0, start + d * t1
    return (float(p0[0]), float(h - p0[1])), (float(p1[0]), float(h - p1[1]))


def side_geometry(gray: npt.NDArray[np.uint8], mm_per_px: float,
                  hip_to_wall_mm: float | None) -> SideGeometry:
    """Buttocks, wall column and dowel of a decoded silhouette (module docstring)."""
    occ = gray > 0
    h = occ.shape[0]
    last_hip_row = h - 1 - math.ceil(HIP_MIN_M * 1000.0 / mm_per_px)
    hips = occ[: max(0, last_hip_row + 1)]
    buttocks: Px | None = None
    if hips.any():
        col = int(np.flatnonzero(hips.any(axis=0))[0])
        rows = np.flatnonzero(hips[:, col])
        buttocks = (float(col), float(rows[len(rows) // 2]) + 0.5)
    wall = None
    if buttocks is not None and hip_to_wall_mm is not None and math.isfinite(hip_to_wall_mm):
        wall = buttocks[0] - hip_to_wall_mm / mm_per_px
    return SideGeometry(buttocks, wall, _dowel(occ, mm_per_px))


def layout(rect: pygame.Rect, width_px: int, height_px: int,
           wall_col: float | None) -> tuple[float, float, float]:
    """(scale, x0, y0): silhouette pixel (col, row) -> page (x0 + col * scale, y0 + row * scale).
    Leaves room behind the athlete for the wall and puts the floor near the panel's bottom."""
    left = min(-8.0, (wall_col if wall_col is not None else 0.0) - 14.0)
    span_x, span_y = width_px - left + 4.0, height_px + 12.0
    scale = min((rect.width - 24) / span_x, (rect.height - 60) / span_y)
    x0 = rect.x + 12 + (rect.width - 24 - span_x * scale) / 2 - left * scale
    y0 = rect.bottom - 44 - height_px * scale
    return scale, x0, y0


def body_surface(gray: npt.NDArray[np.uint8]) -> pygame.Surface:
    """The silhouette in blues (nearer the camera lighter), empty cells transparent."""
    shade = gray.astype(np.float64)[..., None] / 255.0
    rgb = np.round(np.array([40, 80, 140]) + shade * np.array([100, 110, 100])).astype(np.uint8)
    rgb[gray == 0] = (255, 0, 255)
    img = pygame.surfarray.make_surface(np.ascontiguousarray(rgb.transpose(1, 0, 2)))
    img.set_colorkey((255, 0, 255))
    return img


def draw_side_view(surf: pygame.Surface, text: Text, rect: pygame.Rect, gray: npt.NDArray[np.uint8],
                   mm_per_px: float, geo: SideGeometry, hip_to_wall_mm: float | None) -> None:
    """Panel: floor, wall (hatched behind its line), silhouette, dowel, hips-to-wall gap."""
    pygame.draw.rect(surf, STRIPE, rect, border_radius=10)
    h, w = gray.shape
    scale, x0, y0 = layout(rect, w, h, geo.wall_col)

    def px(c: float, r: float) -> tuple[int, int]:
        return round(x0 + c * scale), round(y0 + r * scale)

    floor_y = px(0, h)[1]
    if geo.wall_col is not None:
        wx = px(geo.wall_col, 0)[0]
        top = px(0, max(0.0, h - 1700.0 / mm_per_px))[1]
        slab = pygame.Surface((max(1, wx - rect.x - 4), floor_y - top), pygame.SRCALPHA)
        for k in range(-slab.get_height(), slab.get_width(), 22):
            pygame.draw.line(slab, (*WALL, 90), (k, slab.get_height()), (k + slab.get_height(), 0), 3)
        surf.blit(slab, (rect.x + 4, top))
        pygame.draw.line(surf, WALL, (wx, top), (wx, floor_y), 6)
        text.draw(surf, "wall", 28, INK, (wx - 8, top + 4), "topright")
    pygame.draw.line(surf, RULE, (rect.x + 8, floor_y), (rect.right - 8, floor_y), 4)
    surf.blit(pygame.transform.scale(body_surface(gray), (round(w * scale), round(h * scale))), px(0, 0))
    if geo.dowel_px is not None:
        a, b = px(*geo.dowel_px[0]), px(*geo.dowel_px[1])
        pygame.draw.line(surf, (70, 45, 20), a, b, 12)
        pygame.draw.line(surf, WOOD, a, b, 7)
        mid = ((a[0] + b[0]) // 2 - 14, (a[1] + b[1]) // 2 - 14)  # above and behind the back
        text.draw(surf, "dowel", 28, INK, mid, "bottomright")
    if geo.buttocks_px is not None and geo.wall_col is not None and hip_to_wall_mm is not None:
        bx, by = px(*geo.buttocks_px)
        wx = px(geo.wall_col, 0)[0]
        pygame.draw.line(surf, INK, (min(bx, wx), by), (max(bx, wx), by), 2)
        pygame.draw.circle(surf, INK, (bx, by), 6)
        words = (f"hips {hip_to_wall_mm:.0f} mm short of the wall" if hip_to_wall_mm >= 0
                 else f"hips {-hip_to_wall_mm:.0f} mm past the wall")
        text.draw(surf, words + " (dot: buttocks)", 26, INK, (rect.x + 14, rect.bottom - 18), "midleft")
    bar = round(500.0 / mm_per_px * scale)  # a 50 cm scale bar
    bx0, by0 = rect.right - 24 - bar, rect.y + 44  # top right: clear of the floor and captions
    pygame.draw.line(surf, MUTED, (bx0, by0), (bx0 + bar, by0), 3)
    for x in (bx0, bx0 + bar):
        pygame.draw.line(surf, MUTED, (x, by0 - 7), (x, by0), 3)
    text.draw(surf, "50 cm", 24, MUTED, (bx0 + bar // 2, by0 - 6), "midbottom")
