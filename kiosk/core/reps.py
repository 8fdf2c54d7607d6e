"""Rep detection: a pure state machine standing -> hinge -> standing, driven per frame.

Phases: ABSENT (no athlete), SETTLING (present, not yet standing still), READY (standing
still: the reference - heel x, buttocks x, spine curve - is (re)taken here, so each
rep starts from the athlete's own stance), HINGE (a rep in progress).

- A rep starts from READY when the trunk passes `hinge_start_trunk_deg` AND the hips
  have travelled back `hip_travel_start_m` (or `wall_gap_start_frac` of the way to a wall
  that stands nearer than that allows); it ends once the athlete has stood again
  (trunk < `stand_max_trunk_deg`, hips within `stand_max_hip_travel_m`) for
  `stand_confirm_s` and the trunk is back within `motion_deg` of its start angle (or 1 s
  has passed). The gap between the two trunk thresholds is the hysteresis. start_s/end_s
  are when the trunk leaves / returns within `motion_deg` of the reference angle.
- Sway never reaches the start thresholds; a dip that does is dropped when it lasts less
  than `min_rep_s` or never holds the trunk past `min_rep_trunk_deg` (the start threshold)
  for `rep_hold_s` (kiosk/core/timing.py): a bar read from the single highest sample made a lean
  held just under it a rep wherever noise lifted a frame over it, and a second, higher bar
  made a short hinge toward a near wall count only at some frame rates.
- Walking (heel x leaving the reference by `walk_heel_shift_m`) drops the reference; a
  new one needs `still_window_s` of standing still. Pauses (standing, or holding the
  bottom) change nothing.
- A rep is never silently dropped once it is a rep (held past `min_rep_trunk_deg`; a rep
  cut short, any sample past it): when
  the athlete walks off, is lost for `lost_timeout_s`, or the stream ends (`settle`) after
  they stood up again, the rep is closed and judged; before they stood up, it is closed as
  incomplete (`RepRecord.complete` False: no verdict).
- Every rule is in seconds, never in frames: the still window always reaches back
  `still_window_s` (the sample just older than the window is kept), so the reference is
  taken at 6 fps as at 90, with jitter and dropped frames.

`rep_step(state, sample, cfg)` -> (state, RepRecord | None); the record carries every
sample of the rep and the reference, and `judge.judge_rep` turns it into faults.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from statistics import median

from kiosk.core.thresholds import RepConfig
from kiosk.core.timing import fell_back, held_over, rose_past_s, slope_per_s

_SETTLE_MAX_S = 1.0  # after this long standing, a rep ends even if the trunk stays off its start angle


class Phase(enum.Enum):
    ABSENT = "absent"
    SETTLING = "settling"
    READY = "ready"
    HINGE = "hinge"


@dataclass(frozen=True)
class RepSample:
    """One frame's inputs to the rep logic (smoothed metrics). None = not measured.
    hip_to_wall_mm uses the drill's wall; knee_past_toe_m = knee x - toe x."""

    t_s: float
    person: bool
    heel_x_m: float | None = None
    buttocks_x_m: float | None = None
    trunk_angle_deg: float | None = None
    knee_flexion_deg: float | None = None
    knee_past_toe_m: float | None = None
    hip_to_wall_mm: float | None = None
    spinal_curve_deg: float | None = None
    lumbar_hollow_mm: float | None = None
    neck_flexion_deg: float | None = None
    gap_head_mm: float | None = None
    gap_thoracic_mm: float | None = None
    gap_sacrum_mm: float | None = None
    com_over_foot: float | None = None


@dataclass(frozen=True)
class Reference:
    """The standing stance a rep starts from (medians over the still window)."""

    t_s: float
    heel_x_m: float
    buttocks_x_m: float
    trunk_angle_deg: float
    spinal_curve_deg: float | None
    lumbar_hollow_mm: float | None = None
    neck_flexion_deg: float | None = None


@dataclass(frozen=True)
class RepRecord:
    """A rep: start (left standing), bottom (deepest hips), end (stood again). complete
    False: the athlete never stood up again (left, lost, or the stream ended mid-rep);
    end_s is then the last frame seen and the rep gets no verdict."""

    start_s: float
    bottom_s: float
    end_s: float
    reference: Reference
    samples: tuple[RepSample, ...]
    complete: bool = True


@dataclass(frozen=True)
class RepState:
    phase: Phase = Phase.ABSENT
    reference: Reference | None = None
    window: tuple[RepSample, ...] = ()
    samples: tuple[RepSample, ...] = ()
    start_s: float = 0.0
    last_stand_s: float = 0.0
    stand_since_s: float | None = None
    last_seen_s: float = float("-inf")


def _standing(s: RepSample, ref: Reference | None, cfg: RepConfig) -> bool:
    if s.trunk_angle_deg is None or s.trunk_angle_deg >= cfg.stand_max_trunk_deg:
        return False
    return (
        ref is None
        or s.buttocks_x_m is None
        or ref.buttocks_x_m - s.buttocks_x_m < cfg.stand_max_hip_travel_m
    )


