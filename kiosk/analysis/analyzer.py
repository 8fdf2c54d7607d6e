"""Depth frames -> per-frame metrics and judged reps: the composition the kiosk loop and
`hinge-kiosk analyze` share.

Frame path: SDK filters (decimation, threshold, spatial; never temporal) happen in the
source; here: deproject -> world (calibration pose) -> measurement core -> drill state
machine. Compute only: no drawing, no files.

Only the pixels whose depth puts them inside `analysis_box` (the core's zone plus the floor
under it) are deprojected (calibration/rays.py): the segmentation discards every other
point anyway, and the athlete is a few thousand of the ~40k valid pixels.
"""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass, field, replace
from typing import Any

from calibration.model import Calibration
from calibration.rays import Box, BoxRays, box_rays, points_in_box
from calibration.validate import station_noise_mm
from calibration.zone import StationZone as CalZone
from hardware.frame import DepthFrame, Intrinsics
from hardware.geometry import CameraPose
from hardware.settings import FilterConfig
from kiosk.analysis.foreground import ForegroundLimit, foreground_limit
from kiosk.core import (
    DrillFrame,
    DrillState,
    FrameMetrics,
    PipelineState,
    Profile,
    RepResult,
    StationZone,
    drill_step,
    summary,
)
from kiosk.core.drill import drill_finish
from kiosk.core.person import segment_person
from kiosk.core.pipeline import measure_segmented
from kiosk.core.reps import Reference
from kiosk.core.thresholds import SegmentationConfig
from kiosk.core.types import PersonSegmentation, Points

# The filters the measurement is tuned for: decimation x2 (848x480 -> 424x240), range
# limits, edge-preserving spatial smoothing. The temporal filter smears motion: off.
MEASURE_FILTERS = FilterConfig(
    decimation=2, min_distance_m=0.3, max_distance_m=4.5, spatial=True, temporal=False, hole_filling=False
)


NOMINAL_PERIOD_S = 1.0 / 30.0
MIN_ZONE_TOP_M = 1.0
FEET_BAND_M = 0.15  # points this low are never dropped by the background model

# The calibration's zone says where the feet go; a hinge reaches further: the head ~1.0 m
# in front of the heels, the buttocks ~0.45 m behind (either way while facing is "auto").
HINGE_REACH_X_M = 0.7
HINGE_REACH_Z_M = 0.2


def core_zone(zone: CalZone, floor_noise_m: float = 0.0) -> StationZone:
    """The calibration's station box grown by the hinge's reach, as the core's zone (world
    m), with the floor's stereo noise at the station (m RMS; 0 = not measured)."""
    half_x = zone.size_x_m / 2 + HINGE_REACH_X_M
    half_z = zone.size_z_m / 2 + HINGE_REACH_Z_M
    return StationZone(
        x_min_m=zone.centre_x_m - half_x,
        x_max_m=zone.centre_x_m + half_x,
        z_min_m=zone.centre_z_m - half_z,
        z_max_m=zone.centre_z_m + half_z,
        # A calibration file's zone is validated on load; one built in memory could be
        # degenerate (top at the floor): never lower than a crouching athlete, so the core
        # finds nobody rather than failing.
        y_max_m=max(zone.top_m, MIN_ZONE_TOP_M),
        floor_noise_m=floor_noise_m,
    )


def analysis_box(zone: StationZone, seg: SegmentationConfig) -> Box:
    """World box (metres) holding every point `segment_person` can use. Its voxel grid
    spans the zone rounded up to whole voxels, so the top ends grow by one voxel; it never
    uses points at or below the floor band (y <= floor_band_m), which are most of the
    pixels in the zone's footprint (the floor seen at grazing incidence), so the box
    starts there. Everything the segmentation may keep, including the feet's lowest layer
    (below connect_min_y_m), is inside."""
    v = seg.voxel_m
    return (
        (zone.x_min_m, zone.x_max_m + v),
        (seg.floor_band_m, zone.y_max_m + v),
        (zone.z_min_m, zone.z_max_m + v),
    )


def with_drill(
    profile: Profile,
    wall_start_in: float | None = None,
    step_in: float | None = None,
    dowel_reps: int | None = None,
    max_fails_per_distance: int | None = None,
) -> Profile:
    """The profile with drill settings overridden (None keeps the profile's value); the
    result is validated against the profile's bounds."""
    drill = profile.drill.model_dump()
    overrides = (
        ("wall_start_in", wall_start_in),
        ("step_in", step_in),
        ("dowel_reps", dowel_reps),
        ("max_fails_per_distance", max_fails_per_distance),
    )
    for key, value in overrides:
        if value is not None:
            drill[key] = value
    data = profile.model_dump()
    data["drill"] = drill
    return Profile.model_validate(data)


