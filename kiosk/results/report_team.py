"""A team's report page: athletes ranked by hinge depth, and who needs a coach's eye.

`team_report(store, team, out)` writes one A4 page (1240 x 1754 px; a PDF when `out` ends
in .pdf) for the roster's athletes of `team`:

- Ranking by **best** hinge depth: the furthest wall distance passed over all of the
  athlete's sessions, from the verdicts in force (a coach's override counts; verdicts.py,
  as every other reader). Ties go to the deeper latest session, then by name. Each row
  also shows the latest session's depth, the number of sessions (with reps) and the last
  session's date; a bar shows the best depth. Athletes with no passed wall rep follow,
  then those not screened yet.
- **Needs a coach's eye**: an athlete whose latest session (with reps) has
  (a) a fault in at least half of its reps, or
  (b) `back_rounded` or `head_not_neutral` in 2 or more of its reps
  (faults in force: a coach's override replaces the kiosk's faults for that rep).
  Each is listed with the rule(s) met and the session's fault counts.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pygame

from kiosk.app.shapes import RED, Color, cross
from kiosk.results import report_draw as rd
from kiosk.results import roster
from kiosk.results.store import ResultsStore

REPEATED_FAULTS = ("back_rounded", "head_not_neutral")
REPEATED_MIN = 2
BAR: Color = (28, 78, 160)  # depth bars: the tests measure them by this colour
COLUMNS = (("#", 50), ("name", 280), ("position", 160), ("best hinge depth", 260), ("latest", 110),
           ("sessions", 110), ("last session", 150))
BEST_COL = 3


@dataclass(frozen=True)
class Ranked:
    athlete_id: str
    name: str
    position: str
    best_in: float | None
    best_utc: str | None
    latest_in: float | None
    sessions: int
    last_utc: str | None


@dataclass(frozen=True)
class Attention:
    athlete_id: str
    name: str
    session_utc: str
    reasons: tuple[str, ...]
    faults: dict[str, int]


def _history(store: ResultsStore, athlete_id: str) -> list[rd.SessionReps]:
    hist = [rd.SessionReps(s, store.reps(s.id)) for s in store.sessions(athlete_id=athlete_id)]
    return [h for h in hist if h.reps]  # newest first


def team_ranking(store: ResultsStore, team: str) -> list[Ranked]:
    """The team's athletes, best hinge depth first (module docstring)."""
    out = []
    for a in roster.athletes(store, team=team):
        hist = _history(store, a.id)
        scored = [h for h in hist if h.depth_in is not None]
        best = max(scored, key=lambda h: h.depth_in or 0.0, default=None)  # max keeps the newest of equals
        out.append(Ranked(a.id, a.name, a.position, best.depth_in if best else None,
                          best.session.started_utc if best else None, hist[0].depth_in if hist else None,
                          len(hist), hist[0].session.started_utc if hist else None))

    def key(r: Ranked) -> tuple[int, float, float, str]:
        return (0 if r.best_in is not None else 1 if r.sessions else 2, -(r.best_in or 0.0),
                -(r.latest_in if r.latest_in is not None else -math.inf), r.name.casefold())

    return sorted(out, key=key)


def needs_attention(store: ResultsStore, team: str) -> list[Attention]:
    """Athletes whose latest session meets rule (a) or (b) of the module docstring, by name."""
    out = []
    for a in roster.athletes(store, team=team):
        hist = _history(store, a.id)
        if not hist:
            continue
        reps = hist[0].reps
        faulted = [rd.faults_in_force(r) for r in reps]
        counts = Counter(f for fs in faulted for f in set(fs))
        reasons = []
        n_bad = sum(1 for fs in faulted if fs)
        if 2 * n_bad >= len(reps) and n_bad:
            reasons.append(f"faults in {n_bad} of {len(reps)} reps")
        for f in REPEATED_FAULTS:
            if counts[f] >= REPEATED_MIN:
                reasons.append(f"{rd.fault_words([f])} in {counts[f]} reps")
        if reasons:
            out.append(Attention(a.id, a.name, hist[0].session.started_utc, tuple(reasons),
                                 dict(counts.most_common())))
    return sorted(out, key=lambda x: x.name.casefold())


