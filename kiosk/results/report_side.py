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

`draw_side_view` draws them with matplotlib in millimetres (floor at 0, x forward).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from kiosk.results.report_data import Units
from kiosk.results.report_draw import BAND as HATCH
from kiosk.results.report_draw import INK, MUTED, RULE, STRIPE

if TYPE_CHECKING:
    from matplotlib.axes import Axes

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


WALL = "#eb9628"  # the kiosk's wall colour (kiosk.app.shapes.WALL), as on its screens
WOOD = "#dea964"
BODY = "#5b8fd6"


def draw_side_view(ax: Axes, gray: npt.NDArray[np.uint8], mm_per_px: float, geo: SideGeometry,
                   hip_to_wall_mm: float | None, units: Units) -> None:
    """The silhouette (nearer the camera darker), floor, wall (hatched behind it), dowel, and
    the hips-to-wall gap in the club's units, on `ax` in millimetres."""
    h, w = gray.shape
    shade = np.where(gray > 0, 0.35 + 0.65 * (1.0 - gray / 255.0), np.nan)
    left = min(0.0, (geo.wall_col if geo.wall_col is not None else 0.0) - 12.0) * mm_per_px
    ax.set_facecolor(STRIPE)
    ax.imshow(np.ma.masked_invalid(shade), cmap="Blues", vmin=0.0, vmax=1.2, interpolation="nearest",
              extent=(0.0, w * mm_per_px, 0.0, h * mm_per_px), zorder=2)
    ax.axhline(0.0, color=RULE, linewidth=2.0, zorder=1)
    if geo.wall_col is not None:
        wx = geo.wall_col * mm_per_px
        ax.axvspan(left, wx, ymax=1700.0 / (h * mm_per_px + 120.0), facecolor="none", edgecolor=HATCH,
                   hatch="///", linewidth=0.0, alpha=0.5, zorder=1)
        ax.plot([wx, wx], [0.0, 1700.0], color=WALL, linewidth=3.0, zorder=3)
        ax.text(wx - 20.0, 1450.0, "wall", ha="right", va="top", color=INK, fontsize=9, zorder=4,
                rotation=90)
    if geo.dowel_px is not None:
        (c0, r0), (c1, r1) = geo.dowel_px
        xs, ys = [c0 * mm_per_px, c1 * mm_per_px], [(h - r0) * mm_per_px, (h - r1) * mm_per_px]
        ax.plot(xs, ys, color="#46301a", linewidth=5.0, solid_capstyle="round", zorder=4)
        ax.plot(xs, ys, color=WOOD, linewidth=3.0, solid_capstyle="round", zorder=5)
        ax.text(min(xs) + 40.0, max(ys) + 60.0, "dowel", color=INK, fontsize=9, zorder=6)
    if geo.buttocks_px is not None and geo.wall_col is not None and hip_to_wall_mm is not None:
        bx, by = geo.buttocks_px[0] * mm_per_px, (h - geo.buttocks_px[1]) * mm_per_px
        wx = geo.wall_col * mm_per_px
        ax.plot([min(bx, wx), max(bx, wx)], [by, by], color=INK, linewidth=1.0, zorder=6)
        ax.plot([bx], [by], "o", color=INK, markersize=4, zorder=6)
        words = (f"hips {units.gap(hip_to_wall_mm)} short of the wall" if hip_to_wall_mm >= 0
                 else f"hips {units.gap(-hip_to_wall_mm)} past the wall")
        ax.set_xlabel(words + " (dot: buttocks)", color=INK, fontsize=8.5)
    ax.set_xlim(left, w * mm_per_px + 40.0)
    ax.set_ylim(-40.0, h * mm_per_px + 120.0)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_visible(False)
    bar_mm = 500.0  # a 50 cm scale bar, top right
    x1, y1 = w * mm_per_px, h * mm_per_px + 60.0
    ax.plot([x1 - bar_mm, x1], [y1, y1], color=MUTED, linewidth=1.5)
    ax.text(x1 - bar_mm / 2, y1 + 15.0, "50 cm", ha="center", va="bottom", color=MUTED, fontsize=7.5)