def segment_key(calibration: Calibration, profile: Profile) -> str:
    """What a frame's segmentation depends on besides the frame, as a digest (equal keys,
    equal results): the calibration's pose, zone, background model and station noise (not
    its time or name: the same fit made twice gives the same key) and the settings. The
    last key is kept with its objects: the station's stage and every athlete's analyzer ask
    for the same calibration's, and pickling its background model each time is a few ms."""
    for cal, prof, key in _LAST_KEY:
        if cal is calibration and prof is profile:
            return key
    c = calibration
    used = (c.pose, c.zone, c.background, station_noise_mm(c), profile.segmentation)
    key = hashlib.blake2b(pickle.dumps(used, 5), digest_size=16).hexdigest()
    _LAST_KEY[:] = [(calibration, profile, key)]  # held, so the objects' ids stay theirs
    return key


_LAST_KEY: list[tuple[Calibration, Profile, str]] = []


@dataclass(frozen=True, eq=False)
class Presegmented:
    """A frame's person segmentation made ahead of the loop (kiosk/analysis/presegment.py),
    valid for an analyzer whose calibration and profile have segment_key `key`."""

    key: str
    segmentation: PersonSegmentation


@dataclass(frozen=True, eq=False)
class FrameResult:
    """One frame through the analyzer, world metres.

    drill: the drill's output for the frame (DrillFrame: hip-to-wall, angles, dowel gaps,
    stage, phase, a rep just completed, the wall's x and whether the hips touch it).
    metrics: the core's FrameMetrics (smoothed values; the frame's raw landmarks in
    `.landmarks`). body_m: the athlete's segmented points, (N, 3) float32, read-only; empty
    when the segmentation found nobody (see measure_frame_and_body): what a display draws
    and the heading learner reads, without segmenting again."""

    drill: DrillFrame
    metrics: FrameMetrics
    body_m: Points


