"""Shape of the back along the trunk, from its contour in the trunk frame: the spinal
curve (turn between two line fits), the lumbar hollow under a dowel, and the contour's
readings at a station (back_at, and ridge_t under the shoulders). Inputs: contour bins
along the trunk axis (centre, metres from the hip joint) and their dorsal offsets (back,
metres, NaN where empty); s_sh_m: hip -> shoulder span, metres. Pure numpy."""

from __future__ import annotations

import math

import numpy as np

from kiosk.core.body_model import BodyModelConfig
from kiosk.core.profile import F64, fit_line, median


def chord_turn_deg(centre: F64, back: F64, s_sh_m: float, body: BodyModelConfig) -> float | None:
    """Spinal curve: turn from the lumbar back's line to the upper thoracic back's line
    (each a trimmed line fit to the back contour over a band of the hip -> shoulder span),
    degrees, + = flexion (rounding). Line fits over bands, unlike three contour points,
    barely move when the hip-joint estimate slides the bands along the back."""
    lines = []
    bands = ((body.lumbar_lo_frac, body.lumbar_hi_frac), (body.upper_back_lo_frac, body.upper_back_hi_frac))
    for lo, hi in bands:
        sel = (centre >= lo * s_sh_m) & (centre <= hi * s_sh_m) & ~np.isnan(back)
        if sel.sum() < 3:
            return None
        fit = fit_line(centre[sel], back[sel], trim_m=0.01)
        if fit is None:
            return None
        lines.append(fit[1])
    # Slopes dt/ds of the back against the axis; the upper line turning ventrally (its
    # slope decreasing) is flexion.
    return math.degrees(math.atan(lines[0]) - math.atan(lines[1]))


def lumbar_hollow_mm(centre: F64, back: F64, s_sh_m: float, body: BodyModelConfig) -> float | None:
    """Deepest gap, mm, between the back contour and a straight line laid on it from the
    buttocks (most dorsal point up to buttock_band_hi_frac of the hip -> shoulder span) to the
    upper back (most dorsal point over thoracic_lo_frac..thoracic_hi_frac): the lordosis a dowel
    bridges. centre/back: contour bins along the trunk axis and their dorsal offsets,
    metres, trunk frame. Lumbar flexion flattens the hollow whatever the body's shape, so
    it is judged against the athlete's own standing value (judge.judge_rep)."""
    ok = ~np.isnan(back)
    c, b = centre[ok], back[ok]
    ends = []
    for lo, hi in ((0.0, body.buttock_band_hi_frac), (body.thoracic_lo_frac, body.thoracic_hi_frac)):
        sel = np.flatnonzero((c >= lo * s_sh_m) & (c <= hi * s_sh_m))
        if sel.size < 2:
            return None
        i = sel[int(np.argmax(b[sel]))]
        ends.append((float(c[i]), float(b[i])))
    (s0, t0), (s1, t1) = ends
    span = (c > s0) & (c < s1)
    if s1 - s0 < 0.05 or span.sum() < 2:
        return None
    line = t0 + (t1 - t0) * (c[span] - s0) / (s1 - s0)
    return float(np.max(line - b[span])) * 1000.0


def back_at(centre: F64, back: F64, s_m: float, half_m: float) -> float | None:
    """Median of the contour's bins within half_m of station s_m; None without one."""
    sel = (np.abs(centre - s_m) <= half_m) & ~np.isnan(back)
    return median(back[sel]) if sel.any() else None


def ridge_t(back: list[float]) -> float | None:
    """The back's ridge under the shoulder station, from the contour's values `back` (no
    NaN) over the bins from shoulder_ridge_frac * stature under the station to 0.03 m over
    it: the second-highest bin (one stray bin does not set it; the highest with fewer than
    three bins); None without a bin. The shoulder joint lies under the upper back's ridge
    (the shoulder blades), not under whatever the contour does exactly at its station. At
    the bottom of a hinge the station's own contour reads 30-50 mm low on the simulator's
    MPFB2 people (a station a few centimetres past their shoulders is in the hollow at the
    base of the neck) and put the axis 4-8 deg forward; on the parametric people 3-4 deg.
    shoulder_depth_frac is fitted with this reading on the parametric family."""
    v = sorted(back)  # a handful of bins: plain Python
    if not v:
        return None
    return v[-2] if len(v) >= 3 else v[-1]
