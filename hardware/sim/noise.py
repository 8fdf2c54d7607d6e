"""D4xx stereo depth noise applied to a clean rendered depth image.

Model (all per frame, seeded):
- axial noise RMS = z^2 * subpixel / (fx * baseline), spatially correlated (the stereo
  matcher's census window correlates neighbours) plus a white part; grows at oblique
  incidence as 1/cos;
- dropouts at grazing incidence (no texture match), more likely the more grazing;
- the stereo occlusion shadow (the right imager cannot see the point) -> 0;
- flying pixels at depth edges: values between foreground and background;
- random holes (blobs) and sparse single-pixel dropouts;
- range limits and quantisation to the z16 unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from hardware.sim.camera import CameraModel
from hardware.sim.raycast import Render


@dataclass(frozen=True)
class NoiseConfig:
    """enabled=False gives the clean render, quantised. Fractions are per valid pixel."""

    enabled: bool = True
    correlated_fraction: float = 0.7  # share of the noise variance that is spatially correlated
    correlation_px: int = 6  # size of the correlated noise's cells, pixels
    grazing_start_deg: float = 70.0  # incidence beyond which dropouts start
    grazing_full_deg: float = 85.0  # incidence beyond which all depth is lost
    flying_pixel_prob: float = 0.5  # chance an edge pixel flies
    edge_jump_m: float = 0.10  # depth step that counts as an edge
    holes_per_frame: float = 2.0  # mean number of blob holes
    hole_radius_px: tuple[int, int] = (3, 12)
    speckle_dropout: float = 0.003


@lru_cache(maxsize=8)
def _interp_index(n_out: int, cell_px: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Coarse-grid index and linear weight for each of n_out samples."""
    pos = np.arange(n_out, dtype=np.float64) / cell_px
    i0 = pos.astype(np.int64)
    return i0, (pos - i0).astype(np.float32)


def _correlated_field(rng: np.random.Generator, h: int, w: int, cell_px: int) -> npt.NDArray[np.float32]:
    """Unit-variance smooth noise: a coarse Gaussian grid, bilinearly upsampled one axis at
    a time (column gathers on the small grid, then whole-row gathers)."""
    iy, fy = _interp_index(h, cell_px)
    ix, fx = _interp_index(w, cell_px)
    grid = rng.standard_normal((h // cell_px + 2, w // cell_px + 2), dtype=np.float32)
    gx = grid[:, ix] * (1.0 - fx) + grid[:, ix + 1] * fx
    field = gx[iy] * (1.0 - fy)[:, None] + gx[iy + 1] * fy[:, None]
    # Bilinear interpolation lowers the variance between grid nodes; restore unit RMS.
    out: npt.NDArray[np.float32] = (field / max(float(field.std()), 1e-6)).astype(np.float32)
    return out


def _edge_mask(
    depth: npt.NDArray[np.float32], jump_m: float
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float32]]:
    """Pixels on the near side of a depth step and the far depth across that step."""
    far = np.zeros_like(depth)
    np.maximum(far[1:, :], depth[:-1, :], out=far[1:, :])
    np.maximum(far[:-1, :], depth[1:, :], out=far[:-1, :])
    np.maximum(far[:, 1:], depth[:, :-1], out=far[:, 1:])
    np.maximum(far[:, :-1], depth[:, 1:], out=far[:, :-1])
    edge = (depth > 0) & (far - depth > jump_m)
    return edge, far


def apply_noise(
    render: Render,
    model: CameraModel,
    fx_px: float,
    depth_scale_m: float,
    cfg: NoiseConfig,
    rng: np.random.Generator,
) -> npt.NDArray[np.uint16]:
    """Noisy z16 depth image from a clean render. 0 = no data."""
    depth = render.depth_m.copy()
    valid = depth > 0
    h, w = depth.shape
    if cfg.enabled:
        sigma = depth * depth * np.float32(model.subpixel / (fx_px * model.baseline_m))
        cos_inc = np.clip(render.cos_incidence, 0.05, 1.0)
        sigma = sigma / cos_inc
        corr = _correlated_field(rng, h, w, cfg.correlation_px)
        white = rng.standard_normal((h, w), dtype=np.float32)
        n = np.sqrt(cfg.correlated_fraction) * corr + np.sqrt(1.0 - cfg.correlated_fraction) * white
        depth = np.where(valid, depth + sigma * n, 0.0).astype(np.float32)

        incidence_deg = np.degrees(np.arccos(cos_inc))
        p_drop = np.clip(
            (incidence_deg - cfg.grazing_start_deg) / (cfg.grazing_full_deg - cfg.grazing_start_deg), 0.0, 1.0
        )
        drop = rng.random((h, w), dtype=np.float32) < p_drop
        drop |= rng.random((h, w), dtype=np.float32) < cfg.speckle_dropout
        drop |= render.shadow
        drop |= _holes(rng, h, w, cfg)

        edge, far = _edge_mask(render.depth_m, cfg.edge_jump_m)
        fly = edge & (rng.random((h, w), dtype=np.float32) < cfg.flying_pixel_prob)
        mix = rng.random((h, w), dtype=np.float32).astype(np.float32)
        depth = np.where(fly, render.depth_m * (1 - mix) + far * mix, depth)
        depth = np.where(drop, 0.0, depth)
    depth = np.where((depth >= model.min_z_m) & (depth <= model.max_z_m), depth, 0.0)
    z16: npt.NDArray[np.uint16] = np.clip(np.rint(depth / depth_scale_m), 0, 65535).astype(np.uint16)
    return z16


def _holes(rng: np.random.Generator, h: int, w: int, cfg: NoiseConfig) -> npt.NDArray[np.bool_]:
    mask = np.zeros((h, w), dtype=bool)
    for _ in range(int(rng.poisson(cfg.holes_per_frame))):
        cy, cx = rng.integers(0, h), rng.integers(0, w)
        r = int(rng.integers(cfg.hole_radius_px[0], cfg.hole_radius_px[1] + 1))
        y0, y1, x0, x1 = max(cy - r, 0), min(cy + r + 1, h), max(cx - r, 0), min(cx + r + 1, w)
        yy, xx = np.ogrid[y0:y1, x0:x1]
        mask[y0:y1, x0:x1] |= (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
    return mask