@dataclass
class FrameAnalyzer:
    """Stateful wrapper over the pure core: feed frames in order, get one FrameResult each.

    Operations besides `process`: `restart_drill` (the drill from its first stage, the
    standing reference kept), `recalibrated` (the same athlete's session in a new
    calibration's world frame), `finish` (the stream has ended). A new athlete is a new
    FrameAnalyzer."""

    calibration: Calibration
    profile: Profile
    t0_s: float | None = None
    pipeline: PipelineState = field(default_factory=PipelineState)
    drill: DrillState | None = None
    reps: list[RepResult] = field(default_factory=list)
    pause_on_second_person: bool = False  # the kiosk: True; `analyze` reports and goes on

    def __post_init__(self) -> None:
        noise_mm = station_noise_mm(self.calibration)
        self.zone = core_zone(self.calibration.zone, 0.0 if noise_mm is None else min(noise_mm / 1000.0, 0.5))
        self.drill = DrillState.start(self.profile)
        self._rays: BoxRays | None = None
        self._rays_key: tuple[Intrinsics, float, CameraPose, Box] | None = None
        self._last_t_s: float | None = None
        self._fg: ForegroundLimit | None = None
        self._fg_key: tuple[tuple[int, ...], float] | None = None
        self.presegmented = 0  # frames whose segmentation came made (frame.pre)

    def rays(self, frame: DepthFrame) -> BoxRays:
        """The box rays for this frame's stream, built on first use and again whenever the
        intrinsics, depth scale, pose or box change (a new source or calibration)."""
        box = analysis_box(self.zone, self.profile.segmentation)
        key = (frame.intrinsics, frame.depth_scale_m, self.calibration.pose, box)
        if self._rays is None or key != self._rays_key:
            self._rays = box_rays(frame.intrinsics, self.calibration.pose, box, frame.depth_scale_m)
            self._rays_key = key
        return self._rays

    def foreground(self, frame: DepthFrame) -> ForegroundLimit | None:
        """The calibration's background model at this frame's resolution (None: no model,
        or a resolution it cannot be brought to); cached per (shape, depth scale)."""
        bg = self.calibration.background
        if bg is None:
            return None
        key = (frame.depth.shape, frame.depth_scale_m)
        if key != self._fg_key:
            self._fg, self._fg_key = foreground_limit(bg, frame.depth.shape, frame.depth_scale_m), key
        return self._fg

    def world_points(self, frame: DepthFrame) -> Points:
        """World points (N, 3) float32, metres, of the frame's pixels inside `analysis_box`
        (plus at most one depth unit beyond it) and in front of the calibration's background
        model when it has one, in image row-major order."""
        fg = self.foreground(frame)
        keep = fg.mask(frame.depth) if fg is not None else None
        # The feet are left alone: seen at grazing incidence they lie within the tolerance
        # of the floor behind them, and the background would eat the heel and toe.
        return points_in_box(frame.depth, self.rays(frame), keep, keep_all_below_y_m=FEET_BAND_M)

    def segmentation(self, frame: DepthFrame) -> PersonSegmentation:
        """The athlete picked out of the frame: made ahead of the loop for this calibration
        (frame.pre), else here; the same either way."""
        pre = frame.pre
        if isinstance(pre, Presegmented) and pre.key == segment_key(self.calibration, self.profile):
            self.presegmented += 1
            return pre.segmentation
        # The camera centre (world frame) keeps a fragment hidden behind the body with it.
        camera_world = self.calibration.pose.translation
        return segment_person(self.world_points(frame), self.zone, self.profile.segmentation, camera_world)

    def process(self, frame: DepthFrame) -> FrameResult:
        if self.t0_s is None:
            self.t0_s = frame.timestamp_s
        t_s = frame.timestamp_s - self.t0_s
        if self._last_t_s is not None and t_s <= self._last_t_s:
            # A camera clock that jumps back (reset on reconnect): continue from the last
            # frame one nominal period on, so smoothing and rep times never run backwards.
            self.t0_s = frame.timestamp_s - (self._last_t_s + NOMINAL_PERIOD_S)
            t_s = self._last_t_s + NOMINAL_PERIOD_S
        self._last_t_s = t_s
        metrics, self.pipeline, body = measure_segmented(self.segmentation(frame), self.zone, self.profile,
                                                         t_s, self.pipeline)
        body.setflags(write=False)
        judged = metrics
        if self.pause_on_second_person and metrics.second_person:
            # The kiosk judges one athlete: with someone else in the station the largest body
            # may be either of them, so no frame of it may count toward a rep.
            judged = replace(metrics, person=False, reason="second person in the station")
        assert self.drill is not None
        self.drill, out = drill_step(self.drill, judged, self.profile)
        if out.completed is not None:
            self.reps.append(out.completed)
        return FrameResult(drill=out, metrics=metrics, body_m=body)

    def restart_drill(self) -> None:
        """The drill from its first stage, no reps judged, keeping the rep machine's standing
        reference so the first rep can start at once."""
        assert self.drill is not None
        self.drill = replace(DrillState.start(self.profile), reps_state=self.drill.reps_state)
        self.reps.clear()

    def recalibrated(self, calibration: Calibration, reference: Reference | None) -> FrameAnalyzer:
        """This athlete's session carried into `calibration`'s world frame: the clock, the
        judged reps, the drill (stage, wall), the stature and the heel offsets; the rep
        machine's standing reference replaced by `reference` (already moved into the new
        frame, or None) and its still window emptied; the smoother starts again (its values
        are x in the old frame)."""
        assert self.drill is not None
        rs = self.drill.reps_state
        out = FrameAnalyzer(calibration, self.profile, t0_s=self.t0_s, reps=list(self.reps),
                            pause_on_second_person=self.pause_on_second_person,
                            pipeline=PipelineState(stature_m=self.pipeline.stature_m,
                                                   heel_offsets=self.pipeline.heel_offsets))
        out.drill = replace(self.drill, reps_state=replace(rs, reference=reference, window=()))
        out._last_t_s = self._last_t_s
        return out

    def finish(self) -> RepResult | None:
        """The stream has ended: settle the rep in progress (core.drill_finish). Returns it
        when it was judged (the athlete had stood up again); an incomplete one is in
        `incomplete`."""
        assert self.drill is not None
        self.drill, done = drill_finish(self.drill, self.profile)
        if done is not None:
            self.reps.append(done)
        return done

    @property
    def incomplete(self) -> tuple[RepResult, ...]:
        """Reps the athlete never stood up from (left, lost, or the stream ended): no verdict."""
        assert self.drill is not None
        return self.drill.incomplete

    def summary(self) -> dict[str, Any]:
        return summary(self.reps)