def _still_reference(window: tuple[RepSample, ...], cfg: RepConfig) -> Reference | None:
    """Reference from the window if it spans still_window_s of standing still."""
    if not window or window[-1].t_s - window[0].t_s < cfg.still_window_s - 1e-6:
        return None
    heel = [s.heel_x_m for s in window if s.heel_x_m is not None]
    butt = [s.buttocks_x_m for s in window if s.buttocks_x_m is not None]
    trunk = [s.trunk_angle_deg for s in window if s.trunk_angle_deg is not None]
    if len(heel) < 3 or len(butt) < 3 or len(trunk) < 3:
        return None
    if (
        max(heel) - min(heel) > cfg.still_heel_range_m
        or max(butt) - min(butt) > cfg.still_hip_range_m
        or max(trunk) - min(trunk) > cfg.still_trunk_range_deg
    ):
        return None
    # Within the ranges but on the move: the first half second of a slow descent (trunk
    # 1 -> 7 deg, hips 20 mm back) passes them, and a reference taken there made the rep's
    # travel read 22 mm for 38 (docs/measurement.md, "Frame rates").
    if (
        abs(slope_per_s([(s.t_s, s.trunk_angle_deg) for s in window])) > cfg.still_trunk_rate_deg_s
        or abs(slope_per_s([(s.t_s, s.buttocks_x_m) for s in window])) > cfg.still_hip_rate_m_s
    ):
        return None
    spine = [s.spinal_curve_deg for s in window if s.spinal_curve_deg is not None]
    hollow = [s.lumbar_hollow_mm for s in window if s.lumbar_hollow_mm is not None]
    neck = [s.neck_flexion_deg for s in window if s.neck_flexion_deg is not None]
    return Reference(
        t_s=window[-1].t_s,
        heel_x_m=median(heel),
        buttocks_x_m=median(butt),
        trunk_angle_deg=median(trunk),
        spinal_curve_deg=median(spine) if spine else None,
        lumbar_hollow_mm=median(hollow) if hollow else None,
        neck_flexion_deg=median(neck) if neck else None,
    )


def _push(window: tuple[RepSample, ...], s: RepSample, cfg: RepConfig) -> tuple[RepSample, ...]:
    """The window with s appended, trimmed to the newest samples that span still_window_s:
    the oldest kept is the newest one at least still_window_s old, so the span reaches the
    window at any frame rate (keeping only samples inside it tops out a period short)."""
    w = (*window, s)
    first = 0
    while first + 1 < len(w) and s.t_s - w[first + 1].t_s >= cfg.still_window_s - 1e-6:
        first += 1
    return w[first:]


def _start_travel_m(travel_m: float, s: RepSample, cfg: RepConfig) -> float:
    """Hip travel (m) that starts a rep: `hip_travel_start_m`, or less when a wall stands
    nearer: `wall_gap_start_frac` of the athlete's own standing gap to it (travel so far +
    what is left, from hip_to_wall_mm). A short athlete's first wall can stand 40 mm behind
    their standing hips, so the whole rep travels about hip_travel_start_m and a fixed
    travel misses it."""
    if s.hip_to_wall_mm is None:
        return cfg.hip_travel_start_m
    gap_m = travel_m + s.hip_to_wall_mm / 1000.0
    if gap_m <= 0.0:
        return cfg.hip_travel_start_m
    return min(cfg.hip_travel_start_m, cfg.wall_gap_start_frac * gap_m)


def rep_step(state: RepState, s: RepSample, cfg: RepConfig) -> tuple[RepState, RepRecord | None]:
    """Advance the rep state machine by one frame."""
    if not s.person or s.trunk_angle_deg is None or s.heel_x_m is None:
        if s.t_s - state.last_seen_s > cfg.lost_timeout_s:
            # Gone: a rep in progress is settled (judged if they had stood up), never dropped.
            return RepState(last_seen_s=state.last_seen_s), settle(state, cfg)
        return state, None  # a short dropout: hold everything
    state = replace(state, last_seen_s=s.t_s)
    ref = state.reference
    if state.phase is Phase.HINGE:
        return _hinge_step(state, s, cfg)
    if state.phase is Phase.READY and ref is not None:
        if abs(s.heel_x_m - ref.heel_x_m) > cfg.walk_heel_shift_m:
            # moved the feet: walking in, out, or re-stancing -> take a new reference
            return replace(state, phase=Phase.SETTLING, reference=None, window=(s,)), None
        travel = ref.buttocks_x_m - s.buttocks_x_m if s.buttocks_x_m is not None else 0.0
        hinging = s.trunk_angle_deg >= cfg.hinge_start_trunk_deg and travel >= _start_travel_m(travel, s, cfg)
        if hinging or s.trunk_angle_deg >= cfg.stoop_start_trunk_deg:
            return replace(
                state,
                phase=Phase.HINGE,
                samples=(s,),
                start_s=_onset_s(state.window, s, ref, cfg, state.last_stand_s),
                stand_since_s=None,
                window=(),
            ), None
    if _standing(s, ref if state.phase is Phase.READY else None, cfg):
        window = _push(state.window, s, cfg)
        new_ref = _still_reference(window, cfg)
        phase = Phase.READY if (new_ref is not None or state.phase is Phase.READY) else Phase.SETTLING
        return replace(state, phase=phase, window=window, reference=new_ref or ref, last_stand_s=s.t_s), None
    # Not standing, no rep: the still window restarts (kept across a lean, samples from both
    # sides of it passed the still tests together); READY keeps its reference.
    phase = Phase.READY if state.phase is Phase.READY else Phase.SETTLING
    return replace(state, phase=phase, window=()), None