def team_report(store: ResultsStore, team: str, out: Path) -> Path:
    """Write the team's report page to `out` (0600). An unknown team gives an empty page
    saying so (the roster may simply not be imported yet)."""
    ranked = team_ranking(store, team)
    attention = needs_attention(store, team)
    surf, text = rd.new_page()
    dates = sorted(r.last_utc for r in ranked if r.last_utc)
    screened = sum(1 for r in ranked if r.sessions)
    sub = f"{len(ranked)} athletes on the roster, {screened} screened"
    if dates:
        sub += f"; latest session {rd.date(dates[-1])}"
    y = rd.header(surf, text, rd.fit(text, f"Team {team}: hip hinge screening", 64, 800), sub,
                  [f"printed {datetime.now().strftime('%Y-%m-%d')}"])
    y = rd.section(surf, text, "Ranking by best hinge depth", y + 10,
                   "best over all sessions, coach overrides included")
    row_h = 36 if len(ranked) <= 20 else 28
    rows: list[list[rd.Cell]] = []
    for i, r in enumerate(ranked):
        rows.append([str(i + 1) if r.best_in is not None else "-", r.name, r.position or "-",
                     f"{r.best_in:.0f} in" if r.best_in is not None
                     else ("none" if r.sessions else "not screened"),
                     f"{r.latest_in:.0f} in" if r.latest_in is not None else "-",
                     str(r.sessions), rd.date(r.last_utc)])
    max_rows = 30
    y_rows = y + row_h
    y = rd.table(surf, text, rd.MARGIN, y, [c for c, _ in COLUMNS], [w for _, w in COLUMNS], rows,
                 right=(0, 4, 5), row_h=row_h, max_rows=max_rows)
    _bars(surf, ranked[: max_rows if len(ranked) <= max_rows else max_rows - 1], y_rows, row_h)
    y = rd.section(surf, text, "Needs a coach's eye", y + 40)
    rule = ("Listed when the latest session has a fault in at least half of its reps, or back rounded or "
            "head out of line in 2 or more reps (coach overrides included).")
    for line in text.wrap(rule, 26, rd.PAGE_SIZE[0] - 2 * rd.MARGIN):
        text.draw(surf, line, 26, rd.MUTED, (rd.MARGIN, y))
        y += 30
    y += 10
    if not attention:
        text.draw(surf, "Nobody on this team right now.", 30, rd.INK, (rd.MARGIN, y))
    for a in attention:
        if y > rd.PAGE_SIZE[1] - 120:
            text.draw(surf, "... more: see hinge-kiosk results list", 26, rd.MUTED, (rd.MARGIN, y))
            break
        cross(surf, (rd.MARGIN + 14, y + 16), 24, RED)
        name = text.draw(surf, rd.fit(text, a.name, 32, 420), 32, rd.INK, (rd.MARGIN + 40, y))
        text.draw(surf, f"{a.athlete_id}, session {rd.date(a.session_utc)}: " + "; ".join(a.reasons), 28,
                  rd.FAIL_INK, (name.right + 14, name.bottom - 2), "bottomleft")
        counts = ", ".join(f"{rd.fault_words([f])} x{n}" for f, n in a.faults.items())
        text.draw(surf, rd.fit(text, "faults: " + counts, 26, 1060), 26, rd.MUTED, (rd.MARGIN + 40, y + 34))
        y += 76
    text.draw(surf, "Hinge depth: the furthest wall distance (inches behind the heels) passed with good "
              "form.", 24, rd.MUTED, (rd.MARGIN, rd.PAGE_SIZE[1] - 40), "bottomleft")
    return rd.save_page(surf, out)


def _bars(surf: pygame.Surface, ranked: list[Ranked], y0: int, row_h: int) -> None:
    """A bar per athlete in the best-depth column, to scale with the team's deepest."""
    deepest = max((r.best_in for r in ranked if r.best_in is not None), default=None)
    if not deepest:
        return
    x = rd.MARGIN + sum(w for _, w in COLUMNS[:BEST_COL]) + 90
    full = COLUMNS[BEST_COL][1] - 100
    for i, r in enumerate(ranked):
        if r.best_in is not None:
            pygame.draw.rect(surf, BAR, (x, y0 + i * row_h + 8, max(2, round(full * r.best_in / deepest)),
                                         row_h - 16))

