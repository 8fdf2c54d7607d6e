"""How deep the analysis can ever read, and the SDK's range limit pulled in to it.

Why: the SDK's spatial filter is the dearest step of a frame (docs/performance.md) and
works on every pixel with depth, most of them the room behind the station, which the
analysis never reads: it keeps only pixels whose depth puts them inside `analysis_box`
(calibration/rays.py). The threshold filter runs before the spatial one, so a range limit
just past the box's far side takes that background out of the spatial filter's work.

What changes inside the box: nothing the analysis reads, in every case checked (both
simulated body families through the SDK, five_people.pcd at the tightest limit, `analyze`
byte-identical on 7 recordings: tests/test_depth_limit.py). It is not a theorem: the spatial
filter compares each pixel with its running smoothed value, so a surface that runs on,
at a slope near the filter's 20 mm edge threshold per pixel, from inside the box to past
the limit can come out a few mm different along its length. An adversarial review found
such a case (a flat wall set through the box's far corner at 26-36 deg, after the session
learnt a 45 deg heading): changes up to ~0.56 m in front of the limit, on that wall, never
on the athlete, hence a margin of FAR_MARGIN_M past the deepest point at any heading.

The limit holds for every heading and facing the session may learn later without the
source being opened again: those turn the box about its own vertical axis
(calibration/heading.py `with_heading`, `Calibration.with_facing`), and the bound is
taken over every such turn. Camera frame: z along the optical axis, metres (depth is z,
not range, and the SDK's threshold compares z).
"""

from __future__ import annotations

import math

from calibration.model import Calibration
from calibration.rays import Box
from hardware.geometry import CameraPose
from hardware.settings import FilterConfig
from kiosk.analysis.analyzer import MEASURE_FILTERS, analysis_box, core_zone
from kiosk.core import Profile

FAR_MARGIN_M = 0.6  # beyond the box's far side (see the module's docstring for why this much)
MIN_RANGE_M = 0.5  # a limit this close past the near limit would be a broken calibration: none


def far_depth_m(pose: CameraPose, box: Box, centre_xz_m: tuple[float, float]) -> float:
    """The largest camera depth (z, m) of any point of the world box `box` turned by any
    angle about the vertical through `centre_xz_m` (camera at `pose`). The depth of a point
    is linear in it; over the turned footprint (inside a disc about the centre through the
    footprint's farthest corner) its largest horizontal part is the centre's plus the
    optical axis's horizontal length times that radius; the vertical part is largest at one
    of the two heights."""
    axis = pose.r[:, 2]  # the optical axis in world coordinates
    t = pose.t
    (x0, x1), (y0, y1), (z0, z1) = box
    cx, cz = centre_xz_m
    radius = math.hypot(max(cx - x0, x1 - cx), max(cz - z0, z1 - cz))
    horizontal = axis[0] * (cx - t[0]) + axis[2] * (cz - t[2]) + math.hypot(axis[0], axis[2]) * radius
    vertical = max(axis[1] * (y0 - t[1]), axis[1] * (y1 - t[1]))
    return float(horizontal + vertical)


def depth_limit_m(cal: Calibration, profile: Profile) -> float | None:
    """The range limit for measuring with `cal` and `profile`: FAR_MARGIN_M past the
    deepest point of the analysis box at any heading or facing (both turn it about the
    zone's centre), never beyond MEASURE_FILTERS' own; None when that would leave no
    sensible range (the box behind the camera)."""
    zone = core_zone(cal.zone)
    box = analysis_box(zone, profile.segmentation)
    centre = ((zone.x_min_m + zone.x_max_m) / 2, (zone.z_min_m + zone.z_max_m) / 2)
    limit = min(MEASURE_FILTERS.max_distance_m, far_depth_m(cal.pose, box, centre) + FAR_MARGIN_M)
    if limit < MEASURE_FILTERS.min_distance_m + MIN_RANGE_M:
        return None
    return round(limit, 3)


def measure_filters(limit_m: float | None) -> FilterConfig:
    """MEASURE_FILTERS with the range limit `limit_m` (None: MEASURE_FILTERS itself)."""
    if limit_m is None:
        return MEASURE_FILTERS
    return MEASURE_FILTERS.model_copy(update={"max_distance_m": min(limit_m, MEASURE_FILTERS.max_distance_m)})
