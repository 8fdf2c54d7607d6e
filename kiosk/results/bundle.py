"""A station's results as one file, for sites with no network (docs/results.md "Bundles").

    export_bundle(store, "station2-day1.hkb")   # a zip, mode 0600
    import_bundle(other_store, "station2-day1.hkb")

The bundle is a zip holding `manifest.json` (format, version, the source file's db_id and
station, the row count and SHA-256 of every member), one JSON-lines member per table
(`athletes.jsonl`, `sessions.jsonl`, `reps.jsonl`, `rep_overrides.jsonl`,
`silhouettes.jsonl`) and each silhouette as `silhouettes/<session_id>.png`. A session's
reps, passed, hinge_depth_in and faults are written as verdicts.py computes them (a coach's
override counts); each override row carries its coach, reason and created_utc.

Import is all or nothing (one transaction), and idempotent by the rows' UUIDs: importing the
same bundle twice, or a station's bundle into that same station, changes nothing. Rows new
to the target are added with their own ids, station_id and times; a session the target has
unfinished and the bundle has finished takes the bundle's totals; the target's roster wins
for an athlete it already has (an athlete whose barcode the target gives someone else comes
in without the barcode). A finished session given reps or overrides by the import has its
stored totals re-computed with the verdicts in force. Imported rows are queued for the
target's own sync. Deletions are not carried. A file that is not a bundle, is damaged or
truncated (any member not matching the manifest), or was made by newer software is refused
with one line, and nothing is imported; so is a row that does not fit rows.py's models
(bundle_read.py: types, ranges, fault names, timestamps, lengths, characters; the line and
field are named), a reference to a session, rep or athlete neither the bundle nor the
target has, and a bundle that would inflate past bundle_read.MAX_TOTAL_BYTES. Members are
streamed, never read whole. Both directions check the database first (`PRAGMA
integrity_check`): a damaged file is neither exported nor merged into.
"""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.results import paths, verdicts
from kiosk.results.bundle_read import FORMAT, TABLES, VERSION, BundleError, BundleReader
from kiosk.results.model import StoreError, now_utc
from kiosk.results.store import ResultsStore
from kiosk.results.store_reads import totals_in_force

__all__ = ["FORMAT", "TABLES", "VERSION", "BundleError", "BundleReport", "export_bundle", "import_bundle"]
_COLUMNS = {
    "athletes": ("id", "name", "team", "position", "barcode", "imported_utc"),
    "sessions": ("id", "athlete_id", "station_id", "started_utc", "ended_utc", "reps", "passed",
                 "hinge_depth_in", "faults", "notes"),
    "reps": ("id", "session_id", "idx", "drill", "start_s", "bottom_s", "end_s", "wall_distance_in",
             "min_hip_to_wall_mm", "max_knee_flexion_deg", "max_trunk_angle_deg", "faults", "passed",
             "saved_utc"),
    "rep_overrides": ("id", "rep_id", "passed", "faults", "coach", "reason", "station_id", "created_utc"),
    "silhouettes": ("session_id", "rep_id", "format", "width_px", "height_px", "mm_per_px", "saved_utc"),
}
_ORDER_BY = {"athletes": "id", "sessions": "started_utc, id", "reps": "session_id, idx",
             "rep_overrides": "created_utc, id", "silhouettes": "session_id"}


