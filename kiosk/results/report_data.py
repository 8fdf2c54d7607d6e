"""What the printed reports say, computed before anything is drawn (no matplotlib here).

Every number is from the verdicts in force (verdicts.py: a coach's override counts), the
same as `results show`, `list` and the CSV export print. The reports read a station's file
(ResultsStore) or the club server's merged view (pg.PgResults) through the same methods.

- Units: lengths are stored in inches (wall distances, hinge depth) and millimetres
  (hips-to-wall); `Units("cm")` shows them in centimetres, `Units("in")` in inches, as the
  kiosk's `[display] units` says.
- Per session (`SessionStats`): hinge depth, reps passed, and the knee flexion and trunk
  angle of its wall reps: the mean of each rep's peak (the typical rep) and the highest
  peak; the change of hinge depth since the previous session that had one.
- Target band (`target_band`): a coach's `--target LO-HI`, else the next wall step: from
  the athlete's best hinge depth to one step (the profile's `step_in`) beyond it.
- Team spread (`Spread`): count, mean, standard deviation (sample, n - 1), median, range.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from kiosk.results import roster, verdicts
from kiosk.results.model import Athlete, RepRow, SessionRow
from kiosk.results.pg import PgResults, Results
from kiosk.results.words import FAULT_WORDS

CM_PER_IN = 2.54
UnitName = Literal["in", "cm"]


@dataclass(frozen=True)
class Units:
    """The club's length unit for what a coach reads (kiosk.toml `[display] units`)."""

    name: UnitName = "in"

    def from_in(self, x_in: float) -> float:
        return x_in * CM_PER_IN if self.name == "cm" else x_in

    def from_mm(self, x_mm: float) -> float:
        return x_mm / 10.0 if self.name == "cm" else x_mm / 25.4

    def to_in(self, x: float) -> float:
        """A length given in this unit (a coach's --target), in inches."""
        return x / CM_PER_IN if self.name == "cm" else x

    def length(self, x_in: float | None, digits: int = 0, sign: bool = False) -> str:
        """'12 in' / '30 cm' of a length in inches; '-' for none. sign: '+2 in'."""
        if x_in is None or not math.isfinite(x_in):
            return "-"
        v = round(self.from_in(x_in), digits)
        return f"{v:+.{digits}f} {self.name}" if sign else f"{v:.{digits}f} {self.name}"

    def gap(self, x_mm: float | None) -> str:
        """A hips-to-wall distance with one decimal: '1.8 in' / '4.5 cm'; '-' for none."""
        return "-" if x_mm is None or not math.isfinite(x_mm) else f"{self.from_mm(x_mm):.1f} {self.name}"


def fault_words(faults: Sequence[str]) -> str:
    """Faults in the words of the kiosk's rep table (kiosk.results.words.FAULT_WORDS)."""
    return ", ".join(FAULT_WORDS.get(f, f) for f in faults)


def local_time(utc: str) -> datetime:
    """A stored UTC time (ISO 8601, "Z" or an offset) in this machine's time zone: a coach
    reads the club's clock, not UTC (the box or laptop is set to the club's zone)."""
    t = datetime.fromisoformat(utc.replace("Z", "+00:00"))
    return (t if t.tzinfo is not None else t.replace(tzinfo=UTC)).astimezone()


def when_zoned(utc: str | None) -> str:
    """when() with the zone the time is in (e.g. "2024-05-02 12:45 CDT")."""
    return "-" if not utc else f"{when(utc)} {local_time(utc).tzname() or 'local time'}"


def when(utc: str | None) -> str:
    """`2024-05-01 14:03` of a stored UTC time, in local time (the footer says times are
    local; when_zoned() names the zone); '-' for none."""
    return "-" if not utc else local_time(utc).strftime("%Y-%m-%d %H:%M")


def _mean(xs: Sequence[float]) -> float | None:
    return statistics.fmean(xs) if xs else None


