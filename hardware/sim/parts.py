"""The body as a union of smooth closed primitives, each rigidly attached to one segment.

Coordinates of a part are in its segment's frame (x anterior, y along the segment, z the
athlete's right):
- legs and arms: origin at the distal joint, +y towards the proximal joint;
- foot: origin at the ankle joint, feet flat (floor at y = -ankle height);
- trunk segments (pelvis, lumbar, thorax_*): the neutral upright trunk frame, origin at
  the hip-joint centre; the segment's pose maps these coordinates rigidly;
- head: origin at the neck base, +y along the head axis (neck base -> top of head).
`assembly()` concatenates every part's vertices grouped by segment, so a pose is one
rotation and translation per segment applied to a contiguous block.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from hardware.sim.anthropometry import Athlete, Dims, dims
from hardware.sim.primitives import axis_frame, capsule, unit_sphere

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]
Vec3 = tuple[float, float, float]

SEGMENTS: tuple[str, ...] = (
    "foot_l", "foot_r", "shank_l", "shank_r", "thigh_l", "thigh_r",
    "pelvis", "lumbar", "thorax_lo", "thorax_mid", "thorax_up", "head",
    "upperarm_l", "upperarm_r", "forearm_l", "forearm_r",
)
_FINE, _LIMB, _SMALL = (28, 16), (20, 12), (16, 10)  # (around, rings) per part size


@dataclass(frozen=True)
class Ellipsoid:
    """Axis-aligned ellipsoid in its segment's frame: centre and semi-axes, metres."""

    name: str
    segment: str
    centre: Vec3
    semi: Vec3
    res: tuple[int, int] = _FINE


@dataclass(frozen=True)
class Capsule:
    """Tapered capsule from p0 (radius r0) to p1 (radius r1) in its segment's frame;
    widths (the capsule's lateral axis) scaled by `width_scale`."""

    name: str
    segment: str
    p0: Vec3
    p1: Vec3
    r0: float
    r1: float
    width_scale: float = 1.0
    res: tuple[int, int] = _LIMB


Part = Ellipsoid | Capsule


def _side(z: float, side: str) -> float:
    return z if side == "r" else -z


def part_table(d: Dims) -> tuple[Part, ...]:
    """Every primitive of the body for dimensions `d` (shaped on a 1.78 m average athlete)."""
    k, g = d.k, d.g
    fl = -d.ankle_h_m  # the floor in the foot frame
    rh, rt = 0.032 * k, 0.020 * k
    heel_c = (-d.heel_to_ankle_m + rh, fl + rh, 0.0)
    toe_c = (d.foot_m - d.heel_to_ankle_m - rt, fl + rt, 0.0)
    parts: list[Part] = []
    for s in ("l", "r"):
        parts += [
            Capsule(f"foot_{s}", f"foot_{s}", heel_c, toe_c, rh, rt, 1.25),
            Ellipsoid(f"forefoot_{s}", f"foot_{s}", (0.115 * k, fl + 0.025 * k, _side(0.004 * k, s)),
                      (0.075 * k, 0.025 * k, 0.047 * k), _LIMB),
            Ellipsoid(f"instep_{s}", f"foot_{s}", (0.045 * k, -0.03 * k, 0.0),
                      (0.085 * k, 0.036 * k, 0.04 * k), _LIMB),
            Capsule(f"shank_{s}", f"shank_{s}", (0.0, 0.0, 0.0), (0.0, d.shank_m, 0.0), 0.033 * k, 0.048 * k),
            Ellipsoid(f"calf_{s}", f"shank_{s}", (-0.014 * g, 0.62 * d.shank_m, 0.0),
                      (0.05 * g, 0.12 * k, 0.048 * g), _LIMB),
            Capsule(f"thigh_{s}", f"thigh_{s}", (0.0, 0.0, 0.0), (0.0, d.thigh_m, 0.0),
                    0.05 * k, 0.082 * g, 1.05),
            Ellipsoid(f"buttock_{s}", "pelvis", (-0.07 * k, -0.02 * k, _side(0.068 * g, s)),
                      (0.105 * g, 0.115 * k, 0.085 * g)),
            Ellipsoid(f"deltoid_{s}", "thorax_up",
                      (0.0, d.trunk_m - 0.008 * k, _side(d.shoulder_half_width_m, s)),
                      (0.055 * g, 0.06 * k, 0.05 * g), _LIMB),
            Capsule(f"upperarm_{s}", f"upperarm_{s}", (0.0, 0.0, 0.0), (0.0, d.upperarm_m, 0.0),
                    0.035 * g, 0.045 * g),
            Capsule(f"forearm_{s}", f"forearm_{s}", (0.0, 0.0, 0.0), (0.0, d.forearm_m, 0.0),
                    0.025 * k, 0.038 * g),
            # The hand rides on the forearm's frame (wrist kept straight), beyond the wrist.
            Ellipsoid(f"hand_{s}", f"forearm_{s}", (0.0, -0.45 * d.hand_m, 0.0),
                      (0.022 * k, 0.45 * d.hand_m, 0.045 * k), _SMALL),
        ]
    parts += [
        Ellipsoid("pelvis", "pelvis", (0.0, 0.07 * k, 0.0), (0.115 * g, 0.13 * k, 0.16 * g)),
        Ellipsoid("sacral", "pelvis", (-0.035 * g, 0.13 * k, 0.0), (0.072 * g, 0.09 * k, 0.12 * g)),
        Ellipsoid("abdomen", "lumbar", (0.01 * g, 0.25 * k, 0.0), (0.095 * g, 0.13 * k, 0.145 * g)),
        Ellipsoid("ribs_lo", "thorax_lo", (0.0, 0.31 * k, 0.0), (0.112 * g, 0.14 * k, 0.15 * g)),
        Ellipsoid("ribs_mid", "thorax_mid", (0.0, 0.38 * k, 0.0), (0.115 * g, 0.12 * k, 0.15 * g)),
        Ellipsoid("ribs_up", "thorax_up", (0.0, 0.455 * k, 0.0), (0.11 * g, 0.12 * k, 0.15 * g)),
        Ellipsoid("shoulders", "thorax_up", (-0.005 * k, 0.5 * k, 0.0), (0.075 * g, 0.055 * k, 0.19 * g)),
        Capsule("neck", "head", (0.0, 0.0, 0.0), (0.0, 0.14 * k, 0.0), 0.058 * g, 0.052 * g, 1.0, _SMALL),
        # The skull's top is the head axis' end (neck base -> top of head): neck flexion is exact.
        Ellipsoid("head", "head", (0.0, d.head_top_m - 0.115 * k, 0.0), (0.10 * k, 0.115 * k, 0.078 * k),
                  _LIMB),
        Ellipsoid("face", "head", (0.065 * k, d.head_top_m - 0.16 * k, 0.0),
                  (0.055 * k, 0.075 * k, 0.055 * k), _SMALL),
    ]
    return tuple(parts)


