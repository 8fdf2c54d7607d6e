"""Verdict of a rep: the faults of the DESIGN.md vocabulary, from the rep's samples and
the athlete's own standing reference (reps.Reference). Pure: dataclasses in, names out.
Angles in degrees, gaps and hollows in mm, hip_to_wall_mm against the drill's wall."""

from __future__ import annotations

from statistics import median

from kiosk.core.reps import RepRecord, RepSample
from kiosk.core.thresholds import FaultConfig, RepConfig
from kiosk.core.types import touches_wall


def _med(values: list[float | None]) -> float | None:
    v = [x for x in values if x is not None]
    return median(v) if v else None


def judge_rep(rec: RepRecord, wall_drill: bool, faults: FaultConfig, cfg: RepConfig) -> tuple[str, ...]:
    """Faults of a rep, in the DESIGN.md vocabulary and order. Bottom values are medians
    over the frames within `bottom_window_deg` of the rep's maximum trunk angle, so one
    noisy frame cannot make or break a verdict."""
    sm = rec.samples
    trunk_max = max(x.trunk_angle_deg for x in sm if x.trunk_angle_deg is not None)
    bottom = [
        x
        for x in sm
        if x.trunk_angle_deg is not None and x.trunk_angle_deg >= trunk_max - cfg.bottom_window_deg
    ]
    out: list[str] = []
    if wall_drill and not any(touches_wall(x.hip_to_wall_mm, faults.wall_tolerance_mm) for x in sm):
        out.append("wall_not_reached")
    knee = [x.knee_flexion_deg for x in sm if x.knee_flexion_deg is not None]
    past = [x.knee_past_toe_m for x in sm if x.knee_past_toe_m is not None]
    if (knee and max(knee) > faults.max_knee_flexion_deg) or (
        past and max(past) > faults.knee_past_toe_margin_m
    ):
        out.append("knees_bent")
    neck = _med([x.neck_flexion_deg for x in bottom])
    # The head is judged against the athlete's own standing head (the reference's
    # reading): the reading includes the head's shape, some 10 deg by person (head.py).
    # Without a standing reading (head out of view then), against the trunk's line.
    if neck is not None and rec.reference.neck_flexion_deg is not None:
        neck -= rec.reference.neck_flexion_deg
    neck_ok = neck is None or abs(neck) <= faults.max_neck_flexion_deg
    spine = _med([x.spinal_curve_deg for x in bottom])
    flexion = (
        None
        if spine is None or rec.reference.spinal_curve_deg is None
        else spine - rec.reference.spinal_curve_deg
    )
    # Rounding is judged against the athlete's own standing back (the reference's curve),
    # never from absolute dowel gaps: a neutral spine leaves 0-80 mm at the sacrum
    # depending on glutes, belly and clothing (40-80 mm on half of the MPFB2 people).
    if (flexion is not None and flexion > faults.max_spinal_flexion_deg) or _hollow_lost(rec, bottom, faults):
        out.append("back_rounded")
    head_gap = _med([x.gap_head_mm for x in bottom])
    if not neck_ok or (
        faults.max_head_gap_mm is not None and head_gap is not None and head_gap > faults.max_head_gap_mm
    ):
        out.append("head_not_neutral")
    com = [x.com_over_foot for x in sm if x.com_over_foot is not None]
    if com and max(com) > faults.max_com_over_foot_frac:
        out.append("weight_on_toes")
    return tuple(out)


def _hollow_lost(rec: RepRecord, bottom: list[RepSample], faults: FaultConfig) -> bool:
    """Lumbar flexion: the hollow of the lower back under the dowel (back.lumbar_hollow_mm)
    lost at the bottom against the athlete's own standing hollow, by more than
    max_hollow_loss_frac of it and at least min_hollow_loss_mm (a flat back has no
    hollow to lose: the contour's noise is not a fault)."""
    ref = rec.reference.lumbar_hollow_mm
    now = _med([x.lumbar_hollow_mm for x in bottom])
    if ref is None or now is None:
        return False
    return ref - now > max(faults.max_hollow_loss_frac * ref, faults.min_hollow_loss_mm)
