"""The team report's charts and its "Needs a coach's eye" page (report_team.py)."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from kiosk.results import report_data as data
from kiosk.results import report_draw as rd
from kiosk.results.report_data import Attention, Ranked, SessionStats, Spread, Units

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from kiosk.results.report_athlete import ReportSettings

MAX_CHART = 30


def depth_chart(ax: Axes, ranked: list[Ranked], u: Units, best: Spread | None, st: ReportSettings) -> None:
    """Best hinge depth per athlete (bars, deepest on top), the latest depth (dots), the team
    mean with +-1 SD shaded, and the coach's target band when set."""
    rd.style(ax, "Best hinge depth by athlete", "")
    shown = [r for r in ranked if r.sessions][:MAX_CHART]
    if not shown:
        rd.empty(ax, "nobody screened yet")
        return
    ys = list(range(len(shown)))[::-1]
    bests = [u.from_in(r.best_in) if r.best_in is not None else 0.0 for r in shown]
    ax.barh(ys, bests, color=rd.ACCENT, height=0.55, label="best", zorder=2)
    lat = [(y, u.from_in(r.latest_in)) for y, r in zip(ys, shown, strict=True) if r.latest_in is not None]
    ax.plot([v for _, v in lat], [y for y, _ in lat], "o", color=rd.BAND, markeredgecolor=rd.INK,
            markersize=5, label="latest", zorder=3)
    top = max([*bests, u.from_in(12.0)])
    if best is not None:
        m, sd = u.from_in(best.mean), u.from_in(best.sd)
        ax.axvspan(m - sd, m + sd, color=rd.LIGHT, alpha=0.25, linewidth=0,
                   label=f"team mean +-1 SD ({sd:.1f})")
        ax.axvline(m, color=rd.INK, linestyle="--", linewidth=1, label=f"team mean {m:.1f}")
    if st.target_in is not None:
        lo, hi = u.from_in(st.target_in[0]), u.from_in(st.target_in[1])
        ax.axvspan(lo, hi, facecolor="none", edgecolor=rd.BAND, hatch="//", linewidth=0.0,
                   label=f"target {lo:.0f}-{hi:.0f}")
        top = max(top, hi)
    for y, v, r in zip(ys, bests, shown, strict=True):
        ax.text(v + top * 0.01, y, "none" if r.best_in is None else f"{v:.0f}", va="center", fontsize=7.5)
    ax.set_yticks(ys, [rd.clip(r.name, 7.5, 1.3) for r in shown], fontsize=7.5)
    ax.set_xlim(0, top * 1.12)
    ax.set_xlabel(f"hinge depth ({u.name})")
    ax.grid(axis="x", color=rd.RULE, linewidth=0.6)
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False, ncol=2)


RULE_TEXT = ("Listed when the latest session has a fault in at least half of its reps, or back rounded or "
             "head out of line in 2 or more reps (coach overrides included).")
ENTRY_IN = 0.62


def attention_list(page: rd.Page, y: float, attention: list[Attention],
                   bottom_in: float) -> tuple[int, float]:
    """"Needs a coach's eye" from y down to bottom_in: the rule, then each athlete (name,
    reasons, fault counts). Returns how many athletes were listed and the y below them."""
    y = page.section(y, "Needs a coach's eye", RULE_TEXT)
    if not attention:
        page.text(rd.MARGIN_IN, y + 0.05, "Nobody on this team right now.", 10)
        return 0, y + 0.35
    n = 0
    for a in attention:
        if y + ENTRY_IN > bottom_in:
            break
        page.text(rd.MARGIN_IN, y, "\u2717", 11, rd.FAIL_INK, weight="bold")
        page.text(rd.MARGIN_IN + 0.25, y, rd.clip(f"{a.name} ({a.athlete_id})", 10, 6.9, bold=True), 10,
                  weight="bold")
        why = f"session {data.when_zoned(a.session_utc)}: " + "; ".join(a.reasons)
        page.text(rd.MARGIN_IN + 0.25, y + 0.2, rd.clip(why, 8.5, 6.9), 8.5, rd.FAIL_INK)
        counts = ", ".join(f"{data.fault_words([f])} x{k}" for f, k in a.faults.items())
        page.text(rd.MARGIN_IN + 0.25, y + 0.37, rd.clip("faults: " + counts, 8, 6.9), 8, rd.MUTED)
        y += ENTRY_IN
        n += 1
    return n, y


