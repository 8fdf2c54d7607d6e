"""Conversions between pyrealsense2 objects and the SDK-free `DepthFrame`, plus the
SDK's post-processing filter chain. Only hardware/ imports pyrealsense2."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyrealsense2 as rs

from hardware.frame import DepthFrame, Intrinsics
from hardware.settings import FilterConfig


def intrinsics_from_rs(intr: Any) -> Intrinsics:
    c = [float(x) for x in list(intr.coeffs)[:5]] + [0.0] * 5
    return Intrinsics(
        width=int(intr.width),
        height=int(intr.height),
        fx=float(intr.fx),
        fy=float(intr.fy),
        ppx=float(intr.ppx),
        ppy=float(intr.ppy),
        model=str(intr.model).split(".")[-1],
        coeffs=(c[0], c[1], c[2], c[3], c[4]),
    )


def intrinsics_to_rs(intr: Intrinsics) -> Any:
    out = rs.intrinsics()
    out.width, out.height = intr.width, intr.height
    out.fx, out.fy, out.ppx, out.ppy = intr.fx, intr.fy, intr.ppx, intr.ppy
    out.model = rs.distortion.brown_conrady
    out.coeffs = list(intr.coeffs)
    return out


def depth_frame_from_rs(frame: Any, depth_scale_m: float | None = None,
                        arrival_s: float | None = None) -> DepthFrame:
    """Copy an SDK depth frame into a DepthFrame (the SDK's buffer is released after).
    `arrival_s`: when it reached the host (DepthFrame.arrival_s), if the caller knows."""
    depth = frame.as_depth_frame()
    vsp = frame.profile.as_video_stream_profile()
    scale = float(depth.get_units()) if depth_scale_m is None else depth_scale_m
    data = np.asanyarray(depth.get_data()).copy()
    return DepthFrame(
        depth=data,
        depth_scale_m=scale,
        intrinsics=intrinsics_from_rs(vsp.intrinsics),
        timestamp_s=float(frame.get_timestamp()) / 1000.0,
        index=int(frame.get_frame_number()),
        arrival_s=arrival_s,
    )


class FilterChain:
    """Builds the SDK filters once; `process(frame)` runs them on an SDK frame."""

    def __init__(self, cfg: FilterConfig) -> None:
        self.cfg = cfg
        self._filters: list[Any] = []
        if cfg.decimation > 1:
            dec = rs.decimation_filter()
            dec.set_option(rs.option.filter_magnitude, cfg.decimation)
            self._filters.append(dec)
        if cfg.min_distance_m > 0.0 or cfg.max_distance_m < 16.0:
            thr = rs.threshold_filter(cfg.min_distance_m, cfg.max_distance_m)
            self._filters.append(thr)
        if cfg.spatial:
            sp = rs.spatial_filter()
            sp.set_option(rs.option.filter_smooth_alpha, cfg.spatial_alpha)
            sp.set_option(rs.option.filter_smooth_delta, cfg.spatial_delta)
            sp.set_option(rs.option.filter_magnitude, cfg.spatial_iterations)
            self._filters.append(sp)
        if cfg.temporal:
            self._filters.append(rs.temporal_filter())
        if cfg.hole_filling:
            self._filters.append(rs.hole_filling_filter())

    def process(self, frame: Any) -> Any:
        for f in self._filters:
            frame = f.process(frame)
        return frame
