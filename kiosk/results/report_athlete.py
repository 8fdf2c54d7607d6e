"""One athlete's report page: who, hinge depth, the best rep's side view, the trend, the reps.

`athlete_report(store, athlete_id, out)` writes one A4 page (1240 x 1754 px; a PDF when
`out` ends in .pdf) with:
- a header: name, id, team, position; the latest session's date and station;
- three numbers: best hinge depth (and when), the latest session's depth, its reps passed;
- the side view (report_side.py) of the best session's best rep: the session with the
  deepest hinge among those with a stored silhouette (the latest of equals), its silhouette
  being the rep the kiosk kept (silhouette.py), with the wall and dowel drawn;
- the hinge-depth trend: one point per session with reps, oldest left, evenly spaced with
  the date under it (the last 12 sessions); a session with no passed wall rep is a hollow
  mark on the axis labelled "none";
- the latest session's rep table: the verdict in force, "(coach)" when a coach overrode
  the kiosk, and below it each override's coach, date, the kiosk's verdict and the reason.
Every number is from the verdicts in force (verdicts.py through report_draw.SessionReps: a
coach's override counts), the same as `results show`, `list` and the CSV export print.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pygame

from kiosk.app.shapes import Color, Text
from kiosk.results import report_draw as rd
from kiosk.results.model import RepRow, StoreError
from kiosk.results.report_side import draw_side_view, side_geometry
from kiosk.results.silhouette import decode
from kiosk.results.store import ResultsStore

SIDE_RECT = pygame.Rect(rd.MARGIN, 360, 560, 560)
TREND_RECT = pygame.Rect(660, 360, 520, 560)
DOT: Color = (28, 78, 160)  # trend points: the tests find them by this colour
LINE: Color = (130, 165, 220)
MAX_TREND = 12
REP_COLUMNS = (("rep", 60), ("drill", 90), ("wall in", 100), ("hips-wall mm", 160), ("knee deg", 120),
               ("trunk deg", 120), ("faults", 300), ("verdict", 170))


def athlete_history(store: ResultsStore, athlete_id: str) -> list[rd.SessionReps]:
    """The athlete's sessions with at least one rep, oldest first, with their reps."""
    out = [rd.SessionReps(s, store.reps(s.id)) for s in reversed(store.sessions(athlete_id=athlete_id))]
    return [h for h in out if h.reps]


@dataclass(frozen=True)
class StoredSilhouette:
    session: rd.SessionReps
    rep: RepRow | None  # the rep it was taken at (None: not recorded)
    gray: npt.NDArray[np.uint8]
    mm_per_px: float


def best_silhouette(store: ResultsStore, hist: list[rd.SessionReps]) -> StoredSilhouette | None:
    """The silhouette of the deepest session that has one (module docstring)."""
    best: tuple[float, rd.SessionReps, sqlite3.Row] | None = None
    for h in hist:  # oldest first: a later session of equal depth wins
        r = store.conn.execute("SELECT rep_id, mm_per_px, data FROM silhouettes WHERE session_id = ?",
                               (h.session.id,)).fetchone()
        key = h.depth_in if h.depth_in is not None else -math.inf
        if r is not None and (best is None or key >= best[0]):
            best = (key, h, r)
    if best is None:
        return None
    _, h, r = best
    rep = next((x for x in h.reps if x.id == r["rep_id"]), None)
    return StoredSilhouette(h, rep, decode(bytes(r["data"])), float(r["mm_per_px"]))


@dataclass(frozen=True)
class AthleteNumbers:
    """The page's three numbers, from the verdicts in force (verdicts.py)."""

    best_in: float | None  # the deepest session's hinge depth
    best_utc: str | None  # when (the latest of equals)
    latest_in: float | None  # the latest session's hinge depth
    latest_passed: int
    latest_reps: int


def athlete_numbers(hist: list[rd.SessionReps]) -> AthleteNumbers:
    """Best and latest hinge depth and the latest session's reps passed of `hist`
    (athlete_history: oldest first)."""
    best = max((h for h in hist if h.depth_in is not None), key=lambda h: h.depth_in or 0.0, default=None)
    latest = hist[-1].totals if hist else None
    return AthleteNumbers(best.depth_in if best else None, best.session.started_utc if best else None,
                          latest.hinge_depth_in if latest else None, latest.passed if latest else 0,
                          latest.reps if latest else 0)


def _label(utc: str) -> str:
    return datetime.strptime(utc[:10], "%Y-%m-%d").strftime("%d %b").lstrip("0")


