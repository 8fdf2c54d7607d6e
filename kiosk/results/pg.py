"""The merged view on the central PostgreSQL server: `PgResults`, and `open_results`.

    with open_results("postgresql://coach@club-server/hinge") as db:   # or a SQLite path
        for s in db.sessions(team="Rowing"): ...

`PgResults` has the read methods the `results` CLI uses on a ResultsStore (sessions,
session, reps, rep, silhouette, athlete_name, athletes) over every station's synced rows,
with the verdicts in force and session totals computed from them as on a station
(verdicts.py: an override made on any station counts here too), and one write:
`delete_athlete` (a tombstone, as a station's deletion syncs). Overrides and roster imports
are refused there: they are made on a station, which syncs them.

psycopg is imported only when a PostgreSQL address is used, so the SQLite commands start
as fast as before. Errors are StoreError with one line and no password in it.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from kiosk.results import paths, verdicts
from kiosk.results.model import Athlete, Deleted, RepRow, SessionRow, StoreError, now_utc
from kiosk.results.store import ResultsStore

if TYPE_CHECKING:
    import psycopg

DSN_PREFIXES = ("postgresql://", "postgres://")
CONNECT_TIMEOUT_S = 10
_SESSION_SELECT = (
    "SELECT s.*, a.name AS name, a.team AS team, a.position AS position "
    "FROM sessions s LEFT JOIN athletes a ON a.id = s.athlete_id"
)


def is_dsn(db: str | Path | None) -> bool:
    return isinstance(db, str) and db.strip().lower().startswith(DSN_PREFIXES)


# A password in a connection string: user:SECRET@host, ?password=SECRET (also sslpassword),
# or the key=value form's password=SECRET / password='SE CRET'.
_USERINFO_SECRET = re.compile(r"(://[^/@?#]*?:)[^@/?#]*@")
_KEY_SECRET = re.compile(r"(?i)\b((?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|[^&\s#]*)")


def redact(dsn: str) -> str:
    """The address with every password in it replaced by ***, for messages, status lines
    and logs (the user part, the query's password/sslpassword, key=value)."""
    return _KEY_SECRET.sub(r"\1***", _USERINFO_SECRET.sub(r"\1***@", dsn))


def secrets(dsn: str) -> list[str]:
    """The password values written in `dsn` (as written and percent-decoded)."""
    found = [m.group(0)[len(m.group(1)):-1] for m in _USERINFO_SECRET.finditer(dsn)]
    found += [m.group(2).strip("'") for m in _KEY_SECRET.finditer(dsn)]
    return [v for s in found for v in {s, unquote(s)} if v]


def scrub(text: str, *dsns: str | Path | None) -> str:
    """`text` (an error message from anywhere: psycopg, the config, argparse) with each of
    `dsns` shown redacted and any password value from them replaced by ***."""
    for dsn in dsns:
        if not isinstance(dsn, str) or not dsn:
            continue
        text = text.replace(dsn, redact(dsn))
        for secret in sorted(secrets(dsn), key=len, reverse=True):
            text = text.replace(secret, "***")
    return text


def pg_message(err: BaseException) -> str:
    """A one-line, password-free reason for a psycopg error."""
    text = " ".join(str(err).split()) or type(err).__name__
    low = text.lower()
    for needle, short in (("connection refused", "connection refused"),
                          ("timeout expired", "connection timed out"),
                          ("could not translate host name", "unknown host"),
                          ("name or service not known", "unknown host"),
                          ("no route to host", "no route to host"),
                          ("network is unreachable", "network unreachable"),
                          ("password authentication failed", "login refused (user or password)"),
                          ("no password supplied", "login refused (no password: use ~/.pgpass)")):
        if needle in low:
            return short
    return text[:200]


def require_psycopg() -> Any:
    """The psycopg module (the optional `club-sync` extra), or StoreError in one line."""
    try:
        import psycopg
    except ImportError:
        raise StoreError("PostgreSQL sync needs psycopg: install the club-sync extra: "
                         "pip install 'hinge-kiosk[club-sync]'") from None
    return psycopg


def connect(dsn: str, *, timeout_s: float = CONNECT_TIMEOUT_S) -> psycopg.Connection[Any]:
    """A psycopg connection, or StoreError naming the server (no password) and the reason."""
    require_psycopg()
    import psycopg  # typed, and loaded by now

    try:
        return psycopg.connect(dsn, connect_timeout=max(1, round(timeout_s)),
                               application_name="hinge-kiosk")
    except psycopg.Error as err:
        raise StoreError(scrub(f"cannot reach {redact(dsn)}: {pg_message(err)}", dsn)) from None
    except ValueError as err:  # a malformed address
        raise StoreError(scrub(f"bad PostgreSQL address {redact(dsn)}: {err}", dsn)) from None


def _session(r: dict[str, Any]) -> SessionRow:
    return SessionRow.from_row(r)  # the same typed reading as a station's file


def tombstone(cur: Any, athlete_id: str, deleted_utc: str, station_id: str) -> tuple[bool, int, int]:
    """Record an athlete's deletion on the server and remove what it covers: their sessions
    (any station) started before it, with reps, silhouettes and overrides, and the athlete row
    unless a roster import after the deletion brought it back. Returns (athlete, sessions,
    reps) removed. `cur` is a psycopg cursor inside the caller's transaction."""
    cur.execute("INSERT INTO athlete_deletions VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (athlete_id, deleted_utc, station_id, now_utc()))
    cur.execute("SELECT count(*) FROM reps WHERE session_id IN (SELECT id FROM sessions "
                "WHERE athlete_id = %s AND started_utc <= %s)", (athlete_id, deleted_utc))
    n_reps = int(cur.fetchone()[0])
    cur.execute("DELETE FROM sessions WHERE athlete_id = %s AND started_utc <= %s", (athlete_id, deleted_utc))
    n_sessions = int(cur.rowcount)
    cur.execute("DELETE FROM athletes WHERE id = %s AND imported_utc <= %s", (athlete_id, deleted_utc))
    return cur.rowcount == 1, n_sessions, n_reps


class PgResults:
    """The merged results of every station on a PostgreSQL server (read side)."""

    def __init__(self, conn: psycopg.Connection[Any], dsn: str) -> None:
        self.conn = conn
        self.dsn = dsn
        self.path = redact(dsn)  # what messages print where a ResultsStore prints its file

    @classmethod
    def open(cls, dsn: str, *, timeout_s: float = CONNECT_TIMEOUT_S) -> PgResults:
        """Connect read-only in spirit (nothing is created). StoreError when the server cannot
        be reached or holds no synced results."""
        conn = connect(dsn, timeout_s=timeout_s)
        conn.autocommit = True
        try:
            from psycopg.rows import dict_row

            conn.row_factory = dict_row  # type: ignore[assignment]
            with conn.cursor() as cur:
                cur.execute("SELECT to_regclass('sessions') IS NOT NULL AS ok")
                row = cur.fetchone()
            if not row or not row["ok"]:  # type: ignore[call-overload]
                raise StoreError(f"{redact(dsn)} holds no hinge-kiosk results yet "
                                 "(run `hinge-kiosk results sync --to ...` on a station first)")
        except BaseException:
            conn.close()
            raise
        return cls(conn, dsn)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> PgResults:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _rows(self, sql: str, args: tuple[Any, ...] | list[Any] = ()) -> list[dict[str, Any]]:
        import psycopg

        try:
            with self.conn.cursor() as cur:
                cur.execute(sql, args)  # type: ignore[arg-type]
                return list(cur.fetchall())  # type: ignore[arg-type]
        except psycopg.Error as err:
            raise StoreError(f"{self.path}: {pg_message(err)}") from err

    # --- reads (ResultsStore's) ----------------------------------------------------------------

    def athlete_name(self, athlete_id: str) -> str | None:
        rows = self._rows("SELECT name FROM athletes WHERE id = %s", (athlete_id,))
        return str(rows[0]["name"]) if rows else None

    def athletes(self, team: str | None = None) -> list[Athlete]:
        """The merged roster by team, then name; `team` matched whatever its case (as
        roster.athletes: PostgreSQL's lower() is the station's FOLD_CASE)."""
        sql = "SELECT id, name, team, position, barcode FROM athletes"
        args: tuple[str, ...] = ()
        if team is not None:
            sql, args = sql + " WHERE lower(team) = lower(%s)", (team,)
        return [Athlete(id=r["id"], name=r["name"], team=r["team"], position=r["position"],
                        barcode=r["barcode"])
                for r in self._rows(sql + " ORDER BY team, name, id", args)]

    def sessions(self, athlete_id: str | None = None, team: str | None = None,
                 limit: int | None = None) -> list[SessionRow]:
        """Newest first, every station."""
        where, args = [], []
        if athlete_id is not None:
            where.append("s.athlete_id = %s")
            args.append(athlete_id)
        if team is not None:
            where.append("lower(a.team) = lower(%s)")
            args.append(team)
        sql = _SESSION_SELECT + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY s.started_utc DESC, s.id" + (f" LIMIT {int(limit)}" if limit else "")
        rows = [_session(r) for r in self._rows(sql, args)]
        reps = self._reps_in_force([s.id for s in rows])
        return [verdicts.with_totals(s, reps.get(s.id, [])) for s in rows]

    def session(self, id_or_prefix: str) -> SessionRow:
        prefix = id_or_prefix.strip().lower().replace("-", "")
        if not prefix:
            raise StoreError("empty session id")
        rows = self._rows(_SESSION_SELECT + " WHERE s.id >= %s AND s.id < %s ORDER BY s.id LIMIT 2",
                          (prefix, prefix + "\x7f"))
        if not rows:
            raise StoreError(f"no session {id_or_prefix!r}")
        if len(rows) > 1:
            raise StoreError(f"session id {id_or_prefix!r} is ambiguous: give more characters")
        s = _session(rows[0])
        return verdicts.with_totals(s, self.reps(s.id))

    def _reps_in_force(self, session_ids: list[str]) -> dict[str, list[RepRow]]:
        """session_id -> its reps with the overrides in force (verdicts.py, as on a station)."""
        if not session_ids:
            return {}
        reps = self._rows("SELECT * FROM reps WHERE session_id = ANY(%s)", (session_ids,))
        overrides = self._rows("SELECT o.* FROM rep_overrides o JOIN reps r ON r.id = o.rep_id "
                               "WHERE r.session_id = ANY(%s)", (session_ids,))
        return verdicts.reps_by_session(reps, verdicts.overrides_in_force(overrides))

    def reps(self, session_id: str) -> list[RepRow]:
        return self._reps_in_force([session_id]).get(session_id, [])

    def rep(self, id_or_prefix: str) -> RepRow:
        prefix = id_or_prefix.strip().lower()
        rows = self._rows("SELECT * FROM reps WHERE id >= %s AND id < %s ORDER BY id LIMIT 2",
                          (prefix, prefix + "\x7f"))
        if len(rows) != 1 or not prefix:
            raise StoreError(f"{'ambiguous' if len(rows) > 1 else 'no'} rep id {id_or_prefix!r}")
        found = self._rows("SELECT * FROM rep_overrides WHERE rep_id = %s", (rows[0]["id"],))
        return RepRow.from_row(rows[0], verdicts.overrides_in_force(found).get(rows[0]["id"]))

    def silhouette(self, session_id: str) -> bytes | None:
        rows = self._rows("SELECT data FROM silhouettes WHERE session_id = %s", (session_id,))
        return bytes(rows[0]["data"]) if rows else None

    def kept_silhouette(self, session_id: str) -> tuple[str | None, float, bytes] | None:
        """(rep_id, mm_per_px, PNG data) of the session's kept silhouette (as a station's)."""
        rows = self._rows("SELECT rep_id, mm_per_px, data FROM silhouettes WHERE session_id = %s",
                          (session_id,))
        if not rows:
            return None
        r = rows[0]
        return (None if r["rep_id"] is None else str(r["rep_id"])), float(r["mm_per_px"]), bytes(r["data"])

    # --- writes ---------------------------------------------------------------------------------

    def delete_athlete(self, athlete_id: str) -> Deleted:
        """Delete an athlete's results from the server (all stations), as a tombstone: a
        station that syncs an older session of theirs later is refused. The stations' own
        files are not touched: delete there too (`results delete-athlete ID --db FILE`)."""
        import psycopg

        try:
            with self.conn.transaction(), self.conn.cursor() as cur:
                athlete, n_sessions, n_reps = tombstone(cur, athlete_id, now_utc(), "coach")
        except psycopg.Error as err:
            raise StoreError(f"{self.path}: {pg_message(err)}") from err
        if not athlete and not n_sessions:
            raise StoreError(f"no athlete with id {athlete_id!r}")
        return Deleted(athlete=athlete, sessions=n_sessions, reps=n_reps)

    def override_rep(self, rep_id: str, passed: bool, faults: tuple[str, ...], coach: str,
                     reason: str) -> str:
        raise StoreError("overrides are made on a station's database (--db FILE), which syncs them "
                         "to the server; the server's copy is read-only")


Results = ResultsStore | PgResults


def open_results(db: str | Path | None, *, create: bool = False, data_dir: str = "") -> Results:
    """`--db` as the CLI takes it: a postgresql:// address opens the server's merged view
    (PgResults), anything else a station's SQLite file (ResultsStore; None: the default path)."""
    if is_dsn(db):
        return PgResults.open(str(db).strip())
    return ResultsStore.open(Path(db) if db else paths.default_db_path(data_dir), create=create)
