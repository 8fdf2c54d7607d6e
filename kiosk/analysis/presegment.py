"""The athlete picked out of each frame ahead of the loop, in the capture process.

Why: the box-clipped deprojection and the person segmentation are FrameAnalyzer's first
steps and need nothing of the athlete's session, only the frame, the calibration and the
segmentation settings (~0.7 ms a frame here, 3-4 ms on a Pi 4 core: docs/performance.md).
The capture process (hardware/capture_process.py) already runs on another core; there
they cost the loop's thread nothing, leaving it the stateful steps (landmarks, smoothing,
the drill), the flow and the drawing (issue 14.1).

Contract: the loop hands the capture process a `SegmentStage` (picklable: calibration,
profile and their `segment_key`) whenever its calibration changes; the child calls
`presegment(frame, stage)` on each frame and the frame arrives with a `Presegmented` in
`frame.pre`. `FrameAnalyzer.segmentation` uses it only when its key is the analyzer's own,
else segments the frame itself: a stage behind the loop's calibration (the heading just
turned, a facing just decided) costs time for the frames in flight, never a wrong result.
Never raises: a stage that cannot run gives frames without `pre`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from calibration.model import Calibration
from hardware.frame import DepthFrame
from kiosk.analysis.analyzer import FrameAnalyzer, Presegmented, segment_key
from kiosk.core.thresholds import Profile

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class SegmentStage:
    """What the capture process segments with: `key` is segment_key(calibration, profile)."""

    calibration: Calibration
    profile: Profile
    key: str

    @staticmethod
    def of(calibration: Calibration, profile: Profile) -> SegmentStage:
        return SegmentStage(calibration, profile, segment_key(calibration, profile))


_SEGMENTERS: dict[str, FrameAnalyzer] = {}  # by stage key: the current one and the one before
_MAX_SEGMENTERS = 2


def _segmenter(stage: SegmentStage) -> FrameAnalyzer:
    """An analyzer used for its world points and zone only (its rays and background model
    cached per stream), one per stage key."""
    a = _SEGMENTERS.get(stage.key)
    if a is None:
        while len(_SEGMENTERS) >= _MAX_SEGMENTERS:
            del _SEGMENTERS[next(iter(_SEGMENTERS))]
        a = _SEGMENTERS[stage.key] = FrameAnalyzer(stage.calibration, stage.profile)
    return a


def presegment(frame: DepthFrame, stage: object) -> Presegmented | None:
    """The frame's segmentation under `stage` (a SegmentStage; anything else: None). Runs in
    the capture process; an error is logged and gives None (the loop segments the frame)."""
    if not isinstance(stage, SegmentStage):
        return None
    try:
        a = _segmenter(stage)
        return Presegmented(stage.key, a.segmentation(frame))
    except Exception:  # never into the capture loop: the analyzer does the work instead
        log.exception("presegmentation failed; the loop segments this frame")
        return None
