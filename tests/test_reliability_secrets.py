"""Passwords in connection strings (issue 12, item 8): wherever a club-server address is
shown (a sync error, the sync worker's status line, the command line's one-line errors, the
config's error) the password in it is masked, in each way one can be written. The server
is an unused port on loopback, so each attempt fails the way an unreachable server does."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk.app.config import ConfigError, parse_config
from kiosk.results.model import StoreError
from kiosk.results.pg import redact, scrub
from kiosk.results.store import ResultsStore
from kiosk.results.sync import sync_once
from kiosk.results.sync_worker import SyncWorker

REPO = Path(__file__).resolve().parents[1]
SECRET = "hunter2-Sup3r"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def addresses() -> list[str]:
    port = closed_port()
    return [f"postgresql://kiosk:{SECRET}@127.0.0.1:{port}/hinge",
            f"postgresql://kiosk@127.0.0.1:{port}/hinge?password={SECRET}&connect_timeout=2",
            f"postgres://kiosk@127.0.0.1:{port}/hinge?sslmode=disable&sslpassword={SECRET}",
            f"postgresql://kiosk@127.0.0.1:{port}/hinge?password={SECRET}&no_such_option=1"]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "results.sqlite3"
    ResultsStore.open(path, station_id="kiosk-1").close()
    return path


def test_redact_and_scrub_cover_every_way_to_write_a_password() -> None:
    for dsn in [*addresses(), f"host=club user=kiosk password='{SECRET}' dbname=hinge"]:
        assert SECRET not in redact(dsn) and "***" in redact(dsn), redact(dsn)
        assert SECRET not in scrub(f"failed for {dsn}; the password {SECRET} was wrong", dsn)
    assert redact("postgresql://kiosk@club/hinge") == "postgresql://kiosk@club/hinge"


@pytest.mark.parametrize("dsn", addresses(), ids=["userinfo", "query", "sslpassword", "bad-option"])
def test_sync_errors_and_the_command_line_never_show_the_password(db: Path, dsn: str) -> None:
    with ResultsStore.open(db) as s, pytest.raises(StoreError) as err:
        sync_once(s, dsn, connect_timeout_s=2)
    assert SECRET not in str(err.value) and "127.0.0.1" in str(err.value), str(err.value)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for argv in (["results", "sync", "--to", dsn, "--db", str(db)], ["results", "list", "--db", dsn]):
        res = subprocess.run([sys.executable, "-m", "kiosk.cli", *argv], cwd=REPO, env=env,
                             capture_output=True, text=True, timeout=60)
        assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
        assert SECRET not in res.stderr + res.stdout, res.stderr


def test_the_sync_workers_status_line_never_shows_the_password(db: Path) -> None:
    dsn = addresses()[1]
    w = SyncWorker(db, dsn, connect_timeout_s=1, backoff_initial_s=30).start()
    try:
        deadline = time.monotonic() + 20
        while w.state().ok is None and time.monotonic() < deadline:
            time.sleep(0.05)
        state = w.state()
        assert state.ok is False and state.last_error and SECRET not in state.last_error
        assert SECRET not in w.status() and w.status().startswith("offline"), w.status()
    finally:
        assert w.stop(timeout=5)


@pytest.mark.parametrize("dsn", [*addresses()[:3], f"mysql://kiosk:{SECRET}@club/hinge",
                                 f"postgresql://k@club/h?password={SECRET}" + "x" * 300],
                         ids=["userinfo", "query", "sslpassword", "mysql", "long"])
def test_the_config_refuses_a_password_without_echoing_it(dsn: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(f'[results]\nsync_to = "{dsn}"\n')
    assert SECRET not in str(err.value) and "password" in str(err.value), str(err.value)
