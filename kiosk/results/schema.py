"""The results database's schema: tables, version bookkeeping and migrations.

`schema_version` holds one row per applied migration (version, applied_utc); the database's
version is the highest. `MIGRATIONS[i]` takes the schema from version i to i + 1 and runs,
with its schema_version row, in one `BEGIN IMMEDIATE` transaction: a migration is applied
whole or not at all, and two processes opening the same new file do not both apply it.
Append new migrations; never edit one that has shipped (a kiosk in the field has run it).

Conventions (docs/results.md): ids are UUID4 hex (32 chars) except athletes.id, which is
the team's own roster id; times are UTC ISO 8601 text with a trailing Z, millisecond
precision (`2024-05-01T14:03:22.123Z`), so text order is time order; lengths are in the
unit their column name carries; a metric the rep did not measure is NULL (never NaN);
faults are JSON arrays of DESIGN.md fault names, session faults a JSON object name -> count.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

Migration = Sequence[str] | Callable[[sqlite3.Connection], None]

_V1: tuple[str, ...] = (
    """CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    """CREATE TABLE athletes (
        id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
        name TEXT NOT NULL CHECK (length(name) >= 1),
        team TEXT NOT NULL DEFAULT '',
        position TEXT NOT NULL DEFAULT '',
        barcode TEXT UNIQUE,
        imported_utc TEXT NOT NULL
    )""",
    # athlete_id NULL: a walk-up athlete who was not picked from the roster.
    # ended_utc NULL: not finished (still running, or the kiosk stopped mid-session).
    """CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        athlete_id TEXT REFERENCES athletes(id) ON DELETE CASCADE,
        station_id TEXT NOT NULL,
        started_utc TEXT NOT NULL,
        ended_utc TEXT,
        reps INTEGER NOT NULL DEFAULT 0,
        passed INTEGER NOT NULL DEFAULT 0,
        hinge_depth_in REAL,
        faults TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(faults)),
        notes TEXT NOT NULL DEFAULT ''
    )""",
    "CREATE INDEX sessions_athlete ON sessions(athlete_id, started_utc)",
    "CREATE INDEX sessions_started ON sessions(started_utc)",
    """CREATE TABLE reps (
        id TEXT PRIMARY KEY,
        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL CHECK (idx >= 0),
        drill TEXT NOT NULL CHECK (drill IN ('dowel', 'wall')),
        start_s REAL NOT NULL,
        bottom_s REAL NOT NULL,
        end_s REAL NOT NULL,
        wall_distance_in REAL NOT NULL,
        min_hip_to_wall_mm REAL,
        max_knee_flexion_deg REAL,
        max_trunk_angle_deg REAL,
        faults TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(faults)),
        passed INTEGER NOT NULL CHECK (passed IN (0, 1)),
        saved_utc TEXT NOT NULL,
        UNIQUE (session_id, idx)
    )""",
    # The best rep's side-view depth silhouette (silhouette.py), one per session, bounded.
    """CREATE TABLE silhouettes (
        session_id TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
        rep_id TEXT REFERENCES reps(id) ON DELETE SET NULL,
        format TEXT NOT NULL CHECK (format = 'png'),
        width_px INTEGER NOT NULL,
        height_px INTEGER NOT NULL,
        mm_per_px REAL NOT NULL,
        data BLOB NOT NULL CHECK (length(data) <= 65536),
        saved_utc TEXT NOT NULL
    )""",
)

# v2: a coach's verdict override of one rep, with who, when and why. History is kept: the
# latest row for a rep (greatest created_utc, then id) is the one in force; the original
# verdict in `reps` never changes. A finished session's totals in `sessions` are the ones in
# force (verdicts.py), re-written when an override is made or imported; readers compute them
# from the reps and overrides anyway (a file whose override predates that still reads right).
_V2: tuple[str, ...] = (
    """CREATE TABLE rep_overrides (
        id TEXT PRIMARY KEY,
        rep_id TEXT NOT NULL REFERENCES reps(id) ON DELETE CASCADE,
        passed INTEGER NOT NULL CHECK (passed IN (0, 1)),
        faults TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(faults)),
        coach TEXT NOT NULL CHECK (length(trim(coach)) >= 1),
        reason TEXT NOT NULL CHECK (length(trim(reason)) >= 1),
        station_id TEXT NOT NULL,
        created_utc TEXT NOT NULL
    )""",
    "CREATE INDEX rep_overrides_rep ON rep_overrides(rep_id, created_utc)",
)

