"""`hinge-kiosk results report` and `results team-report`: printable reports.

    results report ATHLETE_ID --out FILE.pdf|FILE.png     one athlete (report_athlete.py)
    results team-report TEAM --out FILE.pdf|FILE.png      a team (report_team.py)
        [--units in|cm] [--target LO-HI] [--config kiosk.toml] [--db PATH|postgresql://...]

A PDF (real text, several pages) when FILE ends in .pdf; else PNG pages (page 1 at FILE,
page n at FILE's stem + `-n`). Written atomically, mode 0600 (names and results). They need
matplotlib, the optional `reports` extra: without it, one line naming the extra, exit 2.
`--db postgresql://...` reads the club server's merged view of every station (pg.py).

Units: `--units`, else `[display] units` of the kiosk's config (`--config FILE`, else
/etc/hinge-kiosk/kiosk.toml when it exists), else inches. The wall step and the knee limit
come from the config's profile (`[station] profile`, else the built-in one). `--target
LO-HI` (in those units) is the coach's target band for hinge depth.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.cli.results_common import SubParsers, add_units, clean, club_units, leaf, open_view
from kiosk.results.model import StoreError

if TYPE_CHECKING:
    from kiosk.results.report_athlete import ReportSettings


def _check_out(out: Path) -> None:
    if out.suffix.lower() not in (".png", ".pdf"):
        raise StoreError(f"{out}: the report is written as .pdf or .png; name the file so")
    if not out.parent.is_dir():
        raise StoreError(f"{out.parent} is not a directory")


def settings_of(args: argparse.Namespace) -> ReportSettings:
    """The report's units, wall step, knee limit and target band from the options and config."""
    from kiosk.app.config import ConfigError, load_config, path_or_none
    from kiosk.core.profile_loader import ProfileError, load_profile
    from kiosk.results.report_athlete import ReportSettings
    from kiosk.results.report_data import Units

    units = Units(club_units(args))
    try:
        cfg, _ = load_config(getattr(args, "config", None))
        profile = load_profile(path_or_none(cfg.station.profile))
    except (ConfigError, ProfileError) as err:
        raise StoreError(" ".join(str(err).split())) from None
    target = None
    if args.target:
        try:
            lo, hi = (float(x) for x in args.target.replace(" ", "").split("-", 1))
        except ValueError:
            raise StoreError(f"--target {args.target!r}: give LO-HI in {units.name}, e.g. 12-16") from None
        if not 0 <= lo < hi <= 1000:
            raise StoreError(f"--target {args.target!r}: LO must be below HI, both positive")
        target = (units.to_in(lo), units.to_in(hi))
    return ReportSettings(units, profile.drill.step_in, profile.faults.max_knee_flexion_deg, target)


def _wrote(files: list[Path]) -> str:
    return ", ".join(str(f) for f in files)


def cmd_report(args: argparse.Namespace) -> int:
    from kiosk.results.report_athlete import athlete_report
    from kiosk.results.report_draw import require_matplotlib

    _check_out(args.out)
    require_matplotlib()  # before the database: the missing extra is the first thing said
    settings = settings_of(args)
    with open_view(args, check="full") as store:
        files = athlete_report(store, args.athlete, args.out, settings)
    print(f"wrote {_wrote(files)} (athlete {clean(args.athlete)})")
    return 0


def cmd_team_report(args: argparse.Namespace) -> int:
    from kiosk.results.report_data import team_athletes
    from kiosk.results.report_draw import require_matplotlib
    from kiosk.results.report_team import team_report

    _check_out(args.out)
    require_matplotlib()
    settings = settings_of(args)
    with open_view(args, check="full") as store:
        athletes = team_athletes(store, args.team)  # "rowing" finds "Rowing"
        if not athletes:
            raise StoreError(f"no athletes in team {args.team!r} on the roster")
        team = athletes[0].team  # the roster's spelling on the page
        files = team_report(store, team, args.out, settings)
    print(f"wrote {_wrote(files)} (team {clean(team)})")
    return 0


def register(sub: SubParsers) -> None:
    """Add `report` and `team-report` under `results` (sub: its subparsers)."""
    p = leaf(sub, "report", cmd_report,
              "one athlete's report (PDF or PNG pages): side view of the deepest rep, hinge depth, knee "
              "and trunk by session with the target band, change since the last session, every rep")
    p.add_argument("athlete", metavar="ATHLETE_ID")
    p.add_argument("--out", type=Path, required=True, metavar="FILE.pdf|FILE.png")
    add_units(p)
    p.add_argument("--target", default=None, metavar="LO-HI",
                   help="target band for hinge depth in the report's units (default: the next wall step)")
    p = leaf(sub, "team-report", cmd_team_report,
              "a team's report (PDF or PNG pages): averages and spread, ranking by hinge depth, who "
              "needs a coach's eye, faults, knee and trunk")
    p.add_argument("team", metavar="TEAM")
    p.add_argument("--out", type=Path, required=True, metavar="FILE.pdf|FILE.png")
    add_units(p)
    p.add_argument("--target", default=None, metavar="LO-HI",
                   help="target band for hinge depth in the report's units, drawn on the chart")
