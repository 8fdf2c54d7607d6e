"""Per-frame measurement: world points -> person -> landmarks -> smoothed metrics.

What the kiosk loop and `analyze` call once per frame:

    state = PipelineState()
    metrics, state = measure_frame(points_world, zone, profile, t_s, state, camera_world)

(`measure_frame_and_body` also hands back the athlete's segmented points, for a display).
The background model is applied before (kiosk/analysis/analyzer.py keeps only the
points in front of it), so the core never sees a mask.
Pure: numpy arrays and frozen values in, `FrameMetrics` and the next state out. The
state carries the filters (smoothing.py, lag documented there) and what is learnt of the
athlete while they stand upright: the stature, which scales the body model, and the heel's
offset behind the ankle, which places the heel (legs.lower_body).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from kiosk.core.landmarks import find_landmarks, top_of_body_m
from kiosk.core.metrics import com_over_foot, dowel_gaps, knee_flexion_deg, trunk_lean_deg
from kiosk.core.person import segment_person
from kiosk.core.profile import median
from kiosk.core.smoothing import SmootherState, smooth_values
from kiosk.core.thresholds import Profile
from kiosk.core.types import DowelGaps, FrameMetrics, Landmarks, PersonSegmentation, Points, StationZone

_UPRIGHT_DEG = 6.0  # stature and heel are learnt only with the trunk leaning forward less than this
# The stature follows a higher top with a 0.15 s time constant (converges in ~0.5 s) and,
# upright, a lower one with 3.3 s (a 10 % drop takes ~2 s); in seconds, so alike at 6-90 fps
# (per frame, 0.2 and 0.01 were that only at 30 fps: at 6 fps 2.5 s to converge).
_STATURE_UP_S = 0.15
_STATURE_DOWN_S = 3.3
_STATURE_MAX_STEP_S = 0.5  # a longer gap (dropped frames, a dropout) counts as this long
_HEEL_LEARN_S = 2.0  # the heel offset: shorth over the upright frames of the last 2 s seen,
# or of the last 30 when 2 s hold fewer: the shorth of 12 (6 fps) jumps by 10 mm and more
_HEEL_LEARN_MIN_SAMPLES = 30
_HEEL_OFFSET_MAX_M = 0.15  # an observed heel further than this behind the ankle is not one
_NO_POINTS: Points = np.zeros((0, 3), dtype=np.float32)
_NO_POINTS.setflags(write=False)  # shared by every absent frame


@dataclass(frozen=True)
class PipelineState:
    """Carried from frame to frame. stature_m: None until first seen upright.
    heel_offsets: (t_s, metres) of the upright frames' observed heel edge behind the
    ankle over the last _HEEL_LEARN_S seconds they were seen (a count of seconds, so the
    same at 15-90 fps), or the last _HEEL_LEARN_MIN_SAMPLES where those seconds hold
    fewer (6 fps: 5 s); their shorth places the heel. stature_t_s: when the stature
    was last updated."""

    smoother: SmootherState = field(default_factory=SmootherState)
    stature_m: float | None = None
    heel_offsets: tuple[tuple[float, float], ...] = ()
    stature_t_s: float | None = None

    @property
    def heel_offset_m(self) -> float | None:
        """The athlete's heel offset behind the ankle joint, metres; None until learnt."""
        return shorth(np.array([o for _, o in self.heel_offsets])) if self.heel_offsets else None


def shorth(values: npt.NDArray[np.float64]) -> float:
    """Location of the densest half of `values`: the median of the shortest interval that
    holds half of them (Rousseeuw's shorth). For a sample contaminated on one side only,
    where the median follows the contamination."""
    v = np.sort(values)
    k = (len(v) + 1) // 2
    if len(v) < 4:
        return median(v)
    widths = v[k - 1:] - v[: len(v) - k + 1]
    i = int(np.argmin(widths))
    return median(v[i:i + k])


