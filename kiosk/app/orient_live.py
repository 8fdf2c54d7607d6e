"""The live kiosk's heading: world +x turned onto the athlete's forward from their first hinge.

The station calibration takes +x from the camera's image axis, which is the athlete's
forward only for a camera square-on to their side; swung up to 30 deg behind the side, every
sagittal distance shrinks by up to cos 30 (13 %) and the virtual wall is drawn in the wrong
place. `hinge-kiosk analyze` re-orients from the recording (kiosk/analysis/orient.py); the kiosk
learns the same heading from the first athlete's first deep hinge
(calibration.heading.heading_from_hinge): the head's travel from standing to the bottom of a
hinge lies along the forward direction.

`HeadingLearner.feed(body, frame)` per analysed frame: it keeps the last upright body seen
while the rep machine stands (READY/SETTLING) and the deepest few bodies of the rep in
progress (trunk past `hinge_trunk_deg`, not so deep that the back is as high as the head:
calibration.heading.readable_depth); when the rep completes it measures the yaw. A wall
rep that never passes `hinge_trunk_deg` (near walls: a wall-only drill) is read
from its deepest bodies past SHALLOW_TRUNK_DEG by the head's travel against the buttocks'
(calibration.heading.heading_from_shallow_hinge). Once a
sane yaw is measured (|yaw| <= `max_yaw_deg`), the learner is done for this calibration:
a turn of at least `min_yaw_deg` (and a facing decided from the hinge when the calibration's
is "auto") comes back as the corrected calibration, a smaller one leaves it as it is.

Frames: world of the calibration being learnt (+y up, metres); body points (N, 3) float32
as `FrameAnalyzer.process` gives them (FrameResult.body_m); yaw in degrees, positive from +x toward
+z. Pure compute: no pygame, no I/O besides logging.
"""

from __future__ import annotations

import logging
import statistics
from dataclasses import dataclass, replace

import numpy as np

from calibration.heading import (
    HeadingReader,
    body_top_m,
    heading_from_hinge,
    heading_from_shallow_hinge,
    orient_from_hinge,
    readable_depth,
    with_heading,
)
from calibration.model import Calibration
from kiosk.core import DrillFrame, Landmarks, Profile
from kiosk.core.landmarks import find_landmarks
from kiosk.core.metrics import trunk_angle_deg
from kiosk.core.reps import Phase, Reference
from kiosk.core.types import Points

log = logging.getLogger(__name__)

HINGE_TRUNK_DEG = 45.0  # a clear hinge: at 40 deg (a squat pattern) the reading was off by 5 deg
# A rep that never passes HINGE_TRUNK_DEG (wall reps at near walls, a wall-only drill) is
# read from its bodies past this by the head's travel against the buttocks'.
SHALLOW_TRUNK_DEG = 15.0
UPRIGHT_TRUNK_DEG = 6.0  # the standing body: trunk this close to vertical
MIN_YAW_DEG = 3.0  # below this the turn is within the estimate's own error (~1-3 deg)
MAX_YAW_DEG = 40.0  # a camera is at most 30 deg oblique: beyond this the reading is wrong
DEEPEST = 3  # readable hinged bodies kept per rep: the median of their yaws rides out one bad frame
MAX_ATTEMPTS = 3  # reps tried before giving up on this calibration
_MIN_POINTS = 150  # fewer: a fragment of the body (holes, half out of view)


@dataclass(frozen=True)
class HeadingOutcome:
    """What the learner decided after a rep. calibration: the corrected one (None: keep the
    current). yaw_deg: the measured turn (None: none measured); applied: it was applied."""

    calibration: Calibration | None
    yaw_deg: float | None
    applied: bool
    note: str


