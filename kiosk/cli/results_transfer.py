"""`hinge-kiosk results sync`, `bundle-export` and `bundle-import`: results leaving or
joining a station's file (sync.py, bundle.py). Each checks the file first (`PRAGMA
integrity_check`, in sync_once and the bundle functions): nothing is sent from, or merged
into, a damaged file. Failures as the other `results` commands: one line, exit code 2.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from kiosk.cli.results_common import SubParsers, leaf, open_store
from kiosk.results import bundle
from kiosk.results.model import StoreError
from kiosk.results.pg import is_dsn


def cmd_sync(args: argparse.Namespace) -> int:
    from kiosk.results import sync

    if not is_dsn(args.to):
        raise StoreError("--to needs a PostgreSQL address: postgresql://USER@HOST[:PORT]/DB")
    with open_store(args, what="sync", check="") as store:  # sync_once checks
        if args.all:
            sync.requeue_all(store)
        report = sync.sync_once(store, args.to.strip())
    print(report.line())
    return 0


def cmd_bundle_export(args: argparse.Namespace) -> int:
    with open_store(args, what="bundle-export", check="") as store:  # export_bundle checks
        report = bundle.export_bundle(store, args.file)
    print(report.line("exported"))
    return 0


def cmd_bundle_import(args: argparse.Namespace) -> int:
    with open_store(args, create=True, what="bundle-import", check="") as store:  # import_bundle checks
        report = bundle.import_bundle(store, args.file)
    print(report.line("imported"))
    return 0


def register(rs: SubParsers) -> None:
    """Add `sync`, `bundle-export` and `bundle-import` under `results` (rs: its subparsers)."""
    p = leaf(rs, "sync", cmd_sync, "push this station's results to the club's PostgreSQL server, once")
    p.add_argument("--to", required=True, metavar="postgresql://USER@HOST/DB",
                   help="the server (a password: ~/.pgpass or $PGPASSWORD, not in the address)")
    p.add_argument("--all", action="store_true", help="send every row again, not just what is new")
    p = leaf(rs, "bundle-export", cmd_bundle_export,
              "write this station's results to one file, to carry to another station")
    p.add_argument("file", type=Path, metavar="FILE")
    p = leaf(rs, "bundle-import", cmd_bundle_import,
              "merge a results bundle into this database (importing twice changes nothing)")
    p.add_argument("file", type=Path, metavar="FILE")