# v3: the sync outbox (sync.py, docs/results.md "Sync"). Triggers enqueue (table, key) of
# every row written, and of deleted athletes and sessions; a sync pushes the queued rows and
# removes exactly the entries it read. A row written again meanwhile is re-queued under a new
# seq (AUTOINCREMENT: a seq is never reused), so a concurrent write is never lost. Rows that
# existed before v3 are queued by the migration itself.
SYNCED_TABLES: tuple[tuple[str, str], ...] = (
    ("athletes", "id"), ("sessions", "id"), ("reps", "id"), ("silhouettes", "session_id"),
    ("rep_overrides", "id"),
)
_NOW_SQL = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"


def _enqueue_sql(table: str, key: str) -> str:
    return (f"DELETE FROM sync_outbox WHERE tbl = '{table}' AND key = {key}; "
            f"INSERT INTO sync_outbox (tbl, key, changed_utc) VALUES ('{table}', {key}, {_NOW_SQL});")


def _v3_statements() -> tuple[str, ...]:
    stmts = [
        """CREATE TABLE sync_outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            tbl TEXT NOT NULL,
            key TEXT NOT NULL,
            changed_utc TEXT NOT NULL,
            UNIQUE (tbl, key)
        )""",
    ]
    for table, key in SYNCED_TABLES:
        for event in ("INSERT", "UPDATE"):
            stmts.append(f"CREATE TRIGGER sync_{table}_{event.lower()} AFTER {event} ON {table} "
                         f"BEGIN {_enqueue_sql(table, 'NEW.' + key)} END")
        stmts.append(f"INSERT OR IGNORE INTO sync_outbox (tbl, key, changed_utc) "
                     f"SELECT '{table}', {key}, {_NOW_SQL} FROM {table}")
    # Deletions (delete_athlete): the athlete becomes a tombstone on the server; sessions are
    # deleted there by id (their reps, silhouette and overrides follow by cascade).
    stmts.append(f"CREATE TRIGGER sync_athletes_delete AFTER DELETE ON athletes "
                 f"BEGIN {_enqueue_sql('athletes', 'OLD.id')} END")
    stmts.append(f"CREATE TRIGGER sync_sessions_delete AFTER DELETE ON sessions BEGIN "
                 f"{_enqueue_sql('sessions', 'OLD.id')} "
                 f"DELETE FROM sync_outbox WHERE tbl = 'athletes' AND key = OLD.athlete_id; "
                 f"INSERT INTO sync_outbox (tbl, key, changed_utc) SELECT 'athletes', "
                 f"OLD.athlete_id, {_NOW_SQL} WHERE OLD.athlete_id IS NOT NULL; END")
    return tuple(stmts)


_V3 = _v3_statements()

MIGRATIONS: tuple[Migration, ...] = (_V1, _V2, _V3)
SCHEMA_VERSION = len(MIGRATIONS)


class SchemaError(Exception):
    """The file is not a results database this kiosk can use; str() is one line."""


def current_version(conn: sqlite3.Connection) -> int:
    """0 for an empty database. Raises SchemaError for a database of something else."""
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "schema_version" not in names:
        if names:
            raise SchemaError("not a hinge-kiosk results database (it has other tables)")
        return 0
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate(
    conn: sqlite3.Connection,
    now_utc: str,
    target: int = SCHEMA_VERSION,
    migrations: Sequence[Migration] = MIGRATIONS,
) -> tuple[int, int]:
    """Bring the schema up to `target`; returns (version before, version after).

    conn must be in autocommit mode (isolation_level=None): each step is its own explicit
    transaction. A database newer than this code raises SchemaError and is left alone.
    """
    if conn.in_transaction:
        raise RuntimeError("migrate() needs a connection with no open transaction")
    before = current_version(conn)
    if before > len(migrations):
        raise SchemaError(
            f"results database has schema version {before}, newer than this kiosk's "
            f"{len(migrations)}: update the kiosk software"
        )
    version = before
    while version < target:
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Re-read inside the write lock: another process may have migrated meanwhile.
            version = current_version(conn)
            if version >= target:
                conn.execute("COMMIT")
                break
            if version == 0:
                conn.execute(
                    "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_utc TEXT NOT NULL)"
                )
            step = migrations[version]
            if callable(step):
                step(conn)
            else:
                for stmt in step:
                    conn.execute(stmt)
            conn.execute("INSERT INTO schema_version VALUES (?, ?)", (version + 1, now_utc))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        version += 1
    return before, version
