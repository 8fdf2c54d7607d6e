"""One athlete's report: an overview page, then the latest session's reps and every session.

`athlete_report(store, athlete_id, out, settings)` writes a PDF (real text, one A4 page per
part; `out` ending in .pdf) or PNG pages, from a station's file or the club server's merged
view. Lengths are in the club's units (ReportSettings.units). Page 1:
- header: name, id, team, position; the latest session's date, local time and station;
- cards: best hinge depth (and when), latest hinge depth, the change since the previous
  session that had a depth, the latest session's reps passed, the target band;
- the side view (report_side.py) of the best session's kept rep: the deepest session with a
  stored silhouette (the latest of equals);
- hinge depth by session (the last 12, evenly spaced, date and time under each) with the
  target band shaded; a session with no passed wall rep is a hollow mark labelled "none";
- knee flexion and trunk angle by session (mean of the wall reps' peaks, and the highest),
  with the profile's knee limit;
- the recent sessions: date and time, station, reps passed, depth, change, knee, trunk.
Page 2 (and more when needed): the latest session's reps (verdict in force, "(coach)" when a
coach overrode the kiosk, each override's coach, time, the kiosk's verdict and reason), a
chart of its reps, and every session in a table. Every number is from the verdicts in force.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from kiosk.results import report_data as data
from kiosk.results import report_draw as rd
from kiosk.results import report_side as side
from kiosk.results.model import RepRow, StoreError
from kiosk.results.pg import Results
from kiosk.results.report_data import SessionStats, Units
from kiosk.results.report_pages import (
    RECENT_ROWS,
    SESSION_HEADERS,
    SESSION_WIDTHS_IN,
    athlete_detail_pages,
    session_rows,
    trend_labels,
)
from kiosk.results.silhouette import decode

MAX_TREND = 12

athlete_history = data.history  # kept names: tests and other readers use them
athlete_numbers = data.numbers


@dataclass(frozen=True)
class ReportSettings:
    """What the club set: units (kiosk.toml [display]), the wall step and knee limit (the
    profile), and a coach's target band in inches (--target), if any."""

    units: Units = Units("in")  # noqa: RUF009 - frozen, so one shared default is safe
    step_in: float = 2.0
    knee_limit_deg: float = 35.0
    target_in: tuple[float, float] | None = None


@dataclass(frozen=True)
class KeptSilhouette:
    stats: SessionStats
    rep: RepRow | None  # the rep it was taken at (None: not recorded)
    rec: tuple[str | None, float, bytes]


def best_silhouette(store: Results, hist: list[SessionStats]) -> KeptSilhouette | None:
    """The kept silhouette of the deepest session that has one (the latest of equals)."""
    best: tuple[float, SessionStats, tuple[str | None, float, bytes]] | None = None
    for h in hist:  # oldest first: a later session of equal depth wins
        rec = store.kept_silhouette(h.session.id)
        key = h.depth_in if h.depth_in is not None else -math.inf
        if rec is not None and (best is None or key >= best[0]):
            best = (key, h, rec)
    if best is None:
        return None
    _, h, rec = best
    return KeptSilhouette(h, next((r for r in h.reps if r.id == rec[0]), None), rec)


def athlete_report(store: Results, athlete_id: str, out: Path,
                   settings: ReportSettings = ReportSettings()) -> list[Path]:
    """Write the athlete's report to `out` (0600); StoreError for an unknown athlete."""
    rd.require_matplotlib()
    name = store.athlete_name(athlete_id)
    sessions = store.sessions(athlete_id=athlete_id)
    if name is None and not sessions:
        raise StoreError(f"no athlete with id {athlete_id!r}")
    hist = data.history(store, athlete_id)
    s0 = sessions[0] if sessions else None
    who = ", ".join(x for x in (f"id {athlete_id}", s0.team if s0 else "", s0.position if s0 else "") if x)
    first = rd.Page()
    pages = [first, *athlete_detail_pages(name or athlete_id, who, hist, settings.units)]
    _overview(first, store, name or athlete_id, who, hist, settings)
    u = settings.units.name
    note = (f"Hinge depth: the furthest wall distance ({u} behind the heels) passed with good form, "
            "coach overrides included. Times are local.")
    for i, p in enumerate(pages, start=1):
        p.footer(note, i, len(pages))
    return rd.save(pages, out, f"Hip hinge report: {name or athlete_id}")


