"""Render a depth image of the simulated scene: the body mesh raycast with Open3D over a
static room (floor and optional back wall) computed analytically once.

Rays follow the RealSense pixel convention (pixel (u, v) looks along
((u - ppx)/fx, (v - ppy)/fy, 1) in the camera frame), so depth rendered here deprojects
exactly as the SDK deprojects a camera's frame. Only the image rectangle the body can
cover is raycast each frame (plus the band its stereo shadow can fall in), which keeps a
848x480 frame in the tens of milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from hardware.frame import Intrinsics
from hardware.geometry import CameraPose, project
from hardware.source import SourceError


def require_open3d() -> Any:
    """The open3d module, which only the simulator needs (the `sim` extra), or SourceError in
    one line. Imported here, never at module level: ~0.6 s and ~200 MB (DESIGN.md)."""
    try:
        import open3d
    except ImportError:
        raise SourceError("the simulator needs Open3D: install the sim extra: "
                          "pip install 'hinge-kiosk[sim]'") from None
    return open3d


@dataclass(frozen=True)
class Room:
    """Static surroundings, world frame, metres. back_wall_offset_m: a wall parallel to the
    athlete's sagittal plane on the far side from the camera (None = open space)."""

    floor_half_size_m: float = 8.0
    back_wall_offset_m: float | None = 2.2
    wall_height_m: float = 3.0


@dataclass(frozen=True)
class Render:
    """depth_m: (H, W) float32 z-depth, 0 = no surface. cos_incidence: |cos| of the angle
    between ray and surface normal (1 = facing the camera). body: (H, W) bool, the pixel
    sees the athlete. shadow: (H, W) bool, the right IR imager cannot see that point."""

    depth_m: npt.NDArray[np.float32]
    cos_incidence: npt.NDArray[np.float32]
    body: npt.NDArray[np.bool_]
    shadow: npt.NDArray[np.bool_]


def camera_rays(intr: Intrinsics, pose: CameraPose) -> npt.NDArray[np.float32]:
    """(H, W, 6) rays: camera centre and world direction with unit camera-z component,
    so the hit distance t equals z-depth."""
    u = (np.arange(intr.width, dtype=np.float64) - intr.ppx) / intr.fx
    v = (np.arange(intr.height, dtype=np.float64) - intr.ppy) / intr.fy
    uu, vv = np.meshgrid(u, v)
    d_world = np.stack([uu, vv, np.ones_like(uu)], axis=-1) @ pose.r.T
    origin = np.broadcast_to(pose.t, d_world.shape)
    return np.concatenate([origin, d_world], axis=-1).astype(np.float32)


def _plane_hits(
    rays: npt.NDArray[np.float32],
    normal: npt.NDArray[np.float64],
    offset: float,
    bounds: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]],
) -> npt.NDArray[np.float32]:
    """t of each ray's hit with the plane n.p = offset inside an axis-aligned box, inf if none."""
    o, d = rays[..., :3].astype(np.float64), rays[..., 3:].astype(np.float64)
    denom = d @ normal
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (offset - o @ normal) / denom
    p = o + d * t[..., None]
    inside = np.all((p >= bounds[0] - 1e-6) & (p <= bounds[1] + 1e-6), axis=-1)
    return np.where((t > 0) & inside & np.isfinite(t), t, np.inf).astype(np.float32)


