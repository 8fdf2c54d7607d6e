"""A depth-only `pyrealsense2.software_device`: turns uint16 images into real SDK
frames so the SDK's filters and recorder run on them exactly as on a camera's."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyrealsense2 as rs

from hardware.frame import DepthFrame, Intrinsics
from hardware.rs_frames import FilterChain, depth_frame_from_rs, intrinsics_to_rs
from hardware.settings import FilterConfig


class SoftwareDepthDevice:
    """Push frames with `push()`, get the SDK frame back. `record_to` attaches the SDK
    recorder (.db3) so every pushed frame is written as a camera's would be."""

    def __init__(
        self,
        intr: Intrinsics,
        fps: int,
        depth_scale_m: float = 0.001,
        name: str = "Simulated D435",
        serial: str = "SIM00001",
        record_to: Path | None = None,
    ) -> None:
        self.intr = intr
        self.depth_scale_m = depth_scale_m
        self._dev = rs.software_device()
        self._sensor = self._dev.add_sensor("Stereo Module")
        vs = rs.video_stream()
        vs.type, vs.index, vs.uid = rs.stream.depth, 0, 0
        vs.width, vs.height, vs.fps, vs.bpp = intr.width, intr.height, fps, 2
        vs.fmt = rs.format.z16
        vs.intrinsics = intrinsics_to_rs(intr)
        self._profile = self._sensor.add_video_stream(vs)
        self._sensor.add_read_only_option(rs.option.depth_units, depth_scale_m)
        self._dev.register_info(rs.camera_info.name, name)
        self._dev.register_info(rs.camera_info.serial_number, serial)
        self._dev.register_info(rs.camera_info.product_line, "D400")
        self._recorder: Any = None
        if record_to is not None:
            record_to.parent.mkdir(parents=True, exist_ok=True)
            if record_to.exists():
                record_to.unlink()  # the SDK appends to an existing file otherwise
            self._recorder = rs.recorder(str(record_to), self._dev)
        self._queue = rs.frame_queue(2, keep_frames=True)
        self._sensor.open(self._profile)
        self._sensor.start(self._queue)
        self._closed = False

    def push(self, depth: npt.NDArray[np.uint16], timestamp_s: float, index: int) -> Any:
        """Inject one depth image; returns the SDK frame the sensor produced (or None)."""
        if depth.shape != (self.intr.height, self.intr.width) or depth.dtype != np.uint16:
            raise ValueError(
                f"depth must be uint16 {self.intr.height}x{self.intr.width}, got {depth.dtype} {depth.shape}"
            )
        f = rs.software_video_frame()
        f.pixels = np.ascontiguousarray(depth)
        f.bpp = 2
        f.stride = self.intr.width * 2
        f.timestamp = timestamp_s * 1000.0
        f.domain = rs.timestamp_domain.hardware_clock
        f.frame_number = index
        f.profile = self._profile.as_video_stream_profile()
        f.depth_units = self.depth_scale_m
        self._sensor.on_video_frame(f)
        ok, frame = self._queue.try_wait_for_frame(1000)
        return frame if ok else None

    def close(self) -> None:
        """Stop the sensor and finalise the recording (the recorder writes on release)."""
        if self._closed:
            return
        self._closed = True
        self._sensor.stop()
        self._sensor.close()
        self._recorder = None
        self._queue = None
        self._dev = None


class SoftwareFilter:
    """`filters` run on DepthFrames through the SDK, as on a camera's frames: each pushed
    into a software device made at its own size and depth units (made again when they
    change), through the chain, copied back out with the input's timestamp, index,
    metadata and arrival. Calling it returns the filtered frame, or None when the SDK
    gave none; it raises for a frame the device cannot take (its caller decides)."""

    def __init__(self, filters: FilterConfig, fps: int = 30) -> None:
        self._chain, self._fps = FilterChain(filters), fps
        self._dev: SoftwareDepthDevice | None = None
        self._key: tuple[Intrinsics, float] | None = None

    def __call__(self, f: DepthFrame) -> DepthFrame | None:
        key = (f.intrinsics, f.depth_scale_m)
        if self._dev is None or key != self._key:
            self.close()
            self._dev = SoftwareDepthDevice(f.intrinsics, self._fps, depth_scale_m=f.depth_scale_m)
            self._key = key
        sdk = self._dev.push(f.depth, f.timestamp_s, f.index)
        if sdk is None:
            return None
        out = depth_frame_from_rs(self._chain.process(sdk), f.depth_scale_m)
        return replace(out, timestamp_s=f.timestamp_s, index=f.index, meta=f.meta, arrival_s=f.arrival_s)

    def close(self) -> None:
        if self._dev is not None:
            self._dev.close()
        self._dev, self._key = None, None