def _capsule_frame(p0: FloatArray, p1: FloatArray) -> FloatArray:
    """Rotation whose columns are the capsule's local x, y (axis), z in the segment frame;
    x stays anterior unless the capsule lies along x (the foot), where it points up."""
    y = (p1 - p0) / np.linalg.norm(p1 - p0)
    hint = np.array([1.0, 0.0, 0.0]) if abs(y[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    return axis_frame(y, hint)


def part_mesh(part: Part) -> tuple[FloatArray, IntArray]:
    """Vertices (segment frame) and triangles (local indices) of one part."""
    if isinstance(part, Ellipsoid):
        v, t = unit_sphere(*part.res)
        return v * np.asarray(part.semi) + np.asarray(part.centre), t
    p0, p1 = np.asarray(part.p0), np.asarray(part.p1)
    v, t = capsule(float(np.linalg.norm(p1 - p0)), part.r0, part.r1, *part.res)
    local = v * np.array([1.0, 1.0, part.width_scale])
    return local @ _capsule_frame(p0, p1).T + p0, t


@dataclass(frozen=True, eq=False)
class Assembly:
    """All parts of one athlete, vertices grouped by segment (read-only arrays).

    local_vertices: (N, 3) in each vertex's segment frame. triangles: (M, 3) int32.
    segment_slices / part_slices: vertex index ranges; segment_triangles: triangle ranges."""

    parts: tuple[Part, ...]
    local_vertices: FloatArray
    triangles: IntArray
    segment_slices: dict[str, slice]
    part_slices: dict[str, slice]
    segment_triangles: dict[str, slice]


def assembly(athlete: Athlete) -> Assembly:
    """The athlete's parts, meshed once (cached per athlete)."""
    return _assembly(athlete)


@lru_cache(maxsize=16)
def _assembly(athlete: Athlete) -> Assembly:
    table = part_table(dims(athlete))
    verts: list[FloatArray] = []
    tris: list[IntArray] = []
    seg_slices: dict[str, slice] = {}
    part_slices: dict[str, slice] = {}
    seg_tris: dict[str, slice] = {}
    n = m = 0
    for seg in SEGMENTS:
        start, tri_start = n, m
        for part in (p for p in table if p.segment == seg):
            v, t = part_mesh(part)
            verts.append(v)
            tris.append((t + n).astype(np.int32))
            part_slices[part.name] = slice(n, n + len(v))
            n += len(v)
            m += len(t)
        seg_slices[seg] = slice(start, n)
        seg_tris[seg] = slice(tri_start, m)
    lv = np.vstack(verts)
    tv = np.vstack(tris).astype(np.int32)
    lv.setflags(write=False)
    tv.setflags(write=False)
    return Assembly(table, lv, tv, seg_slices, part_slices, seg_tris)
