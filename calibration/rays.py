"""Per-pixel world rays and the depth window that keeps a ray inside a world box.

Built once per (intrinsics, pose, box); per frame, `points_in_box` is one uint16
comparison over the image plus deprojection of only the pixels that can lie in the box
(the athlete), instead of deprojecting every valid pixel and discarding most.
Frames: camera (RealSense optical) and world as in calibration/geometry.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from calibration.geometry import CameraPose
from hardware.frame import Intrinsics

Box = tuple[tuple[float, float], tuple[float, float], tuple[float, float]]  # (x, y, z) spans, metres


@dataclass(frozen=True, eq=False)
class BoxRays:
    """dirs_world: (H*W, 3) float32 world direction of each pixel's ray with camera-z = 1,
    so a point is origin + depth_m * dir. lo/hi: (H*W,) depth window in z16 units inside
    which the ray is inside the box (lo > hi: never)."""

    intrinsics: Intrinsics
    depth_scale_m: float
    origin_m: npt.NDArray[np.float32]
    dirs_world: npt.NDArray[np.float32]
    lo: npt.NDArray[np.uint16]
    hi: npt.NDArray[np.uint16]


def box_rays(intr: Intrinsics, pose: CameraPose, box: Box, depth_scale_m: float) -> BoxRays:
    u = (np.arange(intr.width, dtype=np.float64) - intr.ppx) / intr.fx
    v = (np.arange(intr.height, dtype=np.float64) - intr.ppy) / intr.fy
    uu, vv = np.meshgrid(u, v)
    d_cam = np.stack([uu.ravel(), vv.ravel(), np.ones(uu.size)], axis=1)
    dirs = d_cam @ pose.r.T
    t_lo = np.zeros(len(dirs))
    t_hi = np.full(len(dirs), np.inf)
    for axis, (a, b) in enumerate(box):
        o, d = pose.t[axis], dirs[:, axis]
        with np.errstate(divide="ignore", invalid="ignore"):
            t1, t2 = (a - o) / d, (b - o) / d
        parallel = np.abs(d) < 1e-12
        inside = (a <= o) & (o <= b)
        near = np.where(parallel, np.where(inside, -np.inf, np.inf), np.minimum(t1, t2))
        far = np.where(parallel, np.where(inside, np.inf, -np.inf), np.maximum(t1, t2))
        t_lo, t_hi = np.maximum(t_lo, near), np.minimum(t_hi, far)
    # Depth units: round the window outward so no boundary pixel is lost.
    lo = np.clip(np.floor(t_lo / depth_scale_m), 1, 65535)
    hi = np.clip(np.ceil(np.where(np.isfinite(t_hi), t_hi, 0.0) / depth_scale_m), 0, 65535)
    hi = np.where(t_hi >= t_lo, hi, 0)
    return BoxRays(
        intrinsics=intr,
        depth_scale_m=depth_scale_m,
        origin_m=pose.t.astype(np.float32),
        dirs_world=dirs.astype(np.float32),
        lo=lo.astype(np.uint16),
        hi=hi.astype(np.uint16),
    )


def points_in_box(depth: npt.NDArray[np.uint16], rays: BoxRays) -> npt.NDArray[np.float32]:
    """World points (N, 3) float32 of the valid pixels whose depth puts them in the box."""
    flat = depth.reshape(-1)
    idx = np.flatnonzero((flat >= rays.lo) & (flat <= rays.hi))
    z = flat[idx].astype(np.float32) * np.float32(rays.depth_scale_m)
    pts: npt.NDArray[np.float32] = rays.dirs_world[idx] * z[:, None] + rays.origin_m
    return pts
