"""A team's report: averages and spread, the ranking, and who needs a coach's eye.

`team_report(store, team, out, settings)` writes a PDF (real text, several A4 pages) or PNG
pages for the roster's athletes of `team`, from a station's file or the server's merged view:

- Ranking by **best** hinge depth: the furthest wall distance passed over all of the
  athlete's sessions, from the verdicts in force (a coach's override counts; verdicts.py,
  as every other reader). Ties go to the deeper latest session, then by name. Each row
  also shows the latest session's depth, its change since the previous session with a depth,
  the latest session's knee and trunk (mean of its wall reps' peaks), the number of
  sessions (with reps) and the last session's date and time. Athletes with no passed wall
  rep follow, then those not screened yet.
- Team averages and spread (report_data.Spread) of best and latest depth, the change, knee
  and trunk over the screened athletes; a chart of best depths with the latest as a dot, the
  team mean and +-1 SD shaded, and a coach's target band (--target) when given.
- **Needs a coach's eye** (report_team_pages.py): an athlete whose latest session (with
  reps) has (a) a fault in at least half of its reps, or (b) `back_rounded` or
  `head_not_neutral` in 2 or more of its reps (faults in force).
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

from kiosk.results import report_data as data
from kiosk.results import report_draw as rd
from kiosk.results.pg import Results
from kiosk.results.report_athlete import ReportSettings
from kiosk.results.report_data import Attention, Ranked, SessionStats, Spread, Units

REPEATED_FAULTS = ("back_rounded", "head_not_neutral")
REPEATED_MIN = 2
COLUMNS = (("#", 0.3), ("name", 1.3), ("position", 0.72), ("best", 0.62), ("latest", 0.62), ("change", 0.62),
           ("knee", 0.45), ("trunk", 0.5), ("sessions", 0.64), ("last session", 1.4))
ROW_IN = 0.2


def _histories(store: Results, team: str) -> list[tuple[str, str, str, list[SessionStats]]]:
    return [(a.id, a.name, a.position, data.history(store, a.id)) for a in data.team_athletes(store, team)]


def team_ranking(store: Results, team: str,
                 hists: list[tuple[str, str, str, list[SessionStats]]] | None = None) -> list[Ranked]:
    """The team's athletes, best hinge depth first (module docstring)."""
    out = []
    for aid, name, pos, hist in hists if hists is not None else _histories(store, team):
        n = data.numbers(hist)
        last = hist[-1] if hist else None
        out.append(Ranked(aid, name, pos, n.best_in, n.best_utc, n.latest_in, len(hist),
                          last.session.started_utc if last else None, n.change_in,
                          last.knee_deg if last else None, last.trunk_deg if last else None))

    def key(r: Ranked) -> tuple[int, float, float, str]:
        return (0 if r.best_in is not None else 1 if r.sessions else 2, -(r.best_in or 0.0),
                -(r.latest_in if r.latest_in is not None else -math.inf), r.name.casefold())

    return sorted(out, key=key)


def needs_attention(store: Results, team: str,
                    hists: list[tuple[str, str, str, list[SessionStats]]] | None = None) -> list[Attention]:
    """Athletes whose latest session meets rule (a) or (b) of the module docstring, by name."""
    out = []
    for aid, name, _, hist in hists if hists is not None else _histories(store, team):
        if not hist:
            continue
        reps = hist[-1].reps
        faulted = [r.faults_in_force for r in reps]
        counts = Counter(f for fs in faulted for f in set(fs))
        reasons = []
        n_bad = sum(1 for fs in faulted if fs)
        if 2 * n_bad >= len(reps) and n_bad:
            reasons.append(f"faults in {n_bad} of {len(reps)} reps")
        for f in REPEATED_FAULTS:
            if counts[f] >= REPEATED_MIN:
                reasons.append(f"{data.fault_words([f])} in {counts[f]} reps")
        if reasons:
            out.append(Attention(aid, name, hist[-1].session.started_utc, tuple(reasons),
                                 dict(counts.most_common())))
    return sorted(out, key=lambda x: x.name.casefold())


def team_spread(ranked: list[Ranked]) -> dict[str, Spread | None]:
    """The team's averages and spread over the screened athletes (lengths in inches)."""
    return {"best hinge depth": Spread.of([r.best_in for r in ranked]),
            "latest hinge depth": Spread.of([r.latest_in for r in ranked]),
            "change since last session": Spread.of([r.change_in for r in ranked]),
            "knee flexion, latest (deg)": Spread.of([r.knee_deg for r in ranked]),
            "trunk angle, latest (deg)": Spread.of([r.trunk_deg for r in ranked])}