class HeadingLearner:
    """Stateful, one per calibration: feed every analysed frame in order."""

    def __init__(
        self,
        calibration: Calibration,
        min_yaw_deg: float = MIN_YAW_DEG,
        max_yaw_deg: float = MAX_YAW_DEG,
        hinge_trunk_deg: float = HINGE_TRUNK_DEG,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self.calibration = calibration
        self.min_yaw_deg = min_yaw_deg
        self.max_yaw_deg = max_yaw_deg
        self.hinge_trunk_deg = hinge_trunk_deg
        self.max_attempts = max_attempts
        self.attempts = 0
        self.done = False
        self.outcome: HeadingOutcome | None = None  # the deciding outcome, once done
        self._standing: Points | None = None
        self._standing_top_m: float | None = None  # body_top_m of _standing, when needed
        # (trunk deg, body) of the rep in progress, deepest first: past hinge_trunk_deg,
        # and (read only when the rep has none of those) past SHALLOW_TRUNK_DEG.
        self._hinged: list[tuple[float, Points]] = []
        self._shallow: list[tuple[float, Points]] = []

    def feed(self, body: Points | None, frame: DrillFrame) -> HeadingOutcome | None:
        """One analysed frame: the athlete's points (world of `calibration`) and the drill
        frame. Returns an outcome when a completed rep was measured, else None. The body
        arrays are kept by reference: the analyzer hands out a new read-only one per frame."""
        if self.done:
            return None
        outcome = None
        if frame.completed is not None and self._hinged:
            outcome = self._measure(self._hinged, heading_from_hinge, "deep")
        elif frame.completed is not None and self._shallow and frame.completed.drill == "wall":
            # Only a wall rep: a shallow dowel rep (a squat pattern) is followed by deeper
            # ones, which the head's travel alone reads better (1-2 deg against ~5).
            outcome = self._measure(self._shallow, heading_from_shallow_hinge, "shallow")
        if frame.phase is not Phase.HINGE:
            self._hinged, self._shallow = [], []  # a finished rep, or a dip the rep machine dropped
        if body is None or len(body) < _MIN_POINTS or not frame.person or frame.trunk_angle_deg is None:
            return outcome
        trunk = frame.trunk_angle_deg
        if frame.phase is Phase.HINGE:
            # Shallow bodies are read only for a wall rep: in the dowel stage they are not kept.
            least = SHALLOW_TRUNK_DEG if frame.stage == "wall" else self.hinge_trunk_deg
            if trunk >= least and self._standing is not None and readable_depth(
                self._standing_top(), body
            ):
                kept = self._hinged if trunk >= self.hinge_trunk_deg else self._shallow
                kept.append((trunk, body))
                kept.sort(key=lambda th: -th[0])
                del kept[DEEPEST:]
        elif frame.phase in (Phase.READY, Phase.SETTLING) and trunk <= UPRIGHT_TRUNK_DEG:
            self._standing, self._standing_top_m = body, None
        return outcome

    def _standing_top(self) -> float:
        """The stored standing body's top, worked out once per standing body (not per
        hinged frame: this runs on the loop's thread while a rep is in progress)."""
        assert self._standing is not None
        if self._standing_top_m is None:
            self._standing_top_m = body_top_m(self._standing)
        return self._standing_top_m

    def _measure(
        self, kept: list[tuple[float, Points]], read: HeadingReader, kind: str
    ) -> HeadingOutcome:
        """The heading from the stored standing body and the rep's deepest `kept` bodies,
        each read by `read` (heading_from_hinge, or heading_from_shallow_hinge for a rep
        that never passed hinge_trunk_deg: a wall rep at a near wall)."""
        assert self._standing is not None
        cal, standing = self.calibration, self._standing.astype(np.float64)
        decide = cal.facing == "auto"
        readings = [
            orient_from_hinge(cal, standing, hinged.astype(np.float64), decide_facing=decide, read=read)
            for _, hinged in kept
        ]
        # The deepest body decides the facing; yaws are only comparable within one facing.
        base = readings[0][0]
        yaws = [yaw for out, yaw in readings if yaw is not None and out.facing == base.facing]
        self.attempts += 1
        if base.facing == "auto" or not yaws:
            return self._retry(f"no heading from the hinge ({len(kept)} {kind} frames)")
        yaw = statistics.median(yaws)
        if abs(yaw) > self.max_yaw_deg:
            return self._retry(f"heading {yaw:+.1f} deg is beyond {self.max_yaw_deg:.0f} deg: not trusted")
        facing_changed = base.facing != cal.facing
        if abs(yaw) < self.min_yaw_deg:
            corrected = cal.with_facing(base.facing) if facing_changed else None
            return self._finish(HeadingOutcome(
                corrected, yaw, False, f"heading {yaw:+.1f} deg: square-on, calibration kept"
                + (f" (facing {base.facing} from the hinge)" if facing_changed else "")))
        corrected = with_heading(cal.with_facing(base.facing) if facing_changed else cal, yaw)
        spread = float(np.ptp(yaws)) if len(yaws) > 1 else 0.0
        return self._finish(HeadingOutcome(
            corrected, yaw, True, f"heading {yaw:+.1f} deg from the hinge ({len(yaws)} frames, "
            f"spread {spread:.1f} deg): world +x turned onto the athlete's forward"
            + (f", facing {base.facing}" if facing_changed else "")))

    def _retry(self, why: str) -> HeadingOutcome:
        if self.attempts >= self.max_attempts:
            log.warning("%s; giving up after %d reps: the image axis stays the forward", why, self.attempts)
            return self._finish(HeadingOutcome(None, None, False, f"{why}; gave up"), logged=True)
        log.info("%s; trying the next rep", why)
        return HeadingOutcome(None, None, False, why)

    def _finish(self, outcome: HeadingOutcome, logged: bool = False) -> HeadingOutcome:
        self.done, self.outcome = True, outcome
        self._standing, self._standing_top_m, self._hinged, self._shallow = None, None, [], []
        if not logged:
            log.info("%s", outcome.note)
        return outcome


def moved_reference(
    ref: Reference, body: Points, seen: Landmarks, old: Calibration, new: Calibration, profile: Profile,
    stature_m: float | None, heel_offset_m: float | None = None,
) -> Reference | None:
    """The rep machine's standing reference re-expressed in `new`'s world frame, or None
    when the body's landmarks cannot be found there. body/seen: a standing frame's points
    (N, 3) in `old`'s world and its raw landmarks. The reference holds sagittal x positions
    (heel, buttocks) and angles of the x-y projection, which a turn about the vertical
    changes by the body's width, not by a rotation of x alone: the landmarks are found again
    on the turned points and the reference keeps its offset from this frame's."""
    turned = np.ascontiguousarray(new.pose.to_world(old.pose.to_camera(body)), dtype=np.float32)
    now, _ = find_landmarks(turned, profile.landmarks, stature_m, heel_offset_m, body=profile.body_model)
    if now is None:
        return None
    trunk = ref.trunk_angle_deg
    if seen.trunk_axis is not None and now.trunk_axis is not None:
        trunk += trunk_angle_deg(now.trunk_axis) - trunk_angle_deg(seen.trunk_axis)
    spine = ref.spinal_curve_deg
    if spine is not None and seen.spinal_curve_deg is not None and now.spinal_curve_deg is not None:
        spine += now.spinal_curve_deg - seen.spinal_curve_deg
    hollow = ref.lumbar_hollow_mm
    if hollow is not None and seen.lumbar_hollow_mm is not None and now.lumbar_hollow_mm is not None:
        hollow += now.lumbar_hollow_mm - seen.lumbar_hollow_mm
    return replace(
        ref,
        heel_x_m=ref.heel_x_m - seen.heel[0] + now.heel[0],
        buttocks_x_m=ref.buttocks_x_m - seen.buttocks[0] + now.buttocks[0],
        trunk_angle_deg=trunk,
        spinal_curve_deg=spine,
        lumbar_hollow_mm=hollow,
    )
