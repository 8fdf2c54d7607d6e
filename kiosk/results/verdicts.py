"""The verdicts in force: the one rule every results number is derived from.

A rep's verdict in force is the latest coach's override of it (`rep_overrides`), else the
kiosk's own (`reps.passed`, `reps.faults`, never changed). "Latest" is the greatest
(created_utc, id): the same choice on a station, on the club server's merged view and after
a bundle import, whatever order the rows arrived in (a station never gives one rep two
overrides with the same created_utc: store.override_rep).

A session's totals are computed from its stored reps with those verdicts, by `totals`:

- reps: the reps stored;
- passed: the reps whose verdict in force is PASS; pass rate = passed / reps;
- hinge depth (in): the furthest `wall_distance_in` of a wall-drill rep whose verdict in
  force is PASS, None when none passed. Dowel reps have no wall and never count. A rep a
  coach set to PASS counts at the wall distance it was done at; one set to FAIL no longer
  counts (so the depth can go down as well as up);
- faults: name -> number of reps with that fault in force (a PASS has none; a coach's FAIL
  has the faults the coach gave), most frequent first;
- overridden: the reps whose verdict in force is a coach's.

Every reader applies it: `results show/list/export`, the reports, the club server's view
(pg.py), the sync payload and bundles; the store writes the same totals into `sessions` when
a session is finished, when a rep of a finished session is overridden and when a bundle
brings reps or overrides (so the stored columns agree too, and the session is re-synced).

    by_rep = overrides_in_force(override_rows)        # rep_id -> Override
    reps = reps_by_session(rep_rows, by_rep)          # session_id -> [RepRow] by index
    session = with_totals(session, reps[session.id])  # SessionRow with the totals in force
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from kiosk.results.model import Override, RepRow, SessionRow

Row = sqlite3.Row | Mapping[str, Any]  # a station's row or the server's (psycopg dict row)


@dataclass(frozen=True)
class Totals:
    """A session's numbers from the verdicts in force (module docstring)."""

    reps: int
    passed: int
    hinge_depth_in: float | None
    faults: dict[str, int]
    overridden: int

    @property
    def pass_rate(self) -> float | None:
        """passed / reps; None for a session with no reps."""
        return self.passed / self.reps if self.reps else None


def hinge_depth_in(reps: Iterable[RepRow]) -> float | None:
    """The furthest wall distance (in) of a wall rep whose verdict in force is PASS, or None."""
    passed = [r.wall_distance_in for r in reps if r.drill == "wall" and r.verdict_passed]
    return max(passed) if passed else None


def totals(reps: Sequence[RepRow]) -> Totals:
    """The session totals of `reps` (its stored reps, each with its override in force)."""
    faults = Counter(f for r in reps for f in r.faults_in_force)
    return Totals(reps=len(reps), passed=sum(1 for r in reps if r.verdict_passed),
                  hinge_depth_in=hinge_depth_in(reps), faults=dict(faults.most_common()),
                  overridden=sum(1 for r in reps if r.override is not None))


def overrides_in_force(rows: Iterable[Row]) -> dict[str, Override]:
    """rep_id -> the override in force among `rows` (rep_overrides rows, any order): the one
    with the greatest (created_utc, id)."""
    best: dict[str, Override] = {}
    for row in rows:
        o = Override.from_row(row)
        rep_id = str(row["rep_id"])
        cur = best.get(rep_id)
        if cur is None or (o.created_utc, o.id) > (cur.created_utc, cur.id):
            best[rep_id] = o
    return best


def reps_by_session(rows: Iterable[Row],
                    overrides: Mapping[str, Override]) -> dict[str, list[RepRow]]:
    """session_id -> its reps (reps rows, any order) by index, each with its override in force."""
    out: dict[str, list[RepRow]] = {}
    for row in rows:
        rep = RepRow.from_row(row, overrides.get(str(row["id"])))
        out.setdefault(rep.session_id, []).append(rep)
    for reps in out.values():
        reps.sort(key=lambda r: r.index)
    return out


def with_totals(session: SessionRow, reps: Sequence[RepRow]) -> SessionRow:
    """`session` with reps, passed, hinge depth, faults and overridden from `totals(reps)`."""
    t = totals(reps)
    return replace(session, reps=t.reps, passed=t.passed, hinge_depth_in=t.hinge_depth_in,
                   faults=t.faults, overridden=t.overridden)


def stored_totals(t: Totals) -> dict[str, Any]:
    """The `sessions` columns that hold the totals, as the store writes them."""
    return {"reps": t.reps, "passed": t.passed, "hinge_depth_in": t.hinge_depth_in,
            "faults": json.dumps(t.faults)}
