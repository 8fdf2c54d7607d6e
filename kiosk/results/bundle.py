"""A station's results as one file, for sites with no network (docs/results.md "Bundles").

    export_bundle(store, "station2-day1.hkb")   # a zip, mode 0600
    import_bundle(other_store, "station2-day1.hkb")

The bundle is a zip holding `manifest.json` (format, version, the source file's db_id and
station, the row count and SHA-256 of every member), one JSON-lines member per table
(`athletes.jsonl`, `sessions.jsonl`, `reps.jsonl`, `rep_overrides.jsonl`,
`silhouettes.jsonl`) and each silhouette as `silhouettes/<session_id>.png`.

Import is all or nothing (one transaction), and idempotent by the rows' UUIDs: importing the
same bundle twice, or a station's bundle into that same station, changes nothing. Rows new
to the target are added with their own ids, station_id and times; a session the target has
unfinished and the bundle has finished takes the bundle's totals; the target's roster wins
for an athlete it already has (an athlete whose barcode the target gives someone else comes
in without the barcode). Imported rows are queued for the target's own sync. Deletions are
not carried. A file that is not a bundle, is damaged or truncated (any member not matching
the manifest), or was made by newer software is refused with one line, and nothing is
imported.
"""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.results import paths
from kiosk.results.model import StoreError, now_utc
from kiosk.results.store import ResultsStore

FORMAT = "hinge-kiosk-results-bundle"
VERSION = 1
MAX_MEMBER_BYTES = 512 * 1024 * 1024  # a zip bomb stops here
TABLES = ("athletes", "sessions", "reps", "rep_overrides", "silhouettes")
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


class BundleError(StoreError):
    """A bundle that cannot be written or imported; str() is one line."""


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
    members: dict[str, bytes] = {}
    counts: dict[str, int] = {}
    c = store.conn
    c.execute("BEGIN")  # one consistent snapshot of every table
    try:
        for table in TABLES:
            cols = _COLUMNS[table]
            lines = []
            for r in c.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY {_ORDER_BY[table]}"):
                rec = dict(zip(cols, tuple(r), strict=True))
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


def _read(path: Path) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]], dict[str, bytes]]:
    """Manifest, rows per table and silhouette PNGs of a bundle, every member checked."""
    name = str(path)
    try:
        z = zipfile.ZipFile(path)
    except FileNotFoundError as err:
        raise BundleError(f"no bundle at {name}") from err
    except OSError as err:
        raise BundleError(f"cannot read {name}: {err.strerror or err}") from err
    except zipfile.BadZipFile as err:
        raise BundleError(f"{name} is not a results bundle (not a zip file, or truncated)") from err
    with z:
        try:
            infos = {i.filename: i for i in z.infolist()}
            if "manifest.json" not in infos:
                raise BundleError(f"{name} is not a hinge-kiosk results bundle (no manifest.json)")
            if any(i.file_size > MAX_MEMBER_BYTES for i in infos.values()):
                raise BundleError(f"{name}: a member is over {MAX_MEMBER_BYTES >> 20} MB: "
                                  "not a results bundle")
            try:
                manifest = json.loads(z.read("manifest.json"))
            except ValueError as err:
                raise BundleError(f"{name}: manifest.json is not valid JSON: damaged bundle") from err
            if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
                raise BundleError(f"{name} is not a hinge-kiosk results bundle (foreign manifest)")
            if not isinstance(manifest.get("version"), int) or manifest["version"] > VERSION:
                raise BundleError(f"{name} was made by newer kiosk software (bundle version "
                                  f"{manifest.get('version')!r}, this reads {VERSION}): update it")
            listed = manifest.get("members")
            if not isinstance(listed, dict) or not all(f"{t}.jsonl" in listed for t in TABLES):
                raise BundleError(f"{name}: the manifest does not list every table: damaged bundle")
            data: dict[str, bytes] = {}
            for member, meta in listed.items():
                if member not in infos:
                    raise BundleError(f"{name}: {member} is missing: damaged or truncated bundle")
                blob = z.read(member)
                if (not isinstance(meta, dict) or len(blob) != meta.get("bytes")
                        or _sha(blob) != meta.get("sha256")):
                    raise BundleError(f"{name}: {member} does not match the manifest: damaged bundle")
                data[member] = blob
        except (zipfile.BadZipFile, EOFError, zlib.error) as err:
            raise BundleError(f"{name}: damaged or truncated bundle ({err})") from err
    rows: dict[str, list[dict[str, Any]]] = {}
    for table in TABLES:
        try:
            recs = [json.loads(ln) for ln in data[f"{table}.jsonl"].decode().splitlines() if ln.strip()]
        except ValueError as err:
            raise BundleError(f"{name}: {table}.jsonl is not JSON lines: damaged bundle") from err
        need = set(_COLUMNS[table])
        if not all(isinstance(r, dict) and need <= r.keys() for r in recs):
            raise BundleError(f"{name}: {table}.jsonl has rows without the expected columns")
        counts = manifest.get("counts")
        if not isinstance(counts, dict) or counts.get(table) != len(recs):
            raise BundleError(f"{name}: {table}.jsonl row count does not match the manifest")
        rows[table] = recs
    pngs = {r["session_id"]: data.get(str(r.get("png")), b"") for r in rows["silhouettes"]}
    if any(not p for p in pngs.values()):
        raise BundleError(f"{name}: a silhouette image is missing: damaged bundle")
    return manifest, rows, pngs


