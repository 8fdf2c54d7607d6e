"""What a camera is asked for, without the SDK: the depth modes the kiosk runs and the
SDK post-processing chain's settings (hardware/rs_frames.py builds the chain from them).
Config, the pure view and the reports read these without loading pyrealsense2."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

# Depth modes (width, height) the kiosk runs the D4xx in.
RESOLUTIONS: tuple[tuple[int, int], ...] = ((848, 480), (640, 480), (424, 240))


class FilterConfig(BaseModel):
    """The SDK post-processing chain, applied in this order: decimation, threshold,
    spatial, temporal, hole filling. The temporal filter smears motion (DESIGN.md):
    keep it off while measuring."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    decimation: int = Field(default=2, ge=1, le=8, description="1 = off")
    min_distance_m: float = Field(default=0.3, ge=0.0, le=10.0)
    max_distance_m: float = Field(default=4.0, ge=0.1, le=16.0)
    spatial: bool = True
    spatial_alpha: float = Field(default=0.5, ge=0.25, le=1.0)
    spatial_delta: int = Field(default=20, ge=1, le=50)
    spatial_iterations: int = Field(default=2, ge=1, le=5)
    temporal: bool = False
    hole_filling: bool = False

    @classmethod
    def off(cls) -> FilterConfig:
        return cls(decimation=1, min_distance_m=0.0, max_distance_m=16.0, spatial=False)
