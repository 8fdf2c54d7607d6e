"""The calibration: everything the kiosk needs to turn depth frames into world points.

A frozen value. `store.py` reads and writes it (versioned JSON plus the background npz),
`calibrate.py` computes it, `validate.py` judges it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from calibration.background import BackgroundModel
from calibration.floor import FloorFit
from calibration.pose import Facing, flip_facing
from calibration.zone import StationZone
from hardware.frame import Intrinsics
from hardware.geometry import CameraPose

# "auto": not decided yet (no one stood in view, or the feet were ambiguous); the pose is
# then built as for "right" and the kiosk calls `with_facing` after the first hinge.
FacingSetting = Literal["left", "right", "auto"]


@dataclass(frozen=True, eq=False)
class Calibration:
    """intrinsics: the depth stream's, at the resolution calibrated.
    pose: camera-to-world (DESIGN.md world frame), metres. floor: the plane fit's stats.
    facing: image direction the athlete faces. zone: station, world frame.
    background: empty-scene model, or None when none was captured.
    created_utc: ISO 8601 UTC time. source: free text, e.g. "live D435 #123" or a path."""

    intrinsics: Intrinsics
    pose: CameraPose
    floor: FloorFit
    facing: FacingSetting
    zone: StationZone
    background: BackgroundModel | None
    created_utc: str
    source: str

    @property
    def camera_height_m(self) -> float:
        return self.pose.height_m

    @property
    def camera_pitch_deg(self) -> float:
        """Down is positive."""
        return self.pose.pitch_deg

    @property
    def camera_roll_deg(self) -> float:
        return self.pose.roll_deg

    def with_facing(self, facing: Facing) -> Calibration:
        """This calibration for a decided facing: pose and zone turned 180 deg about the
        vertical when it differs from the one the pose was built for ("auto" = "right")."""
        built_for: Facing = "left" if self.facing == "left" else "right"
        if facing == built_for:
            return replace(self, facing=facing)
        return replace(self, facing=facing, pose=flip_facing(self.pose), zone=self.zone.flipped())