@dataclass(frozen=True)
class SessionStats:
    """A session with reps, its reps in force, and what the reports plot of it."""

    session: SessionRow
    reps: list[RepRow]
    depth_in: float | None  # hinge depth (verdicts in force)
    passed: int
    knee_deg: float | None  # mean over its wall reps of each rep's peak knee flexion
    knee_max_deg: float | None
    trunk_deg: float | None  # likewise the trunk angle from vertical
    trunk_max_deg: float | None
    change_in: float | None = None  # depth minus the previous session's that had one

    @staticmethod
    def of(session: SessionRow, reps: list[RepRow]) -> SessionStats:
        t = verdicts.totals(reps)
        wall = [r for r in reps if r.drill == "wall"] or reps
        knee = [r.max_knee_flexion_deg for r in wall if r.max_knee_flexion_deg is not None]
        trunk = [r.max_trunk_angle_deg for r in wall if r.max_trunk_angle_deg is not None]
        return SessionStats(session, reps, t.hinge_depth_in, t.passed, _mean(knee), max(knee, default=None),
                            _mean(trunk), max(trunk, default=None))

    @property
    def totals(self) -> verdicts.Totals:
        return verdicts.totals(self.reps)


def history(store: Results, athlete_id: str) -> list[SessionStats]:
    """The athlete's sessions with at least one rep, oldest first, each with the change of
    hinge depth since the previous session that had a depth."""
    out: list[SessionStats] = []
    prev: float | None = None
    for s in reversed(store.sessions(athlete_id=athlete_id)):
        reps = store.reps(s.id)
        if not reps:
            continue
        st = SessionStats.of(s, reps)
        if st.depth_in is not None:
            change = None if prev is None else st.depth_in - prev
            st = dataclasses.replace(st, change_in=change)
            prev = st.depth_in
        out.append(st)
    return out


@dataclass(frozen=True)
class AthleteNumbers:
    """An athlete page's headline numbers, from the verdicts in force."""

    best_in: float | None  # the deepest session's hinge depth
    best_utc: str | None  # when (the latest of equals)
    latest_in: float | None  # the latest session's hinge depth
    latest_passed: int
    latest_reps: int
    change_in: float | None = None  # latest session's depth minus the previous one with a depth
    previous_utc: str | None = None  # that previous session's start


def numbers(hist: Sequence[SessionStats]) -> AthleteNumbers:
    """Best and latest hinge depth, the latest session's reps passed and its change."""
    best = max((h for h in hist if h.depth_in is not None), key=lambda h: h.depth_in or 0.0, default=None)
    if not hist:
        return AthleteNumbers(None, None, None, 0, 0)
    last = hist[-1]
    scored = [h for h in hist[:-1] if h.depth_in is not None]
    prev = scored[-1] if scored and last.depth_in is not None else None
    return AthleteNumbers(best.depth_in if best else None, best.session.started_utc if best else None,
                          last.depth_in, last.passed, len(last.reps),
                          None if prev is None or last.depth_in is None
                          else last.depth_in - (prev.depth_in or 0.0),
                          prev.session.started_utc if prev else None)


def target_band(best_in: float | None, step_in: float,
                target_in: tuple[float, float] | None) -> tuple[float, float, str] | None:
    """(low, high, label) in inches: the coach's target, else best .. best + one wall step."""
    if target_in is not None:
        return target_in[0], target_in[1], "target (coach)"
    if best_in is None:
        return None
    return best_in, best_in + step_in, "next wall step"


@dataclass(frozen=True)
class Spread:
    """A team's numbers: count, mean, SD (n - 1; 0 for one), median, min, max."""

    n: int
    mean: float
    sd: float
    median: float
    lo: float
    hi: float

    @staticmethod
    def of(xs: Sequence[float | None]) -> Spread | None:
        v = [x for x in xs if x is not None and math.isfinite(x)]
        if not v:
            return None
        sd = statistics.stdev(v) if len(v) > 1 else 0.0
        return Spread(len(v), statistics.fmean(v), sd, statistics.median(v), min(v), max(v))


def team_athletes(store: Results, team: str) -> list[Athlete]:
    """The roster's athletes of `team` (any case), from a station's file or the server."""
    return store.athletes(team) if isinstance(store, PgResults) else roster.athletes(store, team=team)


# The team report's rows (report_team.py computes them, report_team_pages.py draws them).
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
    change_in: float | None = None  # the latest session's change since the previous with a depth
    knee_deg: float | None = None  # the latest session's mean of its wall reps' peaks
    trunk_deg: float | None = None


@dataclass(frozen=True)
class Attention:
    athlete_id: str
    name: str
    session_utc: str
    reasons: tuple[str, ...]
    faults: dict[str, int]
