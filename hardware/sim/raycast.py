"""Render a depth image of the simulated scene by raycasting with Open3D.

The scene is the body mesh (world frame) plus a static room: a floor and, optionally,
walls behind the station. Rays follow the RealSense pixel convention (pixel (u, v)
looks along ((u - ppx)/fx, (v - ppy)/fy, 1) in the camera frame), so depth rendered
here deprojects exactly as the SDK would deproject a camera's frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from calibration.geometry import CameraPose
from hardware.frame import Intrinsics

BODY_ID = 0  # geometry id of the body: it is always added to the scene first


@dataclass(frozen=True)
class Room:
    """Static surroundings, world frame, metres. back_wall_z_m: a wall parallel to the
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
    u = np.arange(intr.width, dtype=np.float64)
    v = np.arange(intr.height, dtype=np.float64)
    uu, vv = np.meshgrid((u - intr.ppx) / intr.fx, (v - intr.ppy) / intr.fy)
    d_cam = np.stack([uu, vv, np.ones_like(uu)], axis=-1)
    d_world = d_cam @ pose.r.T
    origin = np.broadcast_to(pose.t, d_world.shape)
    return np.concatenate([origin, d_world], axis=-1).astype(np.float32)


def _room_triangles(room: Room, camera_z_sign: float) -> list[tuple[npt.NDArray[np.float64], npt.NDArray[np.int32]]]:
    s = room.floor_half_size_m
    quads = [np.array([[-s, 0.0, -s], [s, 0.0, -s], [s, 0.0, s], [-s, 0.0, s]])]
    if room.back_wall_offset_m is not None:
        z = -camera_z_sign * room.back_wall_offset_m
        h = room.wall_height_m
        quads.append(np.array([[-s, 0.0, z], [s, 0.0, z], [s, h, z], [-s, h, z]]))
    tri = np.array([[0, 1, 2], [0, 2, 3]], dtype=np.int32)
    return [(q, tri) for q in quads]


class Raycaster:
    """Holds the static room; `render()` adds the body for one frame."""

    def __init__(self, intr: Intrinsics, pose: CameraPose, room: Room, baseline_m: float) -> None:
        import open3d as o3d  # heavy import kept to the simulator (DESIGN: ~0.6 s, ~200 MB)

        self._o3d: Any = o3d
        self.intr = intr
        self.pose = pose
        self._rays = camera_rays(intr, pose)
        self._baseline_m = baseline_m
        self._right_imager_m = pose.t + baseline_m * pose.r[:, 0]
        cam_side = 1.0 if pose.t[2] >= 0 else -1.0
        self._room = _room_triangles(room, cam_side)

    def _scene(self, vertices: npt.NDArray[np.float64] | None, triangles: npt.NDArray[np.int32] | None) -> Any:
        o3d = self._o3d
        scene = o3d.t.geometry.RaycastingScene()
        if vertices is not None and triangles is not None and len(triangles):
            scene.add_triangles(o3d.core.Tensor(vertices.astype(np.float32)),
                                o3d.core.Tensor(triangles.astype(np.uint32)))
        else:
            # Keep geometry ids stable: id 0 is the body even when nobody is in view.
            far = np.array([[0.0, -50.0, 0.0], [0.1, -50.0, 0.0], [0.0, -50.0, 0.1]], dtype=np.float32)
            scene.add_triangles(o3d.core.Tensor(far), o3d.core.Tensor(np.array([[0, 1, 2]], dtype=np.uint32)))
        for verts, tris in self._room:
            scene.add_triangles(o3d.core.Tensor(verts.astype(np.float32)), o3d.core.Tensor(tris.astype(np.uint32)))
        return scene

    def render(self, vertices: npt.NDArray[np.float64] | None, triangles: npt.NDArray[np.int32] | None) -> Render:
        o3d = self._o3d
        scene = self._scene(vertices, triangles)
        ans = scene.cast_rays(o3d.core.Tensor(self._rays))
        t_hit = ans["t_hit"].numpy()
        hit = np.isfinite(t_hit)
        depth = np.where(hit, t_hit, 0.0).astype(np.float32)
        normals = ans["primitive_normals"].numpy()
        dirs = self._rays[..., 3:]
        dir_norm = np.linalg.norm(dirs, axis=-1)
        cos_inc = np.abs(np.einsum("hwc,hwc->hw", normals, dirs)) / np.maximum(dir_norm, 1e-9)
        cos_inc = np.where(hit, cos_inc, 0.0).astype(np.float32)
        body = hit & (ans["geometry_ids"].numpy() == BODY_ID)
        shadow = self._occluded_from_right_imager(scene, hit, depth)
        return Render(depth_m=depth, cos_incidence=cos_inc, body=body, shadow=shadow)

    def _occluded_from_right_imager(self, scene: Any, hit: npt.NDArray[np.bool_],
                                    depth: npt.NDArray[np.float32]) -> npt.NDArray[np.bool_]:
        """Points the right IR imager cannot see: D4xx has no depth there (the stereo
        occlusion shadow beside foreground edges)."""
        o3d = self._o3d
        idx = np.flatnonzero(hit)
        rays = self._rays.reshape(-1, 6)[idx]
        points = rays[:, :3] + rays[:, 3:] * depth.reshape(-1)[idx, None]
        origin = np.broadcast_to(self._right_imager_m.astype(np.float32), points.shape)
        second = np.concatenate([origin, points - origin], axis=1).astype(np.float32)
        t2 = scene.cast_rays(o3d.core.Tensor(second))["t_hit"].numpy()
        seg_len = np.linalg.norm(points - origin, axis=1)
        blocked = t2 < 1.0 - 0.01 / np.maximum(seg_len, 1e-6)  # 1 cm slack for the grazing hit
        out = np.zeros(hit.size, dtype=bool)
        out[idx] = blocked
        return out.reshape(hit.shape)
