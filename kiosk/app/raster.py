"""The side view's silhouette: the body's (x, y) points rasterised on a 1.5 cm grid over the
view window, pinholes closed, scaled up to the screen and drawn in one colour.

Why not pygame.transform.scale on the whole grid and a colour-keyed blit: that writes and
reads every pixel of the view (~630x540) each frame, ~0.3 ms, and the body covers some 6%
of it. Here only the body's bounding box is scaled, by numpy, with the column and row maps
that pygame's own nearest-neighbour scale uses for the whole grid (read off pygame once per
grid and screen size and checked to be a per-axis map; pygame.transform.scale is used as
before if it ever is not). The pixels drawn are exactly those of scaling the whole grid.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt
import pygame

CELL_M = 0.015  # about the depth's point spacing at 2.4 m
_MAP_SIZES = 8  # grid/screen size pairs whose maps are kept (one in use at a time)

IndexMap = npt.NDArray[np.intp]


def grid_size(x_min_m: float, x_max_m: float, y_max_m: float) -> tuple[int, int]:
    """Columns and rows of the grid over the view window (x_min_m..x_max_m, 0..y_max_m)."""
    return int((x_max_m - x_min_m) / CELL_M), int(y_max_m / CELL_M)


def body_cells(xy: npt.NDArray[np.floating], x_min_m: float, x_max_m: float, y_max_m: float,
               mirror: bool) -> tuple[npt.NDArray[np.bool_], int, int] | None:
    """The grid's cells (columns, rows; top row first) that hold the body: every point's cell
    and its four neighbours (closes the pinholes between depth samples). Returned as the
    part of the grid around them, `cells[i, j]` being the grid's [c0 + i, r0 + j] (no
    body outside it), with c0 and r0; None when no point is in the window. The part, not
    the whole grid: about a fifth of the cells to clear and grow."""
    gw, gh = grid_size(x_min_m, x_max_m, y_max_m)
    u = (x_max_m - xy[:, 0]) if mirror else (xy[:, 0] - x_min_m)
    ix = (u / CELL_M).astype(np.int32)
    iy = ((y_max_m - xy[:, 1]) / CELL_M).astype(np.int32)
    if len(ix) == 0:
        return None
    lo_x, hi_x, lo_y, hi_y = int(ix.min()), int(ix.max()), int(iy.min()), int(iy.max())
    if lo_x < 0 or hi_x >= gw or lo_y < 0 or hi_y >= gh:  # only then sieve (the body is most often all in)
        ok = (ix >= 0) & (ix < gw) & (iy >= 0) & (iy < gh)
        ix, iy = ix[ok], iy[ok]
        if len(ix) == 0:
            return None
        lo_x, hi_x, lo_y, hi_y = int(ix.min()), int(ix.max()), int(iy.min()), int(iy.max())
    # One cell of margin (inside the grid) for the neighbours grown into.
    c0, r0 = max(0, lo_x - 1), max(0, lo_y - 1)
    c1, r1 = min(gw, hi_x + 2), min(gh, hi_y + 2)
    grid = np.zeros((c1 - c0, r1 - r0), dtype=bool)
    grid[ix - c0, iy - r0] = True
    grown = grid.copy()
    grown[1:, :] |= grid[:-1, :]
    grown[:-1, :] |= grid[1:, :]
    grown[:, 1:] |= grid[:, :-1]
    grown[:, :-1] |= grid[:, 1:]
    return grown, c0, r0


@lru_cache(maxsize=_MAP_SIZES)
def scale_maps(src: tuple[int, int], dst: tuple[int, int]) -> tuple[IndexMap, IndexMap] | None:
    """For each column (row) of pygame.transform.scale(surface of size src, dst), the source
    column (row) it copies; None when pygame's scale is not such a per-axis, non-decreasing
    map (then the caller must scale with pygame). Read-only arrays."""
    if min(*src, *dst) <= 0 or max(src) >= 1 << 12:
        return None
    probe = pygame.Surface(src, depth=32)
    cols, rows = np.arange(src[0], dtype=np.uint32), np.arange(src[1], dtype=np.uint32)
    # Each probe pixel holds its own column and row (12 bits each, inside the colour bits).
    pygame.surfarray.blit_array(probe, cols[:, None] | (rows[None, :] << 12))
    out = pygame.surfarray.array2d(pygame.transform.scale(probe, dst)).astype(np.uint32) & 0xFFFFFF
    xmap, ymap = (out[:, 0] & 0xFFF).astype(np.intp), (out[0, :] >> 12).astype(np.intp)
    separable = np.array_equal(out, xmap[:, None].astype(np.uint32) | (ymap[None, :].astype(np.uint32) << 12))
    if not separable or np.any(np.diff(xmap) < 0) or np.any(np.diff(ymap) < 0):
        return None
    xmap.flags.writeable = False
    ymap.flags.writeable = False
    return xmap, ymap


def draw_cells(surf: pygame.Surface, cells: npt.NDArray[np.bool_], c0: int, r0: int,
               grid: tuple[int, int], topleft: tuple[int, int], size: tuple[int, int],
               color: tuple[int, int, int]) -> pygame.Rect:
    """A grid of size `grid` (columns, rows), True only in `cells` (its part at c0, r0),
    scaled to `size` with its top-left at `topleft`: the True cells in `color`, the rest left
    as it was (what a colour-keyed blit of the whole scaled grid does). Returns the rectangle
    drawn in (empty: none)."""
    maps = scale_maps(grid, size)
    if maps is None:
        rgb = np.zeros((*grid, 3), dtype=np.uint8)
        rgb[c0:c0 + cells.shape[0], r0:r0 + cells.shape[1]][cells] = color
        img = pygame.surfarray.make_surface(rgb)
        img.set_colorkey((0, 0, 0))
        return surf.blit(pygame.transform.scale(img, size), topleft)
    xmap, ymap = maps
    cols, rows = np.flatnonzero(cells.any(axis=1)), np.flatnonzero(cells.any(axis=0))
    if len(cols) == 0:
        return pygame.Rect(topleft, (0, 0))
    a, b = c0 + int(cols[0]), c0 + int(cols[-1])  # the grid's columns (rows) with body
    c, d = r0 + int(rows[0]), r0 + int(rows[-1])
    # The screen columns (rows) copying them: one run, as the maps never go back.
    x0, x1 = int(np.searchsorted(xmap, a)), int(np.searchsorted(xmap, b, "right"))
    y0, y1 = int(np.searchsorted(ymap, c)), int(np.searchsorted(ymap, d, "right"))
    if x0 >= x1 or y0 >= y1:
        return pygame.Rect(topleft, (0, 0))
    # Row-major 8-bit pixels (what frombuffer reads; make_surface costs 20x as much): palette
    # index 1 the body, 0 the colour key (left as it was). Screen columns are gathered from
    # the box's rows (grid columns), screen rows after the (small) transpose: whole-row
    # copies both, ~4x faster than gathering from the transposed grid.
    box = cells[a - c0:b - c0 + 1, c - r0:d - r0 + 1].view(np.uint8)
    wide = np.ascontiguousarray(box[xmap[x0:x1] - a].T)
    pixels = wide[ymap[y0:y1] - c]
    img = pygame.image.frombuffer(pixels.data, (x1 - x0, y1 - y0), "P")
    img.set_palette_at(1, color)
    img.set_colorkey(0)
    return surf.blit(img, (topleft[0] + x0, topleft[1] + y0))  # img reads pixels: both live to here
