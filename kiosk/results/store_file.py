"""The results store's file (ResultsStore inherits it): opening one SQLite database (its
checks as a private file, the durability settings, the migrations of schema.py, the file's
own id), closing it, and the one transaction each write runs in.

The settings every connection gets (store.py's durability contract rests on them): WAL
mode with `synchronous=FULL` (a commit is fsync'd to the write-ahead log before it
returns), foreign keys on, `secure_delete` on (an athlete's removed rows are overwritten),
a 5 s busy timeout (another process, the `results` CLI, may hold the write lock), and
FOLD_CASE registered for the team filters (store_reads.py).
"""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Self

from kiosk.results import paths
from kiosk.results.model import StoreError, new_id, now_utc
from kiosk.results.schema import SchemaError, migrate
from kiosk.results.store_reads import FOLD_CASE, fold_case

BUSY_TIMEOUT_S = 5.0


def default_station_id() -> str:
    """$HINGE_KIOSK_STATION, else the host name (each Pi on a screening day has its own)."""
    return (os.environ.get("HINGE_KIOSK_STATION") or socket.gethostname() or "station")[:64]


class StoreFile:
    """One open results database file: its connection, path and this station's id."""

    def __init__(self, conn: sqlite3.Connection, path: Path, station_id: str) -> None:
        self.conn = conn
        self.path = path
        self.station_id = station_id

    @classmethod
    def open(cls, path: Path | str, *, station_id: str | None = None, create: bool = True) -> Self:
        """Open (and with create, make: directories 0700, file 0600) and migrate the database.
        Raises StoreError with a one-line reason for a missing/unusable/foreign file."""
        path = Path(path)
        try:
            paths.check_output_file(path)  # a link, a folder or a device is not a database
            if create:
                paths.ensure_private_dir(path.parent)
                paths.ensure_private_file(path)
            elif not path.is_file():
                raise StoreError(f"no results database at {path} (nothing saved yet? choose one with --db)")
            for suffix in ("", "-wal", "-shm"):
                paths.tighten(Path(f"{path}{suffix}"))  # O_NOFOLLOW: a planted link is refused
        except OSError as err:
            raise StoreError(f"cannot use {path}: {err.strerror or err}") from err
        try:
            conn = sqlite3.connect(str(path), isolation_level=None, timeout=BUSY_TIMEOUT_S)
        except sqlite3.Error as err:
            raise StoreError(f"cannot open {path}: {err}") from err
        try:
            conn.row_factory = sqlite3.Row
            conn.create_function(FOLD_CASE, 1, fold_case, deterministic=True)  # team filters
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(f"{path}: the file system does not support SQLite's WAL mode ({mode})")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            # Deleted rows (an athlete's data removed on request) are overwritten, not just freed.
            conn.execute("PRAGMA secure_delete=ON")
            migrate(conn, now_utc())
            # Once per file (a read-only command then takes no write lock): which database a
            # merged export came from.
            if conn.execute("SELECT count(*) FROM meta WHERE key = 'db_id'").fetchone()[0] == 0:
                conn.execute("INSERT OR IGNORE INTO meta VALUES ('db_id', ?), ('created_utc', ?)",
                             (new_id(), now_utc()))
        except SchemaError as err:
            conn.close()
            raise StoreError(f"{path}: {err}") from err
        except sqlite3.Error as err:
            conn.close()
            raise StoreError(f"{path}: {err}") from err
        except BaseException:
            conn.close()
            raise
        return cls(conn, path, (station_id or default_station_id())[:64])

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on any exception); sqlite3.Error -> StoreError."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as err:
            raise StoreError(f"{self.path}: {err}") from err
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException as err:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            if isinstance(err, sqlite3.Error):
                raise StoreError(f"{self.path}: {err}") from err
            raise

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("SELECT max(version) FROM schema_version").fetchone()[0])
