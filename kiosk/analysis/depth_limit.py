"""How deep the analysis can ever read, and the SDK's range limit pulled in to it.

Why: the SDK's spatial filter is the dearest step of a frame (docs/performance.md) and
works on every pixel with depth, most of them the room behind the station, which the
analysis never reads: it keeps only pixels whose depth puts them inside `analysis_box`
(calibration/rays.py). The threshold filter runs before the spatial one, so a range limit
just past the box's far side takes that background out of the spatial filter's work.

Inside the box nothing changes: the box's pixels and the cut ones differ in depth by
more than FAR_MARGIN_M, ten times the spatial filter's edge threshold (spatial_delta,
20 mm), so the filter never smoothed across them (tests/test_depth_limit.py checks
the box's pixels bit for bit on simulated and real recordings).

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

FAR_MARGIN_M = 0.2  # beyond the box's far side: >> the spatial filter's 20 mm edge threshold
MIN_RANGE_M = 0.5  # a limit this close past the near limit would be a broken calibration: none


def far_depth_m(pose: CameraPose, box: Box) -> float:
    """The largest camera depth (z, m) of any point of the world box `box` turned by any
    angle about the vertical through its centre (camera at `pose`). The depth of a point
    is linear in it; over the turned footprint (a disc of the footprint's half-diagonal)
    its largest horizontal part is the centre's plus the optical axis's horizontal length
    times that radius; the vertical part is largest at one of the two heights."""
    axis = pose.r[:, 2]  # the optical axis in world coordinates
    t = pose.t
    (x0, x1), (y0, y1), (z0, z1) = box
    centre_x, centre_z = (x0 + x1) / 2, (z0 + z1) / 2
    radius = math.hypot((x1 - x0) / 2, (z1 - z0) / 2)
    horizontal = (axis[0] * (centre_x - t[0]) + axis[2] * (centre_z - t[2])
                  + math.hypot(axis[0], axis[2]) * radius)
    vertical = max(axis[1] * (y0 - t[1]), axis[1] * (y1 - t[1]))
    return float(horizontal + vertical)


def depth_limit_m(cal: Calibration, profile: Profile) -> float | None:
    """The range limit for measuring with `cal` and `profile`: just past the deepest
    point of the analysis box (any heading), never beyond MEASURE_FILTERS' own; None
    when that would leave no sensible range (the box behind the camera)."""
    box = analysis_box(core_zone(cal.zone), profile.segmentation)
    limit = min(MEASURE_FILTERS.max_distance_m, far_depth_m(cal.pose, box) + FAR_MARGIN_M)
    if limit < MEASURE_FILTERS.min_distance_m + MIN_RANGE_M:
        return None
    return round(limit, 3)


def measure_filters(limit_m: float | None) -> FilterConfig:
    """MEASURE_FILTERS with the range limit `limit_m` (None: MEASURE_FILTERS itself)."""
    if limit_m is None:
        return MEASURE_FILTERS
    return MEASURE_FILTERS.model_copy(update={"max_distance_m": min(limit_m, MEASURE_FILTERS.max_distance_m)})
