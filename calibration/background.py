"""Background model of the empty scene: per-pixel median depth with a tolerance.

Image frame: arrays are (height, width) like the depth stream; depths in metres. Stored
beside the calibration file as a compressed npz (uint16 millimetres), referenced by name
and SHA-256 so a stale or swapped file is caught on load.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from calibration.errors import CalibrationError
from calibration.fileio import write_atomic
from calibration.ransac import D4XX_NOISE_M_PER_M2
from hardware.frame import DepthFrame

NPZ_FORMAT = 1
DEFAULT_MIN_TOLERANCE_M = 0.03
DEFAULT_NOISE_M_PER_M2 = D4XX_NOISE_M_PER_M2


@dataclass(frozen=True, eq=False)
class BackgroundModel:
    """depth_m: (H, W) float32 median depth of the empty scene, 0 where unknown.
    tolerance_m: (H, W) float32 how much closer than the background a pixel must be to count
    as foreground. frames: how many frames built it."""

    depth_m: npt.NDArray[np.float32]
    tolerance_m: npt.NDArray[np.float32]
    frames: int

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.depth_m.shape[0]), int(self.depth_m.shape[1]))

    def foreground_mask(self, depth_m: npt.NDArray[np.floating]) -> npt.NDArray[np.bool_]:
        """(H, W) bool: valid pixels closer than the background by more than the tolerance,
        or valid where the background is unknown. Pixels without depth are never foreground."""
        d = np.asarray(depth_m, dtype=np.float32)
        if d.shape != self.depth_m.shape:
            raise CalibrationError(
                f"Depth image is {d.shape[1]}x{d.shape[0]} but the background model is "
                f"{self.shape[1]}x{self.shape[0]}: recalibrate at the kiosk's resolution"
            )
        unknown = self.depth_m <= 0
        closer = d < self.depth_m - self.tolerance_m
        return (d > 0) & (unknown | closer)


def build_background(frames: Sequence[DepthFrame], min_valid_fraction: float = 0.5,
                     min_tolerance_m: float = DEFAULT_MIN_TOLERANCE_M,
                     noise_m_per_m2: float = DEFAULT_NOISE_M_PER_M2, sigmas: float = 3.0) -> BackgroundModel:
    """Per-pixel median of the frames' valid depths; a pixel valid in fewer than
    `min_valid_fraction` of the frames is unknown. tolerance = max(min_tolerance_m,
    sigmas * max(stereo noise at that depth, the pixel's own spread across frames))."""
    if not frames:
        raise CalibrationError("No frames of the empty scene: step out of view and capture again")
    stack = np.stack([f.depth_m() for f in frames], axis=0)
    if any(f.depth.shape != frames[0].depth.shape for f in frames):
        raise CalibrationError("Empty-scene frames differ in size: capture them from one stream")
    n = stack.shape[0]
    valid_count = (stack > 0).sum(axis=0)
    # Sorting with missing data as +inf puts each pixel's valid samples first, in order;
    # order statistics then come from take_along_axis (np.nanmedian is ~10x slower).
    ordered = np.sort(np.where(stack > 0, stack, np.inf), axis=0)

    def order_stat(q: float) -> npt.NDArray[np.float32]:
        idx = np.clip(np.floor(q * (valid_count - 1)).astype(np.int64), 0, n - 1)
        stat: npt.NDArray[np.float32] = np.take_along_axis(ordered, idx[None], axis=0)[0]
        return stat

    median = order_stat(0.5)
    with np.errstate(invalid="ignore"):  # inf - inf where a pixel never had depth
        spread = (order_stat(0.75) - order_stat(0.25)) / 1.349  # IQR as a standard deviation
    known = valid_count >= max(1, int(np.ceil(min_valid_fraction * n)))
    median = np.where(known & np.isfinite(median), median, 0.0).astype(np.float32)
    spread = np.where(np.isfinite(spread), spread, 0.0)
    noise = noise_m_per_m2 * median * median
    tol = np.maximum(min_tolerance_m, sigmas * np.maximum(noise, spread)).astype(np.float32)
    return BackgroundModel(depth_m=median, tolerance_m=np.where(median > 0, tol, 0.0).astype(np.float32),
                           frames=n)


def background_bytes(model: BackgroundModel) -> bytes:
    """The model as compressed npz bytes (uint16 mm), what `save_background` writes."""
    buf = io.BytesIO()
    depth_mm = np.clip(np.round(model.depth_m * 1000.0), 0, 65535).astype(np.uint16)
    tol_mm = np.clip(np.round(model.tolerance_m * 1000.0), 0, 65535).astype(np.uint16)
    np.savez_compressed(buf, format=np.int64(NPZ_FORMAT), frames=np.int64(model.frames),
                        depth_mm=depth_mm, tolerance_mm=tol_mm)
    return buf.getvalue()


def save_background(model: BackgroundModel, path: Path) -> str:
    """Write the model atomically to `path` (npz); returns the file's SHA-256 (hex)."""
    data = background_bytes(model)
    write_atomic(path, data)
    return hashlib.sha256(data).hexdigest()


def load_background(path: Path, sha256: str, shape: tuple[int, int]) -> BackgroundModel:
    """Read and verify a background file; CalibrationError (one line) when it is missing,
    altered (checksum), unreadable or not `shape` (height, width)."""
    try:
        data = path.read_bytes()
    except OSError:
        raise CalibrationError(
            f"Background file {path} is missing: copy it next to the calibration file or recalibrate"
        ) from None
    if hashlib.sha256(data).hexdigest() != sha256:
        raise CalibrationError(
            f"Background file {path} does not match the calibration (checksum differs): recalibrate"
        )
    try:
        with np.load(io.BytesIO(data)) as z:
            depth_mm, tol_mm, frames = z["depth_mm"], z["tolerance_mm"], int(z["frames"])
    except (OSError, KeyError, ValueError) as err:
        raise CalibrationError(f"Background file {path} is unreadable ({err}): recalibrate") from None
    if depth_mm.shape != shape or tol_mm.shape != shape:
        raise CalibrationError(
            f"Background file {path} is {depth_mm.shape[1]}x{depth_mm.shape[0]}, the camera "
            f"{shape[1]}x{shape[0]}: recalibrate"
        )
    return BackgroundModel(depth_m=depth_mm.astype(np.float32) / np.float32(1000.0),
                           tolerance_m=tol_mm.astype(np.float32) / np.float32(1000.0), frames=frames)