def measure_frame(
    points_world: Points,
    zone: StationZone,
    profile: Profile,
    t_s: float,
    state: PipelineState,
    camera_world: npt.ArrayLike | None = None,
) -> tuple[FrameMetrics, PipelineState]:
    """Measure one frame. points_world: (N, 3) float32 world frame (facing resolved, floor
    y = 0); t_s: frame time;
    camera_world: optional camera centre (3,) in the world frame (the calibration pose's
    translation), so that a fragment hidden behind the body along the line of sight (the
    head behind the shoulder) stays with it (segment_person).
    Values are smoothed; FrameMetrics.landmarks holds this frame's raw landmarks."""
    metrics, state, _ = measure_frame_and_body(points_world, zone, profile, t_s, state, camera_world)
    return metrics, state


def measure_frame_and_body(
    points_world: Points,
    zone: StationZone,
    profile: Profile,
    t_s: float,
    state: PipelineState,
    camera_world: npt.ArrayLike | None = None,
) -> tuple[FrameMetrics, PipelineState, Points]:
    """`measure_frame` plus the athlete's segmented points: (M, 3) float32 world metres, a
    subset of points_world; empty when the segmentation found nobody (when only the
    landmarks failed, metrics.person is False but the points are still returned)."""
    seg = segment_person(points_world, zone, profile.segmentation, camera_world)
    return measure_segmented(seg, zone, profile, t_s, state)


def measure_segmented(
    seg: PersonSegmentation, zone: StationZone, profile: Profile, t_s: float, state: PipelineState
) -> tuple[FrameMetrics, PipelineState, Points]:
    """`measure_frame_and_body` from the frame's segmentation (segment_person of its world
    points with this zone and profile), made here or ahead of time (in the capture process:
    kiosk/analysis/presegment.py): the same result either way."""
    if not seg.person:
        absent = FrameMetrics(t_s=t_s, person=False, second_person=seg.second_person, reason=seg.reason)
        return absent, state, _NO_POINTS
    lm, why = find_landmarks(
        seg.points, profile.landmarks, state.stature_m, state.heel_offset_m, zone.floor_noise_m,
        body=profile.body_model,
    )
    if lm is None:
        # The body is still returned: a display can draw who is there while landmarks fail.
        no_landmarks = FrameMetrics(t_s=t_s, person=False, second_person=seg.second_person, reason=why)
        return no_landmarks, state, seg.points
    raw: dict[str, float | None] = {
        "heel_x_m": lm.heel[0],
        "toe_x_m": lm.toe[0],
        "buttocks_x_m": lm.buttocks[0],
        "knee_x_m": lm.knee[0] if lm.knee else None,
        "knee_flexion_deg": knee_flexion_deg(lm.shank_dir, lm.thigh_dir)
        if lm.shank_dir and lm.thigh_dir
        else None,
        "trunk_lean_deg": trunk_lean_deg(lm.trunk_axis) if lm.trunk_axis else None,
        "neck_flexion_deg": lm.neck_flexion_deg,
        "spinal_curve_deg": lm.spinal_curve_deg,
        "lumbar_hollow_mm": lm.lumbar_hollow_mm,
        "com_over_foot": com_over_foot(lm.com_x_m, lm.heel[0], lm.toe[0]),
    }
    if lm.head and lm.thoracic and lm.sacrum and lm.dorsal:
        g = dowel_gaps(lm.head, lm.thoracic, lm.sacrum, lm.dorsal)
        raw.update(gap_head_mm=g.head_mm, gap_thoracic_mm=g.thoracic_mm, gap_sacrum_mm=g.sacrum_mm)
    sm, smoother = smooth_values(state.smoother, raw, t_s, profile.smoothing)
    gaps = None
    if "gap_head_mm" in raw:
        gaps = DowelGaps(
            head_mm=_nn(sm["gap_head_mm"]),
            thoracic_mm=_nn(sm["gap_thoracic_mm"]),
            sacrum_mm=_nn(sm["gap_sacrum_mm"]),
            resting_on=g.resting_on,
        )
    stature = _update_stature(
        state.stature_m, _step_s(state.stature_t_s, t_s), seg.points, sm["trunk_lean_deg"], profile
    )
    # This frame's own trunk lean, not the smoothed one: the filter's lag would let the
    # first frames of a brisk descent count as upright.
    heel_offsets = _update_heel_offsets(state.heel_offsets, lm, raw["trunk_lean_deg"], t_s)
    metrics = FrameMetrics(
        t_s=t_s,
        person=True,
        second_person=seg.second_person,
        heel_x_m=sm["heel_x_m"],
        toe_x_m=sm["toe_x_m"],
        buttocks_x_m=sm["buttocks_x_m"],
        knee_x_m=sm["knee_x_m"],
        knee_flexion_deg=sm["knee_flexion_deg"],
        # One filter for both: the unsigned angle is the smoothed lean's size (a filter of
        # |lean| of its own would read a trunk wavering about vertical a degree or two over).
        trunk_angle_deg=None if sm["trunk_lean_deg"] is None else abs(sm["trunk_lean_deg"]),
        trunk_lean_deg=sm["trunk_lean_deg"],
        dowel_gaps=gaps,
        neck_flexion_deg=sm["neck_flexion_deg"],
        spinal_curve_deg=sm["spinal_curve_deg"],
        lumbar_hollow_mm=sm["lumbar_hollow_mm"],
        com_over_foot=sm["com_over_foot"],
        landmarks=lm,
    )
    after = PipelineState(smoother=smoother, stature_m=stature, heel_offsets=heel_offsets, stature_t_s=t_s)
    return metrics, after, seg.points