def import_bundle(store: ResultsStore, path: Path | str) -> BundleReport:
    """Merge a bundle into `store` (module docstring). BundleError, nothing imported, for a
    file that is not a sound bundle or rows the database refuses."""
    path = Path(path)
    manifest, rows, pngs = _read(path)
    added = dict.fromkeys(TABLES, 0)

    def insert(c: sqlite3.Connection, table: str, rec: dict[str, Any], tail: str = " ON CONFLICT DO NOTHING",
               extra: tuple[Any, ...] = ()) -> int:
        cols = _COLUMNS[table] + (("data",) if table == "silhouettes" else ())
        vals = tuple(rec[k] for k in _COLUMNS[table]) + extra
        cur = c.execute(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
                        + tail, vals)
        return max(cur.rowcount, 0)

    try:
        with store.transaction() as c:
            for a in rows["athletes"]:
                n = insert(c, "athletes", a)
                if not n and c.execute("SELECT 1 FROM athletes WHERE id = ?", (a["id"],)).fetchone() is None:
                    n = insert(c, "athletes", {**a, "barcode": None})  # barcode taken here
                added["athletes"] += n
            for s in rows["sessions"]:
                n = insert(c, "sessions", s)
                if not n and s["ended_utc"] is not None:
                    # Finished in the bundle, unfinished here: take the bundle's totals.
                    c.execute("UPDATE sessions SET ended_utc = ?, reps = ?, passed = ?, hinge_depth_in = ?, "
                              "faults = ?, notes = ? WHERE id = ? AND ended_utc IS NULL",
                              (s["ended_utc"], s["reps"], s["passed"], s["hinge_depth_in"], s["faults"],
                               s["notes"], s["id"]))
                added["sessions"] += n
            for table in ("reps", "rep_overrides"):
                for r in rows[table]:
                    added[table] += insert(c, table, r)
            for sil in rows["silhouettes"]:
                added["silhouettes"] += insert(c, "silhouettes", sil, extra=(pngs[sil["session_id"]],))
    except StoreError as err:
        raise BundleError(f"{path}: the database refused it, nothing imported "
                          f"({str(err).split(': ', 1)[-1]})") from err
    except (sqlite3.Error, KeyError, TypeError) as err:
        raise BundleError(f"{path}: bad rows, nothing imported ({err})") from err
    return BundleReport(path, str(manifest.get("station_id")),
                        {t: len(rows[t]) for t in TABLES}, added)
