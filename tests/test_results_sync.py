"""Several kiosks, one club: stations sync into a real PostgreSQL (started here on loopback
from Debian's package), the coach reads the merged view, a worker backs off while the
server is unreachable, and results travel as file bundles where there is no network."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import stat
import subprocess
import tempfile
import threading
import time
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.cli.root import main
from kiosk.core.drill import RepResult
from kiosk.results import bundle, sync
from kiosk.results.model import StoreError
from kiosk.results.pg import PgResults
from kiosk.results.store import ResultsStore
from kiosk.results.sync import sync_once
from kiosk.results.sync_worker import SyncWorker

psycopg = pytest.importorskip("psycopg")

ROSTER = "id,name,team,position,barcode\nA1,Ann Alpha,Rowing,bow,111\nA2,Bo Beta,Rowing,stroke,222\n"
TABLES = ("athletes", "sessions", "reps", "silhouettes", "rep_overrides")
KEYS = {"silhouettes": "session_id"}
PNG = b"\x89PNG\r\n\x1a\n" + b"silhouette" * 10


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A throwaway cluster: trust auth on 127.0.0.1 only, socket in its own temporary
    directory, run as the `postgres` user when we are root. Yields the admin DSN."""
    bindir = _pg_bin()
    if bindir is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("PostgreSQL server binaries missing in CI (hardware/setup_host.sh installs "
                        "the `postgresql` package)")
        pytest.skip("PostgreSQL server binaries not installed (apt-get install postgresql)")
    base = Path(tempfile.mkdtemp(prefix="hinge-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        import pwd

        pw = pwd.getpwnam("postgres")
        os.chown(base, pw.pw_uid, pw.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    data, port = base / "data", _free_port()
    subprocess.run([*run_as, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "hinge",
                    "-E", "UTF8", "--no-sync"], check=True, capture_output=True)
    opts = (f"-k {base} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off")
    subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(base / "log"), "-w",
                    "-t", "30", "-o", opts, "start"], check=True, capture_output=True)
    try:
        yield f"postgresql://hinge@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture()
def dsn(pg_server: str) -> str:
    """A fresh database on the cluster for one test."""
    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(pg_server, autocommit=True) as c:
        c.execute(f"CREATE DATABASE {name}")
    return pg_server.rsplit("/", 1)[0] + "/" + name


def rep(i: int, wall_in: float, passed: bool = True) -> RepResult:
    return RepResult(index=i, start_s=2.0 * i, bottom_s=2.0 * i + 0.8, end_s=2.0 * i + 1.6,
                     wall_distance_in=wall_in, min_hip_to_wall_mm=-4.5, max_knee_flexion_deg=11.0 + i,
                     max_trunk_angle_deg=45.5, faults=() if passed else ("knees_bent",), passed=passed,
                     drill="wall")  # type: ignore[arg-type]


def station(tmp_path: Path, name: str, roster: bool = True) -> ResultsStore:
    store = ResultsStore.open(tmp_path / f"{name}.sqlite3", station_id=name)
    if roster:
        from kiosk.results import roster as roster_mod

        csv = tmp_path / f"{name}-roster.csv"
        csv.write_text(ROSTER)
        roster_mod.import_roster(store, csv)
    return store


def screen(store: ResultsStore, athlete: str | None, n_reps: int, finish: bool = True) -> str:
    sid = store.start_session(athlete)
    rid = ""
    for i in range(n_reps):
        rid = store.save_rep(sid, rep(i, 4.0 + i, passed=i % 3 != 2))
    if rid:
        store.save_silhouette(sid, rid, PNG, width_px=10, height_px=8, mm_per_px=10.0)
    if finish:
        store.save_session(sid)
    return sid


def ids(conn: Any, table: str) -> list[str]:
    key = KEYS.get(table, "id")
    return sorted(str(r[0]) for r in conn.execute(f"SELECT {key} FROM {table}").fetchall())


def server_ids(dsn: str) -> dict[str, list[str]]:
    with psycopg.connect(dsn) as c:
        return {t: ids(c, t) for t in TABLES}


def local_ids(*stores: ResultsStore) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for t in TABLES:
        out[t] = sorted({i for s in stores for i in ids(s.conn, t)})
    return out


def test_two_stations_sync_twice_no_duplicates_no_lost_rows(tmp_path: Path, dsn: str) -> None:
    a, b = station(tmp_path, "A"), station(tmp_path, "B")
    screen(a, "A1", 4)
    screen(a, None, 2)
    screen(b, "A1", 3)
    screen(b, "A2", 5)
    screen(b, None, 1, finish=False)
    first = [sync_once(x, dsn) for x in (a, b)]
    assert all(r.requeued_all and r.pending == 0 for r in first)
    assert first[0].sent["reps"] == 6 and first[1].sent["reps"] == 9
    again = [sync_once(x, dsn) for x in (a, b, a, b)]
    assert [r.rows for r in again] == [0, 0, 0, 0]
    assert sync.pending(a) == sync.pending(b) == 0
    got = server_ids(dsn)
    assert got == local_ids(a, b)  # same UUIDs, none lost, none doubled (ids are primary keys)
    assert [len(got[t]) for t in TABLES] == [2, 5, 15, 5, 0]
    with PgResults.open(dsn) as view:
        assert {s.station_id for s in view.sessions()} == {"A", "B"}
        assert len(view.sessions(athlete_id="A1")) == 2 and len(view.sessions(team="Rowing")) == 3
        for s in a.sessions() + b.sessions():
            assert view.session(s.id) == s
            assert view.reps(s.id) == (a if s.station_id == "A" else b).reps(s.id)
            assert view.silhouette(s.id) == PNG
    # A new server (another db_id): everything goes again, idempotently.
    first_db = dsn
    with psycopg.connect(first_db, autocommit=True) as c:
        c.execute("UPDATE meta SET value = 'another-server' WHERE key = 'db_id'")
    r = sync_once(a, dsn)
    assert r.requeued_all and r.sent["reps"] == 6
    assert server_ids(dsn) == got


def test_override_and_a_later_finished_session_propagate(tmp_path: Path, dsn: str) -> None:
    a = station(tmp_path, "A")
    sid = a.start_session("A2")
    r0 = a.save_rep(sid, rep(0, 6.0))
    sync_once(a, dsn)
    with PgResults.open(dsn) as view:
        s = view.session(sid)
        # an unfinished session counts the reps stored so far (verdicts.py), as on the station
        assert not s.finished and s.reps == 1 and len(view.reps(sid)) == 1 and s == a.session(sid)
    a.save_rep(sid, rep(1, 8.0))
    a.save_session(sid, notes="good day")
    a.override_rep(r0, False, ("knees_bent",), "K. Smith", "rewatched")
    report = sync_once(a, dsn)
    assert report.sent["rep_overrides"] == 1
    with PgResults.open(dsn) as view:
        s = view.session(sid)
        assert s.finished and s.reps == 2 and s.hinge_depth_in == 8.0 and s.notes == "good day"
        reps = view.reps(sid)
        assert reps == a.reps(sid)
        assert reps[0].override is not None and not reps[0].verdict_passed
    assert server_ids(dsn) == local_ids(a)


def _server_session(dsn: str, sid: str) -> tuple[Any, ...]:
    with psycopg.connect(dsn) as c:
        row = c.execute("SELECT passed, reps, hinge_depth_in, faults FROM sessions WHERE id = %s",
                        (sid,)).fetchone()
    assert row is not None
    return tuple(row)


def test_a_coach_override_counts_on_the_server_with_who_and_why(
        tmp_path: Path, dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 15 on the club server: the synced session row (the payload) and the merged view
    give the override's totals, the same as the station, and the override's who/when/why."""
    a = station(tmp_path, "A")
    sid = a.start_session("A1")
    walls = (6, 7, 8, 9, 10, 9, 12, 11)
    for i, w in enumerate(walls):
        a.save_rep(sid, rep(i, float(w), passed=i not in (6, 7)))
    a.save_session(sid)
    sync_once(a, dsn)
    assert _server_session(dsn, sid) == (6, 8, 10.0, '{"knees_bent": 2}')
    assert main(["results", "override", sid[:8], "6", "--pass", "--by", "K. Smith", "--why", "glare",
                 "--db", str(a.path)]) == 0
    report = sync_once(a, dsn)
    assert report.sent["rep_overrides"] == 1 and report.sent["sessions"] == 1
    assert _server_session(dsn, sid) == (7, 8, 12.0, '{"knees_bent": 1}')
    with PgResults.open(dsn) as view:
        s, reps = view.session(sid), view.reps(sid)
        (listed,) = view.sessions()
    assert s == listed == a.session(sid) and (s.passed, s.hinge_depth_in, s.overridden) == (7, 12.0, 1)
    o = reps[6].override
    assert reps == a.reps(sid) and o is not None and (o.coach, o.reason) == ("K. Smith", "glare")
    capsys.readouterr()
    assert main(["results", "list", "--db", dsn]) == 0
    line = next(ln for ln in capsys.readouterr().out.splitlines() if ln.startswith(sid[:8]))
    assert line.split()[-4:] == ["8", "7", "12", "finished"]
    assert main(["results", "show", sid[:8], "--db", dsn]) == 0
    out = capsys.readouterr().out
    assert "7/8 reps passed; hinge depth 12 in" in out and "overridden to PASS by K. Smith" in out
    # Back to FAIL: the server follows.
    assert main(["results", "override", sid[:8], "6", "--fail", "--fault", "knees_bent", "--by", "K. Smith",
                 "--why", "rewatched", "--db", str(a.path)]) == 0
    sync_once(a, dsn)
    assert _server_session(dsn, sid) == (6, 8, 10.0, '{"knees_bent": 2}')
    with PgResults.open(dsn) as view:
        assert view.session(sid) == a.session(sid) and view.session(sid).passed == 6


def test_the_sync_sends_the_totals_in_force_even_from_stale_columns(tmp_path: Path, dsn: str) -> None:
    """An override written by older software left the session's stored totals as the kiosk
    had them; the sync still sends the totals in force."""
    a = station(tmp_path, "A")
    sid = a.start_session("A1")
    for i, w in enumerate((6, 8, 12)):
        a.save_rep(sid, rep(i, float(w), passed=i != 2))
    a.save_session(sid)
    with a.transaction() as c:
        c.execute("INSERT INTO rep_overrides VALUES ('o1', ?, 1, '[]', 'K', 'glare', 'A', "
                  "'2025-01-01T00:00:00.000Z')", (a.reps(sid)[2].id,))
    assert a.conn.execute("SELECT passed, hinge_depth_in FROM sessions").fetchone()[:] == (2, 8.0)
    sync_once(a, dsn)
    assert _server_session(dsn, sid) == (3, 3, 12.0, "{}")


def test_a_row_written_during_a_sync_is_not_lost(tmp_path: Path, dsn: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    a = station(tmp_path, "A", roster=False)
    sid = a.start_session()
    a.save_rep(sid, rep(0, 6.0))
    other = ResultsStore.open(a.path, station_id="A")  # the kiosk, while the worker syncs
    real = sync._push_batch
    calls: list[int] = []

    def push_then_write(store: ResultsStore, cur: Any, entries: Any, db_id: str,
                        rep_: Any) -> set[tuple[str, str]]:
        held = real(store, cur, entries, db_id, rep_)
        if not calls:
            other.save_session(sid)  # the session row changes after it was read for this batch
        calls.append(1)
        return held

    monkeypatch.setattr(sync, "_push_batch", push_then_write)
    r = sync_once(a, dsn, batch=1)
    assert r.pending == 1  # the re-written session stayed queued
    monkeypatch.undo()
    sync_once(a, dsn)
    with PgResults.open(dsn) as view:
        assert view.session(sid).finished and view.session(sid).reps == 1
    other.close()


def test_small_batches_take_parents_along(tmp_path: Path, dsn: str) -> None:
    # Finishing a session re-queues it after its reps (and an override after both): a batch
    # of reps must bring its session, or the reps would be refused by the foreign key.
    a = station(tmp_path, "A")
    sid = screen(a, "A1", 3)
    a.override_rep(a.reps(sid)[1].id, False, ("knees_bent",), "K", "late")
    r = sync_once(a, dsn, batch=1)
    assert r.batches == 8 and r.pending == 0  # 2 athletes, 1 session, 3 reps, 1 silhouette, 1 override
    assert server_ids(dsn) == local_ids(a)
    with PgResults.open(dsn) as view:
        assert view.reps(sid) == a.reps(sid)


def test_coach_lists_both_stations_from_the_server(tmp_path: Path, dsn: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    a, b = station(tmp_path, "kiosk-east"), station(tmp_path, "kiosk-west")
    sa, sb = screen(a, "A1", 2), screen(b, "A2", 3)
    assert main(["results", "sync", "--db", str(a.path), "--to", dsn]) == 0
    assert main(["results", "sync", "--db", str(b.path), "--to", dsn]) == 0
    assert "synced to" in capsys.readouterr().out
    assert main(["results", "list", "--db", dsn]) == 0
    out = capsys.readouterr().out
    assert "kiosk-east" in out and "kiosk-west" in out and "2 sessions" in out
    assert sa[:8] in out and sb[:8] in out and "Ann Alpha" in out
    assert main(["results", "show", sb[:8], "--db", dsn]) == 0
    assert "kiosk-west" in capsys.readouterr().out
    assert main(["results", "export", str(tmp_path / "csv"), "--db", dsn]) == 0
    assert "(2 sessions)" in capsys.readouterr().out
    assert main(["roster", "list", "--db", dsn]) == 0
    assert "2 athletes" in capsys.readouterr().out
    # Station-only commands refuse the server in one line.
    assert main(["results", "override", sa[:8], "0", "--pass", "--coach", "K", "--reason", "r",
                 "--db", dsn]) == 2
    assert main(["results", "bundle-import", str(tmp_path / "x"), "--db", dsn]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(e.startswith("hinge-kiosk: error: ") for e in err)
    assert main(["results", "list", "--db", "postgresql://hinge:secret@127.0.0.1:1/x"]) == 2
    line = capsys.readouterr().err
    assert line.count("\n") == 1 and "connection refused" in line and "secret" not in line


def test_the_server_matches_a_team_whatever_its_case(tmp_path: Path, dsn: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    # Issue 15: `--team rowing` found nothing for "Rowing", on the server's merged view too.
    a = station(tmp_path, "kiosk-east")
    screen(a, "A1", 2)
    screen(a, "A2", 1)
    assert main(["results", "sync", "--db", str(a.path), "--to", dsn]) == 0
    capsys.readouterr()
    for team in ("rowing", "ROWING"):
        assert main(["results", "list", "--team", team, "--db", dsn]) == 0
        assert capsys.readouterr().out.splitlines()[-1] == "2 sessions"
        assert main(["roster", "list", "--team", team, "--db", dsn]) == 0
        assert capsys.readouterr().out.splitlines()[-1] == "2 athletes"
    assert main(["results", "list", "--team", "row", "--db", dsn]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "0 sessions"


def test_athlete_deletion_is_a_tombstone_on_the_server(tmp_path: Path, dsn: str) -> None:
    a, b = station(tmp_path, "A"), station(tmp_path, "B")
    screen(a, "A1", 2)
    screen(b, "A1", 2)
    kept = screen(b, "A2", 1)
    for s in (a, b):
        sync_once(s, dsn)
    a.delete_athlete("A1")
    r = sync_once(a, dsn)
    assert r.tombstones == 1
    with PgResults.open(dsn) as view:
        assert [s.id for s in view.sessions()] == [kept] and view.athlete_name("A1") is None
    sync.requeue_all(b)  # B still has A1's session and sends it again: refused
    sync_once(b, dsn)
    with PgResults.open(dsn) as view:
        assert [s.id for s in view.sessions()] == [kept] and view.athlete_name("A1") is None
    later = screen(b, "A2", 1)
    sync_once(b, dsn)
    with PgResults.open(dsn) as view:
        assert {s.id for s in view.sessions()} == {kept, later}


class Proxy:
    """A TCP forwarder to the server that can be switched on: the network coming back."""

    def __init__(self, target_port: int) -> None:
        self.port = _free_port()
        self.target = target_port
        self.sock: socket.socket | None = None
        self.threads: list[threading.Thread] = []

    def up(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", self.port))
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()

    def _accept(self) -> None:
        assert self.sock is not None
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            s = socket.create_connection(("127.0.0.1", self.target))
            for x, y in ((c, s), (s, c)):
                threading.Thread(target=self._pipe, args=(x, y), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()


def _wait(cond: Any, timeout: float = 15.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.02)


def test_worker_backs_off_while_offline_then_syncs(tmp_path: Path, dsn: str) -> None:
    a = station(tmp_path, "A")
    sid = screen(a, "A1", 3)
    target = int(dsn.split(":")[2].split("/")[0])
    proxy = Proxy(target)
    via_proxy = dsn.replace(f":{target}/", f":{proxy.port}/")
    worker = SyncWorker(a.path, via_proxy, station_id="A", interval_s=60, backoff_initial_s=0.1,
                        backoff_max_s=0.8, connect_timeout_s=2, jitter=lambda: 0.5)
    assert worker.status() == "sync stopped"
    worker.start()
    try:
        _wait(lambda: worker.state().failures >= 4)
        st = worker.state()
        assert st.ok is False and st.offline and "connection refused" in (st.last_error or "")
        assert worker.status().startswith("offline: connection refused, retry in ")
        hist = st.backoff_history_s
        assert hist[:4] == pytest.approx((0.075, 0.15, 0.3, 0.6))  # doubling (x0.75 with this jitter) ...
        time.sleep(0.8)
        assert max(worker.state().backoff_history_s) == pytest.approx(0.6)  # ... capped at 0.8 x 0.75
        worker.nudge()  # during a backoff: the retry time stands
        proxy.up()
        _wait(lambda: worker.state().ok is True)
        assert worker.status() == "synced 0 s ago" and worker.state().failures == 0
        with PgResults.open(dsn) as view:
            assert len(view.reps(sid)) == 3
        a.save_session(sid, notes="after")  # the kiosk keeps writing; a nudge sends it
        worker.nudge()

        def notes() -> str:
            with PgResults.open(dsn) as view:
                return view.session(sid).notes

        _wait(lambda: notes() == "after")
    finally:
        assert worker.stop(timeout=5)
        proxy.close()
    assert not worker.state().running


def test_worker_never_raises_for_a_bad_database_or_address(tmp_path: Path) -> None:
    w = SyncWorker(tmp_path / "missing.sqlite3", "postgresql://nobody@127.0.0.1:1/x", backoff_initial_s=0.05,
                   backoff_max_s=0.1).start()
    _wait(lambda: w.state().failures >= 1)
    assert w.status().startswith("sync failed: ") and "no results database" in w.status()
    assert w.stop(timeout=5)


def counts(store: ResultsStore) -> dict[str, int]:
    return {t: len(ids(store.conn, t)) for t in TABLES}


def test_bundle_export_import_twice_is_idempotent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = station(tmp_path, "A")
    screen(a, "A1", 3)
    screen(a, None, 2, finish=False)
    r0 = a.reps(a.sessions()[0].id)[0]
    a.override_rep(r0.id, True, (), "K", "glare")
    path = tmp_path / "out" / "a.hkb"
    assert main(["results", "bundle-export", str(path), "--db", str(a.path)]) == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and zipfile.is_zipfile(path)
    c = station(tmp_path, "C", roster=False)
    screen(c, None, 1)
    before = counts(c)
    first = bundle.import_bundle(c, path)
    assert sum(first.added.values()) == sum(counts(a).values())
    after = counts(c)
    assert after == {t: before[t] + counts(a)[t] for t in TABLES}
    second = bundle.import_bundle(c, path)
    assert sum(second.added.values()) == 0 and counts(c) == after
    assert main(["results", "bundle-import", str(path), "--db", str(c.path)]) == 0
    assert "nothing new" in capsys.readouterr().out and counts(c) == after
    for s in a.sessions():
        assert c.session(s.id) == s and c.reps(s.id) == a.reps(s.id)
        assert c.silhouette(s.id) == a.silhouette(s.id)
    assert sum(bundle.import_bundle(a, path).added.values()) == 0  # into its own station
    # A session finished after the bundle was made comes in finished with a newer bundle.
    unfinished = next(s for s in a.sessions() if not s.finished)
    a.save_session(unfinished.id)
    bundle.export_bundle(a, path)
    bundle.import_bundle(c, path)
    assert c.session(unfinished.id) == a.session(unfinished.id)


def test_bad_bundles_are_refused_in_one_line_and_import_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = station(tmp_path, "A")
    screen(a, "A1", 3)
    good = tmp_path / "a.hkb"
    bundle.export_bundle(a, good)
    data = good.read_bytes()
    c = station(tmp_path, "C", roster=False)
    before = counts(c)
    bad: dict[str, bytes] = {"truncated": data[: len(data) // 2], "notzip": b"hello, not a bundle\n"}
    # A row altered inside an otherwise valid zip (checksums in the manifest catch it).
    with zipfile.ZipFile(good) as z:
        members = {n: z.read(n) for n in z.namelist()}
    members["reps.jsonl"] = members["reps.jsonl"].replace(b'"passed": 0', b'"passed": 1')
    assert members["reps.jsonl"] != zipfile.ZipFile(good).read("reps.jsonl")
    for name, altered in (("tampered", members), ("foreign", {"manifest.json": b'{"format": "other"}'})):
        p = tmp_path / f"{name}.zip"
        with zipfile.ZipFile(p, "w") as z:
            for n, d in altered.items():
                z.writestr(n, d)
        bad[name] = p.read_bytes()
    # Bytes flipped inside a stored member: the zip's own CRC catches it.
    flipped = bytearray(data)
    at = data.index(b"silhouette" * 3)
    flipped[at:at + 4] = b"XXXX"
    bad["flipped"] = bytes(flipped)
    for name, blob in bad.items():
        p = tmp_path / f"{name}.hkb"
        p.write_bytes(blob)
        with pytest.raises(StoreError):
            bundle.import_bundle(c, p)
        assert main(["results", "bundle-import", str(p), "--db", str(c.path)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("hinge-kiosk: error: "), (name, err)
        assert counts(c) == before, name
    assert main(["results", "bundle-import", str(tmp_path / "none.hkb"), "--db", str(c.path)]) == 2
    assert "no bundle at" in capsys.readouterr().err


def test_an_altered_row_is_held_back_and_does_not_stop_the_others(tmp_path: Path, dsn: str) -> None:
    """A session row altered behind the kiosk's back (text where a number belongs, as a
    crafted bundle once brought in): the server would refuse its batch on every run and no
    result would ever leave. It is held back with its reps and named; the rest is synced;
    once it is repaired it goes too."""
    a = station(tmp_path, "A")
    bad = screen(a, "A1", 3)
    good = [screen(a, "A2", 2), screen(a, None, 1)]
    with a.transaction() as c:
        c.execute("UPDATE sessions SET hinge_depth_in = '=HYPERLINK(\"http://evil\")' WHERE id = ?", (bad,))
    for _ in range(2):
        r = sync_once(a, dsn)
        assert len(r.held_back) == 1 + 3 + 1  # the session, its reps, its silhouette
        assert r.held_back[0].startswith(f"sessions {bad[:8]}: hinge_depth_in") and "held back" in r.line()
    got = server_ids(dsn)
    assert set(got["sessions"]) == set(good) and len(got["reps"]) == 3
    with a.transaction() as c:
        c.execute("UPDATE sessions SET hinge_depth_in = 6 WHERE id = ?", (bad,))
    r = sync_once(a, dsn)
    assert not r.held_back and sync.pending(a) == 0
    assert set(server_ids(dsn)["sessions"]) == {bad, *good}
