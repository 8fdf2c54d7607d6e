"""Synthetic depth scenes for the calibration tests, ray-cast analytically in numpy.

World frame as in docs/measurement.md: origin on the floor at the station, +y up, +x the
athlete's forward, +z the athlete's right. A camera on the athlete's right (z > 0) sees
the athlete face image-right. The scene: the floor, optionally a back wall (beyond the
athlete, seen from the camera) and a "person": a vertical cylinder for the body plus two
foot boxes that stick out further in front of the leg than behind it.

The tests at the bottom check the renderer itself against closed-form depths.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from hardware.frame import DepthFrame, Intrinsics
from hardware.geometry import CameraPose, look_at_rotation

INTR = Intrinsics(width=848, height=480, fx=421.0, fy=421.0, ppx=423.5, ppy=239.5)
NOISE_K = 0.08 / (421.0 * 0.05)  # sigma_z = z^2 * NOISE_K (D435: subpixel 0.08, baseline 50 mm)
MAX_RANGE_M = 6.0


@dataclass(frozen=True)
class Placement:
    """Camera placement around the station at the world origin (distances in metres)."""

    distance_m: float = 2.0
    height_m: float = 0.95
    pitch_deg: float = 8.0
    roll_deg: float = 0.0
    side: str = "right"  # which side of the athlete the camera is on = the facing it sees
    oblique_deg: float = 0.0  # swung behind the athlete's side

    def pose(self) -> CameraPose:
        th = math.radians(self.oblique_deg)
        sign = 1.0 if self.side == "right" else -1.0
        d = self.distance_m
        centre = np.array([-d * math.sin(th), self.height_m, sign * d * math.cos(th)])
        horiz = -centre.copy()
        horiz[1] = 0.0
        horiz /= np.linalg.norm(horiz)
        p = math.radians(self.pitch_deg)
        r = look_at_rotation(math.cos(p) * horiz + np.array([0.0, -math.sin(p), 0.0]))
        if self.roll_deg:
            c, s = math.cos(math.radians(self.roll_deg)), math.sin(math.radians(self.roll_deg))
            r = r @ np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])
        return CameraPose.from_arrays(r, centre)


@dataclass(frozen=True)
class Scene:
    """What stands in the world. person_x_m/z_m: centre of the leg column on the floor."""

    wall_m: float | None = None  # back wall distance beyond the station, along the view
    person: bool = False
    person_x_m: float = 0.0
    person_z_m: float = 0.0
    person_height_m: float = 1.75
    person_forward: float = 1.0  # +1: toes toward +x (docs' convention); -1 reversed
    toe_m: float = 0.20  # how far the feet reach in front of the leg axis
    heel_m: float = 0.06  # and behind it
    platform: tuple[tuple[float, float, float], tuple[float, float, float]] | None = None  # box lo, hi


def _rays_world(pose: CameraPose, intr: Intrinsics) -> tuple[np.ndarray, np.ndarray]:
    u, v = np.meshgrid(np.arange(intr.width, dtype=np.float64), np.arange(intr.height, dtype=np.float64))
    d_cam = np.stack([(u - intr.ppx) / intr.fx, (v - intr.ppy) / intr.fy, np.ones_like(u)], axis=-1)
    return d_cam.reshape(-1, 3) @ pose.r.T, pose.t  # t along d_world is camera z


def _hit_box(o: np.ndarray, d: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = (lo - o) / d
        t2 = (hi - o) / d
    tmin = np.nanmax(np.minimum(t1, t2), axis=1)
    tmax = np.nanmin(np.maximum(t1, t2), axis=1)
    return np.where((tmax >= tmin) & (tmin > 0), tmin, np.inf)


def _hit_cylinder(
    o: np.ndarray, d: np.ndarray, cx: float, cz: float, r: float, y0: float, y1: float
) -> np.ndarray:
    ox, oz = o[0] - cx, o[2] - cz
    a = d[:, 0] ** 2 + d[:, 2] ** 2
    b = 2 * (ox * d[:, 0] + oz * d[:, 2])
    c = ox * ox + oz * oz - r * r
    disc = b * b - 4 * a * c
    with np.errstate(invalid="ignore", divide="ignore"):
        t = (-b - np.sqrt(disc)) / (2 * a)
    y = o[1] + t * d[:, 1]
    ok = (disc >= 0) & (t > 0) & (y >= y0) & (y <= y1)
    return np.where(ok, t, np.inf)


def render_depth_m(placement: Placement, scene: Scene, intr: Intrinsics = INTR) -> np.ndarray:
    """Noise-free depth (camera z, metres) of the scene; 0 where nothing is hit in range."""
    pose = placement.pose()
    d, o = _rays_world(pose, intr)
    t = np.full(len(d), np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_floor = np.where(d[:, 1] < 0, -o[1] / d[:, 1], np.inf)
    t = np.minimum(t, t_floor)
    if scene.wall_m is not None:
        # Vertical wall perpendicular to the camera's horizontal view, wall_m beyond the station.
        n = -o.copy()
        n[1] = 0.0
        n /= np.linalg.norm(n)
        plane_at = float(np.linalg.norm([o[0], o[2]])) + scene.wall_m
        denom = d @ n
        with np.errstate(divide="ignore", invalid="ignore"):
            t_wall = np.where(denom > 1e-9, (plane_at - (o @ n)) / denom, np.inf)
        t = np.minimum(t, t_wall)
    if scene.person:
        px, pz, fwd = scene.person_x_m, scene.person_z_m, scene.person_forward
        top = scene.person_height_m
        t = np.minimum(t, _hit_cylinder(o, d, px, pz, 0.17, 0.85, top - 0.25))  # trunk
        t = np.minimum(t, _hit_cylinder(o, d, px, pz, 0.10, top - 0.25, top))  # head
        for dz in (-0.1, 0.1):  # legs, and feet: heel 6 cm behind the leg axis, toes 20 cm in front
            t = np.minimum(t, _hit_cylinder(o, d, px, pz + dz, 0.065, 0.08, 0.85))
            xs = sorted((px - scene.heel_m * fwd, px + scene.toe_m * fwd))
            lo = np.array([xs[0], 0.0, pz + dz - 0.05])
            hi = np.array([xs[1], 0.08, pz + dz + 0.05])
            t = np.minimum(t, _hit_box(o, d, lo, hi))
    if scene.platform is not None:
        t = np.minimum(t, _hit_box(o, d, np.asarray(scene.platform[0]), np.asarray(scene.platform[1])))
    z = np.where(np.isfinite(t) & (t <= MAX_RANGE_M), t, 0.0)
    return z.reshape(intr.height, intr.width)


def make_frames(placement: Placement, scene: Scene, n: int = 1, seed: int = 0, intr: Intrinsics = INTR,
                noise: bool = True) -> list[DepthFrame]:
    """`n` noisy uint16 (mm) depth frames of the scene: sigma_z = z^2 * NOISE_K, quantised."""
    z = render_depth_m(placement, scene, intr)
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(n):
        zn = z + (rng.normal(0.0, 1.0, z.shape) * z * z * NOISE_K if noise else 0.0)
        mm = np.where(z > 0, np.clip(np.round(zn * 1000.0), 1, 65535), 0).astype(np.uint16)
        frames.append(DepthFrame(depth=mm, depth_scale_m=0.001, intrinsics=intr, timestamp_s=i / 30.0,
                                 index=i))
    return frames


# --- the renderer's own checks -------------------------------------------------------------


def test_floor_depth_matches_closed_form() -> None:
    pl = Placement(distance_m=2.0, height_m=1.0, pitch_deg=10.0)
    z = render_depth_m(pl, Scene())
    for v in (300, 479):  # a pixel column through the principal point: the ray's angle below the axis
        below = math.atan((v - INTR.ppy) / INTR.fy)
        along_ray = 1.0 / math.sin(math.radians(10.0) + below)
        u = int(INTR.ppx)  # 0.5 px off the principal point: negligible here
        assert abs(z[v, u] - along_ray * math.cos(below)) < 0.005


def test_person_and_wall_are_in_front_of_the_floor() -> None:
    pl = Placement(distance_m=2.0, height_m=1.0, pitch_deg=5.0)
    empty = render_depth_m(pl, Scene(wall_m=1.5))
    person = render_depth_m(pl, Scene(wall_m=1.5, person=True))
    closer = (person > 0) & (person < empty - 0.1)
    assert closer.sum() > 5000  # the person occludes the wall
    assert np.all(empty[:100][empty[:100] > 0] < 3.6 / math.cos(math.radians(50)))


def test_frames_are_quantised_mm_with_noise() -> None:
    frames = make_frames(Placement(), Scene(), n=2)
    a, b = frames[0].depth.astype(int), frames[1].depth.astype(int)
    assert frames[0].depth.dtype == np.uint16
    assert np.any(a != b)
    assert np.array_equal(a > 0, b > 0)
