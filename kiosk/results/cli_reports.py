"""`hinge-kiosk results report` and `results team-report`: printable report pages.

    results report ATHLETE_ID --out FILE.png|FILE.pdf     one athlete (report_athlete.py)
    results team-report TEAM --out FILE.png|FILE.pdf      a team's ranking (report_team.py)

A PDF when FILE ends in .pdf, else a PNG; written atomically, mode 0600 (names and
results). Both take `--db PATH` and fail as the other `results` commands do: one line on
stderr, exit code 2; they only read the database, never create it. pygame draws the page
off-screen: no display is needed.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.results import roster
from kiosk.results.cli_results import _leaf, _open, clean
from kiosk.results.model import StoreError

if TYPE_CHECKING:
    from kiosk.results.cli_results import SubParsers


def _check_out(out: Path) -> None:
    if out.suffix.lower() not in (".png", ".pdf"):
        raise StoreError(f"{out}: the report is written as .png or .pdf; name the file so")
    if not out.parent.is_dir():
        raise StoreError(f"{out.parent} is not a directory")


def cmd_report(args: argparse.Namespace) -> int:
    from kiosk.results.report_athlete import athlete_report  # pygame: only when drawing

    _check_out(args.out)
    with _open(args) as store:
        out = athlete_report(store, args.athlete, args.out)
    print(f"wrote {out} (athlete {clean(args.athlete)})")
    return 0


def cmd_team_report(args: argparse.Namespace) -> int:
    from kiosk.results.report_team import team_report

    _check_out(args.out)
    with _open(args) as store:
        athletes = roster.athletes(store, team=args.team)  # "rowing" finds "Rowing"
        if not athletes:
            raise StoreError(f"no athletes in team {args.team!r} on the roster")
        team = athletes[0].team  # the roster's spelling on the page
        out = team_report(store, team, args.out)
    print(f"wrote {out} (team {clean(team)})")
    return 0


def register(sub: SubParsers) -> None:
    """Add `report` and `team-report` under `results` (sub: its subparsers)."""
    p = _leaf(sub, "report", cmd_report,
              "one athlete's report page: best rep's side view, hinge-depth trend, latest reps")
    p.add_argument("athlete", metavar="ATHLETE_ID")
    p.add_argument("--out", type=Path, required=True, metavar="FILE.png|FILE.pdf")
    p = _leaf(sub, "team-report", cmd_team_report,
              "a team's report page: ranking by hinge depth, athletes who need a coach's eye")
    p.add_argument("team", metavar="TEAM")
    p.add_argument("--out", type=Path, required=True, metavar="FILE.png|FILE.pdf")