def _overview(page: rd.Page, store: Results, name: str, who: str, hist: list[SessionStats],
              st: ReportSettings) -> None:
    u = st.units
    latest = hist[-1] if hist else None
    right = ([f"latest session {data.when_zoned(latest.session.started_utc)}",
              f"station {latest.session.station_id}"] if latest else ["no sessions yet"]) + [rd.printed()]
    y = page.header(name, who, right)
    nums = data.numbers(hist)
    band = data.target_band(nums.best_in, st.step_in, st.target_in)
    change = "-" if nums.change_in is None else u.length(nums.change_in, sign=True)
    y = page.cards(y + 0.1, [
        ("Best hinge depth", "none" if nums.best_in is None else u.length(nums.best_in),
         data.when(nums.best_utc) if nums.best_utc else "no passed wall rep yet"),
        ("Latest hinge depth", "none" if nums.latest_in is None else u.length(nums.latest_in),
         data.when(latest.session.started_utc) if latest else ""),
        ("Since last session", change,
         f"vs {data.when(nums.previous_utc)}" if nums.previous_utc else "needs 2 sessions"),
        ("Latest session", f"{nums.latest_passed}/{nums.latest_reps}" if latest else "-", "reps passed"),
        ("Target", "-" if band is None else f"{u.length(band[0])[:-3]}-{u.length(band[1])}",
         "" if band is None else band[2]),
    ])
    rows = session_rows(list(reversed(hist))[:RECENT_ROWS], u)
    spare = 0.2 * (RECENT_ROWS - max(1, len(rows)))  # fewer sessions: taller charts, no blank
    y += 0.35
    ax = page.axes(rd.MARGIN_IN, y, 3.35, 3.45 + spare / 2)
    _side_panel(ax, store, hist, u)
    ax = page.axes(4.5, y + 0.05, 3.22, 3.3 + spare / 2)
    draw_depth_trend(ax, hist[-MAX_TREND:], u, band)
    y += 4.3 + spare / 2
    knee_ax = page.axes(0.95, y, 2.9, 1.45 + spare / 2)
    trunk_ax = page.axes(4.82, y, 2.9, 1.45 + spare / 2)
    draw_angle_trend(knee_ax, hist[-MAX_TREND:], "knee", st.knee_limit_deg)
    draw_angle_trend(trunk_ax, hist[-MAX_TREND:], "trunk", None)
    y += 1.9 + spare / 2
    more = "; every session on page 3 onwards" if len(hist) > RECENT_ROWS else ""
    y = page.section(y, "Recent sessions", f"newest first, the last {RECENT_ROWS}{more}; change: hinge depth "
                     "since the previous session that had one; knee, trunk: mean of the wall reps' peaks")
    page.table(y, SESSION_HEADERS, SESSION_WIDTHS_IN, rows or [["no sessions yet"] + [""] * 7],
               right=(2, 3, 4, 5, 6, 7), row_h_in=0.2)


def _side_panel(ax: object, store: Results, hist: list[SessionStats], u: Units) -> None:
    from matplotlib.axes import Axes

    assert isinstance(ax, Axes)
    ax.set_title("Deepest rep, side view", pad=6)
    sil = best_silhouette(store, hist)
    if sil is None:
        ax.set_facecolor(rd.STRIPE)
        ax.text(0.5, 0.5, "no silhouette saved", ha="center", va="center", color=rd.MUTED,
                transform=ax.transAxes)
        ax.set_xticks([])
        ax.set_yticks([])
        return
    _, mm_per_px, png = sil.rec
    gray = decode(png)
    rep = sil.rep
    h2w = rep.min_hip_to_wall_mm if rep is not None and rep.drill == "wall" else None
    side.draw_side_view(ax, gray, mm_per_px, side.side_geometry(gray, mm_per_px, h2w), h2w, u)
    note = data.when_zoned(sil.stats.session.started_utc)
    if rep is not None:
        note += (f", rep {rep.index}, {rep.drill}"
                 + (f" {u.length(rep.wall_distance_in)}" if rep.drill == "wall" else "")
                 + f", {'PASS' if rep.verdict_passed else 'FAIL'}")
    ax.set_xlabel(note + "\n" + ax.get_xlabel(), fontsize=8, color=rd.INK)