def attention_page(team: str, sub: str, ranked: list[Ranked], attention: list[Attention], listed: int,
                   hists: list[tuple[str, str, str, list[SessionStats]]], u: Units) -> rd.Page:
    """The rest of "Needs a coach's eye" (`listed` already on the page before), then the
    faults of everyone's latest session and their knee and trunk angles."""
    page = rd.Page()
    y = page.header(f"Team {team}", "hinge depth over time, faults, knee and trunk", [rd.printed()])
    if attention or not listed:
        n, y = attention_list(page, y, attention, 6.0)
        if n < len(attention):
            page.text(rd.MARGIN_IN, y, f"... and {len(attention) - n} more: hinge-kiosk results list",
                      8, rd.MUTED)
            y += 0.2
    kinds = len({f for _, _, _, h in hists if h for r in h[-1].reps for f in r.faults_in_force})
    n = sum(1 for r in ranked if r.sessions)
    fault_h = max(1.0, min(2.4, 0.5 + 0.35 * kinds))
    angle_h = max(1.4, min(4.0, 0.7 + 0.35 * n))
    trend_h = max(1.8, 11.0 - y - fault_h - angle_h - 3.2)
    _team_trend(page.axes(1.0, y + 0.45, 6.7, trend_h), hists, u)
    y += trend_h + 1.1
    _fault_chart(page.axes(2.2, y + 0.35, 5.5, fault_h), hists)
    y += fault_h + 1.05
    _angle_chart(page.axes(1.9, y + 0.35, 5.8, angle_h), ranked)
    return page


def _team_trend(ax: Axes, hists: list[tuple[str, str, str, list[SessionStats]]], u: Units) -> None:
    """Each athlete's hinge depth per session over time (one line each, the first 10 named)."""
    import matplotlib.dates as mdates

    rd.style(ax, "Hinge depth over time, each athlete", f"hinge depth ({u.name})")
    drawn = 0
    for _, name, _, hist in hists:
        # Naive local times: matplotlib would draw aware ones on its own zone's dates (UTC).
        pts = [(data.local_time(h.session.started_utc).replace(tzinfo=None), u.from_in(h.depth_in))
               for h in hist if h.depth_in is not None]
        if not pts:
            continue
        named = drawn < 10
        days = [float(mdates.date2num(p[0])) for p in pts]  # type: ignore[no-untyped-call]
        ax.plot(days, [p[1] for p in pts], "-o", markersize=3.5, linewidth=1.4,
                label=rd.clip(name, 7, 1.3) if named else None, color=None if named else rd.RULE)
        drawn += 1
    if not drawn:
        rd.empty(ax, "no hinge depths yet")
        return
    loc = mdates.AutoDateLocator(maxticks=8)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))  # type: ignore[no-untyped-call]
    ax.set_ylim(bottom=0)
    ax.legend(loc="lower right", fontsize=7, frameon=False, ncol=min(5, drawn))


def _fault_chart(ax: Axes, hists: list[tuple[str, str, str, list[SessionStats]]]) -> None:
    rd.style(ax, "Faults in each athlete's latest session", "")
    counts: Counter[str] = Counter()
    reps = 0
    for _, _, _, hist in hists:
        if hist:
            reps += len(hist[-1].reps)
            counts.update(f for r in hist[-1].reps for f in set(r.faults_in_force))
    if not counts:
        rd.empty(ax, "no faults in the latest sessions")
        return
    items = counts.most_common()[::-1]
    ys = list(range(len(items)))
    ax.barh(ys, [n for _, n in items], color=rd.FAIL_INK, height=0.55)
    for y, (_, n) in zip(ys, items, strict=True):
        ax.text(n + 0.05, y, f"{n}", va="center", fontsize=7.5)
    ax.set_yticks(ys, [data.fault_words([f]) for f, _ in items], fontsize=7.5)
    ax.set_xlabel(f"reps with the fault (of {reps} reps in the latest sessions)")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis="x", color=rd.RULE, linewidth=0.6)
    ax.grid(axis="y", visible=False)


def _angle_chart(ax: Axes, ranked: list[Ranked]) -> None:
    rd.style(ax, "Knee flexion and trunk angle, latest session", "")

    shown = [r for r in ranked if r.knee_deg is not None or r.trunk_deg is not None][:MAX_CHART]
    if not shown:
        rd.empty(ax, "no sessions yet")
        return
    ys = list(range(len(shown)))[::-1]
    for attr, colour, label, dy in (("knee_deg", rd.ACCENT, "knee", 0.15),
                                    ("trunk_deg", rd.BAND, "trunk", -0.15)):
        pts = [(y + dy, getattr(r, attr)) for y, r in zip(ys, shown, strict=True)
               if getattr(r, attr) is not None]
        ax.barh([p[0] for p in pts], [p[1] for p in pts], height=0.28, color=colour, label=label)
        mean = Spread.of([p[1] for p in pts])
        if mean is not None:
            ax.axvline(mean.mean, color=colour, linestyle="--", linewidth=1,
                       label=f"team {label} {mean.mean:.0f}")
    ax.set_yticks(ys, [rd.clip(r.name, 7.5, 1.3) for r in shown], fontsize=7.5)
    ax.set_xlabel("degrees (mean of the latest session's wall reps' peaks)")
    ax.grid(axis="x", color=rd.RULE, linewidth=0.6)
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.06), fontsize=7, frameon=False, ncol=4)
