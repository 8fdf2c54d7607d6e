"""The calibration's background model at the analysis resolution, as a per-pixel
"may be the athlete" mask.

The background model (calibration/background.py) is built from raw frames of the empty
station at the camera's resolution (848x480); analysis frames have been through the SDK's
decimation (x2: 424x240). Decimation takes a block's median depth, so the background is
brought down the same way: the median of each block's known background depths, and the
block's largest tolerance (a pixel must stand clear of the noisiest background under it).
A pixel is foreground when it has depth and is nearer than background - tolerance, or the
background there is unknown. Static things in the station (a rack, a bench, a bag left on
the floor) then never reach the segmentation, whatever their shape.

Compute only; depth in z16 units compared against a precomputed per-pixel limit.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from calibration.background import BackgroundModel

Z16 = npt.NDArray[np.uint16]


@dataclass(frozen=True, eq=False)
class ForegroundLimit:
    """limit_z16: (H, W) uint16; a pixel with 0 < depth < limit is foreground. 65535 where
    the background is unknown (everything with depth counts)."""

    limit_z16: Z16

    def mask(self, depth: Z16) -> npt.NDArray[np.bool_]:
        return (depth > 0) & (depth < self.limit_z16)


def _block_reduce(a: npt.NDArray[np.float32], factor: int, how: str) -> npt.NDArray[np.float32]:
    h, w = a.shape[0] // factor, a.shape[1] // factor
    blocks = a[: h * factor, : w * factor].reshape(h, factor, w, factor).transpose(0, 2, 1, 3).reshape(
        h, w, factor * factor)
    if how == "max":
        out: npt.NDArray[np.float32] = blocks.max(axis=2)
        return out
    known = np.where(blocks > 0, blocks, np.nan)
    with warnings.catch_warnings():  # all-NaN blocks (background unknown there) are expected
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.nanmedian(known, axis=2)
    return np.where(np.isfinite(med), med, 0.0).astype(np.float32)


def foreground_limit(model: BackgroundModel, shape: tuple[int, ...],
                     depth_scale_m: float) -> ForegroundLimit | None:
    """The model brought to an analysis frame of `shape` (H, W); None when the frame is not
    the model's resolution divided by a whole factor (a camera reconfigured since calibration:
    analysis then goes on without the background)."""
    mh, mw = model.shape
    h, w = shape[0], shape[1]
    if h <= 0 or w <= 0 or mh % h or mw % w or mh // h != mw // w:
        return None
    factor = mh // h
    depth = model.depth_m if factor == 1 else _block_reduce(model.depth_m, factor, "median")
    tol = model.tolerance_m if factor == 1 else _block_reduce(model.tolerance_m, factor, "max")
    limit_m = np.where(depth > 0, depth - tol, np.inf)
    limit = np.where(np.isfinite(limit_m), np.clip(np.floor(limit_m / depth_scale_m), 0, 65535), 65535)
    return ForegroundLimit(limit_z16=limit.astype(np.uint16))
