"""The central PostgreSQL schema that several kiosks sync into (sync.py, docs/results.md).

The same tables as a station's SQLite file (schema.py), keyed by the same ids (UUID4 hex;
athletes by the team's roster id), with the same text conventions (UTC ISO text times, JSON
text for faults) so rows read back unchanged. Differences:

- every table has `station_id` (the station that last wrote the row) and `synced_utc`;
- `athletes.barcode` is not UNIQUE and `sessions.athlete_id` has no foreign key: stations
  import their rosters separately, so the central copy merges, it does not police them;
- `athlete_deletions`: tombstones of athletes deleted on a station (delete_athlete). A
  session of that athlete started before the deletion is removed and no longer accepted, and
  the athlete row comes back only from a roster import made after the deletion;
- `meta.db_id`: this server database's identity, which a station remembers so that pointing
  it at another server re-sends everything.

`ensure_schema` creates it all idempotently (IF NOT EXISTS, under an advisory lock so two
stations syncing for the first time at once do not race); only `sync` calls it: readers
(`results list --db postgresql://...`) never create anything.
"""

from __future__ import annotations

import uuid
from typing import Any

from kiosk.results.model import StoreError

PG_SCHEMA_VERSION = 1
_LOCK_KEY = 0x68696E6765  # "hinge": pg_advisory_xact_lock key for schema creation

DDL: tuple[str, ...] = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS schema_version (
        version INTEGER PRIMARY KEY, applied_utc TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS athletes (
        id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
        name TEXT NOT NULL,
        team TEXT NOT NULL DEFAULT '',
        position TEXT NOT NULL DEFAULT '',
        barcode TEXT,
        imported_utc TEXT NOT NULL,
        station_id TEXT NOT NULL,
        synced_utc TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS athlete_deletions (
        athlete_id TEXT NOT NULL,
        deleted_utc TEXT NOT NULL,
        station_id TEXT NOT NULL,
        synced_utc TEXT NOT NULL,
        PRIMARY KEY (athlete_id, deleted_utc, station_id))""",
    """CREATE TABLE IF NOT EXISTS sessions (
        id TEXT PRIMARY KEY,
        athlete_id TEXT,
        station_id TEXT NOT NULL,
        started_utc TEXT NOT NULL,
        ended_utc TEXT,
        reps INTEGER NOT NULL DEFAULT 0,
        passed INTEGER NOT NULL DEFAULT 0,
        hinge_depth_in DOUBLE PRECISION,
        faults TEXT NOT NULL DEFAULT '{}',
        notes TEXT NOT NULL DEFAULT '',
        source_db TEXT NOT NULL,
        synced_utc TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS sessions_athlete ON sessions(athlete_id, started_utc)",
    "CREATE INDEX IF NOT EXISTS sessions_started ON sessions(started_utc)",
    """CREATE TABLE IF NOT EXISTS reps (
        id TEXT PRIMARY KEY,
        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        drill TEXT NOT NULL,
        start_s DOUBLE PRECISION NOT NULL,
        bottom_s DOUBLE PRECISION NOT NULL,
        end_s DOUBLE PRECISION NOT NULL,
        wall_distance_in DOUBLE PRECISION NOT NULL,
        min_hip_to_wall_mm DOUBLE PRECISION,
        max_knee_flexion_deg DOUBLE PRECISION,
        max_trunk_angle_deg DOUBLE PRECISION,
        faults TEXT NOT NULL DEFAULT '[]',
        passed INTEGER NOT NULL,
        saved_utc TEXT NOT NULL,
        station_id TEXT NOT NULL,
        synced_utc TEXT NOT NULL,
        UNIQUE (session_id, idx))""",
    """CREATE TABLE IF NOT EXISTS silhouettes (
        session_id TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
        rep_id TEXT REFERENCES reps(id) ON DELETE SET NULL,
        format TEXT NOT NULL,
        width_px INTEGER NOT NULL,
        height_px INTEGER NOT NULL,
        mm_per_px DOUBLE PRECISION NOT NULL,
        data BYTEA NOT NULL CHECK (length(data) <= 65536),
        saved_utc TEXT NOT NULL,
        station_id TEXT NOT NULL,
        synced_utc TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS rep_overrides (
        id TEXT PRIMARY KEY,
        rep_id TEXT NOT NULL REFERENCES reps(id) ON DELETE CASCADE,
        passed INTEGER NOT NULL,
        faults TEXT NOT NULL DEFAULT '[]',
        coach TEXT NOT NULL,
        reason TEXT NOT NULL,
        station_id TEXT NOT NULL,
        created_utc TEXT NOT NULL,
        synced_utc TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS rep_overrides_rep ON rep_overrides(rep_id, created_utc)",
)

TABLES = ("meta", "schema_version", "athletes", "athlete_deletions", "sessions", "reps",
          "silhouettes", "rep_overrides")


def ensure_schema(conn: Any, now_utc: str) -> str:
    """Create the schema if missing (idempotent) and return the server's db_id. Commits.
    `conn` is a psycopg.Connection (typed Any: psycopg is imported lazily)."""
    with conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        for stmt in DDL:
            cur.execute(stmt)
        cur.execute("INSERT INTO schema_version VALUES (%s, %s) ON CONFLICT DO NOTHING",
                    (PG_SCHEMA_VERSION, now_utc))
        cur.execute("INSERT INTO meta VALUES ('db_id', %s), ('created_utc', %s) ON CONFLICT DO NOTHING",
                    (uuid.uuid4().hex, now_utc))
        cur.execute("SELECT max(version) FROM schema_version")
        version = int(cur.fetchone()[0])
        cur.execute("SELECT value FROM meta WHERE key = 'db_id'")
        db_id = str(cur.fetchone()[0])
    conn.commit()
    if version > PG_SCHEMA_VERSION:
        raise StoreError(f"the server's results schema is version {version}, newer than this "
                           f"kiosk's {PG_SCHEMA_VERSION}: update the kiosk software")
    return db_id