def _nn(v: float | None) -> float:
    return 0.0 if v is None else max(v, 0.0)


def _step_s(last_t_s: float | None, t_s: float) -> float:
    """Seconds since the last update, within (0, _STATURE_MAX_STEP_S]; a nominal 30 fps
    frame when there was none or time went backwards."""
    if last_t_s is None or t_s <= last_t_s:
        return 1.0 / 30.0
    return min(t_s - last_t_s, _STATURE_MAX_STEP_S)


def _update_stature(
    current: float | None, dt_s: float, points: Points, trunk_lean_deg: float | None, profile: Profile
) -> float | None:
    """Stature: the top of the body, followed up at once and down only slowly while upright
    (time constants _STATURE_UP_S / _STATURE_DOWN_S; dt_s since the last update)."""
    cfg = profile.landmarks
    top = float(np.clip(top_of_body_m(points), cfg.stature_min_m, cfg.stature_max_m))
    if current is None:
        return top
    # Up fast whatever the pose (the top of the body only ever reads short of the stature:
    # bent, or the head still out of view when first seen); down slowly and only upright.
    if top > current:
        return current + (1.0 - math.exp(-dt_s / _STATURE_UP_S)) * (top - current)
    if trunk_lean_deg is not None and trunk_lean_deg < _UPRIGHT_DEG:
        return current + (1.0 - math.exp(-dt_s / _STATURE_DOWN_S)) * (top - current)
    return current


def _update_heel_offsets(
    offsets: tuple[tuple[float, float], ...], lm: Landmarks, trunk_lean_deg: float | None, t_s: float
) -> tuple[tuple[float, float], ...]:
    """The offsets with this frame's (observed heel edge behind the ankle) added when the
    athlete stands upright, pruned to the last _HEEL_LEARN_S seconds. Only upright: the
    heel may lift off the floor in a hinge with the weight on the toes."""
    upright = trunk_lean_deg is not None and trunk_lean_deg < _UPRIGHT_DEG
    if not upright or lm.ankle is None or lm.heel_seen_x_m is None:
        return offsets
    offset = lm.ankle[0] - lm.heel_seen_x_m
    if not 0.0 <= offset <= _HEEL_OFFSET_MAX_M:
        return offsets
    newest = len(offsets) - (_HEEL_LEARN_MIN_SAMPLES - 1)
    kept = tuple(
        o for i, o in enumerate(offsets) if o[0] <= t_s and (t_s - _HEEL_LEARN_S < o[0] or i >= newest)
    )
    return (*kept, (t_s, offset))