def draw_trend(surf: pygame.Surface, text: Text, rect: pygame.Rect, hist: list[rd.SessionReps]) -> int:
    """Hinge depth (in) per session; returns the number of points drawn (sessions with a depth)."""
    pygame.draw.rect(surf, rd.STRIPE, rect, border_radius=10)
    hist = hist[-MAX_TREND:]
    plot = pygame.Rect(rect.x + 70, rect.y + 30, rect.width - 100, rect.height - 120)
    depths = [h.depth_in for h in hist]
    top = max([12.0, *(d + 2.0 for d in depths if d is not None)])
    step = 2 if top <= 24 else 4
    top = math.ceil(top / step) * step
    for v in range(0, int(top) + 1, step):
        y = round(plot.bottom - v / top * plot.height)
        pygame.draw.line(surf, rd.RULE if v else rd.MUTED, (plot.x, y), (plot.right, y), 1 if v else 2)
        text.draw(surf, f"{v}", 24, rd.MUTED, (plot.x - 10, y), "midright")
    text.draw(surf, "in", 24, rd.MUTED, (plot.x - 10, plot.y - 18), "midright")
    if not hist:
        text.draw(surf, "no sessions yet", 30, rd.MUTED, plot.center, "center")
        return 0
    n = len(hist)
    xs = [round(plot.centerx if n == 1 else plot.x + 20 + i * (plot.width - 40) / (n - 1)) for i in range(n)]
    every = max(1, math.ceil(n / max(1, plot.width // 70)))
    for i, h in enumerate(hist):
        if i % every == 0 or i == n - 1:
            text.draw(surf, _label(h.session.started_utc), 22, rd.MUTED, (xs[i], plot.bottom + 10), "midtop")
    years = sorted({h.session.started_utc[:4] for h in hist})
    text.draw(surf, "session date, " + "-".join(dict.fromkeys([years[0], years[-1]])), 24, rd.MUTED,
              (plot.centerx, plot.bottom + 44), "midtop")
    pts = [(xs[i], round(plot.bottom - d / top * plot.height)) for i, d in enumerate(depths) if d is not None]
    if len(pts) > 1:
        pygame.draw.lines(surf, LINE, False, pts, 4)
    for i, d in enumerate(depths):
        if d is None:
            pygame.draw.circle(surf, rd.MUTED, (xs[i], plot.bottom), 8, 3)
            text.draw(surf, "none", 22, rd.MUTED, (xs[i], plot.bottom - 12), "midbottom")
    for (x, y), d in zip(pts, [d for d in depths if d is not None], strict=True):
        pygame.draw.circle(surf, DOT, (x, y), 9)
        text.draw(surf, f"{d:.0f}", 24, rd.INK, (x, y - 14), "midbottom")
    return len(pts)


def _stats(surf: pygame.Surface, text: Text, y: int, items: list[tuple[str, str, str]]) -> int:
    w = (rd.PAGE_SIZE[0] - 2 * rd.MARGIN - 2 * 20) // 3
    for i, (label, value, note) in enumerate(items):
        r = pygame.Rect(rd.MARGIN + i * (w + 20), y, w, 120)
        pygame.draw.rect(surf, rd.STRIPE, r, border_radius=10)
        text.draw(surf, label, 26, rd.MUTED, (r.x + 18, r.y + 14))
        v = text.draw(surf, value, 60, rd.INK, (r.x + 18, r.y + 44))
        text.draw(surf, note, 26, rd.MUTED, (v.right + 12, v.bottom - 8), "bottomleft")
    return y + 120


def athlete_report(store: ResultsStore, athlete_id: str, out: Path) -> Path:
    """Write the athlete's report page to `out` (0600); StoreError for an unknown athlete."""
    name = store.athlete_name(athlete_id)
    sessions = store.sessions(athlete_id=athlete_id)
    if name is None and not sessions:
        raise StoreError(f"no athlete with id {athlete_id!r}")
    hist = athlete_history(store, athlete_id)
    latest = hist[-1] if hist else None
    surf, text = rd.new_page()
    s0 = sessions[0] if sessions else None
    who = ", ".join(x for x in (f"id {athlete_id}", s0.team if s0 else "", s0.position if s0 else "") if x)
    right = [f"latest session {rd.date(latest.session.started_utc)}" if latest else "no sessions",
             f"station {latest.session.station_id}" if latest else "",
             f"printed {datetime.now().strftime('%Y-%m-%d')}"]
    y = rd.header(surf, text, rd.fit(text, name or athlete_id, 64, 760), rd.fit(text, who, 34, 760), right)
    nums = athlete_numbers(hist)
    _stats(surf, text, y + 8, [
        ("Best hinge depth", "none" if nums.best_in is None else f"{nums.best_in:.0f} in",
         rd.date(nums.best_utc) if nums.best_utc else ""),
        ("Latest hinge depth", "none" if nums.latest_in is None else f"{nums.latest_in:.0f} in",
         rd.date(latest.session.started_utc) if latest else ""),
        ("Latest session", f"{nums.latest_passed}/{nums.latest_reps}" if latest else "-", "reps passed"),
    ])
    text.draw(surf, "Deepest rep, side view", 40, rd.INK, (SIDE_RECT.x, SIDE_RECT.y - 50))
    text.draw(surf, "Hinge depth by session", 40, rd.INK, (TREND_RECT.x, SIDE_RECT.y - 50))
    _side_panel(surf, text, best_silhouette(store, hist))
    draw_trend(surf, text, TREND_RECT, hist)
    y = SIDE_RECT.bottom + 30
    _rep_table(surf, text, y, latest)
    text.draw(surf, "Hinge depth: the furthest wall distance (inches behind the heels) passed with good "
              "form, coach overrides included.", 24, rd.MUTED, (rd.MARGIN, rd.PAGE_SIZE[1] - 40),
              "bottomleft")
    return rd.save_page(surf, out)


def _side_panel(surf: pygame.Surface, text: Text, sil: StoredSilhouette | None) -> None:
    if sil is None:
        pygame.draw.rect(surf, rd.STRIPE, SIDE_RECT, border_radius=10)
        text.draw(surf, "no silhouette saved", 30, rd.MUTED, SIDE_RECT.center, "center")
        return
    rep = sil.rep
    h2w = rep.min_hip_to_wall_mm if rep is not None and rep.drill == "wall" else None
    geo = side_geometry(sil.gray, sil.mm_per_px, h2w)
    draw_side_view(surf, text, SIDE_RECT, sil.gray, sil.mm_per_px, geo, h2w)
    note = rd.date(sil.session.session.started_utc)
    if rep is not None:
        note += (f", rep {rep.index}, {rep.drill}"
                 + (f" {rep.wall_distance_in:.0f} in" if rep.drill == "wall" else "")
                 + f", {'PASS' if rep.verdict_passed else 'FAIL'}")
    text.draw(surf, note, 24, rd.MUTED, (SIDE_RECT.x + 14, SIDE_RECT.y + 12))


def _rep_table(surf: pygame.Surface, text: Text, y: int, latest: rd.SessionReps | None) -> int:
    if latest is None:
        y = rd.section(surf, text, "Reps", y)
        text.draw(surf, "no reps recorded", 28, rd.MUTED, (rd.MARGIN, y + 10))
        return y + 50
    s = latest.session
    y = rd.section(surf, text, "Reps of the latest session", y,
                   f"{rd.date(s.started_utc)} {s.started_utc[11:16]} UTC, station {s.station_id}")
    rows: list[list[rd.Cell]] = []
    for r in latest.reps:
        wall = r.drill == "wall"
        rows.append([str(r.index), r.drill, rd.fmt(r.wall_distance_in) if wall else "-",
                     rd.fmt(r.min_hip_to_wall_mm) if wall else "-", rd.fmt(r.max_knee_flexion_deg),
                     rd.fmt(r.max_trunk_angle_deg), rd.fault_words(rd.faults_in_force(r)) or "-",
                     (r.verdict_passed, r.override is not None)])
    y = rd.table(surf, text, rd.MARGIN, y, [c for c, _ in REP_COLUMNS], [w for _, w in REP_COLUMNS], rows,
                 right=(0, 2, 3, 4, 5), max_rows=14)
    text.draw(surf, "hips-wall: buttocks to the wall at the deepest point (negative: past the wall); knee: "
              "flexion, 0 = straight; trunk: from vertical.", 24, rd.MUTED, (rd.MARGIN, y + 8))
    y += 30
    for r in [r for r in latest.reps if r.override is not None][:4]:
        o = r.override
        assert o is not None
        kiosk = "PASS" if r.passed else "FAIL: " + (rd.fault_words(r.faults) or "-")
        line = (f"Rep {r.index}: {'PASS' if o.passed else 'FAIL'} set by {o.coach} on "
                f"{rd.date(o.created_utc)} (kiosk: {kiosk}). Reason: {o.reason}")
        line = rd.fit(text, line, 26, rd.PAGE_SIZE[0] - 2 * rd.MARGIN)
        text.draw(surf, line, 26, rd.INK, (rd.MARGIN, y + 10))
        y += 34
    return y
