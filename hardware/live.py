"""Live RealSense camera through a pyrealsense2 pipeline.

Depth only (no colour, no align: the Pi has no cycles for them). `read()` uses
`try_wait_for_frames`, which returns instead of raising, so a lost frame or an
unplugged camera becomes a status, never an exception in the caller's loop.
After `reconnect_after_s` without frames the pipeline is restarted, at most every
`retry_every_s`, so the camera comes back by itself when it is plugged in again.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

import pyrealsense2 as rs

from hardware.frame import DepthFrame, Intrinsics
from hardware.rs_frames import FilterChain, depth_frame_from_rs, intrinsics_from_rs
from hardware.settings import RESOLUTIONS, FilterConfig
from hardware.source import SourceBase, SourceError, SourceState, SourceStatus

SUPPORTED_PRODUCT_LINE = "D400"


def list_devices() -> list[dict[str, str]]:
    """Connected RealSense devices: name, serial, usb_type, product_line."""
    out = []
    for dev in rs.context().query_devices():
        info = {}
        for key, field in (
            ("name", rs.camera_info.name),
            ("serial", rs.camera_info.serial_number),
            ("usb_type", rs.camera_info.usb_type_descriptor),
            ("product_line", rs.camera_info.product_line),
        ):
            info[key] = dev.get_info(field) if dev.supports(field) else ""
        out.append(info)
    return out


def is_usb2(usb_type: str | None) -> bool:
    return bool(usb_type) and str(usb_type).startswith("2")


class LiveSource(SourceBase):
    """A D4xx camera. `serial=None` takes the first one found."""

    _what = "camera"

    def __init__(
        self,
        serial: str | None = None,
        width: int = 848,
        height: int = 480,
        fps: int = 30,
        filters: FilterConfig | None = None,
        reconnect_after_s: float = 1.0,
        retry_every_s: float = 2.0,
    ) -> None:
        if (width, height) not in RESOLUTIONS:
            allowed = ", ".join(f"{w}x{h}" for w, h in RESOLUTIONS)
            raise SourceError(f"depth resolution {width}x{height} not supported; use one of {allowed}")
        self.serial, self.width, self.height, self.fps = serial, width, height, fps
        self._filters = FilterChain(filters or FilterConfig())
        self._reconnect_after_s = reconnect_after_s
        self._retry_every_s = retry_every_s
        self._pipeline: Any = None
        self._intr: Intrinsics | None = None
        self._state = SourceState.STOPPED
        self._message = ""
        self._info: dict[str, str] = {}
        self._last_frame_t = 0.0
        self._last_retry_t = 0.0
        self._plugged_in = False  # set from the SDK's hot-plug thread
        self._context: Any = None

    def start(self) -> None:
        devices = list_devices()
        if not devices:
            raise SourceError(
                "no RealSense camera found: plug it into a USB 3 port "
                "(or run with --source sim for the simulated athlete)"
            )
        wanted = [d for d in devices if self.serial is None or d["serial"] == self.serial]
        if not wanted:
            found = ", ".join(d["serial"] for d in devices)
            raise SourceError(f"no camera with serial {self.serial}; connected: {found}")
        self._info = wanted[0]
        self._watch_devices()
        if self._info.get("product_line") and self._info["product_line"] != SUPPORTED_PRODUCT_LINE:
            raise SourceError(f"{self._info['name']} is not supported; use a D435 or D455 (D400 series)")
        self._open()

    def _open(self) -> None:
        cfg = rs.config()
        cfg.enable_device(self._info["serial"])
        cfg.enable_stream(rs.stream.depth, self.width, self.height, rs.format.z16, self.fps)
        pipeline = rs.pipeline()
        try:
            profile = pipeline.start(cfg)
        except RuntimeError as err:
            usb = self._info.get("usb_type", "")
            hint = " (the camera is on a USB 2 link: use a USB 3 port and cable)" if is_usb2(usb) else ""
            raise SourceError(
                f"camera would not stream {self.width}x{self.height}@{self.fps}: {err}{hint}"
            ) from None
        self._pipeline = pipeline
        stream = profile.get_stream(rs.stream.depth).as_video_stream_profile()
        self._intr = intrinsics_from_rs(stream.intrinsics)
        self._state = SourceState.STREAMING
        self._last_frame_t = time.monotonic()
        self._message = (
            "USB 2 link: depth limited; use a USB 3 port and the short cable"
            if is_usb2(self._info.get("usb_type"))
            else ""
        )

    def read(self, timeout_s: float = 1.0) -> DepthFrame | None:
        if self._pipeline is None:
            self._maybe_reconnect()
            return None
        ok, frames = self._pipeline.try_wait_for_frames(int(timeout_s * 1000))
        now = time.monotonic()
        arrival_s = time.perf_counter()  # before the filters: the cue's latency starts here
        if not ok:
            if now - self._last_frame_t > self._reconnect_after_s:
                self._state = SourceState.DISCONNECTED
                self._message = "camera disconnected: check the USB cable"
                self._drop_pipeline()
            else:
                self._state = SourceState.WAITING
            return None
        depth = frames.get_depth_frame()
        if not depth:
            return None
        self._last_frame_t = now
        self._state = SourceState.STREAMING
        return depth_frame_from_rs(self._filters.process(depth), arrival_s=arrival_s)

    def _watch_devices(self) -> None:
        """Ask the SDK to tell us when cameras come and go, so a re-plugged camera is taken
        back at once instead of at the next poll (the poll stays as the fallback)."""
        try:
            self._context = rs.context()
            self._context.set_devices_changed_callback(self._on_devices_changed)
        except (RuntimeError, AttributeError):  # an SDK build without hot-plug events
            self._context = None

    def _on_devices_changed(self, info: Any) -> None:
        # The SDK's thread: only note it; the loop's thread reconnects.
        with contextlib.suppress(Exception):
            serials = {d.get_info(rs.camera_info.serial_number) for d in info.get_new_devices()}
            if self._info.get("serial") in serials:
                self._plugged_in = True

    def _drop_pipeline(self) -> None:
        with contextlib.suppress(RuntimeError):
            self._pipeline.stop()
        self._pipeline = None

    def _maybe_reconnect(self) -> None:
        now = time.monotonic()
        plugged_in, self._plugged_in = self._plugged_in, False
        if self._state is SourceState.STOPPED:
            return
        if not plugged_in and now - self._last_retry_t < self._retry_every_s:
            return
        self._last_retry_t = now
        try:
            if any(d["serial"] == self._info.get("serial") for d in list_devices()):
                self._open()
        except (SourceError, RuntimeError) as err:
            self._message = f"camera disconnected, retrying: {err}"

    @property
    def status(self) -> SourceStatus:
        return SourceStatus(
            state=self._state,
            message=self._message,
            usb_type=self._info.get("usb_type"),
            device_name=self._info.get("name"),
            serial=self._info.get("serial"),
        )

    def close(self) -> None:
        if self._pipeline is not None:
            self._drop_pipeline()
        self._state = SourceState.STOPPED
