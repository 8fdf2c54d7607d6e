"""Team roster: CSV import (all or nothing) and athlete lookup by id or barcode.

File: UTF-8 (a BOM is fine: Excel's "CSV UTF-8" writes one), comma-separated (a file
whose header has semicolons and no commas, as Excel writes in comma-decimal locales, is read
with ';'). The first non-blank line is the header: columns `id`, `name` (required),
`team`, `position`, `barcode` (optional), in any order, case and surrounding spaces
ignored. Every other line is one athlete; blank lines are skipped; a row may leave out
trailing optional fields.

Checks (every problem is reported with its line number, all of them at once): unknown or
repeated columns, too many fields, empty id or name, over-long or control-character values,
an id or barcode repeated in the file, a barcode that belongs to another athlete already in
the database. Any problem and nothing is imported. Otherwise one transaction adds new
athletes and updates the name/team/position/barcode of ids already there; athletes not in
the file are kept (with their results).
"""

from __future__ import annotations

import csv
import io
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from kiosk.results import rows
from kiosk.results.model import Athlete, StoreError, now_utc
from kiosk.results.store import ResultsStore
from kiosk.results.store_reads import FOLD_CASE

REQUIRED = ("id", "name")
OPTIONAL = ("team", "position", "barcode")
# The same bounds the store and a bundle import apply (rows.py).
MAX_LEN = {k: rows.MAX_LEN[k] for k in ("id", "name", "team", "position", "barcode")}
MAX_FILE_BYTES = 2_000_000  # a 100-athlete roster is ~5 KB
MAX_SHOWN = 10


class RosterError(StoreError):
    """A roster file that cannot be imported; problems are (line, message), line 0 for the
    whole file (empty, too big). `message` replaces the summary (a file that cannot be read)."""

    def __init__(self, source: str, problems: list[tuple[int, str]], message: str | None = None) -> None:
        self.source = source
        self.problems = problems
        if message is None:
            shown = "; ".join(f"line {n}: {m}" if n else m for n, m in problems[:MAX_SHOWN])
            more = f" (and {len(problems) - MAX_SHOWN} more)" if len(problems) > MAX_SHOWN else ""
            n_bad = len({n for n, _ in problems if n})
            lines = f"{n_bad} bad line{'s' if n_bad != 1 else ''}, " if n_bad else ""
            message = f"{source}: {lines}nothing imported: {shown}{more}"
        super().__init__(message)


def unreadable(path: Path, err: OSError) -> RosterError:
    """The one line for a roster file that cannot be opened: which file, why, what to do."""
    if isinstance(err, FileNotFoundError):
        why = "not found: check the file name and folder"
    elif isinstance(err, IsADirectoryError):
        why = "is a folder, not a CSV file: give the path of the CSV in it"
    elif isinstance(err, PermissionError):
        why = "cannot be read (permission denied): fix its permissions or copy it where this user can read it"
    else:
        why = f"cannot be read ({err.strerror or err}): copy it to a local folder and import the copy"
    return RosterError(str(path), [(0, why)], f"roster file {path} {why}; nothing imported")


@dataclass(frozen=True)
class RosterRow:
    line: int
    id: str
    name: str
    team: str
    position: str
    barcode: str | None


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int


def _bad_chars(value: str) -> bool:
    return rows.bad_chars(value)  # C0/C1 controls (escape sequences), bidi overrides


def parse_roster(text: str, source: str = "roster") -> list[RosterRow]:
    """Rows of a roster (module docstring); RosterError listing every problem."""
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    delimiter = ";" if ";" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    problems: list[tuple[int, str]] = []
    header: list[str] | None = None
    rows: list[RosterRow] = []
    seen_id: dict[str, int] = {}
    seen_code: dict[str, int] = {}
    prev = 0
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            problems.append((prev + 1, f"not valid CSV ({err})"))
            break
        line, prev = prev + 1, reader.line_num
        if not any(f.strip() for f in fields):
            continue
        if header is None:
            header = [f.strip().lower().replace(" ", "_") for f in fields]
            for i, col in enumerate(header):
                if col not in REQUIRED + OPTIONAL:
                    problems.append((line, f"unknown column {fields[i].strip()!r} (columns: "
                                           f"{', '.join(REQUIRED + OPTIONAL)})"))
                elif header.index(col) != i:
                    problems.append((line, f"column {col!r} appears twice"))
            problems += [(line, f"missing column {c!r}") for c in REQUIRED if c not in header]
            if problems:
                break
            continue
        if len(fields) > len(header):
            problems.append((line, f"{len(fields)} fields, the header has {len(header)}"))
            continue
        values = {col: "" for col in REQUIRED + OPTIONAL}
        values.update({col: f.strip() for col, f in zip(header, fields, strict=False)})
        bad = [f"{c} is empty" for c in REQUIRED if not values[c]]
        bad += [f"{c} is longer than {MAX_LEN[c]} characters"
                for c, v in values.items() if len(v) > MAX_LEN[c]]
        bad += [f"{c} has control characters" for c, v in values.items() if _bad_chars(v)]
        if values["id"] in seen_id:
            bad.append(f"id {values['id']!r} is already on line {seen_id[values['id']]}")
        if values["barcode"] and values["barcode"] in seen_code:
            bad.append(f"barcode {values['barcode']!r} is already on line {seen_code[values['barcode']]}")
        problems += [(line, b) for b in bad]
        if bad:
            continue
        seen_id[values["id"]] = line
        if values["barcode"]:
            seen_code[values["barcode"]] = line
        rows.append(RosterRow(line, values["id"], values["name"], values["team"], values["position"],
                              values["barcode"] or None))
    if header is None and not problems:
        problems.append((0, "empty file (expected a header line: id,name,team,position,barcode)"))
    elif not rows and not problems:
        problems.append((0, "no athletes after the header"))
    if problems:
        raise RosterError(source, problems)
    return rows