def draw_depth_trend(ax: object, hist: list[SessionStats], u: Units,
                     band: tuple[float, float, str] | None) -> int:
    """Hinge depth per session in the club's units with the target band; returns the number
    of points with a depth."""
    from matplotlib.axes import Axes

    assert isinstance(ax, Axes)
    rd.style(ax, "Hinge depth by session", f"hinge depth ({u.name})")
    xs = list(range(len(hist)))
    pts = [(x, u.from_in(h.depth_in)) for x, h in zip(xs, hist, strict=True) if h.depth_in is not None]
    top = max([u.from_in(12.0), *(y * 1.15 for _, y in pts)])
    if band is not None:
        lo, hi = u.from_in(band[0]), u.from_in(band[1])
        ax.axhspan(lo, hi, color=rd.BAND, alpha=0.25, linewidth=0, label=f"{band[2]} {lo:.0f}-{hi:.0f}")
        top = max(top, hi * 1.1)
    if pts:
        ax.plot([p[0] for p in pts], [p[1] for p in pts], "-o", color=rd.ACCENT, markersize=6,
                markerfacecolor=rd.ACCENT, linewidth=2, label="hinge depth", zorder=3)
        for x, yv in pts:
            ax.annotate(f"{yv:.0f}", (x, yv), textcoords="offset points", xytext=(0, 6), ha="center",
                        fontsize=8, color=rd.INK)
    for x, h in zip(xs, hist, strict=True):
        if h.depth_in is None:
            ax.plot([x], [0], "o", markerfacecolor="white", markeredgecolor=rd.MUTED, markersize=6, zorder=3)
            ax.annotate("none", (x, 0), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=7,
                        color=rd.MUTED)
    ax.set_ylim(0, top)
    trend_labels(ax, hist)
    if not hist:
        ax.text(0.5, 0.5, "no sessions yet", ha="center", va="center", color=rd.MUTED, transform=ax.transAxes)
    if band is not None or pts:
        ax.legend(loc="lower right", fontsize=7, frameon=False)
    return len(pts)


def draw_angle_trend(ax: object, hist: list[SessionStats], which: str, limit_deg: float | None) -> None:
    """Knee flexion or trunk angle per session: the mean of the wall reps' peaks (line) and
    the highest peak (x), with the profile's limit when given."""
    from matplotlib.axes import Axes

    assert isinstance(ax, Axes)
    title = "Knee flexion by session" if which == "knee" else "Trunk angle by session"
    rd.style(ax, title, "degrees")
    mean = [(i, h.knee_deg if which == "knee" else h.trunk_deg) for i, h in enumerate(hist)]
    peak = [(i, h.knee_max_deg if which == "knee" else h.trunk_max_deg) for i, h in enumerate(hist)]
    m = [(i, v) for i, v in mean if v is not None]
    p = [(i, v) for i, v in peak if v is not None]
    if m:
        ax.plot([a for a, _ in m], [b for _, b in m], "-o", color=rd.ACCENT, markersize=4,
                label="mean of reps")
    if p:
        ax.plot([a for a, _ in p], [b for _, b in p], "x", color=rd.MUTED, markersize=5, label="highest rep")
    top = max([10.0, *(v * 1.2 for _, v in p)])
    if limit_deg is not None:
        ax.axhline(limit_deg, color=rd.FAIL_INK, linestyle="--", linewidth=1, label=f"limit {limit_deg:.0f}")
        top = max(top, limit_deg * 1.2)
    ax.set_ylim(0, top)
    trend_labels(ax, hist, times=False)
    if m or p:
        ax.legend(loc="lower left", fontsize=6.5, frameon=False, ncol=3)
