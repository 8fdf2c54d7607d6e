"""The athlete report's pages after the overview: the latest session's reps (table, coach
overrides, a chart of the reps) and every session, continued on further pages as needed.
Also the session rows and trend axis labels the overview shares."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.results import report_data as data
from kiosk.results import report_draw as rd
from kiosk.results.report_data import SessionStats, Units

if TYPE_CHECKING:
    from matplotlib.axes import Axes

REP_WIDTHS_IN = (0.45, 0.55, 0.75, 0.95, 0.7, 0.75, 1.95, 1.07)
SESSION_WIDTHS_IN = (1.25, 1.0, 0.75, 0.85, 0.8, 0.85, 0.85, 0.82)
SESSION_HEADERS = ["started", "station", "passed", "depth", "change", "knee deg", "trunk deg",
                   "faulted"]
RECENT_ROWS = 7  # sessions on the overview; more get the "every session" table
ROW_IN = 0.2
BOTTOM_IN = 11.0  # tables stop above the footer


def trend_labels(ax: Axes, hist: list[SessionStats], times: bool = True) -> None:
    """Sessions evenly spaced along x, each labelled with its date (and local time)."""
    n = len(hist)
    every = max(1, -(-n // 7))
    ticks = [i for i in range(n) if i % every == 0 or i == n - 1]
    labels = []
    for i in ticks:
        t = data.local_time(hist[i].session.started_utc)
        day = f"{t.day} {_MONTHS[t.month - 1]}"
        labels.append(f"{day}\n{t:%H:%M}" if times else day)
    ax.set_xticks(ticks, labels, fontsize=7)
    ax.set_xlim(-0.5, max(n, 1) - 0.5)
    if n:
        years = sorted({str(data.local_time(h.session.started_utc).year) for h in hist})
        ax.set_xlabel("session, " + "-".join(dict.fromkeys([years[0], years[-1]])), fontsize=7.5)


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def session_rows(hist: list[SessionStats], u: Units) -> list[list[rd.Cell]]:
    """Rows of SESSION_HEADERS for `hist` in the order given."""
    rows: list[list[rd.Cell]] = []
    for h in hist:
        faulted = sum(1 for r in h.reps if r.faults_in_force)
        rows.append([data.when(h.session.started_utc), h.session.station_id, f"{h.passed}/{len(h.reps)}",
                     "none" if h.depth_in is None else u.length(h.depth_in),
                     "-" if h.change_in is None else u.length(h.change_in, sign=True),
                     _deg(h.knee_deg), _deg(h.trunk_deg),
                     f"{faulted} rep{'s' if faulted > 1 else ''}" if faulted else "-"])
    return rows


def _deg(x: float | None) -> str:
    return "-" if x is None else f"{x:.0f}"


def athlete_detail_pages(name: str, who: str, hist: list[SessionStats], u: Units) -> list[rd.Page]:
    """Page 2 onwards (module docstring); none for an athlete without sessions."""
    if not hist:
        return []
    page = rd.Page()
    y = page.header(name, who + ": the latest session", [rd.printed()])
    latest = hist[-1]
    s = latest.session
    y = page.section(y, "Reps of the latest session",
                     f"started {data.when_zoned(s.started_utc)}, station {s.station_id}; "
                     f"{latest.passed} of {len(latest.reps)} reps passed, hinge depth "
                     f"{'none' if latest.depth_in is None else u.length(latest.depth_in)}")
    rows: list[list[rd.Cell]] = []
    for r in latest.reps[:24]:
        wall = r.drill == "wall"
        rows.append([str(r.index), r.drill, u.length(r.wall_distance_in) if wall else "-",
                     u.gap(r.min_hip_to_wall_mm) if wall else "-", _deg(r.max_knee_flexion_deg),
                     _deg(r.max_trunk_angle_deg), data.fault_words(r.faults_in_force) or "-",
                     (r.verdict_passed, r.override is not None)])
    y = page.table(y, ["rep", "drill", "wall", "hips-wall", "knee deg", "trunk deg", "faults", "verdict"],
                   REP_WIDTHS_IN, rows, right=(0, 2, 3, 4, 5), row_h_in=ROW_IN)
    if len(latest.reps) > len(rows):
        page.text(rd.MARGIN_IN, y + 0.05, f"... and {len(latest.reps) - len(rows)} more reps "
                  "(hinge-kiosk results show)", 7.5, rd.MUTED)
        y += 0.2
    page.text(rd.MARGIN_IN, y + 0.06, "hips-wall: buttocks to the wall at the deepest point (negative: past "
              "the wall); knee: flexion, 0 = straight; trunk: from vertical.", 7.5, rd.MUTED)
    y += 0.3
    for r in [r for r in latest.reps if r.override is not None][:6]:
        o = r.override
        assert o is not None
        kiosk = "PASS" if r.passed else "FAIL: " + (data.fault_words(r.faults) or "-")
        line = (f"Rep {r.index}: {'PASS' if o.passed else 'FAIL'} set by {o.coach} on "
                f"{data.when_zoned(o.created_utc)} (kiosk: {kiosk}). Reason: {o.reason}")
        y = page.para(rd.MARGIN_IN, y, line, 8.5, 7.1) + 0.04
    every = len(hist) > RECENT_ROWS
    chart_h = 2.1 if every else max(1.6, min(3.4, (BOTTOM_IN - y - 0.35) / 2 - 0.75))
    _rep_chart(page.axes(1.0, y + 0.4, 6.7, chart_h), latest, u)
    y += chart_h + 0.95
    _rep_angles(page.axes(1.0, y + 0.4, 6.7, chart_h), latest, u)
    y += chart_h + 0.95
    pages = [page]
    if not every:
        return pages
    page = rd.Page()
    y = page.header(name, who + ": every session", [rd.printed()])
    pages.append(page)
    y = page.section(y, "Every session", "newest first; change: hinge depth since the previous session "
                     "that had one; knee, trunk: mean of the wall reps' peaks")
    rows = session_rows(list(reversed(hist)), u)
    while True:
        fit = max(1, int((BOTTOM_IN - y) / ROW_IN) - 1)
        page.table(y, SESSION_HEADERS, SESSION_WIDTHS_IN, rows[:fit], right=(2, 3, 4, 5, 6, 7),
                   row_h_in=ROW_IN)
        rows = rows[fit:]
        if not rows:
            return pages
        page = rd.Page()
        y = page.header(name, who + ": every session (continued)", [rd.printed()])
        pages.append(page)


def _rep_chart(ax: Axes, st: SessionStats, u: Units) -> None:
    """The latest session's wall reps: wall distance per rep, green passed, red failed, with
    the hips-to-wall gap written over each failed one."""
    rd.style(ax, "Wall distance of each rep, latest session", f"wall ({u.name})")
    wall = [r for r in st.reps if r.drill == "wall"]
    if not wall:
        ax.text(0.5, 0.5, "no wall reps in this session", ha="center", va="center", color=rd.MUTED,
                transform=ax.transAxes)
        return
    xs = list(range(len(wall)))
    ys = [u.from_in(r.wall_distance_in) for r in wall]
    colors = [rd.PASS_INK if r.verdict_passed else rd.FAIL_INK for r in wall]
    ax.bar(xs, ys, color=colors, width=0.6)
    for x, y, r in zip(xs, ys, wall, strict=True):
        word = "\u2713" if r.verdict_passed else "\u2717 " + (data.fault_words(r.faults_in_force) or "")
        ax.annotate(word, (x, y), textcoords="offset points", xytext=(0, 3), ha="center", fontsize=7,
                    color=rd.INK)
    ax.set_xticks(xs, [f"rep {r.index}" for r in wall], fontsize=7)
    ax.set_ylim(0, max(ys) * 1.25)


def _rep_angles(ax: Axes, st: SessionStats, u: Units) -> None:
    """The latest session's knee flexion and trunk angle per rep (peaks), beside its depth."""
    rd.style(ax, "Knee flexion and trunk angle of each rep, latest session", "degrees")
    xs = list(range(len(st.reps)))
    for attr, colour, label, dx in (("max_knee_flexion_deg", rd.ACCENT, "knee flexion", -0.18),
                                    ("max_trunk_angle_deg", rd.BAND, "trunk angle", 0.18)):
        pts = [(x + dx, getattr(r, attr)) for x, r in zip(xs, st.reps, strict=True)
               if getattr(r, attr) is not None]
        ax.bar([p[0] for p in pts], [p[1] for p in pts], width=0.34, color=colour, label=label)
    ax.set_xticks(xs, [f"rep {r.index}" for r in st.reps], fontsize=7)
    ax.legend(loc="upper left", fontsize=7, frameon=False, ncol=2)
    ax.set_ylim(0, max([10.0, *(r.max_trunk_angle_deg or 0.0 for r in st.reps),
                        *(r.max_knee_flexion_deg or 0.0 for r in st.reps)]) * 1.3)
