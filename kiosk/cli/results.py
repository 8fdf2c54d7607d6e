"""`hinge-kiosk results ...`: the results database from a shell (the roster's verbs:
kiosk/cli/roster.py, with the same --db and checks).

    results list [--athlete ID] [--team T] [--limit N]
    results show SESSION [--silhouette OUT.png]      SESSION: an id or a unique prefix
    results export DIR [--athlete ID] [--team T]     DIR/sessions.csv, DIR/reps.csv
    results delete-athlete ID [--yes]                the athlete and all their results
    results override SESSION REP (--pass | --fail [--fault F ...]) --coach/--by NAME --reason/--why TEXT
    results sync --to postgresql://USER@HOST/DB      push this station's results (sync.py)
    results bundle-export FILE / bundle-import FILE  results as one file (bundle.py)

Every command takes `--db PATH` (default: paths.default_db_path). A station file is checked
before use: `PRAGMA integrity_check` before anything leaves it (export, reports, bundles,
sync) and into it (bundle-import), `quick_check` for list/show; a damaged file is one line,
exit 2, and left as it is. `--db postgresql://...`
reads the club server's merged view of every station (pg.py): list, show, export, roster
list and delete-athlete (a tombstone) work there; override, roster import and the bundle
commands are a station's and refuse it. Failures are one line on stderr, exit code 2;
commands that only read never create a database.

Every number shown or written (list, show, export, reports, bundles, the sync) is from the
verdicts in force (verdicts.py): a coach's override counts everywhere, and who set it, when
and why is shown with the rep (show, reps.csv, the athlete report).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import cast

from kiosk.cli.results_common import SubParsers, add_units, clean, club_units, leaf, open_view, table
from kiosk.results import export, paths
from kiosk.results.model import StoreError
from kiosk.results.store import ResultsStore
from kiosk.results.words import FAULT_WORDS, reps_lines, summary_line


def _utc(ts: str | None) -> str:
    return "" if ts is None else ts[:16].replace("T", " ")


def cmd_list(args: argparse.Namespace) -> int:
    with open_view(args) as store:
        rows = store.sessions(athlete_id=args.athlete, team=args.team, limit=args.limit)
    print(table(
        ["session", "started UTC", "athlete", "name", "team", "station", "reps", "passed", "depth in",
         "status"],
        [(s.id[:8], _utc(s.started_utc), s.athlete_id or "-", s.name or "(walk-up)", s.team or "",
          s.station_id, s.reps, s.passed, "" if s.hinge_depth_in is None else f"{s.hinge_depth_in:.0f}",
          s.status) for s in rows],
        right=(6, 7, 8),
    ))
    print(f"{len(rows)} session{'s' if len(rows) != 1 else ''}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    with open_view(args) as store:
        s = store.session(args.session)
        reps = store.reps(s.id)
        sil = store.silhouette(s.id)
    who = "walk-up"
    if s.athlete_id:
        who = f"{clean(s.name, 80)} ({clean(s.athlete_id)}), {clean(s.team or '-')}"
    print(f"session {s.id}  {who}")
    ended = "unfinished"
    if s.ended_utc:
        ended = (f"interrupted (the kiosk stopped) at {_utc(s.ended_utc)} UTC, totals from its stored reps"
                 if s.interrupted else f"ended {_utc(s.ended_utc)} UTC")
    print(f"station {clean(s.station_id)}, started {_utc(s.started_utc)} UTC, {ended}")
    print("\n".join(reps_lines([r.report_dict() for r in reps])))
    # The session's totals in force (verdicts.py), the same numbers list, export and reports use.
    n = s.overridden
    coach = f"; {n} verdict{'s' if n != 1 else ''} set by a coach" if n else ""
    print(summary_line({"reps": s.reps, "passed": s.passed, "hinge_depth_in": s.hinge_depth_in}) + coach)
    if s.faults:
        print("faults: " + ", ".join(f"{FAULT_WORDS.get(k, k)} x{v}" for k, v in s.faults.items()))
    for r in reps:
        if r.override is not None:
            o = r.override
            print(f"rep {r.index}: overridden to {'PASS' if o.passed else 'FAIL'} by {clean(o.coach, 60)} "
                  f"at {_utc(o.created_utc)} UTC (kiosk said {'PASS' if r.passed else 'FAIL'}): "
                  f"{clean(o.reason, 200)}")
    if s.notes:
        print(f"notes: {clean(' / '.join(s.notes.splitlines()), 500)}")
    if args.silhouette:
        if sil is None:
            raise StoreError(f"session {s.id[:8]} has no silhouette saved")
        paths.write_private(args.silhouette, sil)
        print(f"silhouette: {args.silhouette}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:

    units = club_units(args)  # --units, else the config's [display] units
    with open_view(args, check="full") as store:
        # export_csv reads only sessions() and reps(), which the server's view has too.
        res = export.export_csv(cast(ResultsStore, store), args.dir, athlete_id=args.athlete, team=args.team,
                                units=units)
    print(f"wrote {res.sessions_csv} ({res.sessions} sessions) and {res.reps_csv} ({res.reps} reps)")
    return 0


def cmd_delete_athlete(args: argparse.Namespace) -> int:
    with open_view(args, check="") as store:  # a deletion on request works on a damaged file too
        name = store.athlete_name(args.id)
        n = len(store.sessions(athlete_id=args.id))
        if name is None and n == 0:
            raise StoreError(f"no athlete with id {args.id!r}")
        what = f"athlete {clean(args.id)} ({clean(name or 'not on the roster', 80)}) and {n} session(s)"
        if not args.yes:
            if not sys.stdin.isatty():
                raise StoreError(f"deleting {what} needs --yes")
            if input(f"Delete {what}? This cannot be undone [y/N] ").strip().lower() not in ("y", "yes"):
                print("nothing deleted")
                return 1
        d = store.delete_athlete(args.id)
    print(f"deleted {what}: {d.sessions} sessions, {d.reps} reps")
    return 0


def cmd_override(args: argparse.Namespace) -> int:
    if args.passed and args.fault:
        raise StoreError("a passed rep has no faults: drop --fault or use --fail")
    with open_view(args) as store:
        s = store.session(args.session)
        rep = next((r for r in store.reps(s.id) if r.index == args.rep), None)
        if rep is None:
            raise StoreError(f"session {s.id[:8]} has no rep {args.rep}")
        store.override_rep(rep.id, args.passed, tuple(args.fault), args.coach, args.reason)
        now = store.session(s.id)
    depth = "none passed" if now.hinge_depth_in is None else f"{now.hinge_depth_in:.0f} in"
    print(f"rep {args.rep} of session {s.id[:8]}: {'PASS' if args.passed else 'FAIL'} "
          f"(kiosk said {'PASS' if rep.passed else 'FAIL'}), by {clean(args.coach, 60)}; the session "
          f"now has {now.passed}/{now.reps} reps passed, hinge depth {depth}")
    return 0


def register(sub: SubParsers) -> SubParsers:
    """Add `results` to the hinge-kiosk command line; its subparsers, for the report and
    transfer verbs (kiosk/cli/results_reports.py, results_transfer.py) to add theirs."""
    rp = sub.add_parser("results", help="screening results: list, show, export CSV, delete an athlete, "
                                        "sync to the club server, bundles")
    rs = rp.add_subparsers(dest="results_command", required=True,
                           metavar="{list,show,export,delete-athlete,override,report,team-report,sync,"
                                   "bundle-export,bundle-import}")
    p = leaf(rs, "list", cmd_list, "list sessions, newest first")
    p.add_argument("--athlete", default=None, metavar="ID")
    p.add_argument("--team", default=None)
    p.add_argument("--limit", type=int, default=None, metavar="N")
    p = leaf(rs, "show", cmd_show, "one session's reps, verdicts and hinge depth")
    p.add_argument("session", metavar="SESSION", help="session id or a unique prefix (as `list` shows)")
    p.add_argument("--silhouette", type=Path, default=None, metavar="OUT.png",
                   help="also write the best rep's depth silhouette")
    p = leaf(rs, "export", cmd_export, "write DIR/sessions.csv and DIR/reps.csv for a spreadsheet")
    p.add_argument("dir", type=Path, metavar="DIR")
    p.add_argument("--athlete", default=None, metavar="ID")
    p.add_argument("--team", default=None)
    add_units(p)
    p = leaf(rs, "delete-athlete", cmd_delete_athlete, "delete an athlete and all their results")
    p.add_argument("id", metavar="ID")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p = leaf(rs, "override", cmd_override, "record a coach's verdict on a rep (who, why)")
    p.add_argument("session", metavar="SESSION")
    p.add_argument("rep", type=int, metavar="REP", help="rep number as `show` lists it")
    v = p.add_mutually_exclusive_group(required=True)
    v.add_argument("--pass", dest="passed", action="store_true")
    v.add_argument("--fail", dest="passed", action="store_false")
    p.add_argument("--fault", action="append", default=[], choices=sorted(FAULT_WORDS), metavar="FAULT")
    p.add_argument("--coach", "--by", dest="coach", required=True, metavar="NAME",
                   help="who decided (one line, at most 200 characters)")
    p.add_argument("--reason", "--why", dest="reason", required=True, metavar="TEXT",
                   help="why (one line, at most 2000 characters); the time is recorded too")
    return rs