def _hinge_step(state: RepState, s: RepSample, cfg: RepConfig) -> tuple[RepState, RepRecord | None]:
    ref = state.reference
    assert ref is not None and s.heel_x_m is not None
    if abs(s.heel_x_m - ref.heel_x_m) > cfg.walk_heel_shift_m or s.t_s - state.start_s > cfg.max_rep_s:
        # Walking off (or a rep that never ends): settled as it stands, the reference dropped.
        return RepState(phase=Phase.SETTLING, last_seen_s=s.t_s, window=()), settle(state, cfg)
    samples = (*state.samples, s)
    if not _standing(s, ref, cfg):
        return replace(state, samples=samples, stand_since_s=None), None
    since = state.stand_since_s if state.stand_since_s is not None else s.t_s
    settled = s.trunk_angle_deg is not None and s.trunk_angle_deg <= ref.trunk_angle_deg + cfg.motion_deg
    if s.t_s - since < cfg.stand_confirm_s or not (settled or s.t_s - since >= _SETTLE_MAX_S):
        return replace(state, samples=samples, stand_since_s=since), None
    after = replace(state, phase=Phase.READY, samples=(), stand_since_s=None, window=(s,), last_stand_s=s.t_s)
    return after, _close(state.start_s, ref, samples, since, cfg)


def settle(state: RepState, cfg: RepConfig) -> RepRecord | None:
    """The rep in progress, closed now (the stream ended, the athlete left or walked off):
    judged as complete if they had stood up again (standing, or back up within the start
    threshold), incomplete otherwise; None when no rep (or only a dip) is in progress."""
    ref = state.reference
    if state.phase is not Phase.HINGE or ref is None or not state.samples:
        return None
    last = state.samples[-1]
    since = state.stand_since_s
    back_up = last.trunk_angle_deg is not None and last.trunk_angle_deg < cfg.hinge_start_trunk_deg
    if since is None and back_up:
        since = last.t_s  # on the way back up past the start threshold: it has stood up
    if since is not None:
        return _close(state.start_s, ref, state.samples, since, cfg)
    # Cut short, it could not show how long it would have held: any sample past the bar
    # keeps it (unjudged, so a noisy lean cut by a walk-off costs no verdict).
    if max((x.trunk_angle_deg for x in state.samples if x.trunk_angle_deg is not None), default=0.0) < (
        cfg.min_rep_trunk_deg
    ):
        return None
    return RepRecord(start_s=state.start_s, bottom_s=_bottom_s(state.samples, ref), end_s=last.t_s,
                     reference=ref, samples=state.samples, complete=False)


def _close(
    start_s: float, ref: Reference, samples: tuple[RepSample, ...], since: float, cfg: RepConfig
) -> RepRecord | None:
    """A rep whose athlete stood up at `since`: it ends when the trunk is back within
    motion_deg of the reference (between the frames either side; or at `since`); None for
    a dip (too shallow or too short)."""
    back = fell_back(samples, since, ref.trunk_angle_deg + cfg.motion_deg)
    end_s, end_frame_s = (since, since) if back is None else (back[1], samples[back[0]].t_s)
    body = tuple(x for x in samples if x.t_s <= end_frame_s) or samples
    if not held_over(body, cfg.min_rep_trunk_deg, cfg.rep_hold_s) or end_s - start_s < cfg.min_rep_s:
        return None  # a dip, not a rep
    return RepRecord(start_s=start_s, bottom_s=_bottom_s(body, ref), end_s=end_s, reference=ref, samples=body)


def _onset_s(
    window: tuple[RepSample, ...], first: RepSample, ref: Reference, cfg: RepConfig, fallback_s: float
) -> float:
    """Start of the movement (s): when the trunk left motion_deg of the reference's angle,
    after the last standing frame still within it (the hinge threshold itself is crossed
    later; `first` is the rep's first frame)."""
    onset = rose_past_s((*window, first), ref.trunk_angle_deg + cfg.motion_deg)
    return fallback_s if onset is None else onset


def _bottom_s(body: tuple[RepSample, ...], ref: Reference) -> float:
    """Time of the deepest hips: max hip travel behind the reference."""
    best = max(
        body, key=lambda x: (ref.buttocks_x_m - x.buttocks_x_m) if x.buttocks_x_m is not None else -1.0
    )
    return best.t_s