@dataclass(frozen=True)
class BundleReport:
    path: Path
    station_id: str
    rows: dict[str, int]  # exported: rows written; imported: rows in the bundle
    added: dict[str, int]  # imported: rows new to the target (empty for an export)

    def line(self, verb: str) -> str:
        counts = ", ".join(f"{n} {t}" for t, n in self.rows.items())
        if verb == "exported":
            return f"exported {counts} from station {self.station_id} to {self.path}"
        new = sum(self.added.values())
        added = ", ".join(f"{n} {t}" for t, n in self.added.items() if n) or "nothing new"
        return (f"imported {self.path} (station {self.station_id}: {counts}): "
                + (f"added {added}" if new else "nothing new, already here"))


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def export_bundle(store: ResultsStore, path: Path | str) -> BundleReport:
    """Write every row of the store into one bundle file at `path` (atomically, 0600)."""
    path = Path(path)
    store.check_integrity()  # a damaged file is not carried anywhere
    members: dict[str, bytes] = {}
    counts: dict[str, int] = {}
    c = store.conn
    c.execute("BEGIN")  # one consistent snapshot of every table
    try:
        in_force = totals_in_force(c, [r[0] for r in c.execute("SELECT id FROM sessions")])
        for table in TABLES:
            cols = _COLUMNS[table]
            lines = []
            for r in c.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY {_ORDER_BY[table]}"):
                rec = dict(zip(cols, tuple(r), strict=True))
                if table == "sessions" and rec["id"] in in_force:  # as every reader computes them
                    rec.update(verdicts.stored_totals(in_force[rec["id"]]))
                if table == "silhouettes":
                    rec["png"] = f"silhouettes/{r['session_id']}.png"
                lines.append(json.dumps(rec, ensure_ascii=False, sort_keys=True))
            members[f"{table}.jsonl"] = "".join(ln + "\n" for ln in lines).encode()
            counts[table] = len(lines)
        for r in c.execute("SELECT session_id, data FROM silhouettes ORDER BY session_id"):
            members[f"silhouettes/{r['session_id']}.png"] = bytes(r["data"])
        db_id = c.execute("SELECT value FROM meta WHERE key = 'db_id'").fetchone()
    finally:
        c.execute("COMMIT")
    manifest = {
        "format": FORMAT, "version": VERSION, "created_utc": now_utc(),
        "db_id": None if db_id is None else db_id[0], "station_id": store.station_id,
        "schema_version": store.schema_version, "counts": counts,
        "members": {name: {"bytes": len(data), "sha256": _sha(data)} for name, data in members.items()},
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", json.dumps(manifest, indent=1, sort_keys=True))
        for name, data in members.items():
            z.writestr(name, data, compress_type=zipfile.ZIP_STORED if name.endswith(".png") else None)
    try:
        if path.parent != Path():
            paths.ensure_private_dir(path.parent)
        paths.write_private(path, buf.getvalue())
    except OSError as err:
        raise BundleError(f"cannot write {path}: {err.strerror or err}") from err
    return BundleReport(path, store.station_id, counts, {})


# A row may only point at what the target has by the time it is inserted (parents first).
_PARENTS = {"sessions": ("athlete_id", "athletes", "id"), "reps": ("session_id", "sessions", "id"),
            "rep_overrides": ("rep_id", "reps", "id"), "silhouettes": ("session_id", "sessions", "id")}


def _insert(c: sqlite3.Connection, table: str, rec: dict[str, Any], extra: tuple[Any, ...] = ()) -> int:
    cols = _COLUMNS[table] + (("data",) if table == "silhouettes" else ())
    vals = tuple(rec[k] for k in _COLUMNS[table]) + extra
    cur = c.execute(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
                    "ON CONFLICT DO NOTHING", vals)
    return max(cur.rowcount, 0)


def _merge(b: BundleReader, c: sqlite3.Connection, table: str, n: int, rec: dict[str, Any]) -> int:
    """Insert one checked row (module docstring's rules); rows added (0 or 1)."""
    parent = _PARENTS.get(table)
    if parent is not None and rec[parent[0]] is not None and c.execute(
            f"SELECT 1 FROM {parent[1]} WHERE {parent[2]} = ?", (rec[parent[0]],)).fetchone() is None:
        raise b.fail(f"{table}.jsonl line {n}: {parent[0]}: no such {parent[1][:-1]} in the bundle or "
                     "this database")
    if table == "silhouettes":
        if rec["rep_id"] is not None and c.execute("SELECT 1 FROM reps WHERE id = ?",
                                                   (rec["rep_id"],)).fetchone() is None:
            raise b.fail(f"silhouettes.jsonl line {n}: rep_id: no such rep in the bundle or this database")
        return _insert(c, table, rec, (b.png(rec["session_id"]),))
    added = _insert(c, table, rec)
    if table == "athletes" and not added and c.execute(
            "SELECT 1 FROM athletes WHERE id = ?", (rec["id"],)).fetchone() is None:
        added = _insert(c, table, {**rec, "barcode": None})  # its barcode is someone else's here
    if table == "sessions" and not added and rec["ended_utc"] is not None:
        # Finished in the bundle, unfinished here: take the bundle's totals.
        c.execute("UPDATE sessions SET ended_utc = ?, reps = ?, passed = ?, hinge_depth_in = ?, "
                  "faults = ?, notes = ? WHERE id = ? AND ended_utc IS NULL",
                  (rec["ended_utc"], rec["reps"], rec["passed"], rec["hinge_depth_in"], rec["faults"],
                   rec["notes"], rec["id"]))
    return added


def import_bundle(store: ResultsStore, path: Path | str) -> BundleReport:
    """Merge a bundle into `store` (module docstring). BundleError, nothing imported, for a
    file that is not a sound bundle, a row that does not pass, or rows the database refuses."""
    path = Path(path)
    store.check_integrity()  # never merge into a damaged file
    added = dict.fromkeys(TABLES, 0)
    counts = dict.fromkeys(TABLES, 0)
    with BundleReader(path) as b:
        try:
            with store.transaction() as c:
                touched: list[str] = []  # sessions given a rep or an override here
                for table in TABLES:
                    for n, rec in b.rows(table):
                        counts[table] += 1
                        new = _merge(b, c, table, n, rec)
                        added[table] += new
                        if new and table == "reps":
                            touched.append(rec["session_id"])
                        elif new and table == "rep_overrides":
                            touched += [r[0] for r in c.execute("SELECT session_id FROM reps WHERE id = ?",
                                                                (rec["rep_id"],))]
                # The stored totals follow the verdicts in force (verdicts.py): an override a
                # coach made elsewhere on a session finished here counts here too.
                store.refresh_totals(c, touched)
        except BundleError:
            raise
        except StoreError as err:
            raise BundleError(f"{path}: the database refused it, nothing imported "
                              f"({str(err).split(': ', 1)[-1]})") from err
        except sqlite3.Error as err:
            raise BundleError(f"{path}: bad rows, nothing imported ({err})") from err
        return BundleReport(path, b.manifest.station_id, counts, added)
