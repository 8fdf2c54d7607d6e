"""The calibration's background model in the analysis (issue 3: "background model when
calibrated"): a static, person-sized thing standing in the station (a rack, a coat stand)
is in the empty-scene frames, so the model keeps it out of the segmentation at the
analysis resolution (the SDK's decimation x2), and the athlete is found alone.

Scene: the simulator's standing athlete and exact pose; the static slab is ray-cast into
every depth image here (plane intersection in the world frame), the same in the empty
frames and the athlete frames.
"""

from __future__ import annotations

import numpy as np
from test_analysis_speedpath import BRISK, PLACEMENT, STATURE_M, _decimated, _scene

from calibration.background import build_background
from calibration.model import Calibration
from hardware.frame import DepthFrame
from hardware.sim.source import SimConfig, SimulatedSource
from kiosk.analysis.analyzer import FrameAnalyzer
from kiosk.core.profile_loader import load_profile

PROFILE = load_profile(None)
SLAB_X_M = (0.55, 0.80)  # in front of the athlete's toes, inside the station's reach
SLAB_TOP_M = 1.7
SLAB_Z_M = 0.2


def with_slab(frame: DepthFrame, cal: Calibration) -> DepthFrame:
    """The frame with a vertical slab (world x in SLAB_X_M, y 0-SLAB_TOP_M, plane z =
    SLAB_Z_M) drawn in where it is nearer than what the pixel saw."""
    intr = frame.intrinsics
    u = (np.arange(intr.width) - intr.ppx) / intr.fx
    v = (np.arange(intr.height) - intr.ppy) / intr.fy
    uu, vv = np.meshgrid(u, v)
    dirs = np.stack([uu, vv, np.ones_like(uu)], axis=-1) @ cal.pose.r.T  # camera z = 1
    o = cal.pose.t
    with np.errstate(divide="ignore", invalid="ignore"):
        s = (SLAB_Z_M - o[2]) / dirs[..., 2]
    hit = o + s[..., None] * dirs
    on = (s > 0) & (hit[..., 0] >= SLAB_X_M[0]) & (hit[..., 0] <= SLAB_X_M[1]) & (hit[..., 1] >= 0.0) & (
        hit[..., 1] <= SLAB_TOP_M)
    depth = frame.depth.copy()
    z16 = np.where(on, np.rint(s / frame.depth_scale_m), 0).astype(np.uint16)
    nearer = on & ((depth == 0) | (z16 < depth))
    depth[nearer] = z16[nearer]
    return DepthFrame(depth, frame.depth_scale_m, intr, frame.timestamp_s, frame.index)


def empty_frames(cal: Calibration) -> list[DepthFrame]:
    src = SimulatedSource(SimConfig(script="walk_in_stand", script_options=BRISK, placement=PLACEMENT,
                                    height_m=STATURE_M, seed=3))
    src.start()
    try:
        out = []
        for i, t_s in enumerate((0.0, 0.05, 0.1, 0.15)):  # absent: nobody in view yet
            depth, row = src.render_depth(t_s)
            assert not row["person"]
            out.append(with_slab(DepthFrame(depth, 0.001, src.intrinsics, t_s, i), cal))
    finally:
        src.close()
    return out


def test_a_static_thing_in_the_station_is_background_not_a_second_person() -> None:
    frame, cal = _scene()
    cluttered = _decimated(with_slab(frame, cal))
    plain = FrameAnalyzer(cal, PROFILE)
    res = plain.process(cluttered)
    m = res.metrics
    # Without the model the slab is a person-like body: reported as a second person, or
    # even taken for the athlete.
    body = res.body_m
    assert m.second_person or len(body) == 0 or float(np.median(body[:, 0])) > 0.4

    modelled = Calibration(**{**cal.__dict__, "background": build_background(empty_frames(cal))})
    a = FrameAnalyzer(modelled, PROFILE)
    res2 = a.process(cluttered)
    m2, body2 = res2.metrics, res2.body_m
    assert m2.person and not m2.second_person
    assert not np.any((body2[:, 0] > SLAB_X_M[0] + 0.02) & (body2[:, 1] > 1.0))
    # ... and the athlete is the one measured: same body as in the frame without the slab.
    clean = FrameAnalyzer(cal, PROFILE)
    ref = clean.process(_decimated(frame)).body_m
    assert abs(len(body2) - len(ref)) <= 0.05 * len(ref)


def test_model_at_another_resolution_is_brought_down_or_skipped() -> None:
    frame, cal = _scene()
    modelled = Calibration(**{**cal.__dict__, "background": build_background(empty_frames(cal))})
    a = FrameAnalyzer(modelled, PROFILE)
    assert a.foreground(frame) is not None  # the model's own resolution
    assert a.foreground(_decimated(frame)) is not None  # x2 decimation
    odd = DepthFrame(frame.depth[:100, :300].copy(), 0.001, frame.intrinsics, 0.0, 0)
    assert a.foreground(odd) is None  # not a whole factor: analysed without the model
