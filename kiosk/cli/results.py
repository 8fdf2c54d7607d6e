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
import os
import sqlite3
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, cast

from kiosk.results import export, paths
from kiosk.results.model import StoreError
from kiosk.results.pg import Results, is_dsn, open_results, scrub
from kiosk.results.store import ResultsStore
from kiosk.results.words import FAULT_WORDS, reps_lines, summary_line

EXIT_BAD_INPUT = 2
MAX_CELL = 28
Handler = Callable[[argparse.Namespace], int]
if TYPE_CHECKING:
    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]
    from kiosk.results.report_data import UnitName


def clean(text: object, limit: int = MAX_CELL) -> str:
    """A cell for the terminal: control characters (escape sequences) shown as '?', cut to limit."""
    s = "".join("?" if ord(ch) < 32 or 127 <= ord(ch) < 160 else ch for ch in str(text))
    return s if len(s) <= limit else s[: limit - 1] + "…"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], right: Sequence[int] = ()) -> str:
    """Aligned columns under a header; columns listed in `right` are right-aligned."""
    cells = [[clean(h) for h in headers], *[[clean("" if c is None else c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    out = []
    for r in cells:
        out.append("  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in
                             enumerate(zip(r, widths, strict=True))).rstrip())
    return "\n".join(out)


def _utc(ts: str | None) -> str:
    return "" if ts is None else ts[:16].replace("T", " ")


def _checked(store: Results, check: str) -> Results:
    """`store` once its file passed SQLite's integrity check ("full": integrity_check, before
    anything leaves the file; "quick": quick_check; ""), else closed and DamagedError: one
    line, the file left as it is."""
    if isinstance(store, ResultsStore) and check:
        try:
            store.check_integrity(quick=check == "quick")
        except BaseException:
            store.close()
            raise
    return store


def _open(args: argparse.Namespace, create: bool = False, what: str = "this command",
          check: str = "full") -> ResultsStore:
    """The --db station database file (a postgresql:// address is refused: `what` names the
    command in the message), checked as `_checked` says."""
    if is_dsn(args.db):
        raise StoreError(f"{what} works on a station's database file (--db PATH), not on the server")
    store = open_results(args.db, create=create)
    assert isinstance(store, ResultsStore)
    _checked(store, check)
    return store


def _open_view(args: argparse.Namespace, check: str = "quick") -> Results:
    """The --db database for reading: a station's file, or a postgresql:// server's merged view."""
    return _checked(open_results(args.db), check)


def cmd_list(args: argparse.Namespace) -> int:
    with _open_view(args) as store:
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
    with _open_view(args) as store:
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
    with _open_view(args, check="full") as store:
        # export_csv reads only sessions() and reps(), which the server's view has too.
        res = export.export_csv(cast(ResultsStore, store), args.dir, athlete_id=args.athlete, team=args.team,
                                units=units)
    print(f"wrote {res.sessions_csv} ({res.sessions} sessions) and {res.reps_csv} ({res.reps} reps)")
    return 0


def cmd_delete_athlete(args: argparse.Namespace) -> int:
    with _open_view(args, check="") as store:  # a deletion on request works on a damaged file too
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
    with _open_view(args) as store:
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


def _guarded(fn: Handler) -> Handler:
    """Run fn; a store, database or file problem becomes one line on stderr and exit code 2."""

    def run(args: argparse.Namespace) -> int:
        try:
            return fn(args)
        except (StoreError, sqlite3.Error, OSError) as err:
            msg = os_message(err) if isinstance(err, OSError) else str(err)
            msg = (msg.splitlines() or [type(err).__name__])[0]
            # No password from --db/--to in any message, whoever wrote it.
            msg = scrub(msg, getattr(args, "db", None), getattr(args, "to", None))
            print(f"hinge-kiosk: error: {clean(msg, 400)}", file=sys.stderr)
            return EXIT_BAD_INPUT

    return run


def os_message(err: OSError) -> str:
    """'PATH: what is wrong' for a file-system error (not Python's "[Errno 2] ...")."""
    if err.strerror and err.filename is not None:
        return f"{os.fsdecode(err.filename)[:200]}: {err.strerror}"
    return err.strerror or str(err) or type(err).__name__


def _leaf(sub: SubParsers, name: str, fn: Handler, help_: str) -> argparse.ArgumentParser:
    p = sub.add_parser(name, help=help_, description=help_)
    p.add_argument("--db", default=None, metavar="PATH",
                   help="results database (default: $STATE_DIRECTORY, /var/lib/hinge-kiosk or "
                        "~/.local/state/hinge-kiosk, /results.sqlite3), or postgresql://USER@HOST/DB "
                        "for the club server's merged view")
    p.set_defaults(func=_guarded(fn))
    return p


def club_units(args: argparse.Namespace) -> UnitName:
    """--units, else the config's [display] units (module docstring); StoreError for a bad config."""
    if getattr(args, "units", None):
        return "cm" if args.units == "cm" else "in"
    from kiosk.app.config import ConfigError, load_config

    try:
        cfg, _ = load_config(getattr(args, "config", None))
    except ConfigError as err:
        raise StoreError(str(err)) from None
    return cfg.display.units


def add_units(p: argparse.ArgumentParser) -> None:
    """--units and --config (where the club's units come from), for reports and the export."""
    p.add_argument("--units", choices=("in", "cm"), default=None,
                   help="lengths in inches or centimetres (default: [display] units of the config)")
    p.add_argument("--config", type=Path, default=None, metavar="kiosk.toml",
                   help="the kiosk's config to take units (and the profile) from "
                        "(default: /etc/hinge-kiosk/kiosk.toml when it exists)")


def register(sub: SubParsers) -> SubParsers:
    """Add `results` to the hinge-kiosk command line; its subparsers, for the report and
    transfer verbs (kiosk/cli/results_reports.py, results_transfer.py) to add theirs."""
    rp = sub.add_parser("results", help="screening results: list, show, export CSV, delete an athlete, "
                                        "sync to the club server, bundles")
    rs = rp.add_subparsers(dest="results_command", required=True,
                           metavar="{list,show,export,delete-athlete,override,report,team-report,sync,"
                                   "bundle-export,bundle-import}")
    p = _leaf(rs, "list", cmd_list, "list sessions, newest first")
    p.add_argument("--athlete", default=None, metavar="ID")
    p.add_argument("--team", default=None)
    p.add_argument("--limit", type=int, default=None, metavar="N")
    p = _leaf(rs, "show", cmd_show, "one session's reps, verdicts and hinge depth")
    p.add_argument("session", metavar="SESSION", help="session id or a unique prefix (as `list` shows)")
    p.add_argument("--silhouette", type=Path, default=None, metavar="OUT.png",
                   help="also write the best rep's depth silhouette")
    p = _leaf(rs, "export", cmd_export, "write DIR/sessions.csv and DIR/reps.csv for a spreadsheet")
    p.add_argument("dir", type=Path, metavar="DIR")
    p.add_argument("--athlete", default=None, metavar="ID")
    p.add_argument("--team", default=None)
    add_units(p)
    p = _leaf(rs, "delete-athlete", cmd_delete_athlete, "delete an athlete and all their results")
    p.add_argument("id", metavar="ID")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p = _leaf(rs, "override", cmd_override, "record a coach's verdict on a rep (who, why)")
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
