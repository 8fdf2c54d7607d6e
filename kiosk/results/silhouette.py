"""The best rep's side-view depth silhouette: a small grayscale PNG kept for review.

Not RGB and not video: the athlete's world points (x forward, y up; metres) at the rep's
deepest frame, rasterised onto a grid of `mm_per_px` (default 10 mm) cells, the floor at
the bottom row, +x to the right. A cell with points is bright; with (M, 3) points its shade
is the nearest point's z (the side-to-side axis: brighter = nearer the camera side, z
larger), which shows the near and far limbs apart. The grid covers at most 3 m x 2.6 m, so
the image is at most 300 x 260 px; it is coarsened until the PNG is within MAX_BYTES
(64 KiB, the database's CHECK). Encoded with zlib by hand: no imaging dependency.

`BestRepKeeper` picks what to keep: feed it every frame's points and metrics, and each
completed rep; it returns a Silhouette when that rep is the session's best so far (a passed
wall rep at the furthest distance, then the nearest hips to the wall, then the deepest
trunk angle), for `ResultsStore.save_silhouette`.
"""

from __future__ import annotations

import math
import struct
import zlib
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from kiosk.results.model import RepLike

MAX_BYTES = 65536
MAX_SPAN_X_M = 3.0
MAX_HEIGHT_M = 2.6
PAD_M = 0.05


@dataclass(frozen=True)
class Silhouette:
    png: bytes
    width_px: int
    height_px: int
    mm_per_px: float


def _png(gray: npt.NDArray[np.uint8]) -> bytes:
    """8-bit grayscale PNG, filter 0 on every row."""
    h, w = gray.shape

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = np.zeros((h, w + 1), dtype=np.uint8)
    raw[:, 1:] = gray
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw.tobytes(), 9))
            + chunk(b"IEND", b""))


def decode(png: bytes) -> npt.NDArray[np.uint8]:
    """The (H, W) pixels of a PNG written by `encode` (grayscale, filter 0 only)."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, w, h = 8, b"", 0, 0
    while pos < len(png):
        (n,) = struct.unpack(">I", png[pos:pos + 4])
        kind, data = png[pos + 4:pos + 8], png[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h = struct.unpack(">II", data[:8])
        elif kind == b"IDAT":
            idat += data
        pos += 12 + n
    rows = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(h, w + 1)
    if rows[:, 0].any():
        raise ValueError("PNG row filters other than 0 are not supported")
    return rows[:, 1:].copy()


def rasterise(points_m: npt.NDArray[np.floating], mm_per_px: float) -> npt.NDArray[np.uint8]:
    """(H, W) uint8 side view of (M, 2|3) world points (module docstring); 0 = empty."""
    xy = np.asarray(points_m[:, :2], dtype=np.float64)
    cell_m = mm_per_px / 1000.0
    x0 = max(float(xy[:, 0].min()) - PAD_M, float(xy[:, 0].max()) + PAD_M - MAX_SPAN_X_M)
    x1 = min(float(xy[:, 0].max()) + PAD_M, x0 + MAX_SPAN_X_M)
    y1 = min(max(float(xy[:, 1].max()) + PAD_M, PAD_M), MAX_HEIGHT_M)
    w, h = max(1, math.ceil((x1 - x0) / cell_m)), max(1, math.ceil(y1 / cell_m))
    col = np.floor((xy[:, 0] - x0) / cell_m).astype(np.int64)
    row = h - 1 - np.floor(xy[:, 1] / cell_m).astype(np.int64)
    keep = (col >= 0) & (col < w) & (row >= 0) & (row < h)
    img = np.zeros((h, w), dtype=np.uint8)
    if points_m.shape[1] >= 3 and keep.any():
        z = np.asarray(points_m[keep, 2], dtype=np.float64)
        span = float(z.max() - z.min())
        shade = 255 - np.round(191 * (z.max() - z) / span) if span > 1e-6 else np.full(z.shape, 255.0)
        flat = row[keep] * w + col[keep]
        out = np.zeros(h * w, dtype=np.float64)
        np.maximum.at(out, flat, shade)  # the nearest point per cell
        img = out.reshape(h, w).astype(np.uint8)
    else:
        img[row[keep], col[keep]] = 255
    return img


def encode(points_m: npt.NDArray[np.floating], mm_per_px: float = 10.0,
           max_bytes: int = MAX_BYTES) -> Silhouette | None:
    """The silhouette PNG of (M, 2|3) world points, within max_bytes; None with no points."""
    pts = np.asarray(points_m)
    if pts.ndim != 2 or pts.shape[0] == 0 or pts.shape[1] < 2:
        return None
    pts = pts[np.isfinite(pts).all(axis=1)]
    if pts.shape[0] == 0:
        return None
    while True:
        img = rasterise(pts, mm_per_px)
        png = _png(img)
        if len(png) <= max_bytes or min(img.shape) <= 8:
            break
        mm_per_px *= 2
    if len(png) > max_bytes:
        return None
    return Silhouette(png, img.shape[1], img.shape[0], mm_per_px)


def rep_rank(rep: RepLike) -> tuple[bool, bool, float, float, float]:
    """Sort key: larger is a better rep to keep (module docstring)."""
    wall = rep.drill == "wall"
    h2w = rep.min_hip_to_wall_mm
    trunk = rep.max_trunk_angle_deg
    return (rep.passed, wall, rep.wall_distance_in if wall else 0.0,
            -h2w if wall and math.isfinite(h2w) else -math.inf, trunk if math.isfinite(trunk) else -math.inf)


class BestRepKeeper:
    """Holds the deepest frame's points of the rep in progress and the best rep's rank."""

    def __init__(self, mm_per_px: float = 10.0) -> None:
        self.mm_per_px = mm_per_px
        self.best: tuple[bool, bool, float, float, float] | None = None
        self._depth = -math.inf
        self._points: npt.NDArray[np.floating] | None = None

    def reset(self) -> None:
        """A new athlete: forget the best rep and any frame held."""
        self.best, self._depth, self._points = None, -math.inf, None

    def observe(self, points_m: npt.NDArray[np.floating], hip_to_wall_mm: float | None,
                trunk_angle_deg: float | None) -> None:
        """One frame: keep its points if it is the deepest since the last rep completed
        (nearest the wall; without a wall, the most tilted trunk)."""
        if hip_to_wall_mm is not None and math.isfinite(hip_to_wall_mm):
            depth = 1e6 - hip_to_wall_mm
        elif trunk_angle_deg is not None and math.isfinite(trunk_angle_deg):
            depth = trunk_angle_deg
        else:
            return
        if depth > self._depth and len(points_m):
            self._depth, self._points = depth, np.array(points_m, copy=True)

    def complete(self, rep: RepLike) -> Silhouette | None:
        """A rep ended: its silhouette if it is the best rep so far, else None."""
        points, self._points, self._depth = self._points, None, -math.inf
        rank = rep_rank(rep)
        if points is None or (self.best is not None and rank <= self.best):
            return None
        sil = encode(points, self.mm_per_px)
        if sil is not None:
            self.best = rank
        return sil
