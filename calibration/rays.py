"""Per-pixel world rays and the depth window that keeps a ray inside a world box.

Built once per (intrinsics, depth scale, pose, box); per frame, `points_in_box` is one
pair of uint16 comparisons over the pixels whose ray can reach the box plus deprojection
of only the pixels that lie in it (the athlete and the floor under them), instead of
deprojecting every valid pixel and discarding most.
Frames: camera (RealSense optical) and world as in hardware/geometry.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from hardware.frame import Intrinsics
from hardware.geometry import CameraPose

Box = tuple[tuple[float, float], tuple[float, float], tuple[float, float]]  # (x, y, z) spans, metres


@dataclass(frozen=True, eq=False)
class BoxRays:
    """The pixels whose ray can pass through the box: image rows `rows`, columns `cols`
    (the bounding rectangle; rays outside it never reach the box). Per pixel of that
    rectangle, row-major: dirs_world (M, 3) float32, the world direction of the ray with
    camera-z = 1, so a point is origin_m + depth_m * dir (a view of a (3, M) C-ordered
    array: per frame each coordinate is gathered from one contiguous row); lo/hi (M,) the
    depth window in z16 units inside which the ray is inside the box (lo > hi: never)."""

    intrinsics: Intrinsics
    depth_scale_m: float
    box: Box
    rows: slice
    cols: slice
    origin_m: npt.NDArray[np.float32]
    dirs_world: npt.NDArray[np.float32]
    lo: npt.NDArray[np.uint16]
    hi: npt.NDArray[np.uint16]


def box_rays(intr: Intrinsics, pose: CameraPose, box: Box, depth_scale_m: float) -> BoxRays:
    """Rays of `intr`'s pixels through `box` (world metres) for a camera at `pose`."""
    u = (np.arange(intr.width, dtype=np.float64) - intr.ppx) / intr.fx
    v = (np.arange(intr.height, dtype=np.float64) - intr.ppy) / intr.fy
    uu, vv = np.meshgrid(u, v)
    d_cam = np.stack([uu.ravel(), vv.ravel(), np.ones(uu.size)], axis=1)
    dirs = d_cam @ pose.r.T
    t_lo = np.zeros(len(dirs))
    t_hi = np.full(len(dirs), np.inf)
    for axis, (a, b) in enumerate(box):
        o, d = pose.t[axis], dirs[:, axis]
        # A direction that is almost parallel to a face overflows to inf here; `parallel`
        # below replaces those entries, so the warnings carry no information.
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
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
    # Keep only the bounding rectangle of the rays that can hit: the per-frame comparison
    # then touches a fraction of the image (the box spans part of the view).
    hits = (hi >= lo).reshape(intr.height, intr.width)
    rs, cs = np.flatnonzero(hits.any(axis=1)), np.flatnonzero(hits.any(axis=0))
    rows = slice(int(rs[0]), int(rs[-1]) + 1) if rs.size else slice(0, 0)
    cols = slice(int(cs[0]), int(cs[-1]) + 1) if cs.size else slice(0, 0)

    def crop(a: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return a.reshape(intr.height, intr.width, -1)[rows, cols].reshape(-1, a.size // hits.size)

    return BoxRays(
        intrinsics=intr,
        depth_scale_m=depth_scale_m,
        box=box,
        rows=rows,
        cols=cols,
        origin_m=pose.t.astype(np.float32),
        dirs_world=np.ascontiguousarray(crop(dirs).T, dtype=np.float32).T,
        lo=crop(lo).ravel().astype(np.uint16),
        hi=crop(hi).ravel().astype(np.uint16),
    )


def points_in_box(depth: npt.NDArray[np.uint16], rays: BoxRays,
                  keep: npt.NDArray[np.bool_] | None = None,
                  keep_all_below_y_m: float = 0.0) -> npt.NDArray[np.float32]:
    """World points (N, 3) float32 of the valid pixels whose depth puts them in the box
    (plus at most one depth unit outside it: the window is rounded outward), in row-major
    pixel order like hardware.geometry.deproject. depth: (H, W) z16 of rays' intrinsics;
    keep: optional (H, W) bool, pixels allowed (e.g. the background model's foreground);
    points lower than keep_all_below_y_m (world) are kept whatever `keep` says.
    The array returned is column-major (each coordinate contiguous, as segment_person
    reads them)."""
    intr = rays.intrinsics
    if depth.shape != (intr.height, intr.width):
        raise ValueError(f"depth is {depth.shape}, rays are for {(intr.height, intr.width)}")
    shape = (rays.rows.stop - rays.rows.start, rays.cols.stop - rays.cols.start)
    rect = depth[rays.rows, rays.cols]  # a view: compared in place, never copied
    inside = rect >= rays.lo.reshape(shape)
    inside &= rect <= rays.hi.reshape(shape)
    idx = np.flatnonzero(inside)
    dirs = rays.dirs_world.T  # (3, M), C-ordered
    # The depths by index (the few thousand in the box) rather than by the mask again.
    width = depth.shape[1]
    pix = idx + (idx // shape[1]) * (width - shape[1]) + (rays.rows.start * width + rays.cols.start)
    z = depth.reshape(-1).take(pix).astype(np.float32)
    z *= np.float32(rays.depth_scale_m)
    if keep is not None and idx.size:
        # Decide on y alone (the same float32 arithmetic as below), then deproject the rest.
        y = dirs[1].take(idx)
        y *= z
        y += rays.origin_m[1]
        wanted = keep.reshape(-1).take(pix) | (y < keep_all_below_y_m)
        idx, z = idx[wanted], z[wanted]
    out = np.empty((3, idx.size), dtype=np.float32)
    np.take(dirs, idx, axis=1, out=out)
    out *= z
    out += rays.origin_m[:, None]
    pts: npt.NDArray[np.float32] = out.T
    return pts
