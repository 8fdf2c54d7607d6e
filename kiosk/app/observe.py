"""Depth frame -> what the kiosk's flow and screen need: the drill frame plus the athlete's
side-view points, landmarks, whether the feet are on the station spot and the facing.

Wraps `kiosk.analysis.FrameAnalyzer` through its public API only: `process()` for the
DrillFrame, `world_points()` (overridden here to keep the frame's world points), the
core's `segment_person`/`find_landmarks` on those points for the silhouette and the dowel
markers (the same functions `measure_frame` runs; ~4 ms a frame on a dev core), and the
drill's rep reference for the wall position. World frame of the calibration, metres.
"""

from __future__ import annotations

import logging
from collections import Counter, deque
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from calibration.facing import detect_facing
from calibration.model import Calibration
from calibration.pose import image_facing_of_forward
from hardware.frame import DepthFrame
from kiosk.analysis import FrameAnalyzer
from kiosk.app.flow import FlowTick
from kiosk.core import DrillFrame, DrillState, Landmarks, Profile
from kiosk.core.drill import INCH_M
from kiosk.core.landmarks import find_landmarks
from kiosk.core.person import segment_person

log = logging.getLogger(__name__)

XY = npt.NDArray[np.float32]
_EMPTY_XY: XY = np.zeros((0, 2), dtype=np.float32)
_FEET_TOP_M = 0.15
_UPRIGHT_DEG = 15.0  # feet-based facing is asked only of an upright athlete
_FACING_VOTES = 15  # recent upright frames that vote on the facing
_FACING_MIN_VOTES = 6
_FACING_AGREE = 0.75


@dataclass(frozen=True, eq=False)
class Observation:
    """One frame for the flow and the view.

    body_xy_m: (M, 2) world x, y of the athlete's points (empty: nobody). on_spot: feet
    centre inside the calibration's station box. facing_ok: None until the feet have told.
    wall_x_m: the virtual wall's x (wall drill only). heel_x_m: the rep reference's heel.
    """

    drill: DrillFrame
    second_person: bool
    body_xy_m: XY
    landmarks: Landmarks | None
    on_spot: bool
    facing_ok: bool | None
    wall_x_m: float | None
    heel_x_m: float | None

    def tick(self, t_s: float) -> FlowTick:
        d = self.drill
        return FlowTick(t_s=t_s, person=d.person, on_spot=self.on_spot, facing_ok=self.facing_ok,
                        phase=d.phase, stage=d.stage,
                        hip_to_wall_mm=d.hip_to_wall_mm if d.stage == "wall" else None,
                        completed=d.completed)


class _KeepingAnalyzer(FrameAnalyzer):
    """FrameAnalyzer that keeps the last frame's world points (deprojected once)."""

    last_world: npt.NDArray[np.float32] | None = None

    def world_points(self, frame: DepthFrame) -> npt.NDArray[np.float32]:
        pts = super().world_points(frame)
        self.last_world = pts
        return pts


class Observer:
    """Stateful: one analyzer per athlete session; the calibration outlives sessions (its
    facing may be decided by the first athlete when it is "auto")."""

    def __init__(self, calibration: Calibration, profile: Profile) -> None:
        self.calibration = calibration
        self.profile = profile
        self._votes: deque[str] = deque(maxlen=_FACING_VOTES)
        self.analyzer = _KeepingAnalyzer(calibration, profile)

    @property
    def forward_is_image_right(self) -> bool:
        """The display draws the athlete as the camera sees them: world +x on this side."""
        return image_facing_of_forward(self.calibration.pose) == "right"

    def new_session(self) -> None:
        """A fresh analyzer (pipeline, drill, reps) for the next athlete."""
        self.analyzer = _KeepingAnalyzer(self.calibration, self.profile)
        self._votes.clear()

    def start_drill(self) -> None:
        """Restart the drill from its first stage, keeping the rep machine's standing
        reference so the first rep can start at once."""
        a = self.analyzer
        assert a.drill is not None
        a.drill = replace(DrillState.start(a.profile), reps_state=a.drill.reps_state)
        a.reps.clear()

    def set_calibration(self, calibration: Calibration) -> None:
        self.calibration = calibration
        self.new_session()

    def observe(self, frame: DepthFrame) -> Observation:
        a = self.analyzer
        out = a.process(frame)
        world = a.last_world if a.last_world is not None else np.zeros((0, 3), np.float32)
        seg = segment_person(world, a.zone, self.profile.segmentation)
        body = seg.points if seg.person else np.zeros((0, 3), np.float32)
        lm = None
        if seg.person:
            lm, _ = find_landmarks(body, self.profile.landmarks, a.pipeline.stature_m)
        on_spot = self._on_spot(body)
        facing_ok = self._facing(body, out, on_spot) if out.person else None
        ref = a.drill.reps_state.reference if a.drill is not None else None
        heel = ref.heel_x_m if ref is not None else (lm.heel[0] if lm is not None else None)
        wall = heel - out.wall_distance_in * INCH_M if heel is not None and out.stage == "wall" else None
        return Observation(drill=out, second_person=seg.second_person,
                           body_xy_m=np.ascontiguousarray(body[:, :2]) if len(body) else _EMPTY_XY,
                           landmarks=lm, on_spot=on_spot, facing_ok=facing_ok, wall_x_m=wall, heel_x_m=heel)

    def _on_spot(self, body: npt.NDArray[np.float32]) -> bool:
        feet = body[body[:, 1] < _FEET_TOP_M] if len(body) else body
        if len(feet) < 20:
            return False
        centre = np.array([[float(np.median(feet[:, 0])), 0.05, float(np.median(feet[:, 2]))]])
        return bool(self.calibration.zone.contains(centre)[0])

    def _facing(self, body: npt.NDArray[np.float32], out: DrillFrame, on_spot: bool) -> bool | None:
        """Vote the image facing from the feet of upright frames on the spot (walking feet
        mislead); with an "auto" calibration the first clear majority decides it for good
        (the world frame turns to match)."""
        upright = out.trunk_angle_deg is not None and out.trunk_angle_deg < _UPRIGHT_DEG
        if len(body) and on_spot and upright:
            seen = detect_facing(body.astype(np.float64), self.calibration.pose)
            if seen is not None:
                self._votes.append(seen)
        decided = _majority(self._votes)
        if decided is None:
            return None
        if self.calibration.facing == "auto":
            log.info("athlete faces %s: calibration facing decided", decided)
            votes = list(self._votes)
            self.set_calibration(self.calibration.with_facing(decided))  # type: ignore[arg-type]
            self._votes.extend(votes)
            return True
        return decided == self.calibration.facing


def _majority(votes: deque[str] | list[str]) -> str | None:
    if len(votes) < _FACING_MIN_VOTES:
        return None
    (top, n), *_ = Counter(votes).most_common(1)
    return top if n >= _FACING_AGREE * len(votes) else None