class Raycaster:
    """Holds the static room's depth; `render()` raycasts the body for one frame."""

    def __init__(self, intr: Intrinsics, pose: CameraPose, room: Room, baseline_m: float) -> None:
        self._o3d: Any = require_open3d()
        self.intr = intr
        self.pose = pose
        self._rays = camera_rays(intr, pose)
        self._baseline_m = baseline_m
        self._right_imager_m = pose.t + baseline_m * pose.r[:, 0]
        self._static_depth, self._static_cos = self._static_room(room)

    def _static_room(self, room: Room) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        s = room.floor_half_size_m
        dirs = self._rays[..., 3:].astype(np.float64)
        dir_norm = np.linalg.norm(dirs, axis=-1)
        planes = [(np.array([0.0, 1.0, 0.0]), 0.0, (np.array([-s, 0.0, -s]), np.array([s, 0.0, s])))]
        if room.back_wall_offset_m is not None:
            z = -np.sign(self.pose.t[2] or 1.0) * room.back_wall_offset_m
            planes.append(
                (np.array([0.0, 0.0, 1.0]), z, (np.array([-s, 0.0, z]), np.array([s, room.wall_height_m, z])))
            )
        depth = np.full(dirs.shape[:2], np.inf, dtype=np.float32)
        cos = np.zeros(dirs.shape[:2], dtype=np.float32)
        for normal, offset, bounds in planes:
            t = _plane_hits(self._rays, normal, offset, bounds)
            nearer = t < depth
            depth = np.where(nearer, t, depth)
            cos = np.where(nearer, np.abs(dirs @ normal) / dir_norm, cos).astype(np.float32)
        return np.where(np.isfinite(depth), depth, 0.0).astype(np.float32), cos

    def _body_rect(
        self, vertices: npt.NDArray[np.float64], pad_left_px: int
    ) -> tuple[int, int, int, int] | None:
        lo, hi = vertices.min(axis=0), vertices.max(axis=0)
        corners = np.array(
            [[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])]
        )
        cam = self.pose.to_camera(corners)
        if np.all(cam[:, 2] <= 0.05):
            return None
        if np.any(cam[:, 2] <= 0.05):  # box straddles the camera plane: cast everything
            return 0, self.intr.height, 0, self.intr.width
        u, v = project(cam, self.intr)
        u0 = int(np.clip(np.floor(u.min()) - 2 - pad_left_px, 0, self.intr.width))
        u1 = int(np.clip(np.ceil(u.max()) + 3, 0, self.intr.width))
        v0 = int(np.clip(np.floor(v.min()) - 2, 0, self.intr.height))
        v1 = int(np.clip(np.ceil(v.max()) + 3, 0, self.intr.height))
        return (v0, v1, u0, u1) if u1 > u0 and v1 > v0 else None

    def render(
        self, vertices: npt.NDArray[np.float64] | None, triangles: npt.NDArray[np.int32] | None
    ) -> Render:
        depth = self._static_depth.copy()
        cos = self._static_cos.copy()
        body = np.zeros(depth.shape, dtype=bool)
        shadow = np.zeros(depth.shape, dtype=bool)
        if vertices is None or triangles is None or len(triangles) == 0:
            return Render(depth_m=depth, cos_incidence=cos, body=body, shadow=shadow)
        z_near = max(float(self.pose.to_camera(vertices)[:, 2].min()), 0.2)
        max_disparity_px = int(np.ceil(self.intr.fx * self._baseline_m / z_near)) + 2
        rect = self._body_rect(vertices, max_disparity_px)
        if rect is None:
            return Render(depth_m=depth, cos_incidence=cos, body=body, shadow=shadow)
        v0, v1, u0, u1 = rect
        o3d = self._o3d
        scene = o3d.t.geometry.RaycastingScene()
        scene.add_triangles(
            o3d.core.Tensor(vertices.astype(np.float32)), o3d.core.Tensor(triangles.astype(np.uint32))
        )
        rays = np.ascontiguousarray(self._rays[v0:v1, u0:u1])
        ans = scene.cast_rays(o3d.core.Tensor(rays))
        t_hit = ans["t_hit"].numpy()
        sub_depth = depth[v0:v1, u0:u1]
        hit = np.isfinite(t_hit) & ((sub_depth == 0) | (t_hit < sub_depth))
        dirs = rays[..., 3:]
        n = ans["primitive_normals"].numpy()
        body_cos = np.abs(np.einsum("hwc,hwc->hw", n, dirs)) / np.linalg.norm(dirs, axis=-1)
        depth[v0:v1, u0:u1] = np.where(hit, t_hit, sub_depth)
        cos[v0:v1, u0:u1] = np.where(hit, body_cos, cos[v0:v1, u0:u1])
        body[v0:v1, u0:u1] = hit
        shadow[v0:v1, u0:u1] = self._occluded_from_right_imager(scene, rays, depth[v0:v1, u0:u1])
        return Render(depth_m=depth, cos_incidence=cos, body=body, shadow=shadow)

    def _occluded_from_right_imager(
        self, scene: Any, rays: npt.NDArray[np.float32], depth: npt.NDArray[np.float32]
    ) -> npt.NDArray[np.bool_]:
        """Points the right IR imager cannot see because the body is in the way: D4xx has
        no depth there (the stereo occlusion shadow beside foreground edges)."""
        o3d = self._o3d
        flat = rays.reshape(-1, 6)
        z = depth.reshape(-1)
        idx = np.flatnonzero(z > 0)
        points = flat[idx, :3] + flat[idx, 3:] * z[idx, None]
        origin = np.broadcast_to(self._right_imager_m.astype(np.float32), points.shape)
        second = np.concatenate([origin, points - origin], axis=1).astype(np.float32)
        t2 = scene.cast_rays(o3d.core.Tensor(second))["t_hit"].numpy()
        seg_len = np.linalg.norm(points - origin, axis=1)
        blocked = t2 < 1.0 - 0.01 / np.maximum(seg_len, 1e-6)  # 1 cm slack for the surface itself
        out = np.zeros(z.size, dtype=bool)
        out[idx] = blocked
        return out.reshape(depth.shape)
