"""Analytic athletes for the measurement-core tests: a posable body of capsules and
ellipsoids, seen by a pinhole depth camera at the athlete's side (z-buffered surface
samples, D4xx-like axial noise, grazing dropouts, flying pixels at depth edges), a
floor and optional walls. Ground truth comes from the exact body geometry.

Not the product simulator (hardware/sim): no Open3D, fast enough for unit tests.
World frame of docs/measurement.md: +y up, +x the athlete's forward, +z their right.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from hardware.geometry import look_at_rotation

F = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Pose:
    """Angles in degrees. shank_deg: shank forward tilt from vertical; knee_deg: knee
    flexion; trunk_deg: hip->shoulder line from vertical; bulge_m: dorsal bow of the
    spine (rounding); neck_deg: + head dropped; x0_m: ankle x; z0_m: body centre z.
    heel_back_frac: the foot's rear capsule centre behind the ankle, x stature/1.78 (its
    surface is 0.04 further back): a short or long heel for the same leg."""

    shank_deg: float = 2.0
    knee_deg: float = 4.0
    trunk_deg: float = 3.0
    bulge_m: float = 0.012
    neck_deg: float = 0.0
    arm_deg: float = 0.0
    x0_m: float = 0.0
    z0_m: float = 0.0
    heel_back_frac: float = 0.03


@dataclass(frozen=True)
class Camera:
    distance_m: float = 2.0
    height_m: float = 0.95
    pitch_deg: float = 8.0
    oblique_deg: float = 0.0
    side: float = 1.0  # +1: camera on the athlete's right (+z)
    aim_x_m: float = -0.15
    width: int = 424
    height: int = 240
    fx: float = 213.0
    noise_fx: float = 426.0  # the stereo noise is set at full resolution (before decimation)
    subpixel: float = 0.08
    noise_scale: float = 1.0  # < 1: what decimation and the SDK spatial filter leave of it
    baseline_m: float = 0.05


@dataclass
class Truth:
    joints: dict[str, F] = field(default_factory=dict)
    heel_x_m: float = 0.0
    toe_x_m: float = 0.0
    buttocks_x_m: float = 0.0
    knee_flexion_deg: float = 0.0
    trunk_angle_deg: float = 0.0
    stature_m: float = 0.0


def _rot2(deg: float) -> F:
    """Rotation in the sagittal plane that tilts +y toward +x by deg."""
    r = math.radians(deg)
    return np.array([[math.cos(r), math.sin(r)], [-math.sin(r), math.cos(r)]])


def _p3(xy: F, z: float) -> F:
    return np.array([xy[0], xy[1], z])


def _capsule(rng: np.random.Generator, p0: F, p1: F, r: float, dens: float) -> tuple[F, F]:
    d = p1 - p0
    length = float(np.linalg.norm(d))
    u = d / max(length, 1e-9)
    e1 = np.cross(u, [0.0, 0.0, 1.0] if abs(u[2]) < 0.9 else [1.0, 0.0, 0.0])
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(u, e1)
    n_cyl = int(2 * math.pi * r * length * dens) + 1
    t = rng.random(n_cyl) * length
    phi = rng.random(n_cyl) * 2 * math.pi
    nrm = np.outer(np.cos(phi), e1) + np.outer(np.sin(phi), e2)
    pts = [p0 + np.outer(t, u) + r * nrm]
    nrms = [nrm]
    n_sph = int(4 * math.pi * r * r * dens) + 1
    for c in (p0, p1):
        s = rng.standard_normal((n_sph, 3))
        s /= np.linalg.norm(s, axis=1, keepdims=True)
        pts.append(c + r * s)
        nrms.append(s)
    return np.concatenate(pts), np.concatenate(nrms)


def _ellipsoid(rng: np.random.Generator, c: F, axes: F, radii: F, dens: float) -> tuple[F, F]:
    """axes: 3x3 columns = unit axes; radii along them."""
    area = (
        4
        * math.pi
        * ((radii[0] * radii[1]) ** 1.6 + (radii[0] * radii[2]) ** 1.6 + (radii[1] * radii[2]) ** 1.6)
        ** (1 / 1.6)
        / 3 ** (1 / 1.6)
    )
    n = int(area * dens * 1.5) + 1
    s = rng.standard_normal((n, 3))
    s /= np.linalg.norm(s, axis=1, keepdims=True)
    pts = c + (s * radii) @ axes.T
    nrm = (s / radii) @ axes.T
    return pts, nrm / np.linalg.norm(nrm, axis=1, keepdims=True)


def body_samples(
    pose: Pose, stature_m: float = 1.78, dens: float = 1.1e5, seed: int = 0
) -> tuple[F, F, Truth]:
    """Dense surface samples (points, normals) of the posed body and its ground truth."""
    rng = np.random.default_rng(seed)
    k = stature_m / 1.78
    ls, lt, ltr = 0.445 * k, 0.435 * k, 0.50 * k
    ankle = np.array([pose.x0_m, 0.075 * k])
    knee = ankle + ls * np.array(
        [math.sin(math.radians(pose.shank_deg)), math.cos(math.radians(pose.shank_deg))]
    )
    th = pose.shank_deg - pose.knee_deg
    hip = knee + lt * np.array([math.sin(math.radians(th)), math.cos(math.radians(th))])
    a = np.array([math.sin(math.radians(pose.trunk_deg)), math.cos(math.radians(pose.trunk_deg))])
    n = np.array([-a[1], a[0]])  # dorsal
    shoulder = hip + ltr * a
    rp = _rot2(pose.trunk_deg)
    parts: list[tuple[F, F]] = []
    z0 = pose.z0_m
    for side in (-1.0, 1.0):
        zl = z0 + side * 0.10 * k
        heel_c = np.array([ankle[0] - pose.heel_back_frac * k, 0.045 * k])
        toe_c = np.array([ankle[0] + 0.16 * k, 0.035 * k])
        parts.append(_capsule(rng, _p3(heel_c, zl), _p3(toe_c, zl), 0.04 * k, dens))
        parts.append(_capsule(rng, _p3(ankle, zl), _p3(knee, zl), 0.05 * k, dens))
        parts.append(_capsule(rng, _p3(knee, zl), _p3(hip, zl), 0.075 * k, dens))
        glute = hip + rp @ np.array([-0.045, -0.02]) * k
        parts.append(
            _capsule(rng, _p3(glute, z0 + side * 0.07 * k), _p3(glute, z0 + side * 0.02 * k), 0.11 * k, dens)
        )
    # Trunk: elliptic tube along a bowed centreline from the pelvis to the shoulders.
    nu = 60
    u = np.linspace(0.0, 1.0, nu)
    centre = (
        (hip + 0.02 * k * n)[None, :]
        + np.outer(u * (ltr + 0.02 * k), a)
        + np.outer(pose.bulge_m * np.sin(np.pi * u), n)
    )
    depth = (0.105 - 0.005 * u) * k
    width = (0.15 + 0.03 * u) * k
    m = int(2 * math.pi * 0.17 * k * (ltr + 0.02 * k) * dens) + 1
    ui = rng.integers(0, nu, m)
    phi = rng.random(m) * 2 * math.pi
    tang = np.gradient(centre, axis=0)
    tang /= np.linalg.norm(tang, axis=1, keepdims=True)
    nl = np.stack([-tang[:, 1], tang[:, 0]], axis=1)
    xy = centre[ui] + (depth[ui] * np.cos(phi))[:, None] * nl[ui]
    tube = np.column_stack([xy, z0 + width[ui] * np.sin(phi)])
    tn = np.column_stack([(np.cos(phi) / depth[ui])[:, None] * nl[ui], np.sin(phi) / width[ui]])
    parts.append((tube, tn / np.linalg.norm(tn, axis=1, keepdims=True)))
    for end, r_h in ((0, 0.06), (nu - 1, 0.05)):
        axes = np.array([[nl[end, 0], tang[end, 0], 0.0], [nl[end, 1], tang[end, 1], 0.0], [0.0, 0.0, 1.0]])
        parts.append(
            _ellipsoid(rng, _p3(centre[end], z0), axes, np.array([depth[end], r_h * k, width[end]]), dens)
        )
    neck_base = shoulder + 0.04 * k * a
    ha = _rot2(pose.trunk_deg + pose.neck_deg) @ np.array([0.0, 1.0])
    hn = np.array([-ha[1], ha[0]])
    neck_top = neck_base + 0.07 * k * ha
    parts.append(_capsule(rng, _p3(neck_base, z0), _p3(neck_top, z0), 0.055 * k, dens))
    head_c = neck_top + 0.10 * k * ha + 0.02 * k * hn
    axes = np.array([[hn[0], ha[0], 0.0], [hn[1], ha[1], 0.0], [0.0, 0.0, 1.0]])
    parts.append(_ellipsoid(rng, _p3(head_c, z0), axes, np.array([0.10, 0.12, 0.08]) * k, dens))
    arm = _rot2(pose.arm_deg) @ np.array([0.0, -1.0])
    for side in (-1.0, 1.0):
        za = z0 + side * 0.20 * k
        elbow = shoulder + 0.30 * k * arm
        wrist = elbow + 0.26 * k * arm
        parts.append(_capsule(rng, _p3(shoulder, za), _p3(elbow, za), 0.045 * k, dens))
        parts.append(_capsule(rng, _p3(elbow, za), _p3(wrist, za), 0.037 * k, dens))
        parts.append(_capsule(rng, _p3(wrist, za), _p3(wrist + 0.07 * k * arm, za), 0.035 * k, dens))
    pts = np.concatenate([p for p, _ in parts])
    nrm = np.concatenate([q for _, q in parts])
    truth = Truth(
        joints={"ankle": ankle, "knee": knee, "hip": hip, "shoulder": shoulder, "neck_base": neck_base}
    )
    feet = pts[:, 1] <= 0.10
    truth.heel_x_m = float(pts[feet, 0].min())
    truth.toe_x_m = float(pts[feet, 0].max())
    truth.buttocks_x_m = float(pts[pts[:, 1] >= 0.30, 0].min())
    truth.knee_flexion_deg = abs(pose.knee_deg)
    truth.trunk_angle_deg = abs(pose.trunk_deg)
    truth.stature_m = 1.785 * k  # standing head top: ankle 0.075 + shank + thigh + trunk + neck + head
    return pts, nrm, truth


def camera_pose(cam: Camera) -> tuple[F, F]:
    """(world_from_camera rotation, camera centre) as in hardware/sim/camera.py."""
    th = math.radians(cam.oblique_deg)
    centre = np.array(
        [cam.aim_x_m - cam.distance_m * math.sin(th), cam.height_m, cam.side * cam.distance_m * math.cos(th)]
    )
    horiz = np.array([cam.aim_x_m, cam.height_m, 0.0]) - centre
    horiz[1] = 0.0
    horiz /= np.linalg.norm(horiz)
    p = math.radians(cam.pitch_deg)
    return look_at_rotation(math.cos(p) * horiz + np.array([0.0, -math.sin(p), 0.0])), centre


@dataclass(frozen=True)
class Wall:
    """Plane n . p = offset_m (world), limited to |x| <= half_x_m and 0 <= y <= height_m."""

    normal: tuple[float, float, float]
    offset_m: float
    half_x_m: float = 4.0
    height_m: float = 2.6


def render(
    bodies: list[tuple[F, F]],
    cam: Camera,
    walls: tuple[Wall, ...] = (),
    noise: bool = True,
    seed: int = 0,
    floor: bool = True,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """World points of one depth frame: (N, 3) float32, their (row, col) pixel, and
    whether each pixel saw a body."""
    rng = np.random.default_rng(seed + 1000)
    rot, centre = camera_pose(cam)
    h, w = cam.height, cam.width
    ppx, ppy = (w - 1) / 2.0, (h - 1) / 2.0
    body_z = np.full(h * w, np.inf)
    body_cos = np.ones(h * w)
    pts = np.concatenate([b[0] for b in bodies]) if bodies else np.zeros((0, 3))
    nrm = np.concatenate([b[1] for b in bodies]) if bodies else np.zeros((0, 3))
    if pts.size:
        view = centre - pts
        front = np.einsum("ij,ij->i", view, nrm) > 0
        pc = (pts[front] - centre) @ rot
        nf = nrm[front]
        z = pc[:, 2]
        ok = z > 0.1
        ui = np.rint(pc[ok, 0] / z[ok] * cam.fx + ppx).astype(np.int64)
        vi = np.rint(pc[ok, 1] / z[ok] * cam.fx + ppy).astype(np.int64)
        inb = (ui >= 0) & (ui < w) & (vi >= 0) & (vi < h)
        pix = (vi * w + ui)[inb]
        zz = z[ok][inb]
        order = np.lexsort((zz, pix))
        first = np.unique(pix[order], return_index=True)[1]
        sel = order[first]
        body_z[pix[sel]] = zz[sel]
        ray = -(view[front][ok][inb][sel])
        ray /= np.linalg.norm(ray, axis=1, keepdims=True)
        body_cos[pix[sel]] = np.abs(np.einsum("ij,ij->i", ray, nf[ok][inb][sel]))
    uu, vv = np.meshgrid((np.arange(w) - ppx) / cam.fx, (np.arange(h) - ppy) / cam.fx)
    d_cam = np.stack([uu.ravel(), vv.ravel(), np.ones(h * w)], axis=1)
    d_w = d_cam @ rot.T
    static_z = np.full(h * w, np.inf)
    static_cos = np.ones(h * w)
    planes = [Wall((0.0, 1.0, 0.0), 0.0, 6.0, 99.0)] if floor else []
    for wall in (*planes, *walls):
        nv = np.asarray(wall.normal)
        denom = d_w @ nv
        with np.errstate(all="ignore"):
            t = (wall.offset_m - nv @ centre) / denom
        hit = centre + t[:, None] * d_w
        ok = (
            (t > 0.1)
            & (np.abs(hit[:, 0]) <= wall.half_x_m)
            & (hit[:, 1] >= -1e-6)
            & (hit[:, 1] <= wall.height_m)
        )
        ok &= np.abs(hit[:, 2]) <= 6.0
        closer = ok & (t < static_z)
        static_z[closer] = t[closer]
        static_cos[closer] = np.abs(denom[closer]) / np.linalg.norm(d_w[closer], axis=1)
    is_body = body_z < static_z
    depth = np.where(is_body, body_z, static_z)
    cos_inc = np.where(is_body, body_cos, static_cos)
    valid = np.isfinite(depth) & (depth < 6.0)
    depth = np.where(valid, depth, 0.0)
    if noise:
        sigma = (
            cam.noise_scale
            * depth**2
            * cam.subpixel
            / (cam.noise_fx * cam.baseline_m)
            / np.clip(cos_inc, 0.2, 1.0)
        )
        noisy = depth + sigma * rng.standard_normal(h * w)
        inc = np.degrees(np.arccos(np.clip(cos_inc, 0.0, 1.0)))
        drop = rng.random(h * w) < np.clip((inc - 70.0) / 15.0, 0.0, 1.0)
        img = depth.reshape(h, w)
        pad = np.pad(img, 1, mode="edge")
        far = np.max(np.stack([pad[:-2, 1:-1], pad[2:, 1:-1], pad[1:-1, :-2], pad[1:-1, 2:]]), axis=0).ravel()
        edge = valid & (far - depth > 0.10)
        fly = edge & (rng.random(h * w) < 0.5)
        mix = rng.random(h * w)
        noisy = np.where(fly, depth * (1 - mix) + far * mix, noisy)
        valid &= ~drop
        depth = np.where(valid, noisy, 0.0)
    idx = np.flatnonzero(valid)
    z = depth[idx]
    pc = d_cam[idx] * z[:, None]
    world = (pc @ rot.T + centre).astype(np.float32)
    rows_cols = np.stack([idx // w, idx % w], axis=1)
    return world, rows_cols, is_body[idx]


def scene(
    pose: Pose,
    cam: Camera | None = None,
    stature_m: float = 1.78,
    noise: bool = True,
    seed: int = 0,
    walls: tuple[Wall, ...] = (),
) -> tuple[npt.NDArray[np.float32], Truth]:
    """One athlete in a room: world points of a frame and the truth."""
    pts, nrm, truth = body_samples(pose, stature_m, seed=seed)
    world, _, _ = render([(pts, nrm)], cam or Camera(), walls=walls, noise=noise, seed=seed)
    return world, truth