def team_report(store: Results, team: str, out: Path, settings: ReportSettings | None = None) -> list[Path]:
    """Write the team's report to `out` (0600). An unknown team gives a report saying so
    (the roster may simply not be imported yet)."""
    from kiosk.results.report_team_pages import attention_list, attention_page, depth_chart

    rd.require_matplotlib()
    settings = settings or ReportSettings()
    u = settings.units
    hists = _histories(store, team)
    ranked = team_ranking(store, team, hists)
    spread = team_spread(ranked)
    page = rd.Page()
    dates = sorted(r.last_utc for r in ranked if r.last_utc)
    screened = sum(1 for r in ranked if r.sessions)
    sub = f"{len(ranked)} athletes on the roster, {screened} screened"
    latest_line = [f"latest session {data.when_zoned(dates[-1])}"] if dates else []
    y = page.header(f"Team {team}", f"hip hinge screening: {sub}", [*latest_line, rd.printed()])
    best, latest = spread["best hinge depth"], spread["latest hinge depth"]
    change = spread["change since last session"]
    y = page.cards(y + 0.1, [
        ("Screened", f"{screened}/{len(ranked)}", "with a session"),
        ("Mean best depth", "-" if best is None else u.length(best.mean, 1),
         "" if best is None else f"SD {u.length(best.sd, 1)}, n = {best.n}"),
        ("Median best", "-" if best is None else u.length(best.median),
         "" if best is None else f"range {u.length(best.lo)} to {u.length(best.hi)}"),
        ("Mean latest depth", "-" if latest is None else u.length(latest.mean, 1),
         "" if latest is None else f"SD {u.length(latest.sd, 1)}"),
        ("Mean change", "-" if change is None else u.length(change.mean, 1, sign=True),
         "since last session" if change else "needs repeat sessions"),
    ])
    y = page.section(y + 0.3, "Team averages and spread", "over the screened athletes; SD: sample "
                     "standard deviation; knee, trunk: mean of the latest session's wall reps' peaks")
    y = page.table(y, ["measure", "athletes", "mean", "SD", "median", "lowest", "highest"],
                   (2.37, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8), _spread_rows(spread, u), right=(1, 2, 3, 4, 5, 6),
                   row_h_in=0.2)
    rows = _ranking_rows(ranked, u)
    first = max(1, min(len(rows), 14))
    shown = sum(1 for r in ranked if r.sessions)
    chart_h = max(1.8, min(4.4, 0.9 + 0.3 * shown, 11.0 - y - 1.85 - ROW_IN * (first + 1)))
    depth_chart(page.axes(1.9, y + 0.45, 5.8, chart_h), ranked, u, best, settings)
    y += chart_h + 1.15
    y = page.section(y, "Ranking by best hinge depth", "best over all sessions, coach overrides included; "
                     "change: the latest session's since the previous one with a depth")
    heads, widths = [c for c, _ in COLUMNS], [w for _, w in COLUMNS]
    y = page.table(y, heads, widths, rows[:first] or [["-", "nobody on the roster"] + [""] * 8],
                   right=(0, 3, 4, 5, 6, 7, 8), row_h_in=ROW_IN)
    pages = [page]
    rows = rows[first:]
    while rows:
        page = rd.Page()
        y = page.header(f"Team {team}: ranking (continued)", sub, [rd.printed()])
        fit = int((11.0 - y) / ROW_IN) - 1
        y = page.table(y, heads, widths, rows[:fit], right=(0, 3, 4, 5, 6, 7, 8), row_h_in=ROW_IN)
        rows = rows[fit:]
        pages.append(page)
    attention = needs_attention(store, team, hists)
    listed = attention_list(pages[-1], y + 0.3, attention, 11.0)[0] if 11.0 - y > 1.6 else 0
    pages.append(attention_page(team, sub, ranked, attention[listed:], listed, hists, u))
    note = (f"Hinge depth: the furthest wall distance ({u.name} behind the heels) passed with good form, "
            "coach overrides included. Times are local.")
    for i, p in enumerate(pages, start=1):
        p.footer(note, i, len(pages))
    return rd.save(pages, out, f"Hip hinge report: team {team}")


def _spread_rows(spread: dict[str, Spread | None], u: Units) -> list[list[rd.Cell]]:
    rows: list[list[rd.Cell]] = []
    for label, s in spread.items():
        if s is None:
            rows.append([label, "0", "-", "-", "-", "-", "-"])
            continue
        if "deg" in label:
            vals = [f"{v:.0f}" for v in (s.mean, s.sd, s.median, s.lo, s.hi)]
        else:
            sign = label.startswith("change")
            vals = [u.length(s.mean, 1, sign), u.length(s.sd, 1), u.length(s.median, 1, sign),
                    u.length(s.lo, 0, sign), u.length(s.hi, 0, sign)]
        rows.append([label, str(s.n), *vals])
    return rows


def _ranking_rows(ranked: list[Ranked], u: Units) -> list[list[rd.Cell]]:
    rows: list[list[rd.Cell]] = []
    for i, r in enumerate(ranked):
        rows.append([str(i + 1) if r.best_in is not None else "-", r.name, r.position or "-",
                     u.length(r.best_in) if r.best_in is not None
                     else ("none" if r.sessions else "not screened"),
                     u.length(r.latest_in), u.length(r.change_in, sign=True),
                     "-" if r.knee_deg is None else f"{r.knee_deg:.0f}",
                     "-" if r.trunk_deg is None else f"{r.trunk_deg:.0f}", str(r.sessions),
                     data.when(r.last_utc)])
    return rows