def read_roster(path: Path) -> list[RosterRow]:
    """parse_roster of a file; RosterError for a missing, huge or non-UTF-8 file."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as err:
        raise unreadable(path, err) from err
    if len(data) > MAX_FILE_BYTES:
        raise RosterError(str(path), [(0, f"over {MAX_FILE_BYTES // 1_000_000} MB: not a roster")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise RosterError(str(path), [(line, "not UTF-8 text (save it as \"CSV UTF-8\")")]) from err
    return parse_roster(text, str(path))


def import_roster(store: ResultsStore, path: Path) -> ImportResult:
    """Import a roster file in one transaction (module docstring); RosterError otherwise."""
    return import_rows(store, read_roster(path), str(path))


def import_rows(store: ResultsStore, rows: list[RosterRow], source: str) -> ImportResult:
    """Import parsed roster rows (read_roster) in one transaction; RosterError naming
    `source` when a barcode belongs to an athlete not in the rows."""
    ids = {r.id for r in rows}
    now = now_utc()
    with store.transaction() as c:
        problems: list[tuple[int, str]] = []
        for r in rows:
            if r.barcode is None:
                continue
            owner = c.execute("SELECT id FROM athletes WHERE barcode = ?", (r.barcode,)).fetchone()
            if owner is not None and owner[0] not in ids:
                problems.append((r.line, f"barcode {r.barcode!r} belongs to athlete {owner[0]!r} already"))
        if problems:
            raise RosterError(source, problems)  # rolls the transaction back
        existing = {row[0] for row in c.execute("SELECT id FROM athletes")}
        # Barcodes may move between athletes in the new file: clear them first so the UNIQUE
        # constraint sees only the final assignment.
        c.executemany("UPDATE athletes SET barcode = NULL WHERE id = ?", [(i,) for i in ids & existing])
        c.executemany(
            "INSERT INTO athletes (id, name, team, position, barcode, imported_utc) "
            "VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET name = excluded.name, team = excluded.team, "
            "position = excluded.position, barcode = excluded.barcode, imported_utc = excluded.imported_utc",
            [(r.id, r.name, r.team, r.position, r.barcode, now) for r in rows],
        )
    updated = len(ids & existing)
    return ImportResult(added=len(rows) - updated, updated=updated)


def _athlete(r: sqlite3.Row) -> Athlete:
    return Athlete(id=r["id"], name=r["name"], team=r["team"], position=r["position"], barcode=r["barcode"])


def lookup(store: ResultsStore, code: str) -> Athlete | None:
    """The athlete whose id or barcode is `code` (id first), as a scanner or keypad gives it."""
    code = code.strip()
    for col in ("id", "barcode"):
        r = store.conn.execute(
            f"SELECT id, name, team, position, barcode FROM athletes WHERE {col} = ?", (code,)
        ).fetchone()
        if r is not None:
            return _athlete(r)
    return None


def athletes(store: ResultsStore, team: str | None = None) -> list[Athlete]:
    """The roster by team, then name; `team` matched whatever its case."""
    sql = "SELECT id, name, team, position, barcode FROM athletes"
    args: tuple[str, ...] = ()
    if team is not None:
        sql, args = sql + f" WHERE {FOLD_CASE}(team) = {FOLD_CASE}(?)", (team,)
    return [_athlete(r) for r in store.conn.execute(sql + " ORDER BY team, name, id", args)]
