"""What the `results` and `roster` commands share (kiosk/cli/results.py, results_reports.py,
results_transfer.py, roster.py): the --db database opened and checked as results.py's
docstring says, a verb's parser with --db whose store, database and file failures are one
line (exit code 2), the terminal's table, and the club's units for the export and reports."""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from kiosk.cli.common import EXIT_BAD_INPUT
from kiosk.results.model import StoreError
from kiosk.results.pg import Results, is_dsn, open_results, scrub
from kiosk.results.store import ResultsStore

if TYPE_CHECKING:
    from kiosk.results.report_data import UnitName

MAX_CELL = 28
Handler = Callable[[argparse.Namespace], int]
# A string: argparse's class takes no subscript when run; only the type checker reads it.
SubParsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


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


def open_store(args: argparse.Namespace, create: bool = False, what: str = "this command",
               check: str = "full") -> ResultsStore:
    """The --db station database file (a postgresql:// address is refused: `what` names the
    command in the message), checked as `_checked` says."""
    if is_dsn(args.db):
        raise StoreError(f"{what} works on a station's database file (--db PATH), not on the server")
    store = open_results(args.db, create=create)
    assert isinstance(store, ResultsStore)
    _checked(store, check)
    return store


def open_view(args: argparse.Namespace, check: str = "quick") -> Results:
    """The --db database for reading: a station's file, or a postgresql:// server's merged view."""
    return _checked(open_results(args.db), check)


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


def leaf(sub: SubParsers, name: str, fn: Handler, help_: str) -> argparse.ArgumentParser:
    """The verb `name` under `sub`, with --db, running `fn` with one-line failures (exit 2)."""
    p = sub.add_parser(name, help=help_, description=help_)
    p.add_argument("--db", default=None, metavar="PATH",
                   help="results database (default: $STATE_DIRECTORY, /var/lib/hinge-kiosk or "
                        "~/.local/state/hinge-kiosk, /results.sqlite3), or postgresql://USER@HOST/DB "
                        "for the club server's merged view")
    p.set_defaults(func=_guarded(fn))
    return p


def club_units(args: argparse.Namespace) -> UnitName:
    """--units, else the config's [display] units (kiosk/cli/results_reports.py's docstring);
    StoreError for a bad config."""
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
