"""`hinge-kiosk roster ...`: the team roster in the results database.

    roster import FILE.csv        add/update athletes (all or nothing; kiosk/results/roster.py)
    roster list [--team T]

`--db PATH` and the checks of the file as for `results` (kiosk/cli/results.py); on the
club server's merged view (`--db postgresql://...`) `list` works, `import` is refused.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from kiosk.cli.results_common import SubParsers, leaf, open_store, open_view, table
from kiosk.results import roster
from kiosk.results.pg import PgResults


def cmd_roster_import(args: argparse.Namespace) -> int:
    # The file is read and checked first: a missing or bad roster must not leave a new,
    # empty database behind (on a fresh box, the one the kiosk would then use).
    rows = roster.read_roster(args.file)
    with open_store(args, create=True, what="roster import", check="quick") as store:
        res = roster.import_rows(store, rows, str(args.file))
        print(f"imported {args.file}: {res.added} added, {res.updated} updated ({store.path})")
    return 0


def cmd_roster_list(args: argparse.Namespace) -> int:
    with open_view(args) as store:
        rows = store.athletes(args.team) if isinstance(store, PgResults) else roster.athletes(
            store, args.team)
    print(table(["id", "name", "team", "position", "barcode"],
                [(a.id, a.name, a.team, a.position, a.barcode or "") for a in rows]))
    print(f"{len(rows)} athlete{'s' if len(rows) != 1 else ''}")
    return 0


def register(sub: SubParsers) -> None:
    """Add `roster` to the hinge-kiosk command line."""
    rp = sub.add_parser("roster", help="team roster: import a CSV, list athletes")
    rs = rp.add_subparsers(dest="roster_command", required=True, metavar="{import,list}")
    p = leaf(rs, "import", cmd_roster_import,
              "add or update athletes from a CSV (id,name,team,position,barcode)")
    p.add_argument("file", type=Path, metavar="FILE.csv")
    p = leaf(rs, "list", cmd_roster_list, "list the athletes on the roster")
    p.add_argument("--team", default=None)
